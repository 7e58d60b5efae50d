//! The rules, one file each. The doc comment at the top of a rule's file is its documentation
//! (`tfboot explain <rule>`), in fixed sections: What it does / Why is this bad? / Example / Use
//! instead.

use std::collections::BTreeMap;

use super::diagnostic::{Diagnostic, Severity};
use super::model::{BackendConfig, Module, SourceFile};

pub mod azurerm_shared_key_auth;
pub mod backend_in_module;
pub mod backend_outside_terraform_block;
pub mod block_instead_of_attribute;
pub mod conflicting_attributes;
pub mod dependency_lock_mismatch;
pub mod deprecated_attribute;
pub mod deprecated_dynamodb_lock;
pub mod duplicate_backend;
pub mod duplicate_object_key;
pub mod dynamic_backend_value;
pub mod encryption_disabled;
pub mod hardcoded_credentials;
pub mod insecure_transport;
pub mod invalid_arn;
pub mod invalid_bucket_name;
pub mod invalid_kms_key_id;
pub mod invalid_lock_table_name;
pub mod invalid_required_version;
pub mod invalid_state_key;
pub mod local_backend;
pub mod lockfile_requires_1_10;
pub mod missing_dependency_lock;
pub mod missing_region;
pub mod missing_required_attribute;
pub mod no_state_locking;
pub mod orphan_tfbackend;
pub mod parse_error;
pub mod remote_backend;
pub mod removed_attribute;
pub mod schema;
pub mod state_key_collision;
pub mod unexplained_ignore;
pub mod unknown_attribute;
pub mod unknown_region;
pub mod unknown_terraform_setting;

/// What every rule file needs.
pub(crate) mod prelude {
    pub use super::super::diagnostic::{line_col, Diagnostic, Severity};
    pub use super::super::model::{BackendConfig, Module, Setting, SourceFile};
    pub use super::super::version;
    pub use super::{flag_replaced, header_span, schema, Rule};
    pub use crate::rule;
    pub use hcl::edit::expr::Expression;
    pub use hcl::edit::Span as _;
}

/// A rule's identity: stable id, default severity, one-line summary and its documentation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's source file; its leading `//!` comment is the documentation.
    pub source: &'static str,
}

impl Rule {
    /// The documentation: the rule file's leading `//!` comment.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.trim_start_matches("//!")
                    .strip_prefix(' ')
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Report every s3 backend setting named in `table` (name → what to use instead), with `why(name)`
/// as the message: the shape of the deprecated- and removed-argument rules.
pub fn flag_replaced(
    rule: &Rule,
    table: &[(&str, &str)],
    why: fn(&str) -> String,
    cfg: &BackendConfig,
    out: &mut Vec<Diagnostic>,
) {
    if cfg.kind != "s3" {
        return;
    }
    for s in &cfg.settings {
        if let Some((name, with)) = table.iter().find(|(n, _)| *n == s.name) {
            out.push(s.file.diag(
                rule.id,
                rule.severity,
                s.key_span.clone(),
                why(name),
                Some(format!("use {with}")),
            ));
        }
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! rule {
    ($id:literal, $sev:ident, $summary:literal, $file:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            summary: $summary,
            // The rule's own file (beside this macro), whose leading comment is its documentation.
            source: include_str!($file),
        }
    };
}

/// Every rule, in the order of the documentation.
pub const ALL: &[Rule] = &[
    parse_error::RULE,
    duplicate_object_key::RULE,
    backend_outside_terraform_block::RULE,
    unknown_terraform_setting::RULE,
    invalid_required_version::RULE,
    orphan_tfbackend::RULE,
    duplicate_backend::RULE,
    dynamic_backend_value::RULE,
    missing_required_attribute::RULE,
    missing_region::RULE,
    invalid_bucket_name::RULE,
    invalid_state_key::RULE,
    unknown_region::RULE,
    no_state_locking::RULE,
    local_backend::RULE,
    remote_backend::RULE,
    deprecated_dynamodb_lock::RULE,
    lockfile_requires_1_10::RULE,
    deprecated_attribute::RULE,
    removed_attribute::RULE,
    block_instead_of_attribute::RULE,
    conflicting_attributes::RULE,
    unknown_attribute::RULE,
    encryption_disabled::RULE,
    invalid_kms_key_id::RULE,
    invalid_arn::RULE,
    hardcoded_credentials::RULE,
    insecure_transport::RULE,
    azurerm_shared_key_auth::RULE,
    invalid_lock_table_name::RULE,
    state_key_collision::RULE,
    backend_in_module::RULE,
    missing_dependency_lock::RULE,
    dependency_lock_mismatch::RULE,
    unexplained_ignore::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.id == id)
}

/// From a block's first byte to its opening brace: where block-level findings point.
pub fn header_span(
    file: &SourceFile,
    block: &hcl::edit::structure::Block,
) -> std::ops::Range<usize> {
    use hcl::edit::Span as _;
    let start = block.span().map_or(0, |s| s.start);
    let end = file.text[start.min(file.text.len())..]
        .find('{')
        .map_or(start, |i| start + i + 1);
    start..end
}

/// Every backend configuration of a module: each block alone, or merged with each `.tfbackend`
/// file (each file is an alternative, not merged with its siblings).
pub fn configs(module: &Module) -> Vec<BackendConfig<'_>> {
    let required = module.required_versions();
    let mut out = Vec::new();
    for (file, block) in module.backend_blocks() {
        if module.tfbackend.is_empty() || block.ident.as_str() == "cloud" {
            out.push(BackendConfig::new(file, block, None, required.clone()));
        } else {
            for tb in &module.tfbackend {
                out.push(BackendConfig::new(file, block, Some(tb), required.clone()));
            }
        }
    }
    out
}

/// Rules that look at one module.
pub fn check_module(module: &Module) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for f in module.all_files() {
        parse_error::check(f, &mut out);
        duplicate_object_key::check(f, &mut out);
    }
    for f in &module.tf {
        backend_outside_terraform_block::check(f, &mut out);
    }
    duplicate_backend::check(module, &mut out);
    unknown_terraform_setting::check(module, &mut out);
    invalid_required_version::check(module, &mut out);
    orphan_tfbackend::check(module, &mut out);
    missing_dependency_lock::check(module, &mut out);
    dependency_lock_mismatch::check(module, &mut out);
    for cfg in configs(module) {
        for check in [
            dynamic_backend_value::check,
            missing_required_attribute::check,
            missing_region::check,
            invalid_bucket_name::check,
            invalid_state_key::check,
            unknown_region::check,
            no_state_locking::check,
            local_backend::check,
            remote_backend::check,
            deprecated_dynamodb_lock::check,
            lockfile_requires_1_10::check,
            deprecated_attribute::check,
            removed_attribute::check,
            block_instead_of_attribute::check,
            conflicting_attributes::check,
            unknown_attribute::check,
            encryption_disabled::check,
            invalid_kms_key_id::check,
            invalid_arn::check,
            hardcoded_credentials::check,
            insecure_transport::check,
            azurerm_shared_key_auth::check,
            invalid_lock_table_name::check,
        ] {
            check(&cfg, &mut out);
        }
    }
    out
}

/// Rules that look across modules.
pub fn check_tree(modules: &[Module]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let configs: Vec<BackendConfig> = modules.iter().flat_map(configs).collect();
    state_key_collision::check(&configs, &mut out);
    // Which directories are called as child modules, and by whom.
    let mut callers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in modules {
        for f in &m.tf {
            let Some(body) = &f.body else { continue };
            for b in body.blocks().filter(|b| b.ident.as_str() == "module") {
                let Some(src) = b
                    .body
                    .get_attribute("source")
                    .and_then(|a| a.value.as_str())
                else {
                    continue;
                };
                if !(src.starts_with("./") || src.starts_with("../")) {
                    continue;
                }
                if let Some(child) = resolve(&m.dir, src) {
                    callers.entry(child).or_default().push(f.display.clone());
                }
            }
        }
    }
    for m in modules {
        if let Some(c) = callers.get(&m.dir) {
            backend_in_module::check(m, c, &mut out);
        }
    }
    out
}

/// `dir` + relative `source`, normalised; `..` may climb above the walk root (`../x` from `.`).
fn resolve(dir: &str, source: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for seg in dir.split('/').chain(source.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else {
                    parts.push("..".into());
                }
            }
            s => parts.push(s.to_string()),
        }
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}
