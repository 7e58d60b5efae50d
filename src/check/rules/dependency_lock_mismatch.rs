//! ## What it does
//! Compares `.terraform.lock.hcl` (the dependency lock) with `required_providers`: a locked
//! version that does not satisfy the constraint, or a required provider the lock file lacks.
//!
//! ## Why is this bad?
//! A locked version outside the constraint makes `terraform init` fail ("locked provider … does
//! not match configured version constraint"): an `error`. A provider the lock file lacks is a
//! `warning`: `init` picks whatever version is newest that day and adds it (it fails only with
//! `-lockfile=readonly`), so two machines can run different providers.
//!
//! ## Example
//! `version = "~> 5.0"` in `required_providers`, `version = "6.2.0"` in the lock file.
//!
//! ## Use instead
//! `terraform init -upgrade` and commit the updated lock file.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "dependency-lock-mismatch",
    Error,
    ".terraform.lock.hcl disagrees with required_providers",
    "dependency_lock_mismatch.rs"
);

/// A provider from `required_providers`: its full source address, version constraint and where.
pub struct Required<'a> {
    pub name: String,
    pub source: String,
    pub version: Option<String>,
    pub file: &'a SourceFile,
    pub span: std::ops::Range<usize>,
}

fn full_source(name: &str, source: Option<&str>) -> String {
    let s = source.unwrap_or(name).to_ascii_lowercase();
    match s.matches('/').count() {
        0 => format!("registry.terraform.io/hashicorp/{s}"),
        1 => format!("registry.terraform.io/{s}"),
        _ => s,
    }
}

pub fn required_providers(module: &Module) -> Vec<Required<'_>> {
    let mut out = Vec::new();
    for f in &module.tf {
        let Some(body) = &f.body else { continue };
        for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
            for rp in tb
                .body
                .blocks()
                .filter(|b| b.ident.as_str() == "required_providers")
            {
                for a in rp.body.attributes() {
                    let name = a.key.as_str().to_string();
                    let (source, version) = match &a.value {
                        Expression::Object(o) => {
                            let get = |k: &str| {
                                o.iter().find_map(|(key, v)| {
                                    (crate::check::model::object_key_name(key) == k)
                                        .then(|| v.expr().as_str().map(str::to_string))
                                        .flatten()
                                })
                            };
                            (get("source"), get("version"))
                        }
                        // Legacy `aws = "~> 5.0"`.
                        Expression::String(s) => (None, Some(s.value().to_string())),
                        _ => (None, None),
                    };
                    out.push(Required {
                        source: full_source(&name, source.as_deref()),
                        name,
                        version,
                        file: f,
                        span: a.span().unwrap_or(0..0),
                    });
                }
            }
        }
    }
    out
}

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    let Some(lock) = &module.lock else { return };
    let Some(body) = &lock.body else { return };
    let locked: Vec<(String, Option<String>)> = body
        .blocks()
        .filter(|b| b.ident.as_str() == "provider")
        .map(|b| {
            let addr = b
                .labels
                .first()
                .map(|l| l.as_str().to_ascii_lowercase())
                .unwrap_or_default();
            let v = b
                .body
                .get_attribute("version")
                .and_then(|a| a.value.as_str())
                .map(str::to_string);
            (addr, v)
        })
        .collect();
    for r in required_providers(module) {
        match locked.iter().find(|(a, _)| *a == r.source) {
            // `terraform init` adds a missing provider (it only fails with -lockfile=readonly):
            // a risk, not a rejection.
            None => out.push(r.file.diag(
                RULE.id,
                Severity::Warning,
                r.span.clone(),
                format!("provider {} ({}) is required but {} does not lock it: `terraform init` picks and adds a version (and fails with -lockfile=readonly); until then plan and apply stop with \"Inconsistent dependency lock file\"", r.name, r.source, lock.display),
                Some("run `terraform init` (or `terraform providers lock`) and commit the lock file".into()),
            )),
            Some((_, Some(v))) => {
                let Some(c) = r.version.as_deref().and_then(version::Constraint::parse) else { continue };
                let Some(parsed) = version::parse_exact(v) else { continue };
                if !c.admits(parsed) {
                    out.push(r.file.diag(
                        RULE.id,
                        RULE.severity,
                        r.span.clone(),
                        format!(
                            "{} locks {} at {v}, which does not satisfy \"{}\"",
                            lock.display,
                            r.source,
                            r.version.as_deref().unwrap_or_default()
                        ),
                        Some("run `terraform init -upgrade` and commit the lock file".into()),
                    ));
                }
            }
            Some((_, None)) => {}
        }
    }
}
