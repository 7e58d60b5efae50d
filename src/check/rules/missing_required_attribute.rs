//! ## What it does
//! Finds a backend without the settings it cannot work without: s3 `bucket` and `key`; gcs
//! `bucket`; azurerm `storage_account_name`, `container_name` and `key`; consul `path`; a `cloud`
//! block's `organization` and `workspaces`.
//!
//! ## Why is this bad?
//! `terraform init` stops and asks for them, which fails in CI. An empty `backend "s3" {}` is fine:
//! that is partial configuration, completed at `init` (a `.tfbackend` beside it is checked merged).
//!
//! ## Example
//! ```hcl
//! backend "s3" {
//!   bucket = "acme-tfstate"
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! backend "s3" {
//!   bucket = "acme-tfstate"
//!   key    = "prod/app/terraform.tfstate"
//! }
//! ```
use super::prelude::*;

pub const RULE: Rule = rule!(
    "missing-required-attribute",
    Error,
    "a backend lacks a setting it needs",
    "missing_required_attribute.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.is_unconfigured_partial() {
        return;
    }
    let required: &[&str] = match cfg.kind.as_str() {
        "s3" => &["bucket", "key"],
        "gcs" => &["bucket"],
        "azurerm" => &["storage_account_name", "container_name", "key"],
        "consul" => &["path"],
        "cloud" => &["organization", "workspaces"],
        _ => &[],
    };
    let present = |name: &str| {
        cfg.get(name).is_some() || cfg.block.body.blocks().any(|b| b.ident.as_str() == name)
    };
    let missing: Vec<&str> = required.iter().copied().filter(|n| !present(n)).collect();
    if !missing.is_empty() {
        let what = if cfg.kind == "cloud" {
            "cloud block".to_string()
        } else {
            format!("{} backend", cfg.kind)
        };
        out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            format!(
                    "{what} lacks {}",
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            Some(format!(
                "set {} here or in a -backend-config file",
                missing.join(", ")
            )),
        ));
    }
}
