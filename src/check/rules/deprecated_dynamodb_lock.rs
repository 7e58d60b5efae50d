//! ## What it does
//! Finds `dynamodb_table` in a module whose `required_version` admits only Terraform >= 1.11.
//!
//! ## Why is this bad?
//! Terraform 1.11 made S3-native locking (`use_lockfile`) generally available and deprecated
//! `dynamodb_table`; it warns on every run and will remove it. (OpenTofu does not deprecate it.)
//!
//! ## Example
//! `required_version = ">= 1.11"` with `dynamodb_table = "acme-tfstate-lock"` and no `use_lockfile`.
//!
//! ## Use instead
//! `use_lockfile = true`; during the migration keep both, then drop `dynamodb_table`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "deprecated-dynamodb-lock",
    Warning,
    "dynamodb_table where only Terraform >= 1.11 runs",
    "deprecated_dynamodb_lock.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    let Some(table) = cfg.get("dynamodb_table") else {
        return;
    };
    if table.str().is_some_and(str::is_empty) {
        return;
    }
    let Some(c) = version::combined(&cfg.required_versions) else {
        return;
    };
    if !c.admits_below((1, 11, 0)) {
        let both = cfg.get("use_lockfile").and_then(Setting::bool) == Some(true);
        let help = if both {
            "use_lockfile is on already: once every run uses it, drop dynamodb_table"
        } else {
            "add `use_lockfile = true` (both locks during the migration), then drop dynamodb_table"
        };
        out.push(table.file.diag(
            RULE.id,
            RULE.severity,
            table.span.clone(),
            "dynamodb_table is deprecated since Terraform 1.11, and required_version admits only >= 1.11",
            Some(help.into()),
        ));
    }
}
