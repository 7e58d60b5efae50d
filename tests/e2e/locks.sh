#!/usr/bin/env bash
# End to end, for real: `tfboot locks` against moto (../shared/tools/aws-emulator) with
#   - lock records written directly: a DynamoDB lock item, a .tflock object, digest items;
#     `locks list` shows each lock with its ID and root, and the digest of a missing state apart;
#   - `locks unlock`: a wrong ID removes nothing, the right one removes exactly that lock, the
#     digest items survive, and a lock re-acquired (another ID) between list and unlock survives;
#   - a lock held by real Terraform: an apply whose resource sleeps, killed with SIGKILL, so both
#     its locks stay (lock = "both"); `locks list` shows the ID Terraform printed, and
#     `terraform force-unlock` takes that ID.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e locks: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e locks: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi

command -v python3 >/dev/null || skip "no python3 for the emulator"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
work="$(mktemp -d)"
holder=""
cleanup() {
  [ -n "$holder" ] && kill -9 -- "-$holder" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "e2e locks: emulator at $endpoint"
fail() { echo "e2e locks: FAIL: $*"; exit 1; }
py() { "$venv/bin/python" - "$endpoint" "$@"; }

# The store as the bootstrap module leaves it: bucket, table keyed LockID (S), two states with
# their digests, and the digest of a state that is gone.
py <<'PY'
import sys, boto3, hashlib
ep = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1")
s3.create_bucket(Bucket="acme-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="eu-west-1")
ddb.create_table(TableName="acme-tfstate-lock", BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
for k in ["envs/dev/terraform.tfstate", "envs/prod/terraform.tfstate"]:
    body = b'{"version":4,"serial":1,"lineage":"e2e-locks","outputs":{},"resources":[]}'
    s3.put_object(Bucket="acme-tfstate", Key=k, Body=body)
    # The digest Terraform keeps beside the state: the MD5 of its content.
    ddb.put_item(TableName="acme-tfstate-lock", Item={"LockID": {"S": f"acme-tfstate/{k}-md5"}, "Digest": {"S": hashlib.md5(body).hexdigest()}})
ddb.put_item(TableName="acme-tfstate-lock", Item={"LockID": {"S": "acme-tfstate/gone/terraform.tfstate-md5"}, "Digest": {"S": "fedcba9876543210fedcba9876543210"}})
PY

cd "$work"
cat > tfboot.toml <<'EOT'
[state]
bucket = "acme-tfstate"
region = "eu-west-1"
lock   = "both"

[[env]]
name = "dev"

[[env]]
name = "prod"
EOT
"$tfboot" generate -q

# Locks written as Terraform writes them: a DynamoDB item for dev (two hours old), a .tflock
# object for prod (just now).
py <<'PY'
import sys, json, boto3, datetime
ep = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def info(i, created):
    return json.dumps({"ID": i, "Operation": "OperationTypeApply", "Info": "", "Who": "ci@runner-7",
                       "Version": "1.11.4", "Created": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "Path": ""})
ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="eu-west-1")
ddb.put_item(TableName="acme-tfstate-lock", Item={"LockID": {"S": "acme-tfstate/envs/dev/terraform.tfstate"},
             "Info": {"S": info("11111111-1111-4111-8111-111111111111", now - datetime.timedelta(hours=2))}})
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1")
s3.put_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate.tflock",
              Body=info("22222222-2222-4222-8222-222222222222", now).encode())
PY

"$tfboot" locks --format json > list.json || fail "locks list: $(cat list.json)"
py "$work/list.json" <<'PY' || fail "locks list output: $(cat "$work/list.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
locks = {(l["state"], l["lock"]): l for l in doc["locks"]}
dev = locks[("s3://acme-tfstate/envs/dev/terraform.tfstate", "dynamodb")]
prod = locks[("s3://acme-tfstate/envs/prod/terraform.tfstate", "lockfile")]
assert len(locks) == 2, locks
assert dev["id"] == "11111111-1111-4111-8111-111111111111" and dev["root"] == "envs/dev", dev
assert 7000 < dev["age_seconds"] < 7400 and dev["who"] == "ci@runner-7", dev
assert prod["id"] == "22222222-2222-4222-8222-222222222222" and prod["root"] == "envs/prod", prod
strays = [s["item"] for s in doc["strays"]]
assert strays == ["acme-tfstate/gone/terraform.tfstate-md5"], strays
# One listing page, one scan page, one read per lock object.
assert doc["requests"] <= 3, doc["requests"]
PY
echo "e2e locks: ok: list shows the DynamoDB and the .tflock lock with their IDs and roots, the stray digest apart ($(py "$work/list.json" <<'PY'
import sys, json; print(json.load(open(sys.argv[2]))["requests"], end="")
PY
) requests)"

"$tfboot" locks --older-than 1h --format json > old.json
py "$work/old.json" <<'PY' || fail "--older-than 1h: $(cat "$work/old.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
assert [l["root"] for l in doc["locks"]] == ["envs/dev"], doc["locks"]
PY

set +e
"$tfboot" locks unlock envs/dev --id 99999999-9999-4999-8999-999999999999 --yes > wrong.txt
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "unlock with a wrong ID exited $rc: $(cat wrong.txt)"
grep -q "kept the dynamodb lock" wrong.txt || fail "unlock with a wrong ID: $(cat wrong.txt)"
"$tfboot" locks unlock envs/dev --id 11111111-1111-4111-8111-111111111111 --yes > right.txt \
  || fail "unlock with the right ID: $(cat right.txt)"
py <<'PY' || fail "after unlocking dev"
import sys, boto3
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="eu-west-1")
get = lambda k: ddb.get_item(TableName="acme-tfstate-lock", Key={"LockID": {"S": k}}, ConsistentRead=True).get("Item")
assert get("acme-tfstate/envs/dev/terraform.tfstate") is None
for k in ["envs/dev/terraform.tfstate-md5", "envs/prod/terraform.tfstate-md5", "gone/terraform.tfstate-md5"]:
    assert get("acme-tfstate/" + k) is not None, k
PY
echo "e2e locks: ok: a wrong ID removes nothing; the right one removes exactly the dev lock; every digest item survives"

# prod's lock re-acquired by another run between list and unlock: a new ID, so the old one
# removes nothing.
py <<'PY'
import sys, json, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="eu-west-1")
s3.put_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate.tflock",
              Body=json.dumps({"ID": "33333333-3333-4333-8333-333333333333", "Operation": "OperationTypePlan",
                               "Who": "dev@laptop", "Version": "1.11.4", "Created": "2026-12-03T10:00:00Z"}).encode())
PY
set +e
"$tfboot" locks unlock envs/prod --id 22222222-2222-4222-8222-222222222222 --yes > race.txt
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "33333333-3333-4333-8333-333333333333" race.txt || fail "race: exit $rc: $(cat race.txt)"
"$tfboot" locks unlock s3://acme-tfstate/envs/prod/terraform.tfstate --id 33333333-3333-4333-8333-333333333333 --yes >/dev/null \
  || fail "unlock of the new prod lock"
"$tfboot" locks --format json > empty.json
py "$work/empty.json" <<'PY' || fail "locks left: $(cat "$work/empty.json")"
import sys, json
assert json.load(open(sys.argv[2]))["locks"] == []
PY
echo "e2e locks: ok: a lock re-acquired with another ID survives an unlock of the old one"

# locks show: one state in detail, the digest apart from the lock.
py <<'PY'
import sys, json, boto3, datetime
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="eu-west-1")
created = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
ddb.put_item(TableName="acme-tfstate-lock", Item={"LockID": {"S": "acme-tfstate/envs/dev/terraform.tfstate"},
             "Info": {"S": json.dumps({"ID": "44444444-4444-4444-8444-444444444444", "Operation": "OperationTypePlan",
                                       "Who": "ci@runner-9", "Version": "1.11.4", "Created": created})}})
PY
"$tfboot" locks show envs/dev --format json > show.json || fail "locks show envs/dev: $(cat show.json)"
py "$work/show.json" <<'PY' || fail "locks show output: $(cat "$work/show.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
assert doc["state"] == "s3://acme-tfstate/envs/dev/terraform.tfstate" and doc["state_exists"], doc
assert [(l["lock"], l["id"], l["table"]) for l in doc["locks"]] == [("dynamodb", "44444444-4444-4444-8444-444444444444", "acme-tfstate-lock")], doc
assert [t for t, _ in doc["digests"]] == ["acme-tfstate-lock"], doc
PY
set +e
"$tfboot" locks show envs/prod > show-prod.txt
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "not locked" show-prod.txt || fail "locks show of an unlocked state: exit $rc: $(cat show-prod.txt)"
echo "e2e locks: ok: locks show gives the lock and the digest of one state apart"

# unlock by age: --older-than picks only the old lock; --all across the store.
py <<'PY'
import sys, json, boto3, datetime
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="eu-west-1")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
s3.put_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate.tflock",
              Body=json.dumps({"ID": "55555555-5555-4555-8555-555555555555", "Operation": "OperationTypeApply",
                               "Who": "dev@laptop", "Version": "1.11.4", "Created": now}).encode())
PY
set +e
"$tfboot" locks unlock envs/prod --older-than 1h --yes > young.txt
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "no lock older than 1h" young.txt || fail "unlock --older-than of a young lock: exit $rc: $(cat young.txt)"
"$tfboot" locks unlock --all --older-than 1h --yes > all.txt || fail "unlock --all --older-than 1h: $(cat all.txt)"
grep -q "unlocked s3://acme-tfstate/envs/dev/terraform.tfstate: removed the dynamodb lock with ID 44444444" all.txt \
  || fail "unlock --all: $(cat all.txt)"
"$tfboot" locks --format json > aged.json
py "$work/aged.json" <<'PY' || fail "after unlock --all: $(cat "$work/aged.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
assert [l["id"] for l in doc["locks"]] == ["55555555-5555-4555-8555-555555555555"], doc["locks"]
PY
"$tfboot" locks unlock envs/prod --id 55555555-5555-4555-8555-555555555555 --yes >/dev/null || fail "unlock prod"
echo "e2e locks: ok: unlock --older-than leaves a young lock alone; --all removes only the old ones"

# States from PATHs: hand-written roots (no tfboot.toml), each block's own endpoints (no
# AWS_ENDPOINT_URL), a .tfbackend per env, a workspace's state, and what cannot be read.
mkdir -p "$work/hand/app" "$work/hand/multi" "$work/hand/partial" "$work/hand/dynamic"
cat > "$work/hand/app/backend.tf" <<EOT
terraform {
  backend "s3" {
    bucket         = "acme-tfstate"
    key            = "hand/app.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "acme-tfstate-lock"
    endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint" }
    use_path_style = true
  }
}
EOT
cat > "$work/hand/multi/backend.tf" <<EOT
terraform {
  backend "s3" {
    bucket         = "acme-tfstate"
    region         = "eu-west-1"
    use_lockfile   = true
    endpoints      = { s3 = "$endpoint" }
    use_path_style = true
  }
}
EOT
echo 'key = "hand/multi/stage.tfstate"' > "$work/hand/multi/stage.s3.tfbackend"
echo 'key = "hand/multi/live.tfstate"' > "$work/hand/multi/live.s3.tfbackend"
printf 'terraform {\n  backend "s3" {}\n}\n' > "$work/hand/partial/backend.tf"
printf 'terraform {\n  backend "s3" {\n    bucket = "acme-tfstate"\n    key    = "${var.name}.tfstate"\n    region = "eu-west-1"\n  }\n}\n' > "$work/hand/dynamic/backend.tf"
py <<'PY'
import sys, json, boto3
ep = sys.argv[1]
info = lambda i: json.dumps({"ID": i, "Operation": "OperationTypeApply", "Who": "ci@runner-1", "Version": "1.11.4", "Created": "2026-12-03T09:00:00Z"})
ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="eu-west-1")
ddb.put_item(TableName="acme-tfstate-lock", Item={"LockID": {"S": "acme-tfstate/env:/staging/hand/app.tfstate"}, "Info": {"S": info("66666666-6666-4666-8666-666666666666")}})
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1")
s3.put_object(Bucket="acme-tfstate", Key="hand/multi/live.tfstate", Body=b"{}")
s3.put_object(Bucket="acme-tfstate", Key="hand/multi/live.tfstate.tflock", Body=info("77777777-7777-4777-8777-777777777777").encode())
PY
(unset AWS_ENDPOINT_URL; "$tfboot" locks list hand --format json > hand.json) || fail "locks list hand: $(cat hand.json)"
py "$work/hand.json" <<'PY' || fail "locks from PATHs: $(cat "$work/hand.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
locks = {l["id"]: l for l in doc["locks"]}
ws = locks["66666666-6666-4666-8666-666666666666"]
assert ws["root"] == "hand/app" and ws["workspace"] == "staging" and ws["lock"] == "dynamodb", ws
live = locks["77777777-7777-4777-8777-777777777777"]
assert live["root"] == "hand/multi" and live["backend_config"] == "live.s3.tfbackend" and live["lock"] == "lockfile", live
assert len(locks) == 2, locks
skipped = {s["file"]: s["reason"] for s in doc["skipped"]}
assert "bucket is not set" in skipped["hand/partial/backend.tf"], skipped
assert "key is not a literal string" in skipped["hand/dynamic/backend.tf"], skipped
assert [s["states"] for s in doc["stores"]] == [3], doc["stores"]
PY
(unset AWS_ENDPOINT_URL; "$tfboot" locks list hand) > hand.txt 2> hand.err || fail "locks list hand (text): $(cat hand.txt hand.err)"
grep -q "terraform workspace select staging && terraform force-unlock 66666666" hand.txt || fail "workspace hint: $(cat hand.txt)"
grep -q "terraform init -reconfigure -backend-config=live.s3.tfbackend && terraform force-unlock 77777777" hand.txt || fail "tfbackend hint: $(cat hand.txt)"
grep -q "skipped hand/partial/backend.tf" hand.err || fail "skipped note: $(cat hand.err)"
(unset AWS_ENDPOINT_URL; "$tfboot" locks unlock hand/multi --id 77777777-7777-4777-8777-777777777777 --yes --path hand > multi.txt 2>&1) && fail "an ambiguous root was accepted: $(cat multi.txt)"
grep -q "names 2 states" multi.txt || fail "ambiguous root: $(cat multi.txt)"
(unset AWS_ENDPOINT_URL; "$tfboot" locks unlock s3://acme-tfstate/hand/multi/live.tfstate --id 77777777-7777-4777-8777-777777777777 --yes --path hand >/dev/null) \
  || fail "unlock a PATH state"
(unset AWS_ENDPOINT_URL; "$tfboot" locks unlock "s3://acme-tfstate/env:/staging/hand/app.tfstate" --id 66666666-6666-4666-8666-666666666666 --yes --path hand >/dev/null) \
  || fail "unlock a workspace state"
# A root that assumes a role (STS at the block's endpoint): tfboot reads with the role's credentials.
mkdir -p "$work/role/app"
cat > "$work/role/app/backend.tf" <<EOT
terraform {
  backend "s3" {
    bucket         = "acme-tfstate"
    key            = "role/app.tfstate"
    region         = "eu-west-1"
    use_lockfile   = true
    endpoints      = { s3 = "$endpoint", sts = "$endpoint" }
    use_path_style = true
    assume_role = {
      role_arn     = "arn:aws:iam::123456789012:role/terraform-state"
      session_name = "tfboot-e2e"
    }
  }
}
EOT
py <<'PY'
import sys, json, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="eu-west-1")
s3.put_object(Bucket="acme-tfstate", Key="role/app.tfstate.tflock", Body=json.dumps({"ID": "88888888-8888-4888-8888-888888888888", "Operation": "OperationTypeApply", "Who": "ci@role", "Version": "1.11.4", "Created": "2026-12-03T09:00:00Z"}).encode())
PY
(unset AWS_ENDPOINT_URL; "$tfboot" locks list role --format json > role.json) || fail "locks list with assume_role: $(cat role.json)"
py "$work/role.json" <<'PY' || fail "locks with assume_role: $(cat "$work/role.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
assert [(l["id"], l["root"]) for l in doc["locks"]] == [("88888888-8888-4888-8888-888888888888", "role/app")], doc["locks"]
PY
(unset AWS_ENDPOINT_URL; "$tfboot" locks unlock role/app --path role --id 88888888-8888-4888-8888-888888888888 --yes >/dev/null) || fail "unlock with assume_role"
echo "e2e locks: ok: a root's assume_role (STS at its endpoint) is used to read and unlock"
echo "e2e locks: ok: states from PATHs with their own endpoints, .tfbackend files and workspaces; partial and dynamic backends skipped with the reason"

# A lock held by real Terraform: both locks (lock = "both"), its apply killed.
cd "$work/envs/dev"
cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
cat > slow.tf <<'EOT'
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 300"
  }
}
EOT
"$tf" init -input=false -no-color -backend-config=emulator.s3.tfbackend > "$work/init.log" 2>&1 \
  || { cat "$work/init.log"; fail "terraform init"; }
setsid "$tf" apply -input=false -no-color -auto-approve > "$work/holder.log" 2>&1 &
holder=$!
# Generous: under load (the other e2e scripts run beside this one) init and plan take a while.
for _ in $(seq 1 900); do
  grep -q "Provisioning with\|Still creating" "$work/holder.log" && break
  sleep 0.2
done
grep -q "Provisioning with\|Still creating" "$work/holder.log" || { cat "$work/holder.log"; fail "the apply never started its resource"; }
kill -9 -- "-$holder"; wait "$holder" 2>/dev/null || true; holder=""
set +e
out="$("$tf" plan -input=false -no-color -lock-timeout=1s 2>&1)"
set -e
id="$(sed -n 's/^ *ID: *\([0-9a-f-][0-9a-f-]*\) *$/\1/p' <<<"$out" | head -n 1)"
[ -n "$id" ] || { echo "$out"; fail "terraform printed no lock ID"; }
cd "$work"
"$tfboot" locks --format json > held.json
py "$work/held.json" "$id" <<'PY' || fail "the killed apply's lock: $(cat "$work/held.json")"
import sys, json
doc, want = json.load(open(sys.argv[2])), sys.argv[3]
kinds = sorted(l["lock"] for l in doc["locks"] if l["root"] == "envs/dev" and l["id"] == want)
assert kinds == ["dynamodb", "lockfile"], doc["locks"]
assert all(l["operation"] == "OperationTypeApply" for l in doc["locks"]), doc["locks"]
PY
cd "$work/envs/dev"
"$tf" force-unlock -force "$id" >/dev/null || fail "terraform force-unlock $id"
rm slow.tf
cd "$work"
"$tfboot" locks --format json > after.json
py "$work/after.json" <<'PY' || fail "after force-unlock: $(cat "$work/after.json")"
import sys, json
assert json.load(open(sys.argv[2]))["locks"] == []
PY
echo "e2e locks: ok: the killed apply's two locks show the ID Terraform printed ($id), and terraform force-unlock takes it"
echo "e2e locks: passed"
