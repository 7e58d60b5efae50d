//! ## What it does
//! Finds two backends (in two modules, or two `.tfbackend` files) that resolve to the same state:
//! s3 with the same bucket and key (the default workspace's state sits at `key` whatever
//! `workspace_key_prefix` says), gcs with the same bucket and prefix (as Terraform uses it: a
//! leading `/` trimmed, `//` and `.` cleaned, so `envs/dev/` and `/envs/dev` are one state; a nested
//! prefix is another folder), azurerm with the same storage
//! account, container and key, consul with the same address (unset: Consul's default agent), datacenter and
//! path (a leading `/` dropped, as Consul's client does), `cloud` / `remote` with the same host,
//! organization and `workspaces.name`. Reported at each, naming the first few others (JSON `related` lists
//! them all).
//!
//! Placeholder values (`UPDATE_ME`, `<bucket>`, `{{ … }}`) are no address yet and are skipped:
//! templates and alternative variants of one stage share them on purpose.
//!
//! s3 roots that share `key` but set different `workspace_key_prefix` values collide only in the
//! default workspace (other workspaces sit at `<prefix>/<workspace>/<key>`): a `warning` that says
//! so. The same key with the same (or no) prefix is an `error`.
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
    if cfg.kind == "consul" {
        return consul_address(cfg);
    }
    if matches!(cfg.kind.as_str(), "cloud" | "remote") {
        return workspace_address(cfg);
    }
    let parts: &[&str] = match cfg.kind.as_str() {
        "s3" => &["bucket", "key"],
        "gcs" => &["bucket", "prefix"],
        "azurerm" => &["storage_account_name", "container_name", "key"],
        _ => return None,
    };
    let mut out = vec![cfg.kind.clone()];
    for p in parts {
        match cfg.get(p) {
            // A placeholder (`UPDATE_ME`, `<bucket>`) is no address yet: templates and
            // alternative variants of one stage share it on purpose.
            Some(s) if s.str().is_some_and(is_placeholder) => return None,
            // Terraform trims, completes and cleans a gcs prefix: compare what it uses.
            Some(s) if *p == "prefix" => {
                out.push(crate::backend::gcs::check::effective_prefix(s.str()?))
            }
            Some(s) => out.push(s.str()?.to_string()),
            None if *p == "prefix" => out.push(String::new()),
            None => return None,
        }
    }
    Some(out.join("\u{0}"))
}

/// A consul state: the agent (unset: CONSUL_HTTP_ADDR or the local agent, the same for every root
/// of one run), the datacenter (unset: the agent's own) and the path as Consul stores it.
fn consul_address(cfg: &BackendConfig) -> Option<String> {
    let literal = |name: &str| -> Option<Option<String>> {
        match cfg.get(name) {
            None => Some(None),
            Some(s) => {
                let v = s.str()?;
                if is_placeholder(v) {
                    None
                } else {
                    Some(Some(v.to_string()))
                }
            }
        }
    };
    let path = literal("path")??;
    // `https://host:port` and `host:port` reach the same agent.
    let address = literal("address")?
        .map(|a| {
            a.split_once("://")
                .map_or(a.clone(), |(_, rest)| rest.to_string())
        })
        .unwrap_or_else(|| crate::backend::consul::check::DEFAULT_ADDRESS.to_string());
    let datacenter = literal("datacenter")?.unwrap_or_default();
    Some(
        [
            "consul".to_string(),
            address.to_ascii_lowercase(),
            datacenter,
            path.trim_start_matches('/').to_string(),
        ]
        .join("\u{0}"),
    )
}

/// An HCP Terraform workspace by name: the host (unset: app.terraform.io), the organization
/// (unset: TF_CLOUD_ORGANIZATION, the same for every root of one run) and `workspaces.name`
/// (case-insensitive). Tags and prefixes select sets, not one state: no address.
fn workspace_address(cfg: &BackendConfig) -> Option<String> {
    let literal = |name: &str| -> Option<Option<String>> {
        match cfg.get(name) {
            None => Some(None),
            Some(s) => {
                let v = s.str()?;
                (!is_placeholder(v)).then(|| Some(v.to_string()))
            }
        }
    };
    let host = literal("hostname")?.unwrap_or_else(|| "app.terraform.io".into());
    let org = literal("organization")?.unwrap_or_default();
    let ws = cfg
        .block
        .body
        .blocks()
        .find(|b| b.ident.as_str() == "workspaces")?;
    let name = ws.body.attributes().find(|a| a.key.as_str() == "name")?;
    let hcl::edit::expr::Expression::String(n) = &name.value else {
        return None;
    };
    if is_placeholder(n.value()) {
        return None;
    }
    Some(
        [
            "workspace".to_string(),
            host.to_ascii_lowercase(),
            org,
            n.value().to_ascii_lowercase(),
        ]
        .join("\u{0}"),
    )
}

/// A value someone is meant to replace before use.
pub fn is_placeholder(v: &str) -> bool {
    let upper = v.to_ascii_uppercase();
    [
        "UPDATE_ME",
        "REPLACE_ME",
        "CHANGE_ME",
        "CHANGEME",
        "REPLACEME",
        "YOUR_",
        "TODO",
        "XXX",
    ]
    .iter()
    .any(|p| upper.contains(p))
        // `UPDATE_PROJECTS_BACKEND`, `REPLACE_WITH_BUCKET`: what templates ship for the user to fill.
        || ["UPDATE_", "REPLACE_"].iter().any(|p| v.starts_with(p))
        || v.contains('<')
        || v.contains("${")
        || v.contains("{{")
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
        let shown = addr
            .split('\u{0}')
            .skip(1)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        let places: Vec<String> = group
            .iter()
            .map(|c| {
                let (f, span) = c.anchor();
                format!("{}:{}", f.display, line_col(&f.text, span.start).0)
            })
            .collect();
        // Where non-default workspaces of each live: `workspace_key_prefix`, default `env:`.
        let prefix = |c: &BackendConfig| -> Option<String> {
            if c.kind != "s3" {
                return Some(String::new());
            }
            match c.get("workspace_key_prefix") {
                None => Some("env:".to_string()),
                Some(p) => p.str().map(str::to_string),
            }
        };
        let prefixes: Vec<Option<String>> = group.iter().map(|c| prefix(c)).collect();
        for (i, c) in group.iter().enumerate() {
            let others: Vec<&str> = places
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p.as_str())
                .collect();
            // Unknown prefixes (not literals) count as the same: the safe reading.
            let mine = prefixes.get(i).cloned().flatten();
            let fully_shared = prefixes.iter().enumerate().any(|(j, theirs)| {
                j != i && (mine.is_none() || theirs.is_none() || *theirs == mine)
            });
            const SHOWN: usize = 3;
            let mut list = others
                .iter()
                .take(SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if others.len() > SHOWN {
                list.push_str(&format!(" and {} more", others.len() - SHOWN));
            }
            let n = others.len();
            let (severity, message, help) = if fully_shared {
                (
                    RULE.severity,
                    format!(
                        "state address {} {shown} is also used by {n} other backend(s): {list}",
                        c.kind
                    ),
                    if c.kind == "gcs" {
                        "give every root module its own prefix"
                    } else if c.kind == "consul" {
                        "give every root module its own path"
                    } else if matches!(c.kind.as_str(), "cloud" | "remote") {
                        "give every root module its own workspace"
                    } else {
                        "give every root module its own key"
                    },
                )
            } else {
                (
                    Severity::Warning,
                    format!(
                        "state address {} {shown} is also used by {n} other backend(s) ({list}) with another workspace_key_prefix: they share the state of the default workspace only",
                        c.kind
                    ),
                    "give every root module its own key, or never use the default workspace in these roots",
                )
            };
            let (file, span) = c.anchor();
            let mut d = file.diag(RULE.id, severity, span, message, Some(help.into()));
            d.related = others.iter().map(|s| s.to_string()).collect();
            out.push(d);
        }
    }
}
