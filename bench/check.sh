#!/usr/bin/env bash
# Speed of `tfboot check` on a synthetic 10,000-root monorepo (4 .tf files per root: 40,000 files),
# best of 3, against two baselines on the same tree:
#   hcl     HashiCorp's Go HCL parser parsing every file (../shared/tools/hclcheck scan DIR;
#           run ../shared/tools/install-oracles once)        target: check <= 0.5 x hcl
#   cat     `cat` of every file                             target: check <= 2 x cat
# Usage: bench/check.sh [ROOTS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
roots="${1:-10000}"
hclcheck="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/bin/hclcheck"
[ -x "$hclcheck" ] || { echo "bench: run ../shared/tools/install-oracles first (needs hclcheck)"; exit 2; }
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/tfboot"
work="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tfboot-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 "$repo/bench/monorepo.py" "$work/tree" "$roots" --check-tree >/dev/null
files=$(find "$work/tree" -name '*.tf' -not -path '*/.terraform/*' | wc -l)
find "$work/tree" -name '*.tf' -not -path '*/.terraform/*' -print0 > "$work/list"
now() { date +%s.%N; }
best() { sort -g | head -n 1; }
c=(); h=(); k=()
for i in $(seq 1 "${BENCH_RUNS:-3}"); do
  t0=$(now); xargs -0 cat < "$work/list" > /dev/null; t1=$(now); k+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); "$hclcheck" scan "$work/tree" > /dev/null 2>&1 || true; t1=$(now); h+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); (cd "$work/tree" && "$bin" check --format json > "$work/out.json") || true; t1=$(now); c+=("$(echo "$t1 - $t0" | bc -l)")
done
cat_t=$(printf '%s\n' "${k[@]}" | best); hcl_t=$(printf '%s\n' "${h[@]}" | best); check_t=$(printf '%s\n' "${c[@]}" | best)
findings=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['diagnostics']))" "$work/out.json")
printf 'roots=%s tf_files=%s cores=%s findings=%s\n' "$roots" "$files" "$(nproc)" "$findings"
printf 'cat of every file        : %.3fs\n' "$cat_t"
printf 'hclcheck scan (Go parser): %.3fs\n' "$hcl_t"
printf 'tfboot check             : %.3fs = %.2fx hcl (target <= 0.5), %.2fx cat (target <= 2)\n' \
  "$check_t" "$(echo "$check_t / $hcl_t" | bc -l)" "$(echo "$check_t / $cat_t" | bc -l)"
ok=1
[ "$(echo "$check_t <= 0.5 * $hcl_t" | bc -l)" = 1 ] || ok=0
[ "$(echo "$check_t <= 2 * $cat_t" | bc -l)" = 1 ] || ok=0
if [ $ok = 1 ]; then echo "bench: all targets met"; else echo "bench: TARGET MISSED"; exit 1; fi
