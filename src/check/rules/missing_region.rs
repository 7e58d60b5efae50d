//! ## What it does
//! Finds an s3 backend without `region`.
//!
//! ## Why is this bad?
//! Terraform then takes the region from `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile, which
//! differs between laptops and CI: the same code looks for its state in different places.
//!
//! ## Example
//! ```hcl
//! backend "s3" {
//!   bucket = "acme-tfstate"
//!   key    = "app/terraform.tfstate"
//! }
//! ```
//!
//! ## Use instead
//! Add `region = "<the bucket's region>"`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "missing-region",
    Warning,
    "an s3 backend without region",
    "missing_region.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "s3" && !cfg.is_unconfigured_partial() && cfg.get("region").is_none() {
        // Without a partial-configuration file, `init` may be given the region; tfboot cannot see.
        let severity = if cfg.completed_at_init() {
            Severity::Info
        } else {
            RULE.severity
        };
        out.push(cfg.diag_block(
            RULE.id,
            severity,
            "s3 backend without `region`: it then depends on AWS_REGION or the profile of whoever runs it",
            Some("set `region` to the state bucket's region".into()),
        ));
    }
}
