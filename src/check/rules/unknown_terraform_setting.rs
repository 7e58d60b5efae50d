//! ## What it does
//! Finds an argument or block directly inside `terraform { }` that Terraform does not know. Known:
//! `required_version`, `experiments`, `language` (arguments); `backend`, `cloud`,
//! `required_providers`, `provider_meta` (blocks); and OpenTofu's `encryption` block (`info` while
//! the engine is unknown, an `error` with `engine = "terraform"`). The pre-0.9
//! form written as arguments (`backend = "s3"` with `config = { … }`) gets its own message.
//!
//! ## Why is this bad?
//! Terraform rejects the whole configuration ("Unsupported argument", "Unsupported block type"),
//! so nothing runs; the pre-0.9 form means the state was never where the author thought.
//!
//! ## Example
//! ```hcl
//! terraform {
//!   backend = "s3"
//!   config = { bucket = "acme-tfstate" }
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
    "unknown-terraform-setting",
    Error,
    "an argument or block terraform {} does not take",
    "unknown_terraform_setting.rs"
);

const ARGUMENTS: &[&str] = &["required_version", "experiments", "language"];
const BLOCKS: &[&str] = &[
    "backend",
    "cloud",
    "required_providers",
    "provider_meta",
    "encryption",
];

fn closest(name: &str) -> Option<&'static str> {
    ARGUMENTS
        .iter()
        .chain(BLOCKS)
        .map(|k| (strsim::levenshtein(k, name), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    for f in &module.tf {
        let Some(body) = &f.body else { continue };
        for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
            let pre_09 = tb.body.get_attribute("backend").is_some();
            for a in tb.body.attributes() {
                let name = a.key.as_str();
                if ARGUMENTS.contains(&name) {
                    continue;
                }
                let span = a.key.span().unwrap_or(0..0);
                let (message, help) = if name == "backend" || (pre_09 && name == "config") {
                    (
                        format!("`{name} = …` is the pre-0.9 way to configure a backend; Terraform rejects it (\"Unsupported argument\") and never used this state setting"),
                        "write a block: `backend \"s3\" { bucket = …, key = …, … }`".to_string(),
                    )
                } else if BLOCKS.contains(&name) {
                    (
                        format!("`{name}` is a block inside terraform {{ }}, not an argument; Terraform rejects `{name} = …`"),
                        format!("write `{name} {{ … }}`"),
                    )
                } else {
                    (
                        format!("terraform {{ }} takes no argument `{name}`; Terraform rejects it (\"Unsupported argument\")"),
                        closest(name).map_or_else(
                            || format!("known here: {}; blocks: {}", ARGUMENTS.join(", "), BLOCKS.join(", ")),
                            |k| format!("did you mean `{k}`?"),
                        ),
                    )
                };
                out.push(f.diag(RULE.id, RULE.severity, span, message, Some(help)));
            }
            for b in tb.body.blocks() {
                let name = b.ident.as_str();
                if name == "encryption" {
                    // OpenTofu's state encryption: Terraform rejects the block.
                    let mut d = f.diag(
                        RULE.id,
                        Severity::Info,
                        header_span(f, b),
                        "`encryption` is OpenTofu's state encryption block: OpenTofu reads it, Terraform rejects it (\"Unsupported block type\")",
                        Some("fine for OpenTofu; set engine = \"opentofu\" in [check] to say so".into()),
                    );
                    d.engine_only = Some(("terraform", Severity::Error));
                    out.push(d);
                    continue;
                }
                if BLOCKS.contains(&name) {
                    continue;
                }
                let message = if ARGUMENTS.contains(&name) {
                    format!("`{name}` is an argument of terraform {{ }}, not a block; Terraform rejects `{name} {{ … }}`")
                } else {
                    format!("terraform {{ }} takes no block `{name}`; Terraform rejects it (\"Unsupported block type\")")
                };
                let help = closest(name).map(|k| format!("did you mean `{k}`?"));
                out.push(f.diag(RULE.id, RULE.severity, header_span(f, b), message, help));
            }
        }
    }
}
