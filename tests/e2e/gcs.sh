#!/usr/bin/env bash
# End to end, for real: backends that `tfboot generate` writes for gcs, used by real Terraform
# against fake-gcs-server on loopback (../shared/tools/gcs-emulator, with its precondition-enforcing
# proxy). Checks from the emulator's side that
#   - two envs (layout "dir") and two envs sharing one root (layout "tfbackend") each keep their
#     state at exactly <prefix>/default.tfstate, and nothing else is left in the bucket;
#   - a held lock object (<prefix>/default.tflock) makes `terraform plan -lock-timeout=1s` fail;
#   - the lock ID Terraform prints is the lock object's generation, a wrong one does not unlock,
#     and the printed one works with `terraform force-unlock`.
#   - `tfboot locks` (from tfboot.toml and from a root's partial configurations) shows a lock
#     written by hand and one a killed real apply left, with the generation as ID; unlock refuses
#     a wrong generation and removes the right one; `terraform force-unlock` takes the ID shown;
#     `tfboot doctor` passes the bucket, warns about one without versioning, fails on a missing one;
#   - `bootstrap --backend gcs --apply` moves the module's state into the bucket through real
#     Terraform in its probe directory (init, state pull, state push against the gcs backend),
#     replacing the blank state the gcs backend writes when it first reads an empty prefix.
# The module's own init/apply need the google provider, which this machine lacks: a wrapper
# stands in for those two (and tests/gcs.rs tests every step with a stand-in terraform).
# Exit 0: passed; 77: skipped (says why); anything else: failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
label=gcs
# shellcheck source=tests/e2e/gcs-emulator.sh
. "$repo/tests/e2e/gcs-emulator.sh"
holder=""
cleanup() { [ -n "$holder" ] && kill -9 -- "-$holder" 2>/dev/null; stop_emulator; }
trap cleanup EXIT
echo "e2e gcs: emulator at $endpoint, terraform: $("$tf" version | head -n 1)"

bucket=e2e-gcs-tfstate
"$shared/tools/gcs-emulator" bucket "$bucket" "$port" >/dev/null

# The emulator's JSON API, for what Terraform wrote.
api() { "$py" - "$port" "$bucket" "$@"; }
objects() {
  api <<'PY'
import json, sys, urllib.request
port, bucket = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(f"http://127.0.0.1:{port}/storage/v1/b/{bucket}/o") as r:
    for o in sorted(json.load(r).get("items", []), key=lambda o: o["name"]):
        print(o["name"])
PY
}
generation() {
  api "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
port, bucket, name = sys.argv[1], sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}/storage/v1/b/{bucket}/o/{urllib.parse.quote(name, safe='')}"
with urllib.request.urlopen(url) as r:
    print(json.load(r)["generation"])
PY
}
hold_lock() {
  api "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
port, bucket, name = sys.argv[1], sys.argv[2], sys.argv[3]
body = json.dumps({"ID": "11111111-2222-3333-4444-555555555555", "Operation": "OperationTypeApply",
                   "Who": "ci@runner", "Version": "1.11.4", "Path": name}).encode()
url = (f"http://127.0.0.1:{port}/upload/storage/v1/b/{bucket}/o?uploadType=media"
       f"&name={urllib.parse.quote(name, safe='')}&ifGenerationMatch=0")
req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as r:
    print(json.load(r)["generation"])
PY
}

printf 'storage_custom_endpoint = "%s"\naccess_token            = "dummy"\n' "$endpoint" > "$work/emulator.gcs.tfbackend"
root_tf='resource "terraform_data" "marker" {
  input = "ROOT"
}
'

# Layout "dir": envs/dev and envs/prod, each with its own backend.tf.
a="$work/dir-layout"; mkdir -p "$a"
cat > "$a/tfboot.toml" <<EOT
[state]
backend  = "gcs"
bucket   = "$bucket"
project  = "e2e-project"
location = "EU"

[[env]]
name = "dev"

[[env]]
name   = "prod"
prefix = "production/"
EOT
for e in dev prod; do mkdir -p "$a/envs/$e"; printf '%s' "${root_tf/ROOT/$e}" > "$a/envs/$e/main.tf"; done
"$tfboot" generate --config "$a/tfboot.toml" >/dev/null
for e in dev prod; do
  (cd "$a/envs/$e" && "$tf" init -input=false -no-color -backend-config="$work/emulator.gcs.tfbackend" >/dev/null \
    && "$tf" apply -input=false -no-color -auto-approve -lock-timeout=120s >/dev/null)
done

# Layout "tfbackend": qa and perf share one root, app/, with one <env>.gcs.tfbackend each.
b="$work/tfbackend-layout"; mkdir -p "$b/app"
cat > "$b/tfboot.toml" <<EOT
layout = "tfbackend"

[state]
backend  = "gcs"
bucket   = "$bucket"
project  = "e2e-project"
location = "EU"
bootstrap_prefix = "bootstrap-b"

[[env]]
name = "qa"
dir  = "app"

[[env]]
name = "perf"
dir  = "app"
EOT
printf '%s' "${root_tf/ROOT/app}" > "$b/app/main.tf"
"$tfboot" generate --config "$b/tfboot.toml" >/dev/null
for e in qa perf; do
  (cd "$b/app" && export TF_DATA_DIR=".terraform-$e" \
    && "$tf" init -input=false -no-color -reconfigure -backend-config="$e.gcs.tfbackend" \
         -backend-config="$work/emulator.gcs.tfbackend" >/dev/null \
    && "$tf" apply -input=false -no-color -auto-approve -lock-timeout=120s >/dev/null)
done

got="$(objects)"
want="app/perf/default.tfstate
app/qa/default.tfstate
envs/dev/default.tfstate
production/default.tfstate"
if [ "$got" != "$want" ]; then
  echo "e2e gcs: FAIL: the bucket holds"; echo "$got"; echo "expected"; echo "$want"; exit 1
fi
echo "e2e gcs: ok: each state at exactly <prefix>/default.tfstate, no lock left behind"

# A held lock: plan fails, and the ID Terraform prints is the lock object's generation.
held="$(hold_lock envs/dev/default.tflock)"
cd "$a/envs/dev"
set +e
out="$("$tf" plan -input=false -no-color -lock-timeout=1s 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 0 ] || ! grep -q "Error acquiring the state lock" <<<"$out"; then
  echo "e2e gcs: FAIL: plan under a held lock did not fail with a lock error:"; echo "$out"; exit 1
fi
printed="$(sed -n 's/^ *ID: *\([0-9][0-9]*\) *$/\1/p' <<<"$out" | head -n 1)"
if [ -z "$printed" ] || [ "$printed" != "$held" ] || [ "$printed" != "$(generation envs/dev/default.tflock)" ]; then
  echo "e2e gcs: FAIL: lock ID printed ($printed) is not the lock object's generation ($held):"; echo "$out"; exit 1
fi
echo "e2e gcs: ok: a held lock stops plan; the printed lock ID $printed is the object's generation"
wrong=$((printed + 1))
if "$tf" force-unlock -force "$wrong" >/dev/null 2>&1; then
  echo "e2e gcs: FAIL: force-unlock with a wrong generation ($wrong) succeeded"; exit 1
fi
grep -qx "envs/dev/default.tflock" <<<"$(objects)" || { echo "e2e gcs: FAIL: a wrong force-unlock removed the lock"; exit 1; }
"$tf" force-unlock -force "$printed" >/dev/null
"$tf" plan -input=false -no-color -lock-timeout=60s -detailed-exitcode >/dev/null || {
  echo "e2e gcs: FAIL: plan after force-unlock did not come back clean"; exit 1; }
grep -q "tflock" <<<"$(objects)" && { echo "e2e gcs: FAIL: a lock object is left"; objects; exit 1; }
echo "e2e gcs: ok: a wrong generation leaves the lock; the printed one unlocks, and plan shows no changes"
# tfboot locks and doctor on the gcs store, through STORAGE_EMULATOR_HOST (and, for PATHs, the
# partial configuration's storage_custom_endpoint).
export STORAGE_EMULATOR_HOST="127.0.0.1:$port"
jq_py() { "$py" - "$@"; }
held="$(hold_lock envs/dev/default.tflock)"
"$tfboot" locks --config "$a/tfboot.toml" --format json > "$work/gcs-locks.json" || { cat "$work/gcs-locks.json"; echo "e2e gcs: FAIL: tfboot locks"; exit 1; }
jq_py "$work/gcs-locks.json" "$held" <<'PY' || { cat "$work/gcs-locks.json"; echo "e2e gcs: FAIL: tfboot locks output"; exit 1; }
import sys, json
doc, gen = json.load(open(sys.argv[1])), sys.argv[2]
(l,) = doc["locks"]
assert l["state"] == "gs://e2e-gcs-tfstate/envs/dev/default.tfstate" and l["id"] == gen and l["lock"] == "object", l
assert l["root"] == "envs/dev" and l["backend"] == "gcs" and l["who"] == "ci@runner", l
assert doc["requests"] == 2, doc["requests"]
PY
set +e
"$tfboot" locks unlock envs/dev --config "$a/tfboot.toml" --id "$((held + 1))" --yes > "$work/gcs-wrong.txt"
rc=$?
set -e
{ [ "$rc" -eq 1 ] && grep -q "holds ID $held now" "$work/gcs-wrong.txt"; } || { cat "$work/gcs-wrong.txt"; echo "e2e gcs: FAIL: unlock with a wrong generation (exit $rc)"; exit 1; }
grep -qx "envs/dev/default.tflock" <<<"$(objects)" || { echo "e2e gcs: FAIL: a wrong unlock removed the lock"; exit 1; }
"$tfboot" locks unlock envs/dev --config "$a/tfboot.toml" --id "$held" --yes > "$work/gcs-right.txt" || { cat "$work/gcs-right.txt"; echo "e2e gcs: FAIL: unlock"; exit 1; }
grep -q "tflock" <<<"$(objects)" && { echo "e2e gcs: FAIL: unlock left the lock object"; exit 1; }
echo "e2e gcs: ok: tfboot locks shows the lock with its generation as ID; a wrong generation is refused, the right one removes it"

# A real apply killed while it holds the lock.
cat > "$a/envs/dev/slow.tf" <<'EOT'
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 300"
  }
}
EOT
cd "$a/envs/dev"
setsid "$tf" apply -input=false -no-color -auto-approve > "$work/gcs-holder.log" 2>&1 &
holder=$!
cd "$work"
for _ in $(seq 1 900); do grep -q "Provisioning with\|Still creating" "$work/gcs-holder.log" && break; sleep 0.2; done
grep -q "Provisioning with\|Still creating" "$work/gcs-holder.log" || { cat "$work/gcs-holder.log"; echo "e2e gcs: FAIL: the apply never started its resource"; exit 1; }
# Terraform and its provisioner's sleep together (one process group), so nothing releases the lock.
kill -9 -- "-$holder"; wait "$holder" 2>/dev/null || true; holder=""
set +e
out="$(cd "$a/envs/dev" && "$tf" plan -input=false -no-color -lock-timeout=1s 2>&1)"
set -e
printed="$(sed -n 's/^ *ID: *\([0-9][0-9]*\) *$/\1/p' <<<"$out" | head -n 1)"
[ -n "$printed" ] || { echo "$out"; echo "e2e gcs: FAIL: no lock held after the killed apply"; exit 1; }
"$tfboot" locks --config "$a/tfboot.toml" --format json > "$work/gcs-held.json"
jq_py "$work/gcs-held.json" "$printed" <<'PY' || { cat "$work/gcs-held.json"; echo "e2e gcs: FAIL: the killed apply's lock"; exit 1; }
import sys, json
doc, want = json.load(open(sys.argv[1])), sys.argv[2]
assert [(l["id"], l["operation"]) for l in doc["locks"]] == [(want, "OperationTypeApply")], doc["locks"]
PY
(cd "$a/envs/dev" && "$tf" force-unlock -force "$printed" >/dev/null) || { echo "e2e gcs: FAIL: terraform force-unlock $printed"; exit 1; }
rm "$a/envs/dev/slow.tf"
echo "e2e gcs: ok: the killed apply's lock shows the generation Terraform printed ($printed), and terraform force-unlock takes it"

# PATHs: the tfbackend layout's root with one partial configuration per env.
held="$(hold_lock app/qa/default.tflock)"
"$tfboot" locks list "$b/app" --format json > "$work/gcs-paths.json" || { cat "$work/gcs-paths.json"; echo "e2e gcs: FAIL: locks list PATH"; exit 1; }
jq_py "$work/gcs-paths.json" "$held" <<'PY' || { cat "$work/gcs-paths.json"; echo "e2e gcs: FAIL: locks from PATHs"; exit 1; }
import sys, json
doc, gen = json.load(open(sys.argv[1])), sys.argv[2]
(l,) = doc["locks"]
assert l["id"] == gen and l["backend_config"] == "qa.gcs.tfbackend" and l["root"].endswith("app"), l
assert doc["stores"][0]["states"] == 2, doc["stores"]
PY
"$tfboot" locks unlock gs://e2e-gcs-tfstate/app/qa --path "$b/app" --id "$held" --yes >/dev/null || { echo "e2e gcs: FAIL: unlock gs://…/app/qa"; exit 1; }
echo "e2e gcs: ok: locks from a root's partial configurations, unlocked by its gs:// address"

# doctor: versioning on (the emulator does not report uniform access or public access prevention:
# unknown, info); a bucket without versioning warns; a missing bucket is an error.
"$tfboot" doctor --config "$a/tfboot.toml" --format json > "$work/gcs-doctor.json" || { cat "$work/gcs-doctor.json"; echo "e2e gcs: FAIL: doctor"; exit 1; }
jq_py "$work/gcs-doctor.json" <<'PY' || { cat "$work/gcs-doctor.json"; echo "e2e gcs: FAIL: doctor output"; exit 1; }
import sys, json
doc = json.load(open(sys.argv[1]))
assert "versioning enabled" in doc["stores"][0]["passed"], doc
assert {d["rule"] for d in doc["diagnostics"]} <= {"doctor-not-checked"}, doc["diagnostics"]
assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0, doc["summary"]
PY
"$py" - "$port" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/storage/v1/b?project=test", method="POST",
                             data=json.dumps({"name": "e2e-gcs-plain"}).encode(), headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
mkdir -p "$work/gcs-doctor/plain" "$work/gcs-doctor/missing"
printf 'terraform {\n  backend "gcs" {\n    bucket = "e2e-gcs-plain"\n    prefix = "x"\n  }\n}\n' > "$work/gcs-doctor/plain/backend.tf"
printf 'terraform {\n  backend "gcs" {\n    bucket = "e2e-gcs-missing"\n    prefix = "x"\n  }\n}\n' > "$work/gcs-doctor/missing/backend.tf"
set +e
"$tfboot" doctor "$work/gcs-doctor" --format json > "$work/gcs-doctor2.json"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$work/gcs-doctor2.json"; echo "e2e gcs: FAIL: doctor with a missing bucket exited $rc"; exit 1; }
jq_py "$work/gcs-doctor2.json" <<'PY' || { cat "$work/gcs-doctor2.json"; echo "e2e gcs: FAIL: doctor findings"; exit 1; }
import sys, json
doc = json.load(open(sys.argv[1]))
found = {(d["rule"], d["file"], d["severity"]) for d in doc["diagnostics"]}
assert ("store-versioning", "gs://e2e-gcs-plain", "warning") in found, found
assert ("store-missing", "gs://e2e-gcs-missing", "error") in found, found
PY
unset STORAGE_EMULATOR_HOST
echo "e2e gcs: ok: doctor passes the e2e bucket, warns about a bucket without versioning, fails on a missing one"

# bootstrap --apply for gcs: the module's own init/apply need the google provider, which is not
# available offline, so a wrapper stands in for those; every command tfboot runs in its probe
# directory (init, state pull, state push against the gcs backend) is real Terraform. The gcs
# backend writes a blank state when it first reads the empty prefix: the copy must replace it,
# and the bucket must end up holding the module's resources.
boot="$work/bootstrap-apply"; mkdir -p "$boot"
cat > "$boot/terraform-wrapper" <<EOT
#!/usr/bin/env bash
case "\$(basename "\$PWD")" in
  tfboot-state-probe-*) exec "$(command -v "$tf")" "\$@" ;;
esac
case "\$1" in
  apply) cat > terraform.tfstate <<'STATE'
{"version":4,"terraform_version":"1.11.4","serial":4,"lineage":"e2e-local-lineage","outputs":{},"resources":[{"mode":"managed","type":"google_storage_bucket","name":"state","provider":"provider[\\"registry.terraform.io/hashicorp/google\\"]","instances":[{"schema_version":3,"attributes":{"name":"$bucket"},"sensitive_attributes":[]}]}],"check_results":null}
STATE
  ;;
  state) [ "\$2" = list ] && echo google_storage_bucket.state ;;
esac
exit 0
EOT
chmod +x "$boot/terraform-wrapper"
(cd "$boot" && "$tfboot" bootstrap --backend gcs --bucket "$bucket" --project e2e-project --location EU \
  --prefix e2e-bootstrap --apply --auto-approve --backend-config "$work/emulator.gcs.tfbackend" \
  --terraform "$boot/terraform-wrapper" > "$boot/apply.log" 2>&1) || {
  echo "e2e gcs: FAIL: bootstrap --apply:"; cat "$boot/apply.log"; exit 1; }
grep -q "only a blank one" "$boot/apply.log" || { echo "e2e gcs: FAIL: the blank state was not recognised:"; cat "$boot/apply.log"; exit 1; }
held_state="$(api e2e-bootstrap/default.tfstate <<'PY'
import json, sys, urllib.parse, urllib.request
port, bucket, name = sys.argv[1], sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}/storage/v1/b/{bucket}/o/{urllib.parse.quote(name, safe='')}?alt=media"
with urllib.request.urlopen(url) as r:
    st = json.load(r)
print(" ".join(f"{x['type']}.{x['name']}" for x in st["resources"]))
PY
)"
[ "$held_state" = "google_storage_bucket.state" ] || { echo "e2e gcs: FAIL: the bucket's bootstrap state holds '$held_state'"; exit 1; }
[ ! -f "$boot/bootstrap/bootstrap_override.tf" ] || { echo "e2e gcs: FAIL: the override is still there"; exit 1; }
ls "$boot/bootstrap" | grep -q '^terraform.tfstate.migrated-' || { echo "e2e gcs: FAIL: the local state was not moved aside"; exit 1; }
echo "e2e gcs: ok: bootstrap --apply replaced the gcs backend's blank state with the module's and moved the local copy aside"
# (A rerun is not run here: once the bucket's state holds google resources, the probe's
# `terraform init` installs the google provider, which is not available offline.)
echo "e2e gcs: passed"
