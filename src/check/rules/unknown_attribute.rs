//! ## What it does
//! Finds a name that is not in the backend's schema (read from Terraform's and OpenTofu's source),
//! and suggests the closest known name.
//!
//! ## Why is this bad?
//! Terraform rejects it ("Unsupported argument"); a typo such as `encrpyt` means the setting you
//! meant is not set.
//!
//! ## Example
//! `encrpyt = true`
//!
//! ## Use instead
//! `encrypt = true`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "unknown-attribute",
    Error,
    "a name not in the backend's schema",
    "unknown_attribute.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let Some(known) = schema::known_names(&cfg.kind) else {
        return;
    };
    for s in &cfg.settings {
        if known.contains(&s.name.to_string())
            || (cfg.kind == "s3" && super::removed_attribute::is_removed(s.name))
        {
            continue;
        }
        let suggestion = known
            .iter()
            .map(|k| (crate::validate::edit_distance(k, s.name), k))
            .filter(|(d, _)| *d <= 3)
            .min();
        let help = suggestion.map(|(_, k)| format!("did you mean `{k}`?"));
        out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.key_span.clone(),
            format!(
                "`{}` is not an argument of the {} backend",
                s.name, cfg.kind
            ),
            help,
        ));
    }
}
