# Sourced by the e2e scripts against Azurite (azurerm.sh, adopt-azurerm.sh): the tools they need
# (exit 77 when one is missing), Terraform's offline provider mirror, and the emulator (blob
# service, metadata host, CONNECT proxy) on a free loopback port, with the container `tfstate`.
# Needs `repo` and `label` (the script's name in messages); sets `shared`, `tfboot`, `tf`, `O`,
# `py`, `port`, `pid`, `account`, `key`, `meta`, `ca`, `work` (a scratch directory), exports
# what Terraform's azurerm backend and tfboot need to reach it (SSL_CERT_FILE, HTTPS_PROXY,
# NO_PROXY, ARM_ACCESS_KEY), and defines `stop_emulator`, which stops the emulator and removes
# `work`, for the script's own trap.
# shellcheck source=tests/e2e/common.sh
. "$repo/tests/e2e/common.sh"
[ -x "$shared/tools/azure-emulator" ] || skip "no azure-emulator at $shared/tools"
[ -x "$O/node/node_modules/.bin/azurite-blob" ] || skip "Azurite is not installed (run $shared/tools/install-oracles)"
# The emulator takes three ports from this one up.
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); p=s.getsockname()[1]; print(p if p < 65000 else 40123)')"
started="$("$shared/tools/azure-emulator" start "$port")"
val() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$started"; }
pid="$(val pid)"; account="$(val account)"; key="$(val access_key)"; meta="$(val metadata_host)"
ca="$(val ca_file)"
work="$(mktemp -d)"
stop_emulator() { "$shared/tools/azure-emulator" stop "$pid" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
export SSL_CERT_FILE="$ca" HTTPS_PROXY="$(val https_proxy)" NO_PROXY="$(val no_proxy)" ARM_ACCESS_KEY="$key" TF_IN_AUTOMATION=1
"$shared/tools/azure-emulator" container tfstate "$port" >/dev/null
