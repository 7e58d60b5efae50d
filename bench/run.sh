#!/usr/bin/env bash
# tfboot's scale benchmark (issue: 10k-root monorepo). Builds the release binary, writes a synthetic
# monorepo with bench/monorepo.py, and measures, best of 3 runs each:
#   cp       `cp -r` of a tree holding only the files tfboot produces (the baseline)
#   first    `tfboot generate` on the fresh tree            target: <= 2 x cp
#   rerun    `tfboot generate` with nothing changed          target: <= 0.5 x first
#   check    `tfboot generate --check` on the unchanged tree target: <= 0.5 x first
# Usage: bench/run.sh [ROOTS]   (default 10000)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
roots="${1:-10000}"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/tfboot"
work="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tfboot-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 "$repo/bench/monorepo.py" "$work/template" "$roots" >/dev/null

now() { date +%s.%N; }
best() { sort -g | head -n 1; }

first_runs=(); rerun_runs=(); check_runs=(); cp_runs=()
# The baseline tree: exactly the files tfboot produces, built once from a first generate.
rm -rf "$work/repo"; cp -r "$work/template" "$work/repo"
(cd "$work/repo" && "$bin" generate >/dev/null)
(cd "$work/repo" && find . -path ./modules -prune -o -type f \( -name backend.tf -o -path './bootstrap/*' \) -print) > "$work/produced.list"
produced=$(wc -l < "$work/produced.list")
(cd "$work/repo" && tar -cf - -T "$work/produced.list") | (mkdir -p "$work/produced" && cd "$work/produced" && tar -xf -)
# Runs interleave the baseline and tfboot so both see the same disk conditions.
for i in $(seq 1 "${BENCH_RUNS:-3}"); do
  rm -rf "$work/repo" "$work/copy"; cp -r "$work/template" "$work/repo"; sync
  t0=$(now); cp -r "$work/produced" "$work/copy"; t1=$(now)
  cp_runs+=("$(echo "$t1 - $t0" | bc -l)")
  sync
  t0=$(now); (cd "$work/repo" && "$bin" generate >/dev/null); t1=$(now)
  first_runs+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); (cd "$work/repo" && "$bin" generate >/dev/null); t1=$(now)
  rerun_runs+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); (cd "$work/repo" && "$bin" generate --check >/dev/null); t1=$(now)
  check_runs+=("$(echo "$t1 - $t0" | bc -l)")
done
cp_t=$(printf '%s\n' "${cp_runs[@]}" | best)
first_t=$(printf '%s\n' "${first_runs[@]}" | best)
rerun_t=$(printf '%s\n' "${rerun_runs[@]}" | best)
check_t=$(printf '%s\n' "${check_runs[@]}" | best)
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf 'roots=%s files_produced=%s cores=%s\n' "$roots" "$produced" "$(nproc)"
printf 'cp -r produced files : %.3fs\n' "$cp_t"
printf 'generate (first)     : %.3fs  = %sx cp     (target <= 2)\n' "$first_t" "$(ratio "$first_t" "$cp_t")"
printf 'generate (no-op)     : %.3fs  = %sx first  (target <= 0.5)\n' "$rerun_t" "$(ratio "$rerun_t" "$first_t")"
printf 'generate --check     : %.3fs  = %sx first  (target <= 0.5)\n' "$check_t" "$(ratio "$check_t" "$first_t")"
ok=1
[ "$(echo "$first_t <= 2 * $cp_t" | bc -l)" = 1 ] || ok=0
[ "$(echo "$rerun_t <= 0.5 * $first_t" | bc -l)" = 1 ] || ok=0
[ "$(echo "$check_t <= 0.5 * $first_t" | bc -l)" = 1 ] || ok=0
if [ $ok = 1 ]; then echo "bench: all targets met"; else echo "bench: TARGET MISSED"; exit 1; fi
