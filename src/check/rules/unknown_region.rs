//! ## What it does
//! Checks an s3 backend's `region` against the AWS regions of every partition (commercial, China,
//! GovCloud, the isolated partitions), from botocore's endpoint data. Silent with
//! `skip_region_validation = true` (how S3-compatible stores such as MinIO, `region = "main"`, are
//! reached).
//!
//! ## Why is this bad?
//! A typo such as `eu-west-9` fails at `init`: Terraform 1.11 rejects a region it does not know
//! ("Invalid region value") unless `skip_region_validation = true`, even with a custom endpoint
//! (checked against Terraform 1.11.4).
//!
//! ## Example
//! `region = "eu-west-9"`
//!
//! ## Use instead
//! `region = "eu-west-1"`; for an S3-compatible store, `skip_region_validation = true`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "unknown-region",
    Error,
    "region is not an AWS region",
    "unknown_region.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" || cfg.is_true("skip_region_validation") {
        return;
    }
    let Some(s) = cfg.get("region") else { return };
    let Some(v) = s.str() else { return };
    if let Err(why) = crate::backend::s3::validate::region(v) {
        let help = cfg.s3_compatible().then(|| {
            "for an S3-compatible store whose region AWS does not know, add `skip_region_validation = true`".to_string()
        });
        out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.value_span(),
            format!("region {v:?}: {why}"),
            help,
        ));
    }
}
