# Sourced by the e2e scripts against fake-gcs-server (gcs.sh, adopt-gcs.sh): the tools they need
# (exit 77 when one is missing), Terraform's offline provider mirror, and the emulator on a free
# loopback port. Needs `repo` and `label` (the script's name in messages); sets `shared`,
# `tfboot`, `tf`, `O`, `py`, `port`, `endpoint`, `pid` and `work` (a scratch directory), and
# `stop_emulator`, which stops the emulator and removes `work`, for the script's own trap.
# shellcheck source=tests/e2e/common.sh
. "$repo/tests/e2e/common.sh"
[ -x "$shared/tools/gcs-emulator" ] || skip "no gcs-emulator at $shared/tools"
[ -x "$O/bin/fake-gcs-server" ] || skip "fake-gcs-server is not installed (run $shared/tools/install-oracles)"
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
started="$("$shared/tools/gcs-emulator" start "$port")"
endpoint="$(sed -n 's/.*endpoint=\([^ ]*\).*/\1/p' <<<"$started")"
pid="$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' <<<"$started")"
work="$(mktemp -d)"
stop_emulator() { "$shared/tools/gcs-emulator" stop "$pid" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
export TF_IN_AUTOMATION=1
