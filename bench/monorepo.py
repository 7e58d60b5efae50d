#!/usr/bin/env python3
"""Write a synthetic Terraform monorepo for tfboot's benchmark.

    bench/monorepo.py DIR [ROOTS] [--check-tree]

Layout: live/<account>/<region>/<env>/<component>/main.tf (ROOTS of them, default 10000), each
with a resource and a call to a shared child module under modules/ (which discovery must skip),
plus .terraform/ caches in some roots (which the walk must skip) and a tfboot.toml with [discover].
With --check-tree every root also gets variables.tf, outputs.tf and a backend.tf (4 .tf files per
root: 40,000 for 10,000 roots), the tree `tfboot check` is measured on.
"""
import os
import sys

def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check_tree = "--check-tree" in sys.argv
    out = args[0]
    roots = int(args[1]) if len(args) > 1 else 10000
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tfboot.toml"), "w") as f:
        f.write('[state]\nbucket = "bench-tfstate"\nregion = "eu-west-1"\nlock = "both"\n\n'
                '[discover]\nroots = ["live/**"]\nexclude = ["**/modules/**"]\n')
    for m in range(10):
        d = os.path.join(out, "modules", f"mod{m}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write('variable "name" {\n  type = string\n}\n\nresource "terraform_data" "this" {\n  input = var.name\n}\n')
    accounts, regions, envs = 10, 5, 4
    per = max(1, -(-roots // (accounts * regions * envs)))
    n = 0
    for a in range(accounts):
        for r in range(regions):
            for e in range(envs):
                for c in range(per):
                    if n >= roots:
                        break
                    d = os.path.join(out, "live", f"acct{a:02d}", f"region{r}", f"env{e}", f"comp{c:03d}")
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, "main.tf"), "w") as f:
                        f.write(f'module "svc" {{\n  source = "../../../../../modules/mod{n % 10}"\n  name   = "svc-{n}"\n}}\n\n'
                                f'resource "terraform_data" "marker" {{\n  input = "{n}"\n}}\n')
                    if check_tree:
                        with open(os.path.join(d, "variables.tf"), "w") as f:
                            f.write('variable "env" {\n  type    = string\n  default = "dev"\n}\n\n'
                                    'variable "tags" {\n  type    = map(string)\n  default = {}\n}\n')
                        with open(os.path.join(d, "outputs.tf"), "w") as f:
                            f.write('output "marker" {\n  value = terraform_data.marker.output\n}\n')
                        rel = os.path.relpath(d, out)
                        with open(os.path.join(d, "backend.tf"), "w") as f:
                            f.write('terraform {\n  required_version = ">= 1.10.0"\n\n  backend "s3" {\n'
                                    '    bucket       = "bench-tfstate"\n'
                                    f'    key          = "{rel}/terraform.tfstate"\n'
                                    '    region       = "eu-west-1"\n    encrypt      = true\n'
                                    '    use_lockfile = true\n  }\n}\n')
                    if n % 50 == 0:
                        cache = os.path.join(d, ".terraform", "modules", "svc")
                        os.makedirs(cache, exist_ok=True)
                        with open(os.path.join(cache, "main.tf"), "w") as f:
                            f.write('resource "terraform_data" "cached" {}\n')
                    n += 1
    print(f"wrote {n} root modules under {out}")

if __name__ == "__main__":
    main()
