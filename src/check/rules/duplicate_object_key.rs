//! ## What it does
//! Finds a key given twice inside one object expression, such as `jsonencode({ "a" : 1, "a" : 2 })`
//! or a policy object with two `Resource =` entries.
//!
//! ## Why is this bad?
//! It is legal HCL, and Terraform keeps the last value; only the same argument twice in a *block*
//! is an error ("Attribute redefined"). But the first value is silently dropped, which is rarely
//! what the author meant (a policy that lost a statement). tfboot parses such files anyway and
//! checks the rest of them as usual.
//!
//! ## Example
//! `policy = jsonencode({ Effect = "Allow", Effect = "Deny" })`
//!
//! ## Use instead
//! One entry per key.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "duplicate-object-key",
    Warning,
    "a key given twice in one object expression (the last value wins)",
    "duplicate_object_key.rs"
);

pub fn check(file: &SourceFile, out: &mut Vec<Diagnostic>) {
    for r in &file.duplicate_keys {
        let key = file.text.get(r.clone()).unwrap_or_default();
        out.push(file.diag(
            RULE.id,
            RULE.severity,
            r.clone(),
            format!("object key {key} is given twice in this object expression: Terraform keeps the last value and drops the earlier one"),
            Some("keep one entry per key".into()),
        ));
    }
}
