//! ## What it does
//! Checks `key`: not empty, not starting or ending with `/`, no `//`; and `workspace_key_prefix`:
//! not starting or ending with `/`. For gcs, a `prefix` with `//`, `.` or `..` segments (a
//! warning: Terraform accepts it).
//!
//! ## Why is this bad?
//! Terraform's S3 backend rejects such keys at `init`. The gcs backend cleans the state's path
//! (`envs//dev` becomes `envs/dev/default.tfstate`) but lists workspaces under the prefix as
//! written, so `terraform workspace list` finds none of them.
//!
//! For consul, `path`: empty (an error: the first write fails), or a shape Terraform accepts but
//! that does not work as written (a warning): a leading `/` (Consul's client drops it), a trailing
//! `/` (the lock at `<path>/.lock` is shared with the path without it), `-env:` (where Terraform
//! keeps workspaces: `<path>-env:<workspace>`), `//`, `.` or `..` segments.
//!
//! ## Example
//! `key = "/prod//app/terraform.tfstate"`
//!
//! ## Use instead
//! `key = "prod/app/terraform.tfstate"`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-state-key",
    Error,
    "key or workspace_key_prefix has a shape Terraform rejects (gcs prefix, consul path: one that does not work as written)",
    "invalid_state_key.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "consul" {
        if let Some(s) = cfg.get("path") {
            if let Some(v) = s.str() {
                if let Some(problem) = crate::backend::consul::check::path_problem(v) {
                    let severity = if v.is_empty() {
                        RULE.severity
                    } else {
                        Severity::Warning
                    };
                    out.push(s.file.diag(
                        RULE.id,
                        severity,
                        s.value_span(),
                        format!("path {v:?}: {problem}"),
                        Some("use a path of plain segments, e.g. \"tfstate/<root dir>\"".into()),
                    ));
                }
            }
        }
        return;
    }
    if cfg.kind == "gcs" {
        if let Some(s) = cfg.get("prefix") {
            if let Some(problem) = s.str().and_then(crate::backend::gcs::check::prefix_problem) {
                // Terraform accepts it and the state is safe: a warning, not an error.
                out.push(s.file.diag(
                    RULE.id,
                    Severity::Warning,
                    s.value_span(),
                    format!("prefix {:?}: {problem}", s.str().unwrap_or_default()),
                    Some(format!(
                        "write it as {:?}",
                        crate::backend::gcs::check::effective_prefix(s.str().unwrap_or_default())
                    )),
                ));
            }
        }
        return;
    }
    if !matches!(cfg.kind.as_str(), "s3" | "azurerm" | "cos" | "oss") {
        return;
    }
    if let Some(s) = cfg.get("key") {
        if let Some(v) = s.str() {
            let problem = if v.is_empty() {
                Some("must not be empty")
            } else if v.starts_with('/') || v.ends_with('/') {
                Some("must not start or end with '/'")
            } else if v.contains("//") {
                Some("must not contain '//'")
            } else {
                None
            };
            if let Some(p) = problem {
                out.push(s.file.diag(
                    RULE.id,
                    RULE.severity,
                    s.value_span(),
                    format!("key {v:?} {p}"),
                    None,
                ));
            }
        }
    }
    if let Some(s) = cfg.get("workspace_key_prefix") {
        if let Some(v) = s.str() {
            if v.starts_with('/') || v.ends_with('/') {
                out.push(s.file.diag(
                    RULE.id,
                    RULE.severity,
                    s.value_span(),
                    format!("workspace_key_prefix {v:?} must not start or end with '/'"),
                    None,
                ));
            }
        }
    }
}
