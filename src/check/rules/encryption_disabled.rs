//! ## What it does
//! Finds an s3 backend with `encrypt` absent or false.
//!
//! ## Why is this bad?
//! Terraform then uploads state without asking for server-side encryption; state holds secrets
//! (database passwords, private keys) in plain text.
//!
//! ## Example
//! `encrypt = false`
//!
//! ## Use instead
//! `encrypt = true`, and `kms_key_id` when the bucket uses a KMS key (else state is stored SSE-S3).
use super::prelude::*;

pub const RULE: Rule = rule!(
    "encryption-disabled",
    Warning,
    "an s3 backend without encrypt = true",
    "encryption_disabled.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" || cfg.is_unconfigured_partial() {
        return;
    }
    match cfg.get("encrypt") {
        None => out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            "s3 backend without `encrypt = true`",
            Some("add `encrypt = true` (and `kms_key_id` for a KMS-encrypted bucket)".into()),
        )),
        Some(s) if s.bool() == Some(false) => out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.span.clone(),
            "`encrypt = false`: state is uploaded without server-side encryption",
            Some("set `encrypt = true`".into()),
        )),
        Some(_) => {}
    }
}
