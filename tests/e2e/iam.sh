#!/usr/bin/env bash
# End to end, for real: `tfboot iam-policy` checked by an independent linter and enforced.
#   - parliament (PyPI) lints the JSON policy of several stores (DynamoDB and lockfile locks, a
#     KMS key, workspace_key_prefix): no findings, apart from two gaps of its own that are named
#     and checked for exactly (a `:` in an S3 key such as Terraform's default "env:" workspace
#     prefix, and kms:ResourceAliases, a condition key of the KMS key resource it only looks up
#     per action);
#   - the HCL form is `terraform fmt`-clean and `terraform validate`s with the AWS provider;
#   - moto with IAM enforcement on: a principal holding only the policy of env "dev" runs
#     init, plan, apply (the lockfile taken and released), a workspace's apply and its deletion
#     with real Terraform; the same principal cannot init env "prod", nor read, write or list
#     prod's state; prod's principal works on prod.
# moto checks DynamoDB actions against no particular table, so a table-scoped statement cannot be
# enforced there: the enforced project uses lock = "s3", and the table statements are linted.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e iam: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
command -v python3 >/dev/null || skip "no python3 for the emulator"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e iam: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi
fail() { echo "e2e iam: FAIL: $*"; exit 1; }

# The independent tools, in a virtual environment of their own (their pins differ from moto's).
tools="$repo/target/e2e-tools/venv"
if ! "$tools/bin/parliament" --help >/dev/null 2>&1 || ! "$tools/bin/aws" --version >/dev/null 2>&1; then
  echo "e2e iam: installing parliament and awscli into $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q 'parliament==1.6.4' 'awscli>=1.36'
fi
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- 1. parliament over the JSON of several stores
lint() { # lint NAME FILE: parliament's findings, one per line
  "$tools/bin/parliament" --string "$(cat "$2")" < /dev/null > "$work/$1.lint" 2>&1 || true
}
mkdir -p "$work/lint" && cd "$work/lint"
arn="arn:aws:kms:eu-west-1:111122223333:key/0b6b2b5e-4d4f-4c8e-9a7d-3f2e1d0c9b8a"
for lock in dynamodb s3 both; do
  for enc in aes256 existing-key created-key; do
    name="$lock-$enc"
    case "$enc" in
      aes256) extra='encryption = "aes256"'; flag=() ;;
      existing-key) extra="kms_key_arn = \"$arn\""; flag=() ;;
      created-key) extra=''; flag=(--kms-key-arn "$arn") ;;
    esac
    cat > tfboot.toml <<EOT
[state]
bucket = "acme-tfstate"
region = "eu-west-1"
lock   = "$lock"
$extra

[[env]]
name                 = "dev"
workspace_key_prefix = "workspaces"
EOT
    "$tfboot" iam-policy -q --env dev "${flag[@]}" > "$name.json"
    lint "$name" "$name.json"
    [ ! -s "$work/$name.lint" ] || fail "parliament on $name: $(cat "$work/$name.lint")"
    # The default prefix "env:" and a created key named by its alias: only parliament's two gaps.
    sed -i '/workspace_key_prefix/d' tfboot.toml
    "$tfboot" iam-policy -q --env dev > "$name-defaults.json"
    lint "$name-defaults" "$name-defaults.json"
    if grep -v -e "No resources match for the given action -  - \[{'action': 's3:DeleteObject', 'required_format': 'arn:\*:s3:::\*/\*'}\]" \
         -e "Unknown condition kms:ResourceAliases for action kms:" "$work/$name-defaults.lint" | grep -q .; then
      fail "parliament on $name with the defaults: $(cat "$work/$name-defaults.lint")"
    fi
  done
done
grep -q '"dynamodb:LeadingKeys"' dynamodb-aes256.json || fail "no LeadingKeys condition: $(cat dynamodb-aes256.json)"
grep -q 'tflock' dynamodb-aes256.json && fail "a DynamoDB-only store needs no .tflock access"
grep -q 'dynamodb' s3-aes256.json && fail "a lockfile-only store needs no table access"
echo "e2e iam: ok: parliament finds nothing in 18 policies but its two known gaps"

# ---- 2. the HCL form: fmt-clean, validates with the AWS provider
mkdir -p "$work/hcl" && cd "$work/hcl"
cat > tfboot.toml <<'EOT'
[state]
bucket = "acme-tfstate"
region = "eu-west-1"
lock   = "both"

[[env]]
name = "dev"

[[env]]
name                 = "prod"
workspace_key_prefix = "workspaces"
EOT
"$tfboot" iam-policy -q --all --format hcl > policies.tf
cat > main.tf <<'EOT'
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
EOT
"$tf" fmt -check -diff policies.tf || fail "iam-policy --format hcl is not terraform fmt output"
"$tf" init -backend=false -input=false -no-color > init.log 2>&1 || fail "init for validate: $(cat init.log)"
"$tf" validate -no-color > validate.log 2>&1 || fail "validate: $(cat validate.log)"
echo "e2e iam: ok: the HCL form is fmt-clean and validates"

# gcs and azurerm: Terraform resources, judged against the google / azurerm provider schemas
# (no offline provider for them here, so no validate).
for ex in gcs azure; do
  mkdir -p "$work/hcl-$ex"
  "$tfboot" iam-policy -q --config "$repo/examples/$ex/tfboot.toml" --all > "$work/hcl-$ex/iam.tf"
  provider=google; [ "$ex" = azure ] && provider=azurerm
  printf 'terraform {\n  required_providers {\n    %s = {\n      source = "hashicorp/%s"\n    }\n  }\n}\n' "$provider" "$provider" > "$work/hcl-$ex/versions.tf"
  "$tf" fmt -check -diff "$work/hcl-$ex" > /dev/null || fail "$ex policy not fmt-clean"
  if [ -x "$shared/tools/judge-tf" ]; then
    "$shared/tools/judge-tf" "$work/hcl-$ex" > "$work/judge-$ex.log" 2>&1 || fail "judge-tf on the $ex policy: $(cat "$work/judge-$ex.log")"
  fi
done
grep -q 'resource.name.startsWith(\\"projects/_/buckets/acme-platform-tfstate/objects/envs/dev/\\")' "$work/hcl-gcs/iam.tf" \
  || fail "gcs condition: $(cat "$work/hcl-gcs/iam.tf")"
grep -q 'role_definition_name = "Storage Blob Data Contributor"' "$work/hcl-azure/iam.tf" || fail "azure role"
echo "e2e iam: ok: the gcs and azurerm forms pass judge-tf (provider schemas, checkov, trivy)"

# ---- 3. enforced by moto: the dev principal runs Terraform on dev, not on prod
# The first 3 requests run without authentication (they create the admin); every later one is
# checked against IAM.
# The server is started directly (emulator_log), with the variable in its environment.
export INITIAL_NO_AUTH_ACTION_COUNT=3
emulator_log="$work/emulator.log"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
unset INITIAL_NO_AUTH_ACTION_COUNT
unset AWS_ENDPOINT_URL
echo "e2e iam: emulator at $endpoint (IAM enforced)"
mkdir -p "$work/enforced" && cd "$work/enforced"
cat > tfboot.toml <<'EOT'
[state]
bucket     = "acme-tfstate"
region     = "eu-west-1"
lock       = "s3"
encryption = "aes256"

# moto recomputes each request's signature from a decoded query, so a listing prefix holding
# ':' (Terraform's default "env:/") fails its signature check: the envs set a plain prefix.
[[env]]
name                 = "dev"
workspace_key_prefix = "workspaces"

[[env]]
name                 = "prod"
workspace_key_prefix = "workspaces"
EOT
"$tfboot" generate -q
"$tfboot" iam-policy -q --env dev > dev-policy.json
"$tfboot" iam-policy -q --env prod > prod-policy.json
"$venv/bin/python" - "$endpoint" "$work/enforced" <<'PY'
import sys, json, boto3
ep, d = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=ep, region_name="eu-west-1")
# The three unauthenticated requests: the admin, its policy, its key.
iam.create_user(UserName="admin")
iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
k = iam.create_access_key(UserName="admin")["AccessKey"]
admin = dict(aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"],
             endpoint_url=ep, region_name="eu-west-1")
creds = {"admin": [k["AccessKeyId"], k["SecretAccessKey"]]}
iam = boto3.client("iam", **admin)
for env in ["dev", "prod"]:
    user = f"ci-{env}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="tfboot-state",
                        PolicyDocument=open(f"{d}/{env}-policy.json").read())
    k = iam.create_access_key(UserName=user)["AccessKey"]
    creds[env] = [k["AccessKeyId"], k["SecretAccessKey"]]
s3 = boto3.client("s3", **admin)
s3.create_bucket(Bucket="acme-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
s3.put_bucket_versioning(Bucket="acme-tfstate", VersioningConfiguration={"Status": "Enabled"})
json.dump(creds, open(f"{d}/creds.json", "w"))
PY
as_user() { # as_user ENV CMD...: run with that principal's keys
  local who="$1"; shift
  AWS_ACCESS_KEY_ID="$("$venv/bin/python" -c "import json,sys; print(json.load(open(sys.argv[2]))[sys.argv[1]][0])" "$who" "$work/enforced/creds.json")" \
  AWS_SECRET_ACCESS_KEY="$("$venv/bin/python" -c "import json,sys; print(json.load(open(sys.argv[2]))[sys.argv[1]][1])" "$who" "$work/enforced/creds.json")" \
    "$@"
}
# Enforcement is on: the emulator's default keys are refused now.
if "$venv/bin/python" -c "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='eu-west-1').list_objects_v2(Bucket='acme-tfstate')" "$endpoint" 2>/dev/null; then
  fail "IAM is not enforced by the emulator"
fi
cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", sts = "$endpoint", iam = "$endpoint" }
use_path_style = true
EOT
for env in dev prod; do
  cat > "envs/$env/main.tf" <<EOT
resource "terraform_data" "marker" {
  input = "$env"
}
EOT
done
tfrun() { # tfrun ENV DIR LOG ARGS...: terraform as that principal in envs/DIR
  local who="$1" dir="$2" log="$3"; shift 3
  (cd "envs/$dir" && as_user "$who" "$tf" "$@" -no-color) > "$log" 2>&1
}
init_args=(init -input=false -reconfigure -backend-config=../../emulator.s3.tfbackend)
tfrun dev dev dev-init.log "${init_args[@]}" || fail "dev init as ci-dev: $(cat dev-init.log)"
tfrun dev dev dev-plan.log plan -input=false -lock-timeout=120s || fail "dev plan as ci-dev: $(cat dev-plan.log)"
tfrun dev dev dev-apply.log apply -input=false -auto-approve -lock-timeout=120s || fail "dev apply as ci-dev: $(cat dev-apply.log)"
tfrun dev dev dev-ws.log workspace new feature || fail "workspace new as ci-dev: $(cat dev-ws.log)"
tfrun dev dev dev-ws-apply.log apply -input=false -auto-approve -lock-timeout=120s || fail "workspace apply as ci-dev: $(cat dev-ws-apply.log)"
tfrun dev dev dev-ws-sel.log workspace select default || fail "workspace select: $(cat dev-ws-sel.log)"
tfrun dev dev dev-ws-del.log workspace delete -force feature || fail "workspace delete as ci-dev: $(cat dev-ws-del.log)"
tfrun dev dev dev-plan2.log plan -input=false -detailed-exitcode -lock-timeout=120s || fail "second dev plan not empty: $(cat dev-plan2.log)"
# What is in the bucket now, as the admin sees it: dev's state, no lock left, no workspace state.
as_user admin "$venv/bin/python" - "$endpoint" > keys.txt <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="eu-west-1")
for o in s3.list_objects_v2(Bucket="acme-tfstate").get("Contents", []):
    print(o["Key"])
PY
[ "$(cat keys.txt)" = "envs/dev/terraform.tfstate" ] || fail "bucket after dev's cycle: $(cat keys.txt)"
echo "e2e iam: ok: ci-dev ran init, plan, apply, a workspace's apply and delete on dev with only its policy"

# The dev principal cannot touch prod.
if tfrun dev prod prod-as-dev.log "${init_args[@]}"; then
  fail "ci-dev initialised prod: $(cat prod-as-dev.log)"
fi
grep -qi "AccessDenied\|403\|not authorized" prod-as-dev.log || fail "prod init as ci-dev failed for another reason: $(cat prod-as-dev.log)"
as_user dev "$venv/bin/python" - "$endpoint" <<'PY' || fail "ci-dev reached prod's state"
import sys, boto3, botocore
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="eu-west-1")
for what, call in [
    ("read", lambda: s3.get_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate")),
    ("write", lambda: s3.put_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate", Body=b"{}")),
    ("lock", lambda: s3.put_object(Bucket="acme-tfstate", Key="envs/prod/terraform.tfstate.tflock", Body=b"{}")),
    ("delete dev's state", lambda: s3.delete_object(Bucket="acme-tfstate", Key="envs/dev/terraform.tfstate")),
]:
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] in ("AccessDenied", "403"), (what, e.response["Error"])
        continue
    sys.exit(f"ci-dev could {what}")
PY
tfrun prod prod prod-init.log "${init_args[@]}" || fail "prod init as ci-prod: $(cat prod-init.log)"
tfrun prod prod prod-apply.log apply -input=false -auto-approve -lock-timeout=120s || fail "prod apply as ci-prod: $(cat prod-apply.log)"
echo "e2e iam: ok: ci-dev is refused prod's state (init, read, write, lock) and its own state's deletion; ci-prod applies prod"
echo "e2e iam: ok"
