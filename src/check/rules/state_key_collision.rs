//! ## What it does
//! Finds two backends (in two modules, or two `.tfbackend` files) that resolve to the same state:
//! s3 with the same bucket and key (the default workspace's state sits at `key` whatever
//! `workspace_key_prefix` says), gcs with the same bucket and prefix, azurerm with the same storage
//! account, container and key. Reported at each, naming the others.
//!
//! ## Why is this bad?
//! Two root modules sharing one state overwrite each other's resources: the classic copy-paste
//! accident, found only when `plan` wants to destroy half of production.
//!
//! ## Example
//! `live/prod/app/backend.tf` and `live/prod/db/backend.tf` both with `key = "prod/terraform.tfstate"`.
//!
//! ## Use instead
//! One key per root module, e.g. `<relative dir>/terraform.tfstate` (`tfboot generate` does this).
use std::collections::BTreeMap;

use super::prelude::*;

pub const RULE: Rule = rule!(
    "state-key-collision",
    Error,
    "two backends share one state address",
    "state_key_collision.rs"
);

/// The state address of a configuration, when its parts are literals.
fn address(cfg: &BackendConfig) -> Option<String> {
    let parts: &[&str] = match cfg.kind.as_str() {
        "s3" => &["bucket", "key"],
        "gcs" => &["bucket", "prefix"],
        "azurerm" => &["storage_account_name", "container_name", "key"],
        _ => return None,
    };
    let mut out = vec![cfg.kind.clone()];
    for p in parts {
        match cfg.get(p) {
            Some(s) => out.push(s.str()?.to_string()),
            None if *p == "prefix" => out.push(String::new()),
            None => return None,
        }
    }
    Some(out.join("\u{0}"))
}

pub fn check(configs: &[BackendConfig], out: &mut Vec<Diagnostic>) {
    let mut by_address: BTreeMap<String, Vec<&BackendConfig>> = BTreeMap::new();
    for c in configs {
        if let Some(a) = address(c) {
            by_address.entry(a).or_default().push(c);
        }
    }
    for (addr, group) in by_address {
        if group.len() < 2 {
            continue;
        }
        let shown = addr.split('\u{0}').skip(1).collect::<Vec<_>>().join("/");
        let places: Vec<String> = group
            .iter()
            .map(|c| {
                let (f, span) = c.anchor();
                format!("{}:{}", f.display, line_col(&f.text, span.start).0)
            })
            .collect();
        for (i, c) in group.iter().enumerate() {
            let others: Vec<&str> = places
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p.as_str())
                .collect();
            let (file, span) = c.anchor();
            out.push(file.diag(
                RULE.id,
                RULE.severity,
                span,
                format!(
                    "state address {} {shown} is also used by {}",
                    c.kind,
                    others.join(", ")
                ),
                Some("give every root module its own key".into()),
            ));
        }
    }
}
