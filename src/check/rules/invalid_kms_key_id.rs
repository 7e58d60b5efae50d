//! ## What it does
//! Checks `kms_key_id` the way Terraform does: a key id that is a UUID in RFC 4122 form (version
//! digit 1–5, variant 8/9/a/b: the AWS docs' example `1234abcd-12ab-34cd-56ef-1234567890ab` fails),
//! `mrk-` + 32 hex, `alias/[A-Za-z0-9/_-]+`, or an ARN whose resource is `key/<id>` or
//! `alias/<name>`.
//!
//! ## Why is this bad?
//! Terraform rejects anything else at `init`.
//!
//! ## Example
//! `kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"`
//!
//! ## Use instead
//! The key's ARN, or `alias/<name>`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-kms-key-id",
    Error,
    "kms_key_id fails Terraform's own check",
    "invalid_kms_key_id.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "s3" {
        cfg.check_literal(
            "kms_key_id",
            &RULE,
            crate::backend::s3::validate::kms_key_id,
            out,
        );
    }
}
