#!/usr/bin/env bash
# Prepares target/judge/: judge-tf and provider_schema_check.py from ../shared/tools, with their
# schema data plus the consul and tfe provider schemas, extracted (by the same
# provider_schema_extract.py) from the CDK-for-Terraform bindings on PyPI. Then
# `target/judge/judge-tf DIR` checks consul_* and tfe_* blocks against those schemas too.
# Prints the directory. Needs install-oracles to have run (for its python).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/tools
out=target/judge
O="${ORACLES_HOME:-$HOME/.local/share/tfboot-oracles}/bin"
mkdir -p "$out/data" "$out/wheels"
cp "$shared/judge-tf" "$out/"
# The checker names the providers it judges; add the two whose schemas are added below.
sed 's/("aws", "google", "azurerm")/("aws", "google", "azurerm", "consul", "tfe")/g' \
  "$shared/provider_schema_check.py" > "$out/provider_schema_check.py"
grep -q '"consul", "tfe"' "$out/provider_schema_check.py" || { echo "judge-tools: provider_schema_check.py changed; update this script" >&2; exit 1; }
for f in "$shared"/data/*-provider-schema.json; do
  ln -sf "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$out/data/"
done
# package==version -> schema file; the versions say which provider release the bindings wrap.
while read -r pkg file; do
  [ -s "$out/data/$file" ] && continue
  "$O/python" -m pip download --quiet --no-deps -d "$out/wheels" "$pkg" >&2
  whl="$(ls "$out"/wheels/"$(echo "${pkg%%==*}" | tr - _)"-*.whl | head -n 1)"
  "$O/python" "$shared/provider_schema_extract.py" "$whl" "$out/data/$file" >&2
done <<'LIST'
cdktf-cdktf-provider-consul==10.1.2 consul-provider-schema.json
cdktf-cdktf-provider-tfe==12.5.1 tfe-provider-schema.json
LIST
echo "$out"
