//! ## What it does
//! Finds a backend block in a directory that another module in the tree calls as a child module
//! through a local `source = "./…"` / `"../…"`.
//!
//! ## Why is this bad?
//! Terraform ignores backend blocks in child modules (with a warning): whoever wrote it expected
//! state to go somewhere it does not.
//!
//! ## Example
//! `modules/vpc/backend.tf` with `backend "s3" { … }`, called by `live/prod/main.tf`.
//!
//! ## Use instead
//! Configure the backend in the root module that calls it.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "backend-in-module",
    Warning,
    "a backend block in a child module",
    "backend_in_module.rs"
);

pub fn check(module: &Module, callers: &[String], out: &mut Vec<Diagnostic>) {
    if callers.is_empty() {
        return;
    }
    for (file, b) in module.backend_blocks() {
        out.push(file.diag(
            RULE.id,
            RULE.severity,
            header_span(file, b),
            format!(
                "this directory is a child module (called from {}): Terraform ignores its backend block",
                callers.join(", ")
            ),
            Some("configure the backend in the root module instead".into()),
        ));
    }
}
