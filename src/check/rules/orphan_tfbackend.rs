//! ## What it does
//! Finds a partial backend configuration in a directory whose module declares no backend block:
//! a `*.tfbackend` file, or a file named the way real repositories name `-backend-config` files
//! (`*.backend`, `backend.hcl`, `<env>.hcl`, `backend*.conf`, `backend*.tfvars`) that holds only
//! backend arguments. The advice names the backend type those arguments belong to.
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
    "a partial backend configuration beside a module without a backend block",
    "orphan_tfbackend.rs"
);

/// The backend type a partial configuration's arguments belong to: the first of the common types
/// that knows every one of them (a file with `prefix` is gcs, not s3).
pub fn kind_of(file: &SourceFile) -> Option<&'static str> {
    let body = file.body.as_ref()?;
    let names: Vec<&str> = body.attributes().map(|a| a.key.as_str()).collect();
    [
        "s3",
        "gcs",
        "azurerm",
        "consul",
        "http",
        "pg",
        "kubernetes",
        "oss",
        "cos",
        "remote",
    ]
    .into_iter()
    .find(|k| schema::accepts_all(k, &names))
}

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    if module.tf.is_empty() || !module.backend_blocks().is_empty() {
        return;
    }
    for f in &module.tfbackend {
        let end = f.text.lines().next().map_or(0, str::len);
        let kind = kind_of(f).unwrap_or("s3");
        out.push(f.diag(
            RULE.id,
            RULE.severity,
            0..end,
            format!("partial backend configuration ({kind} arguments) for a module that declares no backend block: `terraform init -backend-config` has nothing to complete"),
            Some(format!("add `terraform {{ backend \"{kind}\" {{}} }}` to the module, or remove this file")),
        ));
    }
}
