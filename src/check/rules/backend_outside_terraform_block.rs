//! ## What it does
//! Finds a `backend` or `cloud` block at the top level of a `.tf` file instead of inside
//! `terraform { … }`.
//!
//! ## Why is this bad?
//! Terraform rejects it ("Unsupported block type"), and until that is fixed the state stays local.
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
//! terraform {
//!   backend "s3" {
//!     bucket = "acme-tfstate"
//!   }
//! }
//! ```
use super::prelude::*;

pub const RULE: Rule = rule!(
    "backend-outside-terraform-block",
    Error,
    "a backend or cloud block outside terraform {}",
    "backend_outside_terraform_block.rs"
);

pub fn check(file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let Some(body) = &file.body else { return };
    for b in body.blocks() {
        let ident = b.ident.as_str();
        if matches!(ident, "backend" | "cloud") {
            out.push(file.diag(
                RULE.id,
                RULE.severity,
                header_span(file, b),
                format!("`{ident}` block at the top level: Terraform rejects it (\"Unsupported block type\") and the state stays local"),
                Some("move it into a `terraform { … }` block".to_string()),
            ));
        }
    }
}
