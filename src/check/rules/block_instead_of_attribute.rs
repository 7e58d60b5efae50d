//! ## What it does
//! Finds `assume_role`, `assume_role_with_web_identity` or `endpoints` written as a block
//! (`assume_role { … }`) in an s3 backend.
//!
//! ## Why is this bad?
//! They are object *attributes*: Terraform rejects the block form ("Unsupported block type").
//!
//! ## Example
//! ```hcl
//! assume_role {
//!   role_arn = "arn:aws:iam::111111111111:role/state"
//! }
//! ```
//!
//! ## Use instead
//! `assume_role = { role_arn = "arn:aws:iam::111111111111:role/state" }`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "block-instead-of-attribute",
    Error,
    "assume_role / endpoints written as a block",
    "block_instead_of_attribute.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    for b in cfg.block.body.blocks() {
        let name = b.ident.as_str();
        if matches!(
            name,
            "assume_role" | "assume_role_with_web_identity" | "endpoints"
        ) {
            out.push(cfg.block_file.diag(
                RULE.id,
                RULE.severity,
                header_span(cfg.block_file, b),
                format!("`{name}` is an object attribute: Terraform rejects the block form (\"Unsupported block type\")"),
                Some(format!("write `{name} = {{ … }}`")),
            ));
        }
    }
}
