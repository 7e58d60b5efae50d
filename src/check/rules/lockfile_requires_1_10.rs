//! ## What it does
//! Finds `use_lockfile = true` in a module whose `required_version` admits a Terraform older than
//! 1.10 (an error), or that declares no `required_version` at all (a warning).
//!
//! ## Why is this bad?
//! `use_lockfile` arrived in Terraform 1.10 (and OpenTofu 1.10). An older binary rejects the
//! argument, so a teammate on 1.9 cannot init at all.
//!
//! ## Example
//! `required_version = ">= 1.5"` with `use_lockfile = true`.
//!
//! ## Use instead
//! `required_version = ">= 1.10"`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "lockfile-requires-1.10",
    Error,
    "use_lockfile while required_version admits Terraform < 1.10",
    "lockfile_requires_1_10.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    let Some(s) = cfg.get("use_lockfile") else {
        return;
    };
    if s.bool() != Some(true) {
        return;
    }
    if cfg.required_versions.is_empty() {
        out.push(s.file.diag(
            RULE.id,
            Severity::Warning,
            s.span.clone(),
            "use_lockfile needs Terraform >= 1.10, but the module declares no required_version",
            Some("add `required_version = \">= 1.10\"` to the terraform block".into()),
        ));
        return;
    }
    if let Some(c) = version::combined(&cfg.required_versions) {
        if c.admits_below((1, 10, 0)) {
            out.push(s.file.diag(
                RULE.id,
                RULE.severity,
                s.span.clone(),
                format!(
                    "use_lockfile needs Terraform >= 1.10, but required_version ({}) admits older releases",
                    cfg.required_versions.join(", ")
                ),
                Some("raise required_version to \">= 1.10\"".into()),
            ));
        }
    }
}
