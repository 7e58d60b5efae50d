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

pub const RULE: Rule = rule!(
    "unknown-region",
    Error,
    "region is not an AWS region",
    "unknown_region.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "s3" {
        cfg.check_literal("region", &RULE, crate::validate::region, out);
    }
}
