//! ## What it does
//! Finds s3 backend arguments that exclude each other: `kms_key_id` + `sse_customer_key`,
//! `force_path_style` + `use_path_style`, `allowed_account_ids` + `forbidden_account_ids`,
//! `shared_credentials_file` + `shared_credentials_files`; gcs `encryption_key` +
//! `kms_encryption_key`.
//!
//! ## Why is this bad?
//! Terraform refuses the combination at `init`.
//!
//! ## Example
//! `kms_key_id = "alias/state"` together with `sse_customer_key = "…"`.
//!
//! ## Use instead
//! Keep one of the two.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "conflicting-attributes",
    Error,
    "two backend arguments that exclude each other",
    "conflicting_attributes.rs"
);

const PAIRS: &[(&str, &str)] = &[
    ("kms_key_id", "sse_customer_key"),
    ("force_path_style", "use_path_style"),
    ("allowed_account_ids", "forbidden_account_ids"),
    ("shared_credentials_file", "shared_credentials_files"),
];

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let pairs = match cfg.kind.as_str() {
        "s3" => PAIRS,
        "gcs" => crate::backend::gcs::check::CONFLICTS,
        _ => return,
    };
    for (a, b) in pairs {
        if let (Some(_), Some(second)) = (cfg.get(a), cfg.get(b)) {
            out.push(second.file.diag(
                RULE.id,
                RULE.severity,
                second.key_span.clone(),
                format!("`{b}` conflicts with `{a}`: Terraform accepts only one of them"),
                Some(format!("remove `{a}` or `{b}`")),
            ));
        }
    }
}
