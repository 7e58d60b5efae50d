#!/usr/bin/env bash
# End to end, for real: backends that `tfboot generate` writes for azurerm, used by real Terraform
# against Azurite on loopback (../shared/tools/azure-emulator, with the metadata host, TLS and
# CONNECT proxy Terraform's azurerm backend needs to reach it). Checks from the emulator's side that
#   - two envs (layout "dir") and two envs sharing one root (layout "tfbackend") each keep their
#     state in exactly the blob named by their key, and nothing else is in the container;
#   - while an apply holds the lease, a plan fails with "state blob is already locked";
#   - after that apply is killed the lease stays, and `terraform force-unlock` with the lock ID
#     Terraform prints clears it.
# Azurite has the blob data plane only and authenticates with the account key, so the emulator's
# partial configuration turns use_azuread_auth off; the module itself (management plane, azurerm
# provider) is judged statically.
# Exit 0: passed; 77: skipped (says why); anything else: failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
label=azurerm
# shellcheck source=tests/e2e/azure-emulator.sh
. "$repo/tests/e2e/azure-emulator.sh"
cleanup() {
  [ -n "${holder:-}" ] && kill -9 -- "-$holder" 2>/dev/null || true
  stop_emulator
}
trap cleanup EXIT
echo "e2e azurerm: emulator for account $account on port $port, terraform: $("$tf" version | head -n 1)"

blobs() {
  "$py" - "$account" "$key" "$port" "$ca" "$@" <<'PY'
import sys
from azure.storage.blob import BlobServiceClient
account, key, port, ca = sys.argv[1:5]
svc = BlobServiceClient(f"https://{account}.blob.azurite.test:{port}",
                        credential={"account_name": account, "account_key": key},
                        connection_verify=ca, proxies={"https": f"http://127.0.0.1:{int(port) + 2}"})
c = svc.get_container_client("tfstate")
if len(sys.argv) > 5:  # lease state of one blob
    print(c.get_blob_client(sys.argv[5]).get_blob_properties().lease.state)
else:
    for b in sorted(c.list_blobs(), key=lambda b: b.name):
        print(b.name)
PY
}

printf 'metadata_host    = "%s"\nuse_azuread_auth = false\n' "$meta" > "$work/emulator.azurerm.tfbackend"
state_block() {
  printf '[state]\nbackend = "azurerm"\nstorage_account = "%s"\nlocation = "westeurope"\nbootstrap_key = "%s"\n' "$account" "$1"
}

a="$work/dir-layout"; mkdir -p "$a"
{ state_block bootstrap-a.tfstate; printf '\n[[env]]\nname = "dev"\n\n[[env]]\nname = "prod"\nkey = "production/terraform.tfstate"\n'; } > "$a/tfboot.toml"
for e in dev prod; do
  mkdir -p "$a/envs/$e"
  printf 'resource "terraform_data" "marker" {\n  input = "%s"\n}\n' "$e" > "$a/envs/$e/main.tf"
done
"$tfboot" generate --config "$a/tfboot.toml" >/dev/null
for e in dev prod; do
  (cd "$a/envs/$e" && "$tf" init -input=false -no-color -backend-config="$work/emulator.azurerm.tfbackend" >/dev/null \
    && "$tf" apply -input=false -no-color -auto-approve -lock-timeout=120s >/dev/null)
done

b="$work/tfbackend-layout"; mkdir -p "$b/app"
{ printf 'layout = "tfbackend"\n\n'; state_block bootstrap-b.tfstate; printf '\n[[env]]\nname = "qa"\ndir = "app"\n\n[[env]]\nname = "perf"\ndir = "app"\n'; } > "$b/tfboot.toml"
printf 'resource "terraform_data" "marker" {\n  input = "app"\n}\n' > "$b/app/main.tf"
"$tfboot" generate --config "$b/tfboot.toml" >/dev/null
for e in qa perf; do
  (cd "$b/app" && export TF_DATA_DIR=".terraform-$e" \
    && "$tf" init -input=false -no-color -reconfigure -backend-config="$e.azurerm.tfbackend" \
         -backend-config="$work/emulator.azurerm.tfbackend" >/dev/null \
    && "$tf" apply -input=false -no-color -auto-approve -lock-timeout=120s >/dev/null)
done

got="$(blobs)"
want="app/perf/terraform.tfstate
app/qa/terraform.tfstate
envs/dev/terraform.tfstate
production/terraform.tfstate"
if [ "$got" != "$want" ]; then
  echo "e2e azurerm: FAIL: the container holds"; echo "$got"; echo "expected"; echo "$want"; exit 1
fi
echo "e2e azurerm: ok: each state in exactly the blob named by its key"

# An apply that holds the lease (its resource sleeps), a plan that meets it, then the apply killed.
cd "$a/envs/dev"
cat > slow.tf <<'EOT'
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 300"
  }
}
EOT
setsid "$tf" apply -input=false -no-color -auto-approve > "$work/holder.log" 2>&1 &
holder=$!
for _ in $(seq 1 300); do
  [ "$(blobs envs/dev/terraform.tfstate)" = leased ] && grep -q "Still creating\|Provisioning with" "$work/holder.log" && break
  sleep 0.2
done
[ "$(blobs envs/dev/terraform.tfstate)" = leased ] || { echo "e2e azurerm: FAIL: the apply never took the lease"; cat "$work/holder.log"; exit 1; }
set +e
out="$("$tf" plan -input=false -no-color -lock-timeout=1s 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 0 ] || ! grep -q "state blob is already locked" <<<"$out"; then
  echo "e2e azurerm: FAIL: plan during a held lease did not fail with the lock error:"; echo "$out"; exit 1
fi
echo "e2e azurerm: ok: a held lease stops plan (\"state blob is already locked\")"
kill -9 -- "-$holder"; wait "$holder" 2>/dev/null || true; holder=""
[ "$(blobs envs/dev/terraform.tfstate)" = leased ] || { echo "e2e azurerm: FAIL: the killed apply's lease is gone by itself"; exit 1; }
set +e
out="$("$tf" plan -input=false -no-color -lock-timeout=1s 2>&1)"
set -e
id="$(sed -n 's/^ *ID: *\([0-9a-f-][0-9a-f-]*\) *$/\1/p' <<<"$out" | head -n 1)"
[ -n "$id" ] || { echo "e2e azurerm: FAIL: no lock ID printed:"; echo "$out"; exit 1; }
export ARM_METADATA_HOSTNAME="$meta"
"$tfboot" locks --config "$a/tfboot.toml" --format json > "$work/az-locks.json" || { cat "$work/az-locks.json"; echo "e2e azurerm: FAIL: tfboot locks"; exit 1; }
"$py" - "$work/az-locks.json" "$id" "$account" <<'PY' || { cat "$work/az-locks.json"; echo "e2e azurerm: FAIL: tfboot locks output"; exit 1; }
import sys, json
doc, want, account = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
(l,) = doc["locks"]
assert l["id"] == want and l["lock"] == "lease" and l["operation"] == "OperationTypeApply", l
assert l["state"] == f"azurerm://{account}/tfstate/envs/dev/terraform.tfstate" and l["root"] == "envs/dev", l
assert doc["requests"] == 1, doc["requests"]
PY
echo "e2e azurerm: ok: tfboot locks shows the killed apply's lease with the ID Terraform printed ($id), from one listing"
cd "$a/envs/dev"
"$tf" force-unlock -force "$id" >/dev/null
[ "$(blobs envs/dev/terraform.tfstate)" != leased ] || { echo "e2e azurerm: FAIL: force-unlock $id left the lease"; exit 1; }
rm slow.tf
"$tf" plan -input=false -no-color -lock-timeout=60s -detailed-exitcode >/dev/null || {
  echo "e2e azurerm: FAIL: plan after force-unlock did not come back clean"; exit 1; }
echo "e2e azurerm: ok: after the apply was killed, force-unlock $id cleared the lease and plan shows no changes"

# A lease taken as the backend takes it (proposed lease ID = lock ID, lock details in metadata).
hold() {
  "$py" - "$account" "$key" "$port" "$ca" "$1" "$2" <<'PY'
import sys, json, base64
from azure.storage.blob import BlobServiceClient
account, key, port, ca, blob, lock_id = sys.argv[1:7]
svc = BlobServiceClient(f"https://{account}.blob.azurite.test:{port}",
                        credential={"account_name": account, "account_key": key},
                        connection_verify=ca, proxies={"https": f"http://127.0.0.1:{int(port) + 2}"})
b = svc.get_container_client("tfstate").get_blob_client(blob)
lease = b.acquire_lease(lease_duration=-1, lease_id=lock_id)
info = json.dumps({"ID": lock_id, "Operation": "OperationTypePlan", "Who": "ci@runner", "Version": "1.11.4",
                   "Created": "2026-12-03T09:00:00Z", "Path": f"tfstate/{blob}"})
md = b.get_blob_properties().metadata
md["terraformlockid"] = base64.b64encode(info.encode()).decode()
b.set_blob_metadata(md, lease=lease)
PY
}
hold production/terraform.tfstate aaaaaaaa-1111-4111-8111-111111111111
cd "$work"
set +e
"$tfboot" locks unlock envs/prod --config "$a/tfboot.toml" --id bbbbbbbb-2222-4222-8222-222222222222 --yes > "$work/az-wrong.txt"
rc=$?
set -e
{ [ "$rc" -eq 1 ] && grep -q "holds ID aaaaaaaa-1111-4111-8111-111111111111 now" "$work/az-wrong.txt"; } || { cat "$work/az-wrong.txt"; echo "e2e azurerm: FAIL: unlock with a wrong ID (exit $rc)"; exit 1; }
[ "$(blobs production/terraform.tfstate)" = leased ] || { echo "e2e azurerm: FAIL: a wrong unlock ended the lease"; exit 1; }
"$tfboot" locks show envs/prod --config "$a/tfboot.toml" > "$work/az-show.txt" || { cat "$work/az-show.txt"; echo "e2e azurerm: FAIL: locks show"; exit 1; }
grep -q "locked: azurerm://$account/tfstate/production/terraform.tfstate  lease  id aaaaaaaa-1111-4111-8111-111111111111" "$work/az-show.txt" || { cat "$work/az-show.txt"; echo "e2e azurerm: FAIL: locks show output"; exit 1; }
"$tfboot" locks unlock envs/prod --config "$a/tfboot.toml" --id aaaaaaaa-1111-4111-8111-111111111111 --yes > "$work/az-right.txt" || { cat "$work/az-right.txt"; echo "e2e azurerm: FAIL: unlock"; exit 1; }
[ "$(blobs production/terraform.tfstate)" != leased ] || { echo "e2e azurerm: FAIL: unlock left the lease"; exit 1; }
(cd "$a/envs/prod" && "$tf" plan -input=false -no-color -lock-timeout=60s -detailed-exitcode >/dev/null) || {
  echo "e2e azurerm: FAIL: plan after tfboot locks unlock did not come back clean"; exit 1; }
echo "e2e azurerm: ok: unlock refuses a wrong ID, ends exactly the lease of the right one, and Terraform plans again"

# PATHs: the tfbackend layout's root, one lease held there; doctor.
hold app/qa/terraform.tfstate cccccccc-3333-4333-8333-333333333333
"$tfboot" locks list "$b/app" --format json > "$work/az-paths.json" || { cat "$work/az-paths.json"; echo "e2e azurerm: FAIL: locks list PATH"; exit 1; }
"$py" - "$work/az-paths.json" <<'PY' || { cat "$work/az-paths.json"; echo "e2e azurerm: FAIL: locks from PATHs"; exit 1; }
import sys, json
doc = json.load(open(sys.argv[1]))
(l,) = doc["locks"]
assert l["id"] == "cccccccc-3333-4333-8333-333333333333" and l["backend_config"] == "qa.azurerm.tfbackend", l
PY
"$tfboot" locks unlock --all --older-than 1m --path "$b/app" --yes > /dev/null || { echo "e2e azurerm: FAIL: unlock --all"; exit 1; }
echo "e2e azurerm: ok: locks from a root's partial configurations; unlock --all --older-than"
"$tfboot" doctor --config "$a/tfboot.toml" --format json > "$work/az-doctor.json" || { cat "$work/az-doctor.json"; echo "e2e azurerm: FAIL: doctor"; exit 1; }
"$py" - "$work/az-doctor.json" <<'PY' || { cat "$work/az-doctor.json"; echo "e2e azurerm: FAIL: doctor output"; exit 1; }
import sys, json
doc = json.load(open(sys.argv[1]))
assert doc["summary"]["errors"] == 0, doc
rules = {d["rule"] for d in doc["diagnostics"]}
assert "doctor-not-checked" in rules, rules   # versioning lives in the ARM plane
assert any("exists" in p for p in doc["stores"][0]["passed"]), doc["stores"]
PY
mkdir -p "$work/az-missing"
printf 'terraform {\n  backend "azurerm" {\n    storage_account_name = "%s"\n    container_name = "nope"\n    key = "k"\n  }\n}\n' "$account" > "$work/az-missing/backend.tf"
set +e
"$tfboot" doctor "$work/az-missing" > "$work/az-doctor-missing.txt"
rc=$?
set -e
{ [ "$rc" -eq 1 ] && grep -q "error\[store-missing\]" "$work/az-doctor-missing.txt"; } || { cat "$work/az-doctor-missing.txt"; echo "e2e azurerm: FAIL: doctor on a missing container (exit $rc)"; exit 1; }
echo "e2e azurerm: ok: doctor reads the container and its soft delete, says versioning is unknown, fails on a missing container"
echo "e2e azurerm: passed"
