//! ## What it does
//! Finds `backend "local"`.
//!
//! ## Why is this bad?
//! The state lives on one disk: it is not shared with the team or CI, and its lock only works
//! between processes on that one machine.
//!
//! ## Example
//! `terraform { backend "local" {} }`
//!
//! ## Use instead
//! A backend with a lock shared by the team, which `tfboot init` / `tfboot bootstrap` set up: `s3` with
//! `use_lockfile = true`, `gcs`, `azurerm`, `consul`, or HCP Terraform's `cloud` block.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "local-backend",
    Warning,
    "backend \"local\": no locking across machines",
    "local_backend.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "local" {
        out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            "local backend: the state is not shared and not locked across machines",
            Some("move the state to a backend the team shares and locks: s3 (use_lockfile = true), gcs, azurerm, consul or cloud (HCP Terraform); `tfboot init --backend <name>` sets one up".into()),
        ));
    }
}
