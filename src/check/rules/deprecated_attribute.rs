//! ## What it does
//! Finds s3 backend arguments Terraform 1.6 deprecated: `endpoint`, `iam_endpoint`,
//! `sts_endpoint`, `dynamodb_endpoint`, `force_path_style`, `shared_credentials_file`.
//!
//! ## Why is this bad?
//! They still work with a warning on every run, and will be removed.
//!
//! ## Example
//! `endpoint = "https://s3.example.com"`
//!
//! ## Use instead
//! `endpoints = { s3 = "https://s3.example.com" }`; `use_path_style`; `shared_credentials_files`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "deprecated-attribute",
    Warning,
    "a deprecated s3 backend argument",
    "deprecated_attribute.rs"
);

const REPLACEMENTS: &[(&str, &str)] = &[
    ("endpoint", "endpoints = { s3 = \"…\" }"),
    ("iam_endpoint", "endpoints = { iam = \"…\" }"),
    ("sts_endpoint", "endpoints = { sts = \"…\" }"),
    (
        "dynamodb_endpoint",
        "endpoints = { dynamodb = \"…\" } (or drop DynamoDB for use_lockfile)",
    ),
    ("force_path_style", "use_path_style"),
    (
        "shared_credentials_file",
        "shared_credentials_files = [\"…\"]",
    ),
];

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    flag_replaced(
        &RULE,
        REPLACEMENTS,
        |name| format!("`{name}` is deprecated since Terraform 1.6"),
        cfg,
        out,
    );
}
