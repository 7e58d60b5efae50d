#!/usr/bin/env bash
# End to end, for real: `tfboot doctor` against moto (../shared/tools/aws-emulator).
#   - a store bootstrapped by tfboot with real Terraform (`bootstrap --apply`, lock = "both", the
#     module's own KMS key) passes: no finding, exit 0, from tfboot.toml and from the backend
#     block of the bootstrap module given as a PATH;
#   - each setting switched off on the emulator is reported with its rule: versioning suspended,
#     public-access block, default encryption, TLS-only policy, ownership controls removed,
#     point-in-time recovery off; a root naming another KMS key; a lock table keyed by a number
#     and a missing lock table are errors (exit 1); SARIF and JSON carry the same findings.
# Exit 77 (skipped) without terraform or the emulator tooling.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"

skip() { echo "e2e doctor: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
command -v openssl >/dev/null || skip "no openssl for the emulator's certificate"
command -v python3 >/dev/null || skip "no python3 for the emulator"
[ -x "$shared/tools/aws-emulator" ] || skip "no aws-emulator at $shared/tools"
[ -x "$tfboot" ] || { echo "e2e doctor: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  rc="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/terraformrc"
  [ -f "$rc" ] && export TF_CLI_CONFIG_FILE="$rc"
fi
# shellcheck source=tests/e2e/aws-rustls-emulator.sh
. "$repo/tests/e2e/aws-rustls-emulator.sh"
work="$(mktemp -d)"
cleanup() { kill "$pid" 2>/dev/null || true; [ -n "${TFBOOT_E2E_KEEP:-}" ] && cp -r "$work" "$TFBOOT_E2E_KEEP"; rm -rf "$work"; }
trap cleanup EXIT
echo "e2e doctor: emulator at $endpoint"
fail() { echo "e2e doctor: FAIL: $*"; exit 1; }
py() { "$venv/bin/python" - "$endpoint" "$@"; }

cd "$work"
cat > tfboot.toml <<'EOT'
[state]
bucket = "acme-doctor-tfstate"
region = "eu-west-1"
lock   = "both"

[[env]]
name = "dev"
EOT
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
cat > emulator.s3.tfbackend <<EOT
endpoints      = { s3 = "$endpoint", dynamodb = "$endpoint", sts = "$endpoint" }
use_path_style = true
EOT
"$tfboot" bootstrap --apply --auto-approve --terraform "$tf" --backend-config emulator.s3.tfbackend \
  > apply.log 2>&1 || { tail -n 40 apply.log; fail "bootstrap --apply"; }

"$tfboot" doctor > clean.txt || fail "doctor on a fresh store: $(cat clean.txt)"
grep -q "tfboot doctor: 1 store(s), 0 error(s), 0 warning(s)$" clean.txt || fail "doctor on a fresh store: $(cat clean.txt)"
"$tfboot" doctor bootstrap --format json > clean-path.json || fail "doctor bootstrap: $(cat clean-path.json)"
py "$work/clean-path.json" <<'PY' || fail "doctor from the bootstrap module's backend block: $(cat "$work/clean-path.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
assert doc["diagnostics"] == [], doc["diagnostics"]
ok = " ".join(doc["stores"][0]["passed"])
for want in ["versioning Enabled", "aws:kms", "public access blocked", "TLS-only", "BucketOwnerEnforced",
             "keyed by LockID (S)", "point-in-time recovery on", "backends use the bucket's key"]:
    assert want in ok, (want, ok)
PY
echo "e2e doctor: ok: a store bootstrapped by tfboot passes, from tfboot.toml and from the module's backend block ($(grep -c . clean.txt) lines)"

# Switch the hardening off, one setting after the other, and make a bad table and a foreign key.
py <<'PY'
import sys, boto3
ep = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1")
b = "acme-doctor-tfstate"
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
s3.delete_public_access_block(Bucket=b)
s3.delete_bucket_encryption(Bucket=b)
s3.delete_bucket_policy(Bucket=b)
s3.delete_bucket_ownership_controls(Bucket=b)
ddb = boto3.client("dynamodb", endpoint_url=ep, region_name="eu-west-1")
ddb.update_continuous_backups(TableName="acme-doctor-tfstate-lock",
                              PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
ddb.create_table(TableName="numbered-lock", BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "N"}],
                 KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
kms = boto3.client("kms", endpoint_url=ep, region_name="eu-west-1")
other = kms.create_key(Description="not the store's key")["KeyMetadata"]["Arn"]
open("other-key.txt", "w").write(other)
PY
"$tfboot" doctor --format json > off.json || fail "doctor with warnings only must exit 0: $(cat off.json)"
py "$work/off.json" <<'PY' || fail "doctor after switching settings off: $(cat "$work/off.json")"
import sys, json
doc = json.load(open(sys.argv[2]))
rules = {d["rule"]: d for d in doc["diagnostics"]}
for rule, sev in [("store-versioning", "warning"), ("store-public-access", "warning"), ("store-encryption", "warning"),
                  ("store-tls-only", "warning"), ("store-ownership", "info"), ("lock-table-pitr", "info")]:
    assert rule in rules and rules[rule]["severity"] == sev, (rule, rules.keys())
assert "Suspended" in rules["store-versioning"]["message"], rules["store-versioning"]
assert rules["store-versioning"]["file"] == "s3://acme-doctor-tfstate", rules["store-versioning"]
assert rules["lock-table-pitr"]["file"] == "dynamodb://acme-doctor-tfstate-lock", rules["lock-table-pitr"]
assert doc["summary"]["errors"] == 0, doc["summary"]
PY
set +e
"$tfboot" doctor --deny-warnings > off.txt
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "doctor --deny-warnings with warnings exited $rc: $(cat off.txt)"
grep -q "warning\[store-versioning\]" off.txt || fail "text report: $(cat off.txt)"
echo "e2e doctor: ok: versioning, public-access block, encryption, TLS policy, ownership and PITR switched off are each reported"

# Roots written by hand beside the module: one naming a table keyed by a number, one a table
# that does not exist, one another KMS key.
other="$(cat other-key.txt)"
mkdir -p hand/numbered hand/missing hand/otherkey
for r in numbered missing otherkey; do
  case $r in
    numbered) extra='dynamodb_table = "numbered-lock"' ;;
    missing) extra='dynamodb_table = "no-such-lock"' ;;
    otherkey) extra="kms_key_id = \"$other\"
    encrypt = true
    use_lockfile = true" ;;
  esac
  cat > "hand/$r/backend.tf" <<EOT
terraform {
  backend "s3" {
    bucket = "acme-doctor-tfstate"
    key    = "hand/$r.tfstate"
    region = "eu-west-1"
    $extra
  }
}
EOT
done
set +e
"$tfboot" doctor hand --format sarif > hand.sarif
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "doctor with errors exited $rc: $(cat hand.sarif)"
py "$work/hand.sarif" <<'PY' || fail "doctor SARIF: $(cat "$work/hand.sarif")"
import sys, json
doc = json.load(open(sys.argv[2]))
run = doc["runs"][0]
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r for r in run["results"]}
assert ("lock-table-key-schema", "dynamodb://numbered-lock") in results, results.keys()
assert results[("lock-table-key-schema", "dynamodb://numbered-lock")]["level"] == "error"
assert "type N" in results[("lock-table-key-schema", "dynamodb://numbered-lock")]["message"]["text"]
assert ("lock-table-missing", "dynamodb://no-such-lock") in results, results.keys()
kms = results[("store-kms-key", "s3://acme-doctor-tfstate")]
assert kms["level"] == "warning", kms
for r in run["results"]:
    assert ids[r["ruleIndex"]] == r["ruleId"], r
PY
echo "e2e doctor: ok: a table keyed by a number and a missing table are errors (exit 1), a root with another KMS key a warning; SARIF"
"$tfboot" explain lock-table-key-schema | grep -q "hash_key = \"LockID\"" || fail "explain lock-table-key-schema"
echo "e2e doctor: passed"
