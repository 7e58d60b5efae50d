//! ## What it does
//! Finds a name that is not in the backend's schema (read from Terraform's and OpenTofu's source),
//! at the top of the block or inside a nested block (`workspaces` of `cloud` / `remote`), and
//! suggests the closest known name.
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

/// Arguments inside a real nested block (`workspaces { … }` of `cloud` and `remote`).
fn check_nested(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    use hcl::edit::Span as _;
    for b in cfg.block.body.blocks() {
        let Some(known) = schema::nested_names(&cfg.kind, b.ident.as_str()) else {
            continue;
        };
        for a in b.body.attributes() {
            let name = a.key.as_str();
            if known.iter().any(|k| k == name) {
                continue;
            }
            let help = known
                .iter()
                .map(|k| (crate::validate::edit_distance(k, name), k))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, k)| format!("did you mean `{k}`?"))
                .or_else(|| Some(format!("`{}` takes {}", b.ident.as_str(), known.join(", "))));
            out.push(cfg.block_file.diag(
                RULE.id,
                RULE.severity,
                a.key.span().unwrap_or(0..0),
                format!(
                    "`{name}` is not an argument of the {} backend's `{}` block: Terraform rejects it (\"Unsupported argument\")",
                    cfg.kind,
                    b.ident.as_str()
                ),
                help,
            ));
        }
    }
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let Some(known) = schema::known_names(&cfg.kind) else {
        return;
    };
    check_nested(cfg, out);
    for s in &cfg.settings {
        if known.contains(&s.name.to_string())
            || (cfg.kind == "s3" && super::removed_attribute::is_removed(s.name))
            || (cfg.kind == "gcs" && super::removed_attribute::is_removed_gcs(s.name))
            || (cfg.kind == "azurerm" && super::removed_attribute::is_removed_azurerm(s.name))
        {
            continue;
        }
        let suggestion = known
            .iter()
            .map(|k| (crate::validate::edit_distance(k, s.name), k))
            .filter(|(d, _)| *d <= 3)
            .min();
        let help = suggestion.map(|(_, k)| format!("did you mean `{k}`?"));
        // In the `.tf` block of a module initialised with -backend-config (it has partial
        // configuration files), Terraform 1.11 does not reject the name: it ignores it.
        let (severity, message) = if ignored_in_block(cfg, s) {
            (
                Severity::Warning,
                format!(
                    "`{}` is not an argument of the {} backend: with -backend-config (this module's partial configuration) Terraform ignores it in the .tf block, so it has no effect",
                    s.name, cfg.kind
                ),
            )
        } else {
            (
                RULE.severity,
                format!(
                    "`{}` is not an argument of the {} backend: Terraform rejects it (\"Unsupported argument\")",
                    s.name, cfg.kind
                ),
            )
        };
        out.push(
            s.file
                .diag(RULE.id, severity, s.key_span.clone(), message, help),
        );
    }
}

/// A setting written in the `.tf` block of a configuration merged with a partial-configuration
/// file: Terraform 1.11.4, given `-backend-config`, silently ignores unknown and removed
/// arguments there (checked: `encrpyt = true`, a top-level `role_arn`), and rejects them only in
/// the `-backend-config` file itself.
pub fn ignored_in_block(cfg: &BackendConfig, s: &Setting) -> bool {
    cfg.tfbackend.is_some() && std::ptr::eq(s.file, cfg.block_file)
}
