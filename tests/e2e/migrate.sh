#!/usr/bin/env bash
# End to end, for real: `tfboot migrate-lock` on the example monorepo (examples/monorepo: two
# envs, one with assume_role and a workspace_key_prefix, two discovered roots, the bootstrap
# module; production's role_arn dropped, see below), with its store bootstrapped in moto and every root applied by real Terraform with the
# DynamoDB lock:
#   - a root whose required_version excludes Terraform >= 1.10 stops the migration (exit 2,
#     tfboot.toml untouched); so does a held lock (exit 1);
#   - `--phase both`: tfboot.toml gets lock = "both" with its comments kept, the backends are
#     regenerated, the init commands are printed; `--run` runs them, stops at a root that fails,
#     and a rerun skips the roots done; then a held DynamoDB item and a held .tflock object each
#     block a plan (both locks in use);
#   - `--phase s3 --run`: lock = "s3", no dynamodb_table anywhere; a DynamoDB item no longer
#     blocks a plan, a .tflock object does; a second run changes nothing.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e migrate: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
command -v python3 >/dev/null || skip "no python3 for the emulator"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e migrate: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi
fail() { echo "e2e migrate: FAIL: $*"; exit 1; }
work="$(mktemp -d)"
emulator_log="$work/emulator.log"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "e2e migrate: emulator at $endpoint"
py() { "$venv/bin/python" - "$endpoint" "$@"; }
export AWS_REGION=us-east-1

cp -r "$repo/examples/monorepo" "$work/mono"
cd "$work/mono"
# The monorepo before the migration: the DynamoDB lock it always had.
sed -i 's/^lock   = "both" .*$/lock   = "dynamodb"            # the lock this repo started with/' tfboot.toml
grep -q '^lock   = "dynamodb"' tfboot.toml || fail "could not set lock = dynamodb: $(cat tfboot.toml)"
# moto gives an assumed role's account a store of its own (no table there): production reaches the
# store with the emulator's credentials instead of its role.
sed -i '/^role_arn /d' tfboot.toml
"$tfboot" generate -q
cat > bootstrap/zz_emulator_override.tf <<EOT
provider "aws" {
  s3_use_path_style = true
  endpoints {
    s3       = "$endpoint"
    dynamodb = "$endpoint"
    kms      = "$endpoint"
    sts      = "$endpoint"
    iam      = "$endpoint"
  }
}
EOT
cat > "$work/emulator.s3.tfbackend" <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
"$tfboot" bootstrap --apply --auto-approve --terraform "$tf" --backend-config "$work/emulator.s3.tfbackend" \
  > bootstrap.log 2>&1 || { tail -n 40 bootstrap.log; fail "bootstrap --apply"; }
roots=(envs/staging envs/production live/data/postgres live/network/vpc)
for r in "${roots[@]}"; do
  (cd "$r" && "$tf" init -input=false -no-color -backend-config="$work/emulator.s3.tfbackend" \
    && "$tf" apply -input=false -auto-approve -no-color -lock-timeout=120s) > "$work/apply-${r//\//-}.log" 2>&1 \
    || fail "apply in $r: $(cat "$work/apply-${r//\//-}.log")"
done
echo "e2e migrate: ok: the monorepo's store bootstrapped, its 4 roots applied with lock = dynamodb"

# Locks held the way Terraform holds them, for the checks at each phase.
hold() { # hold dynamodb|lockfile KEY | release dynamodb|lockfile KEY
  py "$@" <<'PY'
import sys, json, boto3
ep, action, kind, key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
info = json.dumps({"ID": "44444444-4444-4444-8444-444444444444", "Operation": "OperationTypeApply",
                   "Info": "", "Who": "ci@runner-9", "Version": "1.11.4",
                   "Created": "2026-12-03T10:00:00.000000Z", "Path": ""})
bucket, table = "acme-platform-tfstate", "acme-platform-tfstate-lock"
if kind == "dynamodb":
    ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="us-east-1")
    item = {"LockID": {"S": f"{bucket}/{key}"}}
    if action == "hold":
        ddb.put_item(TableName=table, Item={**item, "Info": {"S": info}})
    else:
        ddb.delete_item(TableName=table, Key=item)
else:
    s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1")
    if action == "hold":
        s3.put_object(Bucket=bucket, Key=f"{key}.tflock", Body=info.encode())
    else:
        s3.delete_object(Bucket=bucket, Key=f"{key}.tflock")
PY
}
blocked() { # blocked DIR: a plan there fails on the state lock
  if (cd "$1" && "$tf" plan -input=false -no-color -lock-timeout=1s) > "$work/blocked.log" 2>&1; then
    return 1
  fi
  grep -q "Error acquiring the state lock" "$work/blocked.log" || fail "plan in $1 failed otherwise: $(cat "$work/blocked.log")"
}
plans() { (cd "$1" && "$tf" plan -input=false -no-color -lock-timeout=1s) > "$work/plan.log" 2>&1 || fail "plan in $1: $(cat "$work/plan.log")"; }

# ---- refusals: an old required_version, a held lock
cp tfboot.toml "$work/toml-before"
printf 'terraform {\n  required_version = "~> 1.9.0"\n}\n' > live/network/vpc/versions.tf
set +e
"$tfboot" migrate-lock --phase both > refused.log 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "an old required_version: exit $code: $(cat refused.log)"
grep -q "live/network/vpc (root live/network/vpc): required_version ~> 1.9.0 and >= 1.10.0 admits no Terraform >= 1.10" refused.log \
  || fail "refusal: $(cat refused.log)"
cmp -s tfboot.toml "$work/toml-before" || fail "a refused migration changed tfboot.toml"
rm live/network/vpc/versions.tf
hold hold dynamodb envs/staging/terraform.tfstate
set +e
"$tfboot" migrate-lock --phase both > held.log 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "a held lock: exit $code: $(cat held.log)"
grep -q "44444444-4444-4444-8444-444444444444" held.log || fail "held lock not named: $(cat held.log)"
cmp -s tfboot.toml "$work/toml-before" || fail "a migration stopped by a lock changed tfboot.toml"
hold release dynamodb envs/staging/terraform.tfstate
echo "e2e migrate: ok: a root pinned to ~> 1.9.0 (exit 2) and a held lock (exit 1) stop it with tfboot.toml untouched"

# ---- phase both: printed, then run, stopped by a failing root, resumed
"$tfboot" migrate-lock --phase both > both.log 2>&1 || fail "phase both: $(cat both.log)"
grep -q '^lock   = "both"            # the lock this repo started with$' tfboot.toml || fail "lock not set with its comment kept: $(cat tfboot.toml)"
grep -q "^# A monorepo" tfboot.toml || fail "tfboot.toml lost its comments"
grep -q "use_lockfile   = true" envs/staging/backend.tf || fail "backend not regenerated"
grep -q "cd envs/staging && terraform init -reconfigure -input=false" both.log || fail "no init command: $(cat both.log)"
grep -q "s3:DeleteObject" both.log || fail "no IAM note: $(cat both.log)"
# A root whose init fails: a module source that is not there.
printf 'module "missing" {\n  source = "./not-here"\n}\n' > live/data/postgres/broken.tf
set +e
"$tfboot" migrate-lock --phase both --run --backend-config "$work/emulator.s3.tfbackend" > run1.log 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "a failing root: exit $code: $(cat run1.log)"
grep -q "terraform init failed in live/data/postgres" run1.log || fail "failure not named: $(tail -n 20 run1.log)"
grep -q "done      envs/production" run1.log || fail "production not done before the failure: $(cat run1.log)"
rm live/data/postgres/broken.tf
"$tfboot" migrate-lock --phase both --run --backend-config "$work/emulator.s3.tfbackend" > run2.log 2>&1 \
  || fail "resumed phase both: $(cat run2.log)"
grep -q "tfboot: envs/staging: terraform" run2.log && fail "the resumed run re-initialised a root done before: $(cat run2.log)"
grep -q "tfboot: live/network/vpc: terraform init" run2.log || fail "vpc not initialised: $(cat run2.log)"
grep -q "phase both done" run2.log || fail "phase both not done: $(cat run2.log)"
for r in envs/staging live/data/postgres; do
  hold hold dynamodb "${r}/terraform.tfstate"
  blocked "$r" || fail "phase both: a DynamoDB lock does not block $r"
  hold release dynamodb "${r}/terraform.tfstate"
  hold hold lockfile "${r}/terraform.tfstate"
  blocked "$r" || fail "phase both: a .tflock object does not block $r"
  hold release lockfile "${r}/terraform.tfstate"
  plans "$r"
done
set +e
"$tfboot" locks prune-digests > prune-early.log 2>&1
code=$?
set -e
[ "$code" = 2 ] && grep -q 'only after `tfboot migrate-lock --phase s3` completed' prune-early.log \
  || fail "prune-digests during phase both: exit $code: $(cat prune-early.log)"
echo "e2e migrate: ok: phase both: comments kept, a failing root stops --run, a rerun resumes; both locks block a plan"

# ---- phase s3
"$tfboot" migrate-lock --phase s3 --run --backend-config "$work/emulator.s3.tfbackend" > s3.log 2>&1 \
  || fail "phase s3: $(cat s3.log)"
grep -q '^lock   = "s3"' tfboot.toml || fail "lock not s3: $(cat tfboot.toml)"
if grep -rq "dynamodb_table" envs/*/backend.tf live/*/*/backend.tf bootstrap/backend.tf; then
  fail "dynamodb_table still in a backend"
fi
grep -q "phase s3 done: no root uses the table acme-platform-tfstate-lock" s3.log || fail "no retire note: $(cat s3.log)"
grep -q "prune-digests" s3.log || fail "no prune note: $(cat s3.log)"
grep -q "stale: bootstrap/dynamodb.tf" s3.log || fail "the table's file not reported stale: $(cat s3.log)"
grep -q "careful: it declares the DynamoDB lock table" s3.log || fail "no retire warning: $(cat s3.log)"
for r in envs/staging live/network/vpc; do
  hold hold dynamodb "${r}/terraform.tfstate"
  plans "$r"
  hold release dynamodb "${r}/terraform.tfstate"
  hold hold lockfile "${r}/terraform.tfstate"
  blocked "$r" || fail "phase s3: a .tflock object does not block $r"
  hold release lockfile "${r}/terraform.tfstate"
done
"$tfboot" migrate-lock --phase s3 --run --backend-config "$work/emulator.s3.tfbackend" > s3-again.log 2>&1 \
  || fail "phase s3 again: $(cat s3-again.log)"
grep -q "tfboot: .*: terraform init" s3-again.log && fail "a second phase s3 ran init again: $(cat s3-again.log)"
grep -q "0 created, 0 updated" s3-again.log || fail "a second phase s3 wrote files: $(cat s3-again.log)"
# ---- the digest items no Terraform reads any more
py <<'PY'
import sys, boto3
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1")
ddb.put_item(TableName="acme-platform-tfstate-lock",
             Item={"LockID": {"S": "another-bucket/app/terraform.tfstate-md5"}, "Digest": {"S": "0123456789abcdef0123456789abcdef"}})
PY
"$tfboot" locks prune-digests > prune-list.log 2>&1 || fail "prune-digests list: $(cat prune-list.log)"
grep -q "5 digest item(s) of s3://acme-platform-tfstate in acme-platform-tfstate-lock" prune-list.log \
  || fail "digests listed: $(cat prune-list.log)"
grep -q "another-bucket" prune-list.log && fail "another bucket's digest listed"
hold hold dynamodb envs/staging/terraform.tfstate
set +e
"$tfboot" locks prune-digests --yes > prune-held.log 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "prune-digests with a lock item present: exit $code: $(cat prune-held.log)"
hold release dynamodb envs/staging/terraform.tfstate
"$tfboot" locks prune-digests --yes > prune.log 2>&1 || fail "prune-digests --yes: $(cat prune.log)"
grep -q "deleted 5 digest item(s)" prune.log || fail "prune: $(cat prune.log)"
py <<'PY' || fail "after prune-digests"
import sys, boto3
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1")
ids = sorted(i["LockID"]["S"] for i in ddb.scan(TableName="acme-platform-tfstate-lock", ConsistentRead=True)["Items"])
assert ids == ["another-bucket/app/terraform.tfstate-md5"], ids
PY
plans envs/staging
echo "e2e migrate: ok: prune-digests refused before phase s3 and with a lock item, then deleted exactly this bucket's 5 digests"
echo "e2e migrate: ok: phase s3: the lockfile alone blocks a plan, DynamoDB no longer does; a second run changes nothing"
echo "e2e migrate: ok"
