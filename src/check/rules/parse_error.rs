//! ## What it does
//! Reports a `.tf`, `.tfbackend` or `.terraform.lock.hcl` file that is not valid HCL, at the
//! parser's error location. An argument set twice in one block is an error too (HashiCorp's parser
//! says "Attribute redefined").
//!
//! ## Why is this bad?
//! Terraform refuses to run with a file it cannot parse, and nothing else in that file can be checked.
//!
//! ## Example
//! ```hcl
//! terraform {
//!   backend "s3" {
//!     bucket = "acme-tfstate"
//!     bucket = "acme-tfstate-2"
//!   }
//! }
//! ```
//!
//! ## Use instead
//! Fix the syntax; set every argument once.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "parse-error",
    Error,
    "a file is not valid HCL",
    "parse_error.rs"
);

pub fn check(file: &SourceFile, out: &mut Vec<Diagnostic>) {
    if let Some((span, message)) = &file.parse_error {
        let message = if message.contains("redefined") {
            format!("{message} (an argument is set twice in one block)")
        } else {
            message.clone()
        };
        out.push(file.diag(RULE.id, RULE.severity, span.clone(), message, None));
    }
}
