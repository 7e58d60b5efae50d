//! ## What it does
//! Checks an s3 backend's `region` against the AWS regions of every partition (commercial, China,
//! GovCloud, the isolated partitions), from botocore's endpoint data.
//!
//! ## Why is this bad?
//! A typo such as `eu-west-9` fails at `init`, or with `skip_region_validation` talks to an endpoint
//! that does not exist.
//!
//! ## Example
//! `region = "eu-west-9"`
//!
//! ## Use instead
//! `region = "eu-west-1"`
use super::prelude::*;

pub const RULE: Rule = rule!("unknown-region", Error, "region is not an AWS region");

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    if let Some(s) = cfg.get("region") {
        if let Some(v) = s.str() {
            if let Err(rule) = crate::validate::region(v) {
                out.push(s.file.diag(
                    RULE.id,
                    RULE.severity,
                    s.value_span(),
                    format!("region {v:?}: {rule}"),
                    None,
                ));
            }
        }
    }
}
