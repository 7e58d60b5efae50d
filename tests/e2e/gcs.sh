#!/usr/bin/env bash
# End to end, for real: backends that `tfboot generate` writes for gcs, used by real Terraform
# against fake-gcs-server on loopback (../shared/tools/gcs-emulator, with its precondition-enforcing
# proxy). Checks from the emulator's side that
#   - two envs (layout "dir") and two envs sharing one root (layout "tfbackend") each keep their
#     state at exactly <prefix>/default.tfstate, and nothing else is left in the bucket;
#   - a held lock object (<prefix>/default.tflock) makes `terraform plan -lock-timeout=1s` fail;
#   - the lock ID Terraform prints is the lock object's generation, a wrong one does not unlock,
#     and the printed one works with `terraform force-unlock`.
#   - `bootstrap --backend gcs --apply` moves the module's state into the bucket through real
#     Terraform in its probe directory (init, state pull, state push against the gcs backend),
#     replacing the blank state the gcs backend writes when it first reads an empty prefix.
# The module's own init/apply need the google provider, which this machine lacks: a wrapper
# stands in for those two (and tests/gcs.rs tests every step with a stand-in terraform).
# Exit 0: passed; 77: skipped (says why); anything else: failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"
O="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}"

skip() { echo "e2e gcs: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
[ -x "$shared/tools/gcs-emulator" ] || skip "no gcs-emulator at $shared/tools"
[ -x "$O/bin/fake-gcs-server" ] || skip "fake-gcs-server is not installed (run $shared/tools/install-oracles)"
[ -x "$tfboot" ] || { echo "e2e gcs: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  [ -f "$O/terraformrc" ] && export TF_CLI_CONFIG_FILE="$O/terraformrc"
fi
py="$O/bin/python"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
started="$("$shared/tools/gcs-emulator" start "$port")"
endpoint="$(sed -n 's/.*endpoint=\([^ ]*\).*/\1/p' <<<"$started")"
pid="$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' <<<"$started")"
work="$(mktemp -d)"
cleanup() { "$shared/tools/gcs-emulator" stop "$pid" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export TF_IN_AUTOMATION=1
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
