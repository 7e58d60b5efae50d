//! ## What it does
//! Finds an s3 backend with neither `dynamodb_table` nor `use_lockfile = true` (an empty string
//! counts as absent), and a consul backend with `lock = false`.
//!
//! ## Why is this bad?
//! This is about the *state* lock (not `.terraform.lock.hcl`, the dependency lock). Without it two
//! `terraform apply` runs can write the same state at once and one silently loses its changes.
//!
//! ## Example
//! ```hcl
//! backend "s3" {
//!   bucket = "acme-tfstate"
//!   key    = "app/terraform.tfstate"
//!   region = "eu-west-1"
//! }
//! ```
//!
//! ## Use instead
//! `use_lockfile = true` (Terraform / OpenTofu >= 1.10), or `dynamodb_table = "<table>"`, or both
//! while migrating. For consul, `lock = true` (the default): Terraform then holds a Consul session
//! on `<path>/.lock` while it writes.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "no-state-locking",
    Error,
    "an s3 backend without a state lock, or consul with lock = false",
    "no_state_locking.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind == "consul" {
        if let Some(s) = cfg.get("lock") {
            if s.bool() == Some(false) {
                out.push(s.file.diag(
                    RULE.id,
                    RULE.severity,
                    s.value_span(),
                    "consul backend with lock = false: two concurrent applies can overwrite each other's state",
                    Some("remove `lock = false` (the consul backend locks by default) or set `lock = true`".into()),
                ));
            }
        }
        return;
    }
    if cfg.kind != "s3" || cfg.is_unconfigured_partial() {
        return;
    }
    let table = cfg.get("dynamodb_table");
    let lockfile = cfg.get("use_lockfile");
    // A non-literal value is dynamic-backend-value's business.
    let dynamic = |s: Option<&Setting>| s.is_some_and(|s| s.str().is_none() && s.bool().is_none());
    if dynamic(table) || dynamic(lockfile) {
        return;
    }
    let has_table = table.and_then(Setting::str).is_some_and(|t| !t.is_empty());
    let has_lockfile = lockfile.and_then(Setting::bool) == Some(true);
    if !has_table && !has_lockfile {
        out.push(cfg.diag_block(
            RULE.id,
            RULE.severity,
            "s3 backend without state locking: two concurrent applies can overwrite each other's state",
            Some("add `use_lockfile = true` (Terraform/OpenTofu >= 1.10) or `dynamodb_table = \"<table>\"`".into()),
        ));
    }
}
