//! ## What it does
//! Finds a root module (one with a backend) that declares `required_providers` but has no
//! `.terraform.lock.hcl`.
//!
//! ## Why is this bad?
//! This is the *dependency* lock, not the state lock. Without it every `init` may pick a different
//! provider version, so CI and laptops plan with different code.
//!
//! ## Example
//! `live/prod/app/` with `required_providers { aws = … }` and no `.terraform.lock.hcl`.
//!
//! ## Use instead
//! Run `terraform init` (or `terraform providers lock`) and commit `.terraform.lock.hcl`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "missing-dependency-lock",
    Warning,
    "a root module with required_providers but no .terraform.lock.hcl",
    "missing_dependency_lock.rs"
);

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    if module.lock.is_some()
        || super::dependency_lock_mismatch::required_providers(module).is_empty()
    {
        return;
    }
    if let Some((file, b)) = module.backend_blocks().first() {
        out.push(file.diag(
            RULE.id,
            RULE.severity,
            header_span(file, b),
            "no .terraform.lock.hcl (the dependency lock) beside this root module: provider versions can drift between runs",
            Some("run `terraform init` and commit .terraform.lock.hcl".into()),
        ));
    }
}
