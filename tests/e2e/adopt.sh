#!/usr/bin/env bash
# End to end, for real: `tfboot adopt` against moto, with real Terraform and the real AWS CLI.
#   - the seed: a store made by hand the way guides make it (`aws s3 mb`, versioning, a
#     `LockID` table made with `aws dynamodb create-table`), holding the states of two roots
#     with hand-written `dynamodb_table` backends that real Terraform applied;
#   - `adopt --bucket … --lock-table …` reports what exists and what the first apply adds, and
#     writes the module with import blocks; `adopt --apply` imports, applies and moves the
#     module's own state into the bucket; a second plan is empty; the two roots' states are the
#     same object versions as before; doctor finds nothing; the roots still plan clean;
#   - from tfboot.toml: a bucket with a KMS key and lifecycle rules of its own is refused until
#     tfboot.toml keeps them (kms_key_arn, unmanaged), then adopted, keeping both;
#   - a table keyed by something else than LockID (S): exit 2, nothing written.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e adopt: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
command -v python3 >/dev/null || skip "no python3 for the emulator"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e adopt: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi
fail() { echo "e2e adopt: FAIL: $*"; exit 1; }

tools="$repo/target/e2e-tools/venv"
if ! "$tools/bin/parliament" --help >/dev/null 2>&1 || ! "$tools/bin/aws" --version >/dev/null 2>&1; then
  echo "e2e adopt: installing parliament and awscli into $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q 'parliament==1.6.4' 'awscli>=1.36'
fi
aws="$tools/bin/aws"
work="$(mktemp -d)"
emulator_log="$work/emulator.log"
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "e2e adopt: emulator at $endpoint"
cd "$work"
cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
emulator_override() { # the AWS provider of a module pointed at the emulator
  cat > "$1/zz_emulator_override.tf" <<EOT
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
}

# ---- the seed: made by hand, two roots in it
"$aws" s3 mb s3://acme-legacy-tfstate --region eu-west-1 > /dev/null
"$aws" s3api put-bucket-versioning --bucket acme-legacy-tfstate --versioning-configuration Status=Enabled
"$aws" dynamodb create-table --table-name terraform-locks --region eu-west-1 \
  --attribute-definitions AttributeName=LockID,AttributeType=S \
  --key-schema AttributeName=LockID,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
for r in network app; do
  mkdir -p "live/$r"
  cat > "live/$r/main.tf" <<EOT
terraform {
  backend "s3" {
    bucket         = "acme-legacy-tfstate"
    key            = "live/$r/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
    encrypt        = true
  }
}

resource "terraform_data" "marker" {
  input = "$r"
}
EOT
  (cd "live/$r" && "$tf" init -input=false -no-color -backend-config=../../emulator.s3.tfbackend \
    && "$tf" apply -input=false -auto-approve -no-color -lock-timeout=120s) > "live-$r.log" 2>&1 \
    || fail "seed root $r: $(cat "live-$r.log")"
done
versions() {
  "$aws" s3api list-object-versions --bucket acme-legacy-tfstate --prefix live/ \
    --query 'Versions[].[Key,VersionId,IsLatest]' --output text | sort
}
versions > versions-before.txt
[ "$(wc -l < versions-before.txt)" -ge 2 ] || fail "seed states: $(cat versions-before.txt)"

# ---- adopt: report, module, apply
mkdir -p adopted && cd adopted
"$tfboot" adopt --bucket acme-legacy-tfstate --region eu-west-1 --lock-table terraform-locks \
  > adopt.log 2>&1 || fail "adopt: $(cat adopt.log)"
for want in "import  aws_s3_bucket.state  (id acme-legacy-tfstate)" \
            "import  aws_s3_bucket_versioning.state" \
            "import  aws_dynamodb_table.lock  (id terraform-locks)" \
            "kept    the lock table terraform-locks" \
            "change  no public-access block" \
            "change  no bucket policy" \
            "change  point-in-time recovery of terraform-locks is off" \
            "change  deletion protection of terraform-locks is off" \
            "lock_table = \"terraform-locks\""; do
  grep -qF "$want" adopt.log || fail "adopt report lacks '$want': $(cat adopt.log)"
done
echo "e2e adopt: the report:"
sed 's/^/    /' adopt.log
[ -f bootstrap/imports.tf ] || fail "no imports.tf"
"$tf" fmt -check bootstrap > /dev/null || fail "the adopted module is not fmt-clean"
grep -q 'name                        = "terraform-locks"' bootstrap/dynamodb.tf || fail "table name not kept"
emulator_override bootstrap
"$tfboot" adopt --bucket acme-legacy-tfstate --region eu-west-1 --lock-table terraform-locks \
  --apply --auto-approve --terraform "$tf" --backend-config ../emulator.s3.tfbackend \
  > apply.log 2>&1 || { tail -n 60 apply.log; fail "adopt --apply"; }
grep -q "Plan: .* to import" apply.log || fail "the plan showed no imports: $(grep -n 'Plan:' apply.log)"
grep -q "bootstrapped: the state of bootstrap is at s3://acme-legacy-tfstate/bootstrap/terraform.tfstate" apply.log \
  || fail "adopt --apply did not move the state: $(tail -n 20 apply.log)"
(cd bootstrap && "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=120s) > plan2.log 2>&1 \
  || fail "second plan of the adopted module not empty: $(cat plan2.log)"
cd "$work"
versions > versions-after.txt
diff versions-before.txt versions-after.txt || fail "the roots' state objects changed"
for r in network app; do
  (cd "live/$r" && "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=120s) > "plan-$r.log" 2>&1 \
    || fail "root $r after adoption: $(cat "plan-$r.log")"
done
cat > tfboot.toml <<'EOT'
[state]
bucket     = "acme-legacy-tfstate"
region     = "eu-west-1"
lock       = "dynamodb"
lock_table = "terraform-locks"
EOT
"$tfboot" doctor --deny-warnings > doctor.log 2>&1 || fail "doctor after adoption: $(cat doctor.log)"
echo "e2e adopt: ok: hand-made store adopted with imports, second plan empty, the roots' states untouched, doctor clean"

# ---- from tfboot.toml: a key and lifecycle rules of the bucket's own are kept, or refused
mkdir -p "$work/keyed" && cd "$work/keyed"
key_arn="$("$aws" kms create-key --region eu-west-1 --query KeyMetadata.Arn --output text)"
"$aws" s3 mb s3://acme-keyed-tfstate --region eu-west-1 > /dev/null
"$aws" s3api put-bucket-encryption --bucket acme-keyed-tfstate --server-side-encryption-configuration \
  "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"$key_arn\"}}]}"
"$aws" s3api put-bucket-lifecycle-configuration --bucket acme-keyed-tfstate --lifecycle-configuration \
  '{"Rules":[{"ID":"archive","Status":"Enabled","Filter":{"Prefix":"old/"},"Expiration":{"Days":30}}]}'
cat > tfboot.toml <<'EOT'
# The team's store, made by hand last year.
[state]
bucket = "acme-keyed-tfstate"
region = "eu-west-1"
lock   = "s3"
EOT
set +e
"$tfboot" adopt > refused.log 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "adopt over a key and lifecycle of the bucket's own: exit $code: $(cat refused.log)"
grep -qF "set kms_key_arn = \"$key_arn\"" refused.log || fail "refusal lacks the key: $(cat refused.log)"
grep -qF 'add "lifecycle" to unmanaged' refused.log || fail "refusal lacks the lifecycle: $(cat refused.log)"
[ ! -e bootstrap ] || fail "a refused adopt wrote files"
cat >> tfboot.toml <<EOT
kms_key_arn = "$key_arn"
unmanaged   = ["lifecycle"]
EOT
"$tfboot" adopt > adopt.log 2>&1 || fail "adopt from tfboot.toml: $(cat adopt.log)"
grep -q "kept    the lifecycle rules (archive)" adopt.log || fail "lifecycle not kept: $(cat adopt.log)"
[ ! -e bootstrap/kms.tf ] || fail "a key of the bucket's own must not be recreated"
grep -qF "$key_arn" bootstrap/s3.tf || fail "the bucket's key is not the module's: $(cat bootstrap/s3.tf)"
grep -q "aws_s3_bucket_lifecycle_configuration" bootstrap/s3.tf && fail "lifecycle managed despite unmanaged"
emulator_override bootstrap
"$tfboot" adopt --apply --auto-approve --terraform "$tf" --backend-config ../emulator.s3.tfbackend \
  > apply.log 2>&1 || { tail -n 60 apply.log; fail "adopt --apply from tfboot.toml"; }
(cd bootstrap && "$tf" plan -input=false -no-color -detailed-exitcode -lock-timeout=120s) > plan2.log 2>&1 \
  || fail "second plan (keyed) not empty: $(cat plan2.log)"
"$aws" s3api get-bucket-lifecycle-configuration --bucket acme-keyed-tfstate --query 'Rules[].ID' --output text \
  | grep -qx archive || fail "the bucket's lifecycle rules were replaced"
echo "e2e adopt: ok: a key and lifecycle of the bucket's own are refused until tfboot.toml keeps them, then kept"

# ---- a table that cannot be a lock table
mkdir -p "$work/bad" && cd "$work/bad"
"$aws" s3 mb s3://acme-bad-tfstate --region eu-west-1 > /dev/null
"$aws" dynamodb create-table --table-name acme-bad-locks --region eu-west-1 \
  --attribute-definitions AttributeName=id,AttributeType=N \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST > /dev/null
set +e
"$tfboot" adopt --bucket acme-bad-tfstate --region eu-west-1 --lock-table acme-bad-locks > bad.log 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "a table keyed by id (N): exit $code: $(cat bad.log)"
grep -q "cannot be a lock table: its key is id HASH (N)" bad.log || fail "bad table: $(cat bad.log)"
[ -z "$(ls -A .)" ] || [ "$(ls -A .)" = "bad.log" ] || fail "adopt wrote files for a bad table: $(ls -A .)"
echo "e2e adopt: ok: a table keyed by id (N) is refused with exit 2, nothing written"
echo "e2e adopt: ok"
