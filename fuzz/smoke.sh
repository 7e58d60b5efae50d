#!/usr/bin/env bash
# Short fuzz run of every target (default 60 s each; FUZZ_SECONDS=N to change), starting from the
# committed seeds in fuzz/corpus/<target>/ (regressions first). Needs cargo-fuzz
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
  # The formatter starts from the untidy HCL the tests compare with terraform fmt, and the examples.
  if [ "$target" = formatter ]; then
    cp ../tests/fixtures/fmt/*.tf "$work/"
    for f in ../examples/quickstart/bootstrap/*.tf; do cp "$f" "$work/example-$(basename "$f")"; done
  fi
  echo "fuzz: $target for ${seconds}s"
  status=0
  cargo fuzz run "$target" "$work" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -max_len=512 \
    > "$work.log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs|SUMMARY|thread '|panicked)" "$work.log" || tail -n 5 "$work.log"
  rm -rf "$work" "$work.log"
  [ "$status" -eq 0 ] || { echo "fuzz: $target FAILED (crash input under fuzz/artifacts/$target)"; exit 1; }
done
echo "fuzz: all targets ran clean"
