//! ## What it does
//! Finds the top-level assume-role arguments Terraform 1.10 removed from the s3 backend:
//! `role_arn`, `session_name`, `external_id`, `assume_role_duration_seconds`, `assume_role_policy`,
//! `assume_role_policy_arns`, `assume_role_tags`, `assume_role_transitive_tag_keys`.
//!
//! ## Why is this bad?
//! Terraform >= 1.10 rejects them ("Unsupported argument"). (OpenTofu still accepts them, deprecated.)
//!
//! ## Example
//! `role_arn = "arn:aws:iam::111111111111:role/state"`
//!
//! ## Use instead
//! `assume_role = { role_arn = "arn:aws:iam::111111111111:role/state" }`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "removed-attribute",
    Error,
    "a removed top-level assume-role argument",
    "removed_attribute.rs"
);

const REMOVED: &[(&str, &str)] = &[
    ("role_arn", "assume_role = { role_arn = … }"),
    ("session_name", "assume_role = { session_name = … }"),
    ("external_id", "assume_role = { external_id = … }"),
    (
        "assume_role_duration_seconds",
        "assume_role = { duration = \"1h\" }",
    ),
    ("assume_role_policy", "assume_role = { policy = … }"),
    (
        "assume_role_policy_arns",
        "assume_role = { policy_arns = … }",
    ),
    ("assume_role_tags", "assume_role = { tags = … }"),
    (
        "assume_role_transitive_tag_keys",
        "assume_role = { transitive_tag_keys = … }",
    ),
];

pub fn is_removed(name: &str) -> bool {
    REMOVED.iter().any(|(n, _)| *n == name)
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "gcs" {
        return check_listed(cfg, crate::backend::gcs::check::REMOVED, out);
    }
    if cfg.kind == "azurerm" {
        return check_listed(cfg, crate::backend::azurerm::check::REMOVED, out);
    }
    if cfg.kind != "s3" {
        return;
    }
    for s in &cfg.settings {
        let Some((name, with)) = REMOVED.iter().find(|(n, _)| *n == s.name) else {
            continue;
        };
        let (severity, message) = if super::unknown_attribute::ignored_in_block(cfg, s) {
            (
                Severity::Warning,
                format!("`{name}` was removed in Terraform 1.10: with -backend-config (this module's partial configuration) Terraform ignores it in the .tf block, so the role is never assumed"),
            )
        } else {
            (
                RULE.severity,
                format!("`{name}` was removed in Terraform 1.10: Terraform rejects it (\"Unsupported argument\")"),
            )
        };
        out.push(s.file.diag(
            RULE.id,
            severity,
            s.key_span.clone(),
            message,
            Some(format!("use {with}")),
        ));
    }
}

/// Another backend's removed arguments (gcs: `path`, `project`, `region`; azurerm: `arm_*`,
/// `use_microsoft_graph`), each with what replaces it.
fn check_listed(cfg: &BackendConfig, removed: &[(&str, &str)], out: &mut Vec<Diagnostic>) {
    for s in &cfg.settings {
        let Some((name, why)) = removed.iter().find(|(n, _)| *n == s.name) else {
            continue;
        };
        let (severity, message) = if super::unknown_attribute::ignored_in_block(cfg, s) {
            (
                Severity::Warning,
                format!("`{name}` {why}; with -backend-config (this module's partial configuration) Terraform ignores it in the .tf block"),
            )
        } else {
            (
                RULE.severity,
                format!("`{name}` {why}; Terraform rejects it (\"Unsupported argument\")"),
            )
        };
        out.push(s.file.diag(
            RULE.id,
            severity,
            s.key_span.clone(),
            message,
            Some(match why.rsplit_once(": use ") {
                _ if *name == "path" => {
                    "replace it with prefix (the folder the state goes in)".to_string()
                }
                Some((_, with)) => format!("rename it to {with}"),
                None => format!("delete `{name}`"),
            }),
        ));
    }
}

pub fn is_removed_gcs(name: &str) -> bool {
    crate::backend::gcs::check::REMOVED
        .iter()
        .any(|(n, _)| *n == name)
}

pub fn is_removed_azurerm(name: &str) -> bool {
    crate::backend::azurerm::check::REMOVED
        .iter()
        .any(|(n, _)| *n == name)
}
