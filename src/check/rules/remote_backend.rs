//! ## What it does
//! Finds `backend "remote"` and shows the `cloud` block that replaces it.
//!
//! ## Why is this bad?
//! Nothing is broken: the remote backend still works. But since Terraform 1.1 the `cloud` block is
//! how a configuration reaches HCP Terraform or Terraform Enterprise: it selects workspaces by
//! tags, can name a project (Terraform 1.6), reads `TF_CLOUD_ORGANIZATION` and friends, and gets
//! the platform's new features; the remote backend gets none of them.
//!
//! ## Example
//! ```hcl
//! backend "remote" {
//!   organization = "acme"
//!   workspaces {
//!     name = "acme-prod"
//!   }
//! }
//! ```
//!
//! ## Use instead
//! ```hcl
//! cloud {
//!   organization = "acme"
//!   workspaces {
//!     name = "acme-prod"
//!   }
//! }
//! ```
//! then `terraform init` (it recognises the workspace). A `prefix` has no `cloud` equivalent: tag
//! the workspaces and select them with `tags`.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "remote-backend",
    Info,
    "backend \"remote\": the cloud block replaces it (Terraform >= 1.1)",
    "remote_backend.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "remote" {
        return;
    }
    let lit = |name: &str| cfg.str(name).map(|v| format!("{name} = {v:?}"));
    let mut parts: Vec<String> = ["organization", "hostname"]
        .iter()
        .filter_map(|n| lit(n))
        .collect();
    let ws = cfg
        .block
        .body
        .blocks()
        .find(|b| b.ident.as_str() == "workspaces");
    let ws_attr = |n: &str| {
        ws.and_then(|w| w.body.attributes().find(|a| a.key.as_str() == n))
            .map(|a| a.value.to_string().trim().to_string())
    };
    let mut note = String::new();
    if let Some(name) = ws_attr("name") {
        parts.push(format!("workspaces {{ name = {name} }}"));
    } else if let Some(prefix) = ws_attr("prefix") {
        parts.push("workspaces { tags = [\"<tag>\"] }".into());
        note = format!(
            "; the cloud block has no prefix: tag the workspaces named {}* and select them by that tag", prefix.trim_matches('"')
        );
    }
    out.push(cfg.diag_block(
        RULE.id,
        RULE.severity,
        "backend \"remote\": since Terraform 1.1 the `cloud` block reaches HCP Terraform / Terraform Enterprise, with tags, projects and TF_CLOUD_* settings the remote backend lacks",
        Some(format!(
            "replace it with `cloud {{ {} }}` and run `terraform init`{note}",
            parts.join(" ")
        )),
    ));
}
