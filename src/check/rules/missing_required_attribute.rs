//! ## What it does
//! Finds a backend without the settings it cannot work without: s3 `bucket` and `key`; gcs
//! `bucket`; azurerm `storage_account_name`, `container_name` and `key`; consul `path`; remote
//! and a `cloud` block's `organization` and `workspaces`.
//!
//! ## Why is this bad?
//! `terraform init` stops and asks for them, which fails in CI. Partial configuration is any
//! subset of a backend's arguments, not only an empty block: what the block lacks may come from
//! `-backend-config` (a file or `key=value`) or the environment at `init`. So:
//! - with a partial-configuration file beside the module (`*.tfbackend`), each merged
//!   alternative must be complete: `error`, on that file;
//! - without one, tfboot cannot see what `init` will be given: `info`;
//! - a `cloud` block takes no `-backend-config`; its `organization` may come from
//!   `TF_CLOUD_ORGANIZATION` and `workspaces` from `TF_WORKSPACE`: `info`.
//!
//! ## Example
//! `prod.s3.tfbackend` holds only `region = "eu-west-1"`, beside
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
        "remote" => &["organization", "workspaces"],
        _ => &[],
    };
    let present = |name: &str| {
        cfg.get(name).is_some() || cfg.block.body.blocks().any(|b| b.ident.as_str() == name)
    };
    let missing: Vec<&str> = required.iter().copied().filter(|n| !present(n)).collect();
    if missing.is_empty() {
        return;
    }
    let list = missing
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if cfg.kind == "cloud" {
        let env: Vec<&str> = missing
            .iter()
            .map(|m| match *m {
                "organization" => "TF_CLOUD_ORGANIZATION",
                _ => "TF_WORKSPACE",
            })
            .collect();
        out.push(cfg.diag_block(
            RULE.id,
            Severity::Info,
            format!(
                "cloud block without {list}: `terraform init` then reads {} from the environment, and fails without it",
                env.join(" and ")
            ),
            Some(format!(
                "set {} in the block, or export {} where Terraform runs",
                missing.join(", "),
                env.join(" / ")
            )),
        ));
        return;
    }
    let what = format!("{} backend", cfg.kind);
    if cfg.completed_at_init() {
        out.push(cfg.diag_block(
            RULE.id,
            Severity::Info,
            format!(
                "{what} without {list}: partial configuration, which `terraform init` must complete (-backend-config FILE or key=value)"
            ),
            Some(format!(
                "nothing to do if init gets {} from -backend-config; a partial-configuration file beside the module (`<env>.{}.tfbackend`) lets tfboot check the merged result",
                missing.join(", "),
                cfg.kind
            )),
        ));
    } else {
        out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            format!("{what} lacks {list}"),
            Some(format!(
                "set {} in this file or in the backend block",
                missing.join(", ")
            )),
        ));
    }
}
