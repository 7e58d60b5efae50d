#!/usr/bin/env bash
# The pre-commit hooks in .pre-commit-hooks.yaml, for real: `pre-commit try-repo` builds tfboot the
# way pre-commit users get it (language: rust) and runs both hooks on a scratch repository.
# Installs pre-commit from PyPI into target/pre-commit. Exit 0: passed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/target/pre-commit"
if ! "$venv/bin/pre-commit" --version >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pre-commit
fi
pc="$venv/bin/pre-commit"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$repo/target/pre-commit-cache"
cd "$work"
git init -q . && git config user.email ci@example.invalid && git config user.name ci
mkdir -p good bad
printf 'terraform {\n  required_version = ">= 1.10.0"\n\n  backend "s3" {\n    bucket       = "acme-tfstate"\n    key          = "good/terraform.tfstate"\n    region       = "eu-west-1"\n    encrypt      = true\n    use_lockfile = true\n  }\n}\n' > good/main.tf
printf 'terraform {\n  backend "s3" {\n    bucket = "Bad_Bucket"\n    key    = "bad/terraform.tfstate"\n  }\n}\n' > bad/main.tf
printf '[state]\nbucket = "acme-tfstate"\nregion = "eu-west-1"\nlock = "s3"\n\n[[env]]\nname = "dev"\n' > tfboot.toml
git add -A && git commit -qm scratch

expect() { # expected-exit description command...
  local want="$1" what="$2"; shift 2
  set +e; "$@" > out.log 2>&1; local got=$?; set -e
  if { [ "$want" = 0 ] && [ "$got" != 0 ]; } || { [ "$want" != 0 ] && [ "$got" = 0 ]; }; then
    cat out.log; echo "pre-commit: FAIL: $what (exit $got)"; exit 1
  fi
  echo "pre-commit: ok: $what"
}
expect 0 "tfboot-check passes a good module" "$pc" try-repo "$repo" tfboot-check --files good/main.tf
expect 1 "tfboot-check fails a bad module" "$pc" try-repo "$repo" tfboot-check --files bad/main.tf
grep -q "invalid-bucket-name" out.log || { cat out.log; echo "pre-commit: FAIL: no invalid-bucket-name finding"; exit 1; }
expect 1 "tfboot-generate-check fails before generate" "$pc" try-repo "$repo" tfboot-generate-check --files tfboot.toml
"$repo/target/debug/tfboot" generate > /dev/null 2>&1 || cargo run -q --manifest-path "$repo/Cargo.toml" -- generate > /dev/null
git add -A && git commit -qm generated
expect 0 "tfboot-generate-check passes once generated" "$pc" try-repo "$repo" tfboot-generate-check --files tfboot.toml
echo "pre-commit: PASSED"
