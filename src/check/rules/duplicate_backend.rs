//! ## What it does
//! Finds a module that declares more than one `backend` or `cloud` block across its files, and
//! reports each block after the first.
//!
//! ## Why is this bad?
//! A module has exactly one state. Terraform refuses two backend declarations ("Duplicate backend
//! configuration"); which one was meant is anybody's guess.
//!
//! ## Example
//! `main.tf` and `backend.tf` both hold `terraform { backend "s3" { … } }`.
//!
//! ## Use instead
//! Keep one backend block per module, conventionally in `backend.tf`. (A backend block in an
//! override file, `override.tf` or `*_override.tf`, replaces the module's one: that is not a
//! duplicate.)
use super::prelude::*;

pub const RULE: Rule = rule!(
    "duplicate-backend",
    Error,
    "a module declares more than one backend or cloud block",
    "duplicate_backend.rs"
);

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    let blocks: Vec<_> = module
        .backend_blocks()
        .into_iter()
        .filter(|(f, _)| !f.is_override())
        .collect();
    let Some((first_file, first)) = blocks.first() else {
        return;
    };
    let (line, _) = line_col(&first_file.text, first.span().map_or(0, |s| s.start));
    for (file, b) in blocks.iter().skip(1) {
        out.push(file.diag(
            RULE.id,
            RULE.severity,
            header_span(file, b),
            format!(
                "a second backend declaration in this module; the first is at {}:{line}",
                first_file.display
            ),
            Some("a module has one state: keep one backend block".into()),
        ));
    }
}
