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
    "dynamodb_table breaks DynamoDB naming",
    "invalid_lock_table_name.rs"
);

/// An empty string means "no table" (no-state-locking's business), not a bad name.
fn table_name(v: &str) -> Result<(), String> {
    if v.is_empty() {
        Ok(())
    } else {
        crate::backend::s3::validate::table_name(v)
    }
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "s3" {
        cfg.check_literal("dynamodb_table", &RULE, table_name, out);
    }
}
