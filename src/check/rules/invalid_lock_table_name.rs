//! ## What it does
//! Checks `dynamodb_table` against DynamoDB's naming rules: 3–255 characters of `[A-Za-z0-9_.-]`.
//!
//! ## Why is this bad?
//! No such table can exist, so every state lock attempt fails.
//!
//! ## Example
//! `dynamodb_table = "tf lock"`
//!
//! ## Use instead
//! `dynamodb_table = "tf-lock"`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-lock-table-name",
    Error,
    "dynamodb_table breaks DynamoDB naming"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    if let Some(s) = cfg.get("dynamodb_table") {
        if let Some(v) = s.str().filter(|v| !v.is_empty()) {
            if let Err(rule) = crate::validate::table_name(v) {
                out.push(s.file.diag(
                    RULE.id,
                    RULE.severity,
                    s.value_span(),
                    format!("dynamodb_table {v:?}: {rule}"),
                    None,
                ));
            }
        }
    }
}
