#!/usr/bin/env bash
# End to end: `tfboot adopt` for a storage account made by hand, against Azurite on loopback
# (../shared/tools/azure-emulator). The blob API is all Azurite has, and all tfboot reads: the
# account's SKU and kind, the container and its access level, blob soft delete.
#   - the seed: the container holds the state of a root that real Terraform applied;
#   - `adopt --backend azurerm --storage-account … --location … --subscription-id …` imports the
#     resource group, the account and the container by their resource IDs, keeps the account's
#     replication (state.replication), says what it could not read; terraform fmt agrees;
#   - without a subscription: exit 2, nothing written; from tfboot.toml with another replication:
#     exit 2 naming the line to add, then the same module once the file says it;
#   - the root's state blob is untouched.
# The module's own apply needs the azurerm provider, which this machine lacks (judged statically
# in CI). Exit 0: passed; 77: skipped (says why); anything else: failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
label=adopt-azurerm
fail() { echo "e2e adopt-azurerm: FAIL: $*"; exit 1; }
# shellcheck source=tests/e2e/azure-emulator.sh
. "$repo/tests/e2e/azure-emulator.sh"
trap stop_emulator EXIT
export ARM_METADATA_HOSTNAME="$meta"
unset ARM_SUBSCRIPTION_ID
echo "e2e adopt-azurerm: emulator for account $account on port $port"
sub=00000000-1111-2222-3333-444444444444

# The seed: one root whose hand-written backend keeps its state in the container.
mkdir -p "$work/seed"
cat > "$work/seed/main.tf" <<EOT
terraform {
  backend "azurerm" {
    storage_account_name = "$account"
    container_name       = "tfstate"
    key                  = "live/app.tfstate"
    metadata_host        = "$meta"
  }
}

resource "terraform_data" "x" {
  input = "app"
}
EOT
(cd "$work/seed" && "$tf" init -input=false >/dev/null && "$tf" apply -input=false -auto-approve -lock-timeout=120s >/dev/null) || fail "seed root"

mkdir -p "$work/flags"
set +e
(cd "$work/flags" && "$tfboot" adopt --backend azurerm --storage-account "$account" --location westeurope > out.log 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "ARM_SUBSCRIPTION_ID" "$work/flags/out.log" || { cat "$work/flags/out.log"; fail "adopt without a subscription (exit $rc)"; }
[ "$(ls "$work/flags")" = "out.log" ] || fail "a refused adopt wrote files"

(cd "$work/flags" && "$tfboot" adopt --storage-account "$account" --resource-group "$account-rg" \
  --location westeurope --subscription-id "$sub" > adopt.log 2>&1) || { cat "$work/flags/adopt.log"; fail "adopt from flags"; }
log="$work/flags/adopt.log"
sku_repl="$(sed -n 's/.*kept    replication \([A-Z]*\).*/\1/p' "$log")"
[ -n "$sku_repl" ] || { cat "$log"; fail "the account's replication is not kept"; }
acct_id="/subscriptions/$sub/resourceGroups/$account-rg/providers/Microsoft.Storage/storageAccounts/$account"
for want in "adopting azurerm://$account/tfstate (westeurope): 3 existing resource(s) imported" \
  "import  azurerm_resource_group.state  (id /subscriptions/$sub/resourceGroups/$account-rg)" \
  "import  azurerm_storage_account.state  (id $acct_id)" \
  "import  azurerm_storage_container.state  (id $acct_id/blobServices/default/containers/tfstate)" \
  "shared-key access is turned off" \
  "infrastructure encryption cannot be read" \
  "replication = \"$sku_repl\""; do
  grep -qF -- "$want" "$log" || { cat "$log"; fail "adopt output lacks: $want"; }
done
mod="$work/flags/bootstrap"
grep -qF "account_replication_type          = \"$sku_repl\"" "$mod/storage.tf" || fail "the module does not keep replication $sku_repl"
grep -qF "ignore_changes  = [infrastructure_encryption_enabled]" "$mod/storage.tf" || fail "infrastructure encryption is not ignored"
"$tf" fmt -check -diff "$mod" >/dev/null || fail "terraform fmt disagrees with the module"
if [ -x "$shared/tools/judge-tf" ]; then
  "$shared/tools/judge-tf" "$mod" > "$work/judge.log" 2>&1 || { cat "$work/judge.log"; fail "judge-tf on the adopted module"; }
  echo "e2e adopt-azurerm: ok: judge-tf passes the adopted module"
fi
echo "e2e adopt-azurerm: ok: adopt imports the group, the account and the container by resource ID and keeps replication $sku_repl"

mkdir -p "$work/config"
cat > "$work/config/tfboot.toml" <<EOT
[state]
backend         = "azurerm"
storage_account = "$account"
resource_group  = "$account-rg"
location        = "westeurope"
subscription_id = "$sub"
EOT
set +e
(cd "$work/config" && "$tfboot" adopt > out.log 2>&1); rc=$?
set -e
if [ "$sku_repl" != GZRS ]; then
  [ "$rc" -eq 2 ] && grep -qF "set replication = \"$sku_repl\"" "$work/config/out.log" || { cat "$work/config/out.log"; fail "tfboot.toml with another replication (exit $rc)"; }
  [ ! -d "$work/config/bootstrap" ] || fail "a refused adopt wrote bootstrap/"
  echo "replication     = \"$sku_repl\"" >> "$work/config/tfboot.toml"
  (cd "$work/config" && "$tfboot" adopt > out.log 2>&1) || { cat "$work/config/out.log"; fail "adopt from tfboot.toml"; }
fi
for f in storage.tf imports.tf; do
  cmp -s "$work/config/bootstrap/$f" "$mod/$f" || { diff "$work/config/bootstrap/$f" "$mod/$f"; fail "$f differs between flags and tfboot.toml"; }
done
(cd "$work/config" && "$tfboot" generate --check > check.log 2>&1) || { cat "$work/config/check.log"; fail "generate --check after adopt"; }
(cd "$work/seed" && "$tf" plan -input=false -detailed-exitcode -lock-timeout=120s >/dev/null) || fail "the seed root no longer plans clean"
echo "e2e adopt-azurerm: ok: from tfboot.toml a different replication is refused until the file keeps it; the root's state is untouched"
echo "e2e adopt-azurerm: passed"
