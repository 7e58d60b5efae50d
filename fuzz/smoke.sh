#!/usr/bin/env bash
# Short fuzz run of every target (default 60 s each; FUZZ_SECONDS=N to change), starting from the
# test fixtures and examples (see the seeding below) and fuzz/corpus/<target>/. Needs cargo-fuzz
# (`cargo install cargo-fuzz`); on the stable toolchain RUSTC_BOOTSTRAP=1 enables the sanitizer flags.
# Inputs stay under 512 bytes: longer malformed HCL can make the parser backtrack for seconds (a
# known upstream slowness that tfboot itself bounds with a per-file deadline, see src/deadline.rs).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz missing (cargo install cargo-fuzz)"; exit 2; }
export RUSTC_BOOTSTRAP=1
for target in config_loader check_module renderer formatter; do
  seeds="corpus/$target"
  work="$(mktemp -d)"
  cp -r "$seeds/." "$work/" 2>/dev/null || true
  # Seeds the tests already hold, rather than copies of them: the examples' configs, every rule's
  # firing fixture, the untidy HCL the formatter is compared on. (The parser-backtracking regression
  # is replayed by tests/hardening.rs; as a seed it would only time out.)
  case "$target" in
    config_loader) for f in ../examples/*/tfboot.toml; do cp "$f" "$work/$(basename "$(dirname "$f")").toml"; done ;;
    check_module)
      for f in ../tests/fixtures/check/*/fires/main.tf; do cp "$f" "$work/$(basename "$(dirname "$(dirname "$f")")").tf"; done ;;
    formatter)
      cp ../tests/fixtures/fmt/*.tf "$work/"
      for f in ../examples/quickstart/bootstrap/*.tf; do cp "$f" "$work/example-$(basename "$f")"; done ;;
  esac
  echo "fuzz: $target for ${seconds}s"
  status=0
  cargo fuzz run "$target" "$work" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -max_len=512 \
    > "$work.log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs|SUMMARY|thread .|panicked|error(\[E[0-9]+\])?:)" "$work.log" || tail -n 5 "$work.log"
  rm -rf "$work" "$work.log"
  [ "$status" -eq 0 ] || { echo "fuzz: $target FAILED (crash input under fuzz/artifacts/$target)"; exit 1; }
done
echo "fuzz: all targets ran clean"
