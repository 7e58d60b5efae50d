#!/usr/bin/env bash
# `tfboot locks list` at scale, against moto (../shared/tools/aws-emulator-server.py): one bucket
# holding STATES state objects (default 10,000) with their DynamoDB digest items, LOCKED of them
# locked (default 100: half by a DynamoDB item, half by a .tflock object), and a tree of STATES
# root modules whose backend blocks name them (lock = both: dynamodb_table and use_lockfile).
# Counts the requests the emulator receives during each run (its request log) and checks the
# budget: ListObjectsV2 pages + Scan pages + one GetObject per lock object, at most
#   ceil(objects/1000) + ceil(items/items-per-1-MB-page) + locks + 5.
# Best of 3 for the time. Usage: bench/locks.sh [STATES] [LOCKED]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
states="${1:-10000}"
locked="${2:-100}"
command -v openssl >/dev/null || { echo "bench: needs openssl"; exit 2; }
[ -f "$shared/tools/aws-emulator-server.py" ] || { echo "bench: no aws-emulator-server.py in $shared/tools"; exit 2; }
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/tfboot"
work="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tfboot-bench-locks.XXXXXX")"
emulator_log="$work/emulator.log"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "bench: filling the store ($states states, $locked locks) at $endpoint"
"$venv/bin/python" - "$endpoint" "$states" "$locked" "$work/tree" <<'PY'
import sys, os, json, hashlib, boto3, concurrent.futures as cf
ep, n, locked, tree = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1")
ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="eu-west-1")
s3.create_bucket(Bucket="bench-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
ddb.create_table(TableName="bench-lock", BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
body = b'{"version":4,"serial":1,"lineage":"bench","outputs":{},"resources":[]}'
digest = hashlib.md5(body).hexdigest()
key = lambda i: f"live/r{i:05d}/terraform.tfstate"
info = lambda i: json.dumps({"ID": f"00000000-0000-4000-8000-{i:012d}", "Operation": "OperationTypeApply",
                             "Who": "ci@bench", "Version": "1.11.4", "Created": "2026-12-03T09:00:00Z", "Path": ""})
with cf.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda i: s3.put_object(Bucket="bench-tfstate", Key=key(i), Body=body), range(n)))
    locks = range(0, n, max(1, n // locked))[:locked]
    list(pool.map(lambda i: s3.put_object(Bucket="bench-tfstate", Key=key(i) + ".tflock", Body=info(i).encode()),
                  [i for j, i in enumerate(locks) if j % 2 == 1]))
items = [{"LockID": {"S": f"bench-tfstate/{key(i)}-md5"}, "Digest": {"S": digest}} for i in range(n)]
items += [{"LockID": {"S": f"bench-tfstate/{key(i)}"}, "Info": {"S": info(i)}} for j, i in enumerate(locks) if j % 2 == 0]
for k in range(0, len(items), 25):
    ddb.batch_write_item(RequestItems={"bench-lock": [{"PutRequest": {"Item": it}} for it in items[k:k + 25]]})
size = sum(len(json.dumps(it)) for it in items)
for i in range(n):
    d = os.path.join(tree, "live", f"r{i:05d}")
    os.makedirs(d)
    with open(os.path.join(d, "backend.tf"), "w") as f:
        f.write(f'terraform {{\n  backend "s3" {{\n    bucket         = "bench-tfstate"\n    key            = "{key(i)}"\n'
                f'    region         = "eu-west-1"\n    dynamodb_table = "bench-lock"\n    use_lockfile   = true\n  }}\n}}\n')
json.dump({"objects": n + locked // 2, "items": len(items), "item_bytes": size}, open(os.path.join(tree, "..", "store.json"), "w"))
PY
read -r objects items item_bytes < <("$venv/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["objects"], d["items"], d["item_bytes"])' "$work/store.json")
# DynamoDB returns at most 1 MB of items per Scan page.
budget=$(( (objects + 999) / 1000 + (item_bytes + 1048575) / 1048576 + locked + 5 ))

now() { date +%s.%N; }
times=(); counts=()
for run in $(seq 1 "${BENCH_RUNS:-3}"); do
  before=$(grep -c '" [0-9][0-9][0-9] ' "$emulator_log" || true)
  t0=$(now)
  (cd "$work/tree" && "$bin" locks list live --format json > "$work/out.json")
  t1=$(now)
  after=$(grep -c '" [0-9][0-9][0-9] ' "$emulator_log" || true)
  times+=("$(echo "$t1 - $t0" | bc -l)")
  counts+=("$((after - before))")
done
got=$("$venv/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["locks"]), d["requests"], sum(s["states"] for s in d["stores"]))' "$work/out.json")
read -r found reported known <<<"$got"
lists=$(tail -n "${counts[-1]}" "$emulator_log" | grep -c 'list-type=2' || true)
gets=$(tail -n "${counts[-1]}" "$emulator_log" | grep -c '\.tflock' || true)
posts=$(tail -n "${counts[-1]}" "$emulator_log" | grep -c '"POST / ' || true)
best=$(printf '%s\n' "${times[@]}" | sort -g | head -n 1)
printf 'states=%s known=%s objects=%s items=%s (%s bytes) locks=%s found=%s cores=%s\n' \
  "$states" "$known" "$objects" "$items" "$item_bytes" "$locked" "$found" "$(nproc)"
printf 'requests the emulator received: %s (ListObjectsV2 %s, Scan %s, GetObject .tflock %s; tfboot counted %s), budget %s\n' \
  "${counts[-1]}" "$lists" "$posts" "$gets" "$reported" "$budget"
printf 'tfboot locks list: best %.3fs of %s runs\n' "$best" "${#times[@]}"
ok=1
[ "$found" = "$locked" ] || { echo "bench: found $found locks, expected $locked"; ok=0; }
[ "${counts[-1]}" -le "$budget" ] || { echo "bench: ${counts[-1]} requests over the budget $budget"; ok=0; }
if [ $ok = 1 ]; then echo "bench: all targets met"; else echo "bench: TARGET MISSED"; exit 1; fi
