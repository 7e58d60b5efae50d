#!/usr/bin/env bash
# The pre-commit hooks in .pre-commit-hooks.yaml, for real: `pre-commit try-repo` builds tfboot the
# way pre-commit users get it (language: rust: `cargo install` from the repository) and runs both
# hooks on a scratch repository. Run by .ci/run. The release profile is switched to a quick build
# (opt-level 0) through cargo's environment, and the build directory is kept under target/, so the
# check costs about a debug build, once.
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
export CARGO_TARGET_DIR="$repo/target/pre-commit-build"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=false
cd "$work"
git init -q . && git config user.email ci@example.invalid && git config user.name ci
mkdir -p good bad
printf 'terraform {\n  required_version = ">= 1.10.0"\n\n  backend "s3" {\n    bucket       = "acme-tfstate"\n    key          = "good/terraform.tfstate"\n    region       = "eu-west-1"\n    encrypt      = true\n    use_lockfile = true\n  }\n}\n' > good/main.tf
printf 'terraform {\n  backend "s3" {\n    bucket = "Bad_Bucket"\n    key    = "bad/terraform.tfstate"\n  }\n}\n' > bad/main.tf
printf '[state]\nbucket = "acme-tfstate"\nregion = "eu-west-1"\nlock = "s3"\n\n[[env]]\nname = "dev"\n' > tfboot.toml
git add -A && git commit -qm scratch

"$repo/target/debug/tfboot" generate > /dev/null 2>&1 || cargo run -q --manifest-path "$repo/Cargo.toml" -- generate > /dev/null
git add -A && git commit -qm generated
# One try-repo run (pre-commit builds tfboot once per run): both hooks over every file.
set +e
"$pc" try-repo "$repo" --all-files > out.log 2>&1
code=$?
set -e
fail() { cat out.log; echo "pre-commit: FAIL: $*"; exit 1; }
[ "$code" = 1 ] || fail "expected exit 1 (the bad module), got $code"
grep -qE '^tfboot check\.+Failed' out.log || fail "tfboot-check did not fail"
grep -q 'invalid-bucket-name' out.log || fail "no invalid-bucket-name finding for bad/main.tf"
grep -q 'good/main.tf' out.log && fail "good/main.tf was reported"
grep -qE '^tfboot generate --check\.+Passed' out.log || fail "tfboot-generate-check did not pass on a current tree"
echo "pre-commit: PASSED (tfboot-check fails the bad module only; tfboot-generate-check passes)"
