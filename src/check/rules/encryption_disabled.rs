//! ## What it does
//! Finds an s3 backend on AWS without `encrypt = true` (absent, or `false`). `info` by default;
//! silent for S3-compatible stores (a custom endpoint or path-style addressing), where
//! `encrypt = true` can make uploads fail (MinIO without a KMS refuses them).
//!
//! ## Why is this bad?
//! Less than it used to be: since January 2023 S3 encrypts every new object with SSE-S3, so state
//! is not stored in plain text either way. What is still true: `encrypt = true` makes the
//! encryption a stated policy of the backend rather than a property of the bucket, and a bucket
//! whose default is a KMS key needs `kms_key_id` in the backend too, or Terraform uploads state
//! with SSE-S3 and the key never applies.
//!
//! ## Example
//! `encrypt = false`
//!
//! ## Use instead
//! `encrypt = true`, and `kms_key_id` when the bucket uses a KMS key.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "encryption-disabled",
    Info,
    "an s3 backend on AWS without encrypt = true",
    "encryption_disabled.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" || cfg.is_unconfigured_partial() || cfg.s3_compatible() {
        return;
    }
    match cfg.get("encrypt") {
        None => out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            "s3 backend without `encrypt = true`: the state gets the bucket's default encryption (on AWS, SSE-S3 at least since 2023), not one the backend asks for",
            Some("add `encrypt = true` to make it policy (and `kms_key_id` when the bucket uses a KMS key, or state lands SSE-S3)".into()),
        )),
        Some(s) if s.bool() == Some(false) => out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.span.clone(),
            "`encrypt = false`: Terraform asks for no server-side encryption; on AWS the bucket's default (SSE-S3 at least) still applies",
            Some("set `encrypt = true` (with `kms_key_id` for a KMS-encrypted bucket)".into()),
        )),
        Some(_) => {}
    }
}
