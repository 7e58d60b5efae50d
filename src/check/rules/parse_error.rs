//! ## What it does
//! Reports a `.tf`, `.tfbackend` or `.terraform.lock.hcl` file that is not valid HCL, at the
//! parser's error location. An argument set twice in one block is an error too (HashiCorp's parser
//! says "Attribute redefined").
//!
//! An `error` for a file that may hold state settings (a `terraform {}` block, a backend, a
//! `.tfbackend`, the lock file) and for an argument set twice; a `warning` for any other file,
//! since tfboot's parser (hcl-edit) and Terraform's disagree on a few corners of HCL (hcl-edit
//! 0.10 refuses, for example, a `for` expression whose value starts on the line after `=>`).
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
    let Some((span, message)) = &file.parse_error else {
        return;
    };
    let redefined = message.contains("redefined attribute");
    let mut message = if redefined {
        format!(
            "{message} (an argument is set twice in one block; Terraform: \"Attribute redefined\")"
        )
    } else {
        message.clone()
    };
    // tfboot's parser (hcl-edit) and Terraform's do not agree on every corner of HCL. A file
    // that may hold state settings (or a `.tfbackend`) is an error either way: tfboot cannot
    // check it. Any other file is a warning unless the mistake is one Terraform rejects for sure.
    let holds_state_settings = file.display.ends_with(".tfbackend")
        || file.display.ends_with(".terraform.lock.hcl")
        || file.text.contains("backend")
        || has_terraform_block(&file.text)
        || file.text.is_empty();
    let severity = if holds_state_settings || redefined {
        RULE.severity
    } else {
        message.push_str("; the file holds no backend settings, and its other findings are unknown (if Terraform reads it, this is a limit of tfboot's parser)");
        Severity::Warning
    };
    out.push(file.diag(RULE.id, severity, span.clone(), message, None));
}

/// `terraform {` somewhere in the text (any whitespace between), as far as text can tell.
fn has_terraform_block(text: &str) -> bool {
    text.match_indices("terraform").any(|(i, w)| {
        text.get(i + w.len()..)
            .is_some_and(|rest| rest.trim_start().starts_with('{'))
    })
}
