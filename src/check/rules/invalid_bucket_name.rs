//! ## What it does
//! Checks an s3 backend's `bucket` against the S3 bucket naming rules: 3–63 characters of
//! `[a-z0-9.-]`, starting and ending with a letter or digit, no `..`, not an IP address, none of
//! the reserved prefixes (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffixes (`-s3alias`, `--ol-s3`,
//! `.mrap`, `--x-s3`, `--table-s3`).
//!
//! ## Why is this bad?
//! No such bucket can exist, so `init` fails, typically only once the pipeline reaches this module.
//!
//! ## Example
//! `bucket = "Acme_TFState"`
//!
//! ## Use instead
//! `bucket = "acme-tfstate"`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-bucket-name",
    Error,
    "an s3 bucket name breaks the S3 naming rules",
    "invalid_bucket_name.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "s3" {
        cfg.check_literal(
            "bucket",
            &RULE,
            crate::backend::s3::validate::bucket_name,
            out,
        );
    }
}
