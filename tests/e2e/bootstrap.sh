#!/usr/bin/env bash
# End to end, for real: `tfboot bootstrap --apply` drives real Terraform against moto (an AWS API
# emulator on loopback, over TLS), for each lock mode given (default: dynamodb s3 both), and checks
# from the emulator's side that
#   - the module's own state sits in the bucket at the bootstrap key, encrypted with the module's key;
#   - a second `terraform plan` shows no changes;
#   - a lock held by someone else (DynamoDB item and/or .tflock object, per mode) makes
#     `terraform plan -lock-timeout=1s` fail with "Error acquiring the state lock";
#   - a rerun with an old local state copy and no .terraform/ stops and leaves the bucket's state
#     (serial and lineage) untouched.
# Exit 0: passed; 77: skipped (says why); anything else: failed.
# Needs: terraform (TFBOOT_TERRAFORM picks another binary, e.g. tofu) with the hashicorp/aws
# provider reachable (TF_CLI_CONFIG_FILE, or the offline mirror config written by
# ../shared/tools/install-oracles), python3, and ../shared/tools/aws-emulator. moto is installed
# into a virtual environment under target/e2e by this script.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"
modes=("$@"); [ ${#modes[@]} -gt 0 ] || modes=(dynamodb s3 both)

skip() { echo "e2e: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi

# moto for the emulator, in the project's own virtual environment.
emu_home="$repo/target/e2e"
if ! "$emu_home/bin/python" -c 'import moto, boto3, flask' 2>/dev/null; then
  echo "e2e: installing moto into $emu_home"
  python3 -m venv "$emu_home"
  "$emu_home/bin/pip" install -q 'moto[server]==5.2.5' 'boto3>=1.35'
fi
port="$("$emu_home/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
started="$(ORACLES_HOME="$emu_home" "$shared/tools/aws-emulator" start "$port")"
endpoint="$(sed -n 's/.*endpoint=\([^ ]*\).*/\1/p' <<<"$started")"
pid="$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' <<<"$started")"
export AWS_CA_BUNDLE="$(sed -n 's/.*ca_bundle=\([^ ]*\).*/\1/p' <<<"$started")"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1 TF_IN_AUTOMATION=1
work="$(mktemp -d)"
cleanup() { kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "e2e: emulator at $endpoint, terraform: $("$tf" version | head -n 1)"

py() { "$emu_home/bin/python" - "$endpoint" "$@"; }

for mode in "${modes[@]}"; do
  echo "e2e: ---- lock mode $mode ----"
  bucket="e2e-$mode-tfstate"
  dir="$work/$mode"; mkdir -p "$dir"; cd "$dir"
  args=(--bucket "$bucket" --region eu-west-1 --lock "$mode" --tag team=platform)
  "$tfboot" bootstrap "${args[@]}" >/dev/null
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
  cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
  if [ "$mode" = s3 ]; then
    # Declining the plan changes nothing and says so; the rerun below continues.
    set +e
    echo no | "$tfboot" bootstrap "${args[@]}" --apply --terraform "$tf" \
      --backend-config emulator.s3.tfbackend > "$dir/declined.log" 2>&1
    rc=$?
    set -e
    { [ $rc -eq 1 ] && grep -q "apply declined; nothing changed, rerun to continue" "$dir/declined.log" \
      && [ -e bootstrap/bootstrap_override.tf ]; } \
      || { tail -n 20 "$dir/declined.log"; echo "e2e: FAIL ($mode): declined apply (exit $rc)"; exit 1; }
    echo "e2e: a declined plan stops with 'apply declined; nothing changed, rerun to continue'"
  fi
  "$tfboot" bootstrap "${args[@]}" --apply --auto-approve --terraform "$tf" \
    --backend-config emulator.s3.tfbackend > "$dir/apply.log" 2>&1 \
    || { tail -n 40 "$dir/apply.log"; echo "e2e: FAIL ($mode): bootstrap --apply"; exit 1; }
  grep -q "^bootstrapped:" "$dir/apply.log" || { echo "e2e: FAIL ($mode): no summary"; exit 1; }
  [ ! -e bootstrap/bootstrap_override.tf ] || { echo "e2e: FAIL ($mode): override still there"; exit 1; }

  # The state object, from the emulator's side.
  py "$bucket" <<'PY'
import boto3, json, sys
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
head = s3.head_object(Bucket=bucket, Key="bootstrap/terraform.tfstate")
assert head["ServerSideEncryption"] == "aws:kms", head
state = json.loads(s3.get_object(Bucket=bucket, Key="bootstrap/terraform.tfstate")["Body"].read())
types = {r["type"] for r in state["resources"]}
assert "aws_s3_bucket" in types, types
v = s3.get_bucket_versioning(Bucket=bucket)
assert v["Status"] == "Enabled", v
print(f"e2e: state object s3://{bucket}/bootstrap/terraform.tfstate holds {len(state['resources'])} resources, SSE {head['ServerSideEncryption']}")
PY

  # A rerun continues from where it stopped: here, nothing is left to do.
  "$tfboot" bootstrap "${args[@]}" --apply --auto-approve --terraform "$tf" \
    --backend-config emulator.s3.tfbackend > "$dir/rerun.log" 2>&1 \
    || { tail -n 20 "$dir/rerun.log"; echo "e2e: FAIL ($mode): rerun"; exit 1; }
  grep -q "0 created, 0 updated" "$dir/rerun.log" || { cat "$dir/rerun.log"; echo "e2e: FAIL ($mode): rerun wrote files"; exit 1; }

  cd bootstrap
  set +e
  "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=10s > "$dir/plan.log" 2>&1
  rc=$?
  set -e
  [ $rc -eq 0 ] || { tail -n 30 "$dir/plan.log"; echo "e2e: FAIL ($mode): second plan is not empty (exit $rc)"; exit 1; }
  echo "e2e: second plan: no changes"

  lockers=()
  [ "$mode" != s3 ] && lockers+=(dynamodb)
  [ "$mode" != dynamodb ] && lockers+=(s3)
  for locker in "${lockers[@]}"; do
    py "$bucket" "$locker" hold <<'PY'
import boto3, json, sys
endpoint, bucket, locker, action = sys.argv[1:5]
path = f"{bucket}/bootstrap/terraform.tfstate"
info = json.dumps({"ID": "6b1e0f1c-0000-4000-8000-000000000001", "Operation": "OperationTypeApply",
                   "Info": "", "Who": "someone@elsewhere", "Version": "1.11.4",
                   "Created": "2026-01-01T00:00:00Z", "Path": path})
if locker == "dynamodb":
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
    ddb.put_item(TableName=f"{bucket}-lock", Item={"LockID": {"S": path}, "Info": {"S": info}})
else:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    s3.put_object(Bucket=bucket, Key="bootstrap/terraform.tfstate.tflock", Body=info.encode())
PY
    set +e
    "$tf" plan -input=false -no-color -lock-timeout=1s > "$dir/locked.log" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 0 ] || ! grep -q "Error acquiring the state lock" "$dir/locked.log"; then
      tail -n 20 "$dir/locked.log"; echo "e2e: FAIL ($mode): a $locker lock held elsewhere did not stop plan"; exit 1
    fi
    echo "e2e: a $locker lock held elsewhere stops plan -lock-timeout=1s"
    py "$bucket" "$locker" <<'PY'
import boto3, sys
endpoint, bucket, locker = sys.argv[1:4]
path = f"{bucket}/bootstrap/terraform.tfstate"
if locker == "dynamodb":
    boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1").delete_item(
        TableName=f"{bucket}-lock", Key={"LockID": {"S": path}})
else:
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1").delete_object(
        Bucket=bucket, Key="bootstrap/terraform.tfstate.tflock")
PY
  done
  "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=10s > "$dir/plan2.log" 2>&1 \
    || { tail -n 20 "$dir/plan2.log"; echo "e2e: FAIL ($mode): plan after the lock was released"; exit 1; }
  cd "$dir"

  # A rerun never overwrites the bucket's state. The module changes and is applied (the bucket's
  # serial advances), then an old local copy reappears and .terraform/ is gone: the rerun must stop
  # with exit 1 and leave the bucket's state as it was; following its advice then completes.
  ls bootstrap/terraform.tfstate.migrated-* >/dev/null 2>&1 \
    || { ls -la bootstrap; echo "e2e: FAIL ($mode): the local state was not moved aside"; exit 1; }
  [ ! -e bootstrap/terraform.tfstate ] || { echo "e2e: FAIL ($mode): terraform.tfstate left behind"; exit 1; }
  remote_state() { py "$bucket" <<'PY'
import boto3, json, sys
endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
state = json.loads(s3.get_object(Bucket=bucket, Key="bootstrap/terraform.tfstate")["Body"].read())
print(state["serial"], state["lineage"])
PY
  }
  "$tfboot" bootstrap "${args[@]}" --tag owner=e2e >/dev/null
  (cd bootstrap && "$tf" apply -input=false -no-color -auto-approve -lock-timeout=60s > "$dir/change.log" 2>&1) \
    || { tail -n 30 "$dir/change.log"; echo "e2e: FAIL ($mode): apply of the changed module"; exit 1; }
  before="$(remote_state)"
  cp bootstrap/terraform.tfstate.migrated-* bootstrap/terraform.tfstate
  rm -rf bootstrap/.terraform
  set +e
  "$tfboot" bootstrap "${args[@]}" --apply --auto-approve --terraform "$tf" \
    --backend-config emulator.s3.tfbackend > "$dir/conflict.log" 2>&1
  rc=$?
  set -e
  after="$(remote_state)"
  [ "$before" = "$after" ] || { cat "$dir/conflict.log"; echo "e2e: FAIL ($mode): the rerun changed the bucket's state ($before -> $after)"; exit 1; }
  [ $rc -eq 1 ] && grep -q "they differ" "$dir/conflict.log" \
    || { cat "$dir/conflict.log"; echo "e2e: FAIL ($mode): the rerun did not stop on differing states (exit $rc)"; exit 1; }
  echo "e2e: a rerun with an old local copy stops (exit 1) and leaves the bucket's state at serial/lineage $after"
  # The advice it printed: keep the bucket's state.
  mv bootstrap/terraform.tfstate bootstrap/terraform.tfstate.discarded
  "$tfboot" bootstrap "${args[@]}" --tag owner=e2e --apply --auto-approve --terraform "$tf" \
    --backend-config emulator.s3.tfbackend > "$dir/resolved.log" 2>&1 \
    || { tail -n 30 "$dir/resolved.log"; echo "e2e: FAIL ($mode): rerun after resolving"; exit 1; }
  grep -q "there already, nothing was copied" "$dir/resolved.log" || { cat "$dir/resolved.log"; echo "e2e: FAIL ($mode): resolved rerun summary"; exit 1; }
  [ "$(remote_state)" = "$after" ] || { echo "e2e: FAIL ($mode): the resolved rerun changed the bucket's state"; exit 1; }
  (cd bootstrap && "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=60s > "$dir/plan3.log" 2>&1) \
    || { tail -n 30 "$dir/plan3.log"; echo "e2e: FAIL ($mode): plan after resolving is not empty"; exit 1; }
  echo "e2e: after resolving, the rerun keeps the bucket's state and the plan is empty"

  # Environments: tfboot.toml describing the same store, two env directories (dir layout) and two
  # environments sharing one directory (tfbackend layout), each applied with one trivial resource.
  cat > tfboot.toml <<EOT
[state]
bucket = "$bucket"
region = "eu-west-1"
lock   = "$mode"
tags   = { team = "platform" }

[[env]]
name = "dev"

[[env]]
name = "prod"
key  = "accounts/prod/app.tfstate"
EOT
  mkdir -p envs/dev envs/prod tfb/app
  for e in dev prod; do printf 'resource "terraform_data" "marker" {\n  input = "%s"\n}\n' "$e" > "envs/$e/main.tf"; done
  cat > tfb/tfboot.toml <<EOT
layout = "tfbackend"

[state]
bucket = "$bucket"
region = "eu-west-1"
lock   = "$mode"

[[env]]
name = "staging"
dir  = "app"

[[env]]
name = "qa"
dir  = "app"
EOT
  printf 'resource "terraform_data" "marker" {\n  input = terraform.workspace\n}\n' > tfb/app/main.tf
  "$tfboot" generate > "$dir/generate.log" || { cat "$dir/generate.log"; echo "e2e: FAIL ($mode): generate"; exit 1; }
  (cd tfb && "$tfboot" generate > "$dir/generate-tfb.log") || { cat "$dir/generate-tfb.log"; echo "e2e: FAIL ($mode): generate (tfbackend)"; exit 1; }
  run_env() { # dir, extra init args...
    local d="$1"; shift
    (cd "$d" && "$tf" init -input=false -no-color -reconfigure "$@" -backend-config="$dir/emulator.s3.tfbackend" > "$dir/env-init.log" 2>&1 \
      && "$tf" apply -input=false -no-color -auto-approve > "$dir/env-apply.log" 2>&1) \
      || { tail -n 30 "$dir/env-init.log" "$dir/env-apply.log"; echo "e2e: FAIL ($mode): init/apply in $d $*"; exit 1; }
  }
  run_env envs/dev
  run_env envs/prod
  run_env tfb/app -backend-config=staging.s3.tfbackend
  run_env tfb/app -backend-config=qa.s3.tfbackend
  py "$bucket" "$mode" <<'PY'
import boto3, json, sys
endpoint, bucket, mode = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
for key, marker in [("envs/dev/terraform.tfstate", "dev"), ("accounts/prod/app.tfstate", "prod"),
                    ("app/staging/terraform.tfstate", "default"), ("app/qa/terraform.tfstate", "default")]:
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms", (key, head)
    state = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    inputs = [i["attributes"]["input"]["value"] for r in state["resources"] for i in r["instances"]]
    assert inputs == [marker], (key, inputs)
    if mode != "s3":
        # Terraform used the DynamoDB lock: it keeps the state digest beside the lock items.
        item = ddb.get_item(TableName=f"{bucket}-lock", Key={"LockID": {"S": f"{bucket}/{key}-md5"}})
        assert "Item" in item, (key, "no digest item: the DynamoDB lock was not used")
    print(f"e2e: env state at s3://{bucket}/{key} (SSE {head['ServerSideEncryption']})")
PY
  # The env backends lock too: a lock held elsewhere on the dev state stops its plan.
  locker=dynamodb; [ "$mode" = s3 ] && locker=s3
  py "$bucket" "$locker" <<'PY'
import boto3, json, sys
endpoint, bucket, locker = sys.argv[1:4]
path = f"{bucket}/envs/dev/terraform.tfstate"
info = json.dumps({"ID": "6b1e0f1c-0000-4000-8000-000000000002", "Operation": "OperationTypeApply", "Info": "",
                   "Who": "someone@elsewhere", "Version": "1.11.4", "Created": "2026-01-01T00:00:00Z", "Path": path})
if locker == "dynamodb":
    boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1").put_item(
        TableName=f"{bucket}-lock", Item={"LockID": {"S": path}, "Info": {"S": info}})
else:
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1").put_object(
        Bucket=bucket, Key="envs/dev/terraform.tfstate.tflock", Body=info.encode())
PY
  set +e
  (cd envs/dev && "$tf" plan -input=false -no-color -lock-timeout=1s > "$dir/env-locked.log" 2>&1)
  rc=$?
  set -e
  if [ $rc -eq 0 ] || ! grep -q "Error acquiring the state lock" "$dir/env-locked.log"; then
    tail -n 20 "$dir/env-locked.log"; echo "e2e: FAIL ($mode): env lock not honoured"; exit 1
  fi
  echo "e2e: env backends: 4 states at their keys, a $locker lock held elsewhere stops plan"
  if [ "$mode" = s3 ]; then
    # A bucket that exists already (made by hand): the failure names the cause and the way out.
    taken="e2e-taken-tfstate"
    py "$taken" <<'PY'
import boto3, sys
endpoint, bucket = sys.argv[1], sys.argv[2]
boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1").create_bucket(
    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
PY
    mkdir -p "$work/taken" && cd "$work/taken"
    targs=(--bucket "$taken" --region eu-west-1 --lock s3 --encryption aes256)
    "$tfboot" bootstrap "${targs[@]}" >/dev/null
    cp "$dir/bootstrap/zz_emulator_override.tf" bootstrap/
    set +e
    "$tfboot" bootstrap "${targs[@]}" --apply --auto-approve --terraform "$tf" \
      --backend-config "$dir/emulator.s3.tfbackend" > "$dir/taken.log" 2>&1
    rc=$?
    set -e
    { [ $rc -eq 1 ] && grep -q "BucketAlreadyOwnedByYou" "$dir/taken.log" && grep -q "tfboot adopt" "$dir/taken.log"; } \
      || { tail -n 20 "$dir/taken.log"; echo "e2e: FAIL ($mode): existing bucket (exit $rc)"; exit 1; }
    echo "e2e: an existing bucket is named as the cause (BucketAlreadyOwnedByYou), with tfboot adopt as the way out"
    cd "$dir"
  fi
  echo "e2e: ok ($mode)"
  cd "$work"
done
echo "e2e: PASSED (${modes[*]})"
