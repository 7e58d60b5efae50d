#!/usr/bin/env bash
# End to end, for real: `tfboot bootstrap --emit aws-cli` run with the real AWS CLI (PyPI awscli)
# against moto:
#   - each lock mode × encryption: the script builds the store, a second run changes nothing,
#     `tfboot doctor` finds it hardened (no finding), and real Terraform locks and keeps a state
#     in it;
#   - a store made by hand the way guides make it (bucket with versioning, a lifecycle rule and a
#     bucket policy of its own): the script adds what is missing and keeps the user's policy and
#     lifecycle (printing the statement to add);
#   - a table keyed by something else than LockID (S): exit 2, the table untouched.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e aws-cli: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
command -v python3 >/dev/null || skip "no python3 for the emulator"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e aws-cli: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi
fail() { echo "e2e aws-cli: FAIL: $*"; exit 1; }

tools="$repo/target/e2e-tools/venv"
if ! "$tools/bin/parliament" --help >/dev/null 2>&1 || ! "$tools/bin/aws" --version >/dev/null 2>&1; then
  echo "e2e aws-cli: installing parliament and awscli into $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q 'parliament==1.6.4' 'awscli>=1.36'
fi
export AWS="$tools/bin/aws"
work="$(mktemp -d)"
emulator_log="$work/emulator.log"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "e2e aws-cli: emulator at $endpoint, $("$AWS" --version 2>&1)"
cd "$work"

# ---- 1. every lock mode × encryption: build, rerun, doctor, use
n=0
for lock in dynamodb s3 both; do
  for enc in kms aes256; do
    n=$((n + 1))
    bucket="acme-cli-$n"
    mkdir -p "$work/$bucket" && cd "$work/$bucket"
    cat > tfboot.toml <<EOT
[state]
bucket     = "$bucket"
region     = "eu-west-1"
lock       = "$lock"
encryption = "$enc"
tags       = { team = "platform", "cost center" = "state + locks" }

[[env]]
name = "dev"
EOT
    "$tfboot" bootstrap --emit aws-cli > store.sh
    [ ! -e bootstrap ] || fail "--emit wrote the module"
    bash store.sh > run1.log 2>&1 || fail "$bucket: first run: $(cat run1.log)"
    grep -q "change(s) made" run1.log || fail "$bucket: first run changed nothing: $(cat run1.log)"
    bash store.sh > run2.log 2>&1 || fail "$bucket: second run: $(cat run2.log)"
    grep -q "nothing changed" run2.log || fail "$bucket: second run changed something: $(cat run2.log)"
    if grep -q "^change:" run2.log; then fail "$bucket: second run: $(grep '^change:' run2.log)"; fi
    "$tfboot" doctor --deny-warnings > doctor.log 2>&1 || fail "$bucket: doctor after the script: $(cat doctor.log)"
    grep -q "0 error(s), 0 warning(s)" doctor.log || fail "$bucket: doctor: $(cat doctor.log)"
    grep -q "^info" doctor.log && fail "$bucket: doctor infos: $(cat doctor.log)"
    # What the script built keeps a state and its lock for real Terraform.
    "$tfboot" generate -q
    cat > envs/dev/main.tf <<'EOT'
resource "terraform_data" "marker" {
  input = "dev"
}
EOT
    cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
    (cd envs/dev && "$tf" init -input=false -no-color -backend-config=../../emulator.s3.tfbackend \
      && "$tf" apply -input=false -auto-approve -no-color -lock-timeout=120s) > tf.log 2>&1 \
      || fail "$bucket: terraform on the script's store: $(cat tf.log)"
    "$AWS" s3api head-object --bucket "$bucket" --key envs/dev/terraform.tfstate > head.json \
      || fail "$bucket: no state object"
    if [ "$enc" = kms ]; then
      grep -q '"ServerSideEncryption": "aws:kms"' head.json || fail "$bucket: state not SSE-KMS: $(cat head.json)"
    fi
    echo "e2e aws-cli: ok: lock=$lock encryption=$enc: built, second run changed nothing, doctor clean, Terraform applied"
    cd "$work"
  done
done

# ---- 2. a store made by hand: versioning only, a lifecycle rule and a policy of the user's
mkdir -p "$work/hand" && cd "$work/hand"
"$AWS" s3api create-bucket --bucket acme-hand --region eu-west-1 \
  --create-bucket-configuration LocationConstraint=eu-west-1 > /dev/null
"$AWS" s3api put-bucket-versioning --bucket acme-hand --versioning-configuration Status=Enabled
"$AWS" s3api put-bucket-lifecycle-configuration --bucket acme-hand --lifecycle-configuration \
  '{"Rules":[{"ID":"mine","Status":"Enabled","Filter":{"Prefix":"tmp/"},"Expiration":{"Days":3}}]}'
policy='{"Version":"2012-10-17","Statement":[{"Sid":"Mine","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::acme-hand"}]}'
"$AWS" s3api put-bucket-policy --bucket acme-hand --policy "$policy"
"$AWS" dynamodb create-table --table-name acme-hand-lock --region eu-west-1 \
  --attribute-definitions AttributeName=LockID,AttributeType=S \
  --key-schema AttributeName=LockID,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
"$tfboot" bootstrap --bucket acme-hand --region eu-west-1 --encryption aes256 --emit aws-cli > store.sh
bash store.sh > run1.log 2>&1 || fail "hand-made store: $(cat run1.log)"
grep -q "ok: bucket acme-hand exists" run1.log || fail "hand: $(cat run1.log)"
grep -q "ok: versioning enabled" run1.log || fail "hand: versioning: $(cat run1.log)"
grep -q "change: default encryption AES256" run1.log || fail "hand: encryption: $(cat run1.log)"
grep -q "change: public-access block on" run1.log || fail "hand: pab: $(cat run1.log)"
grep -q "has a policy without a DenyInsecureTransport statement" run1.log || fail "hand: policy: $(cat run1.log)"
grep -q "has lifecycle rules of its own (mine)" run1.log || fail "hand: lifecycle: $(cat run1.log)"
grep -q "ok: table acme-hand-lock keyed by LockID" run1.log || fail "hand: table: $(cat run1.log)"
grep -q "change: point-in-time recovery on" run1.log || fail "hand: pitr: $(cat run1.log)"
"$AWS" s3api get-bucket-policy --bucket acme-hand --query Policy --output text | grep -q '"Sid":"Mine"' \
  || fail "the user's bucket policy was replaced"
"$AWS" s3api get-bucket-lifecycle-configuration --bucket acme-hand --query 'Rules[].ID' --output text | grep -qx mine \
  || fail "the user's lifecycle rules were replaced"
bash store.sh > run2.log 2>&1 || fail "hand second run: $(cat run2.log)"
if grep -q "^change:" run2.log; then fail "hand second run: $(grep '^change:' run2.log)"; fi
echo "e2e aws-cli: ok: a hand-made store gets what it lacks; its own policy and lifecycle are kept; a rerun changes nothing"

# ---- 3. a table that cannot be a lock table
"$AWS" dynamodb create-table --table-name acme-bad-lock --region eu-west-1 \
  --attribute-definitions AttributeName=id,AttributeType=N \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
"$tfboot" bootstrap --bucket acme-bad --region eu-west-1 --lock-table acme-bad-lock --encryption aes256 --emit aws-cli > bad.sh
set +e
bash bad.sh > bad.log 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "a table keyed by id (N): exit $code: $(cat bad.log)"
grep -q "its key is not LockID (S) alone" bad.log || fail "bad table message: $(cat bad.log)"
echo "e2e aws-cli: ok: a table keyed by id (N) stops the script with exit 2"
echo "e2e aws-cli: ok"
