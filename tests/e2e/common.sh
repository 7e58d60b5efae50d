# Sourced by the emulator preambles (gcs-emulator.sh, azure-emulator.sh): where the shared tools,
# tfboot, terraform and the oracles are, `skip` (exit 77), and Terraform's offline provider mirror.
# Needs `repo` and `label`; sets `shared`, `tfboot`, `tf`, `O` and `py`.
shared="${TFBOOT_SHARED:-$repo/../shared}"
tfboot="${TFBOOT_BIN:-$repo/target/debug/tfboot}"
tf="${TFBOOT_TERRAFORM:-terraform}"
O="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}"
py="$O/bin/python"
skip() { echo "e2e $label: SKIPPED: $*"; exit 77; }
command -v "$tf" >/dev/null || skip "no '$tf' binary on PATH"
[ -x "$tfboot" ] || { echo "e2e $label: no tfboot binary at $tfboot (cargo build first)"; exit 1; }
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  [ -f "$O/terraformrc" ] && export TF_CLI_CONFIG_FILE="$O/terraformrc"
fi
