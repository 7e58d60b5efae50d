//! ## What it does
//! Finds a `*.tfbackend` file in a directory whose module declares no backend block.
//!
//! ## Why is this bad?
//! `terraform init -backend-config=<file>` with it has nothing to configure: the settings are
//! silently unused (or init fails), and state stays wherever it was.
//!
//! ## Example
//! `prod.s3.tfbackend` beside `main.tf` that has no `terraform { backend "s3" {} }`.
//!
//! ## Use instead
//! Add `terraform { backend "s3" {} }` to the module, or delete the file.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "orphan-tfbackend",
    Warning,
    "a .tfbackend file beside a module without a backend block",
    "orphan_tfbackend.rs"
);

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    if module.tf.is_empty() || !module.backend_blocks().is_empty() {
        return;
    }
    for f in &module.tfbackend {
        let end = f.text.lines().next().map_or(0, str::len);
        out.push(f.diag(
            RULE.id,
            RULE.severity,
            0..end,
            "partial backend configuration for a module that declares no backend block",
            Some("add `terraform { backend \"s3\" {} }` to the module, or remove this file".into()),
        ));
    }
}
