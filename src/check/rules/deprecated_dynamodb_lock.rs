//! ## What it does
//! Finds `dynamodb_table` in a module whose `required_version` admits Terraform >= 1.11 (or that
//! declares none). `info` while the engine is unknown, a `warning` with `engine = "terraform"`
//! (`[check]` in tfboot.toml or `--engine`), nothing with `engine = "opentofu"`, which does not
//! deprecate the table.
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
    Info,
    "dynamodb_table, which Terraform 1.11+ deprecates",
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
    // Which Terraform runs this module is not in the files (and OpenTofu does not deprecate the
    // table), so this is `info`: it says what Terraform 1.11+ will print.
    let constraint = version::combined(&cfg.required_versions);
    let admits_new = |c: &version::Constraint| {
        [
            (1, 11, 0),
            (1, 11, 4),
            (1, 12, 0),
            (1, 14, 0),
            (1, 20, 0),
            (2, 0, 0),
        ]
        .into_iter()
        .any(|v| c.admits(v))
    };
    if constraint.as_ref().is_some_and(|c| !admits_new(c)) {
        return;
    }
    let only_new = constraint.is_some_and(|c| !c.admits_below((1, 11, 0)));
    let both = cfg.get("use_lockfile").and_then(Setting::bool) == Some(true);
    let help = if both {
        "use_lockfile is on already: once every run uses it, drop dynamodb_table"
    } else {
        "add `use_lockfile = true` (both locks during the migration), then drop dynamodb_table (`tfboot explain migrate-lock`)"
    };
    let message = if only_new {
        "dynamodb_table is deprecated since Terraform 1.11, and required_version admits only >= 1.11: every Terraform run prints a deprecation warning"
    } else {
        "dynamodb_table is deprecated since Terraform 1.11 (OpenTofu keeps it): Terraform 1.11 and later, which required_version admits, print a deprecation warning on every run"
    };
    let mut d = table.file.diag(
        RULE.id,
        Severity::Info,
        table.span.clone(),
        message,
        Some(help.into()),
    );
    // With `engine = "terraform"` a warning; OpenTofu does not deprecate the table.
    d.engine_only = Some(("terraform", Severity::Warning));
    out.push(d);
}
