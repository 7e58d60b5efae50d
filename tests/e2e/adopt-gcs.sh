#!/usr/bin/env bash
# End to end: `tfboot adopt` for a Cloud Storage bucket made by hand, against fake-gcs-server on
# loopback (../shared/tools/gcs-emulator), which reports a bucket's location, versioning and
# storage class and leaves the other settings out of its answer.
#   - the seed: a versioned bucket that already holds the states of two roots (written by real
#     Terraform's gcs backend);
#   - `adopt --backend gcs --bucket … --project …` writes the module with an import block for
#     the bucket (id <project>/<bucket>), says what the first apply changes and what the
#     emulator's answer does not say, prints the [state] section; judge-tf passes the module
#     (statically: no google provider offline);
#   - `--location` other than the bucket's, a missing bucket, flags of another backend: exit 2,
#     nothing written; from tfboot.toml: the same module, the location checked against the file;
#   - `adopt --apply`: the google provider's init/apply are stood in for (no provider offline);
#     every command in tfboot's probe directory is real Terraform against the emulator. The
#     module's state lands at <prefix>/default.tfstate, and the two roots' state objects keep
#     their generations.
# Exit 0: passed; 77: skipped (says why); anything else: failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
label=adopt-gcs
fail() { echo "e2e adopt-gcs: FAIL: $*"; exit 1; }
# shellcheck source=tests/e2e/gcs-emulator.sh
. "$repo/tests/e2e/gcs-emulator.sh"
trap stop_emulator EXIT
export STORAGE_EMULATOR_HOST="127.0.0.1:$port"
echo "e2e adopt-gcs: emulator at $endpoint"

bucket=hand-made-tfstate
"$shared/tools/gcs-emulator" bucket "$bucket" "$port" >/dev/null
# Generation of every object, "name generation" per line.
generations() {
  "$py" - "$port" "$bucket" <<'PY'
import json, sys, urllib.request
port, bucket = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(f"http://127.0.0.1:{port}/storage/v1/b/{bucket}/o") as r:
    for o in sorted(json.load(r).get("items", []), key=lambda o: o["name"]):
        print(o["name"], o["generation"])
PY
}

# The seed: two roots with hand-written gcs backends, applied by real Terraform.
cat > "$work/emulator.gcs.tfbackend" <<EOT
storage_custom_endpoint = "$endpoint"
access_token            = "dummy"
EOT
for r in network app; do
  mkdir -p "$work/seed/$r"
  cat > "$work/seed/$r/main.tf" <<EOT
terraform {
  backend "gcs" {
    bucket = "$bucket"
    prefix = "live/$r"
  }
}

resource "terraform_data" "x" {
  input = "$r"
}
EOT
  (cd "$work/seed/$r" && "$tf" init -input=false -backend-config="$work/emulator.gcs.tfbackend" >/dev/null \
    && "$tf" apply -input=false -auto-approve >/dev/null) || fail "seed root $r"
done
before="$(generations)"
grep -q "^live/app/default.tfstate " <<<"$before" || fail "the seed states are not in the bucket: $before"

# From flags: what the first apply changes, the import, the [state] section.
mkdir -p "$work/flags"
(cd "$work/flags" && "$tfboot" adopt --backend gcs --bucket "$bucket" --project e2e-project > adopt.log 2>&1) \
  || { cat "$work/flags/adopt.log"; fail "adopt from flags"; }
log="$work/flags/adopt.log"
for want in "adopting gs://$bucket (us-central1): 1 existing resource(s) imported" \
  "import  google_storage_bucket.state  (id e2e-project/$bucket)" \
  "uniform bucket-level access: the API answer does not say" \
  "kept    Google-managed encryption" \
  'encryption = "google"' \
  "tfboot adopt --backend gcs --bucket $bucket --project e2e-project --location us-central1 --apply"; do
  grep -qF -- "$want" "$log" || { cat "$log"; fail "adopt output lacks: $want"; }
done
grep -q "versioning" "$log" && { cat "$log"; fail "versioning is on, yet reported"; }
mod="$work/flags/bootstrap"
grep -qF 'id = "e2e-project/'"$bucket"'"' "$mod/imports.tf" || { cat "$mod/imports.tf"; fail "imports.tf"; }
[ ! -f "$mod/kms.tf" ] || fail "a kms.tf for a bucket with Google-managed encryption"
"$tf" fmt -check -diff "$mod" >/dev/null || fail "terraform fmt disagrees with the module"
if [ -x "$shared/tools/judge-tf" ]; then
  "$shared/tools/judge-tf" "$mod" > "$work/judge.log" 2>&1 || { cat "$work/judge.log"; fail "judge-tf on the adopted module"; }
  echo "e2e adopt-gcs: ok: judge-tf passes the adopted module"
fi
echo "e2e adopt-gcs: ok: adopt from flags imports the bucket, reports what it cannot read and what the first apply sets"

# Refusals: nothing written.
mkdir -p "$work/refused"
set +e
(cd "$work/refused" && "$tfboot" adopt --bucket "$bucket" --project e2e-project --location EU > out.log 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "the bucket is in US-CENTRAL1" "$work/refused/out.log" || { cat "$work/refused/out.log"; fail "another --location (exit $rc)"; }
set +e
(cd "$work/refused" && "$tfboot" adopt --backend gcs --bucket no-such-tfstate --project e2e-project > out.log 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "does not exist: there is nothing to adopt" "$work/refused/out.log" || { cat "$work/refused/out.log"; fail "a missing bucket (exit $rc)"; }
set +e
(cd "$work/refused" && "$tfboot" adopt --backend gcs --bucket "$bucket" --project e2e-project --lock-table t > out.log 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q -- "--lock-table is for s3 stores" "$work/refused/out.log" || { cat "$work/refused/out.log"; fail "an s3 flag (exit $rc)"; }
[ "$(ls "$work/refused")" = "out.log" ] || fail "a refused adopt wrote $(ls "$work/refused")"
echo "e2e adopt-gcs: ok: another location, a missing bucket and an s3 flag are refused with exit 2, nothing written"

# From tfboot.toml: the location must be the bucket's; then the same module.
mkdir -p "$work/config"
cat > "$work/config/tfboot.toml" <<EOT
[state]
backend    = "gcs"
bucket     = "$bucket"
project    = "e2e-project"
location   = "EU"
encryption = "google"
EOT
set +e
(cd "$work/config" && "$tfboot" adopt > out.log 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "state.location is EU, but the bucket is in US-CENTRAL1" "$work/config/out.log" || { cat "$work/config/out.log"; fail "tfboot.toml with another location (exit $rc)"; }
[ ! -d "$work/config/bootstrap" ] || fail "a refused adopt wrote bootstrap/"
sed -i 's/"EU"/"us-central1"/' "$work/config/tfboot.toml"
(cd "$work/config" && "$tfboot" adopt > out.log 2>&1) || { cat "$work/config/out.log"; fail "adopt from tfboot.toml"; }
for f in storage.tf imports.tf versions.tf backend.tf; do
  cmp -s "$work/config/bootstrap/$f" "$mod/$f" || { diff "$work/config/bootstrap/$f" "$mod/$f"; fail "$f differs between flags and tfboot.toml"; }
done
(cd "$work/config" && "$tfboot" generate --check > check.log 2>&1) || { cat "$work/config/check.log"; fail "generate --check after adopt"; }
echo "e2e adopt-gcs: ok: from tfboot.toml the location is checked, the module is the same, and generate --check agrees"

# --apply: the google provider's init/apply are stood in for; the probe is real Terraform.
boot="$work/flags"
cat > "$boot/terraform-wrapper" <<EOT
#!/usr/bin/env bash
case "\$(basename "\$PWD")" in
  tfboot-state-probe-*) exec "$(command -v "$tf")" "\$@" ;;
esac
case "\$1" in
  plan|apply) grep -q 'to = google_storage_bucket.state' imports.tf || { echo "no import block" >&2; exit 1; } ;;
esac
case "\$1" in
  apply) cat > terraform.tfstate <<'STATE'
{"version":4,"terraform_version":"1.11.4","serial":3,"lineage":"e2e-adopt-lineage","outputs":{},"resources":[{"mode":"managed","type":"google_storage_bucket","name":"state","provider":"provider[\\"registry.terraform.io/hashicorp/google\\"]","instances":[{"schema_version":3,"attributes":{"name":"$bucket"},"sensitive_attributes":[]}]}],"check_results":null}
STATE
  ;;
  state) [ "\$2" = list ] && echo google_storage_bucket.state ;;
esac
exit 0
EOT
chmod +x "$boot/terraform-wrapper"
(cd "$boot" && "$tfboot" adopt --backend gcs --bucket "$bucket" --project e2e-project --apply --auto-approve \
  --backend-config "$work/emulator.gcs.tfbackend" --terraform "$boot/terraform-wrapper" > apply.log 2>&1) \
  || { cat "$boot/apply.log"; fail "adopt --apply"; }
after="$(generations)"
grep -q "^bootstrap/default.tfstate " <<<"$after" || { echo "$after"; fail "the module's state is not at bootstrap/default.tfstate"; }
for r in network app; do
  b="$(grep "^live/$r/default.tfstate " <<<"$before")"; a="$(grep "^live/$r/default.tfstate " <<<"$after")"
  [ "$a" = "$b" ] || fail "the state of live/$r changed: $b -> $a"
done
[ ! -f "$boot/bootstrap/bootstrap_override.tf" ] || fail "the override is still there"
for r in network app; do
  (cd "$work/seed/$r" && "$tf" plan -input=false -detailed-exitcode >/dev/null) || fail "root $r no longer plans clean"
done
echo "e2e adopt-gcs: ok: adopt --apply moved the module's state into the bucket; the other roots' states kept their generations and plan clean"
echo "e2e adopt-gcs: passed"
