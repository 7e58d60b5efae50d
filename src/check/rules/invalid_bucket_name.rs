//! ## What it does
//! Checks an s3 backend's `bucket` against the S3 bucket naming rules: 3–63 characters of
//! `[a-z0-9.-]`, starting and ending with a letter or digit, no `..`, not an IP address, none of
//! the reserved prefixes (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffixes (`-s3alias`, `--ol-s3`,
//! `.mrap`, `--x-s3`, `--table-s3`). A gcs backend's `bucket` against Cloud Storage's: 3–63
//! characters of `[a-z0-9_.-]` (up to 222 with dots, each part at most 63), starting and ending
//! with a letter or digit, not an IP address, not starting with `goog`, no `google` or look-alike.
//! An azurerm backend's `storage_account_name` (3–24 lowercase letters and digits) and
//! `container_name` (3–63 lowercase letters, digits and `-`, no `--`, starting and ending with a
//! letter or digit).
//!
//! Placeholders meant to be replaced (`UPDATE_ME`, `<bucket>`) are left alone.
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
    "a bucket, storage account or container name breaks its service's naming rules",
    "invalid_bucket_name.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "azurerm" {
        use crate::backend::azurerm::validate;
        for (name, rule) in [
            (
                "storage_account_name",
                validate::storage_account as fn(&str) -> Result<(), String>,
            ),
            ("container_name", validate::container),
        ] {
            let placeholder = cfg
                .get(name)
                .and_then(|s| s.str())
                .is_some_and(super::state_key_collision::is_placeholder);
            if !placeholder {
                cfg.check_literal(name, &RULE, rule, out);
            }
        }
        return;
    }
    let rule = match cfg.kind.as_str() {
        "s3" => crate::backend::s3::validate::bucket_name,
        "gcs" => crate::backend::gcs::validate::bucket_name,
        _ => return,
    };
    // A placeholder (`UPDATE_ME`, `<bucket>`) in a template is no bucket name yet.
    if cfg
        .get("bucket")
        .and_then(|s| s.str())
        .is_some_and(super::state_key_collision::is_placeholder)
    {
        return;
    }
    cfg.check_literal("bucket", &RULE, rule, out);
}
