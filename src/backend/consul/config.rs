//! The `[state]` and `[[env]]` sections of a tfboot.toml for the consul backend.

use serde::Deserialize;
use toml::Spanned;

use super::{Scheme, StoreInput};
use crate::config::LoadedConfig;
use crate::model::{EnvInput, ProjectInput};

/// `backend = "consul"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub enum ConsulName {
    #[serde(rename = "consul")]
    Consul,
}

/// `[state]` for consul: the Consul agent, the KV path every state goes under and the bootstrap
/// module (an ACL policy and a CI token). Terraform locks each state with a Consul session
/// (`lock = true`, written into every block). The token comes from `CONSUL_HTTP_TOKEN`, never
/// from this file.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsulState {
    /// `consul`.
    pub backend: ConsulName,
    /// The Consul agent or server, `host:port` (`consul.example.com:8501`).
    #[schemars(with = "String")]
    pub address: Spanned<String>,
    /// `https` (default) | `http` (only for an agent on this machine).
    #[schemars(with = "Option<Scheme>")]
    pub scheme: Option<Spanned<Scheme>>,
    /// The KV path every state is kept under (`tfstate`): an env's state is at
    /// `<path_prefix>/<dir>` unless it sets `path`.
    #[schemars(with = "String")]
    pub path_prefix: Spanned<String>,
    /// The datacenter whose KV store holds the state; default: the agent's own.
    #[schemars(with = "Option<String>")]
    pub datacenter: Option<Spanned<String>>,
    /// Compress the state with gzip before storing it (Consul limits a value to 512 KiB; larger
    /// states are split into chunks either way).
    pub gzip: Option<bool>,
    /// Where the bootstrap module is written; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_dir: Option<Spanned<String>>,
    /// KV path of the bootstrap module's own state; unset, that state stays local (in the
    /// module directory, which its README says to keep safe).
    #[schemars(with = "Option<String>")]
    pub bootstrap_path: Option<Spanned<String>>,
}

/// An `[[env]]` for consul.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsulEnv {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Default `envs/<name>`.
    #[schemars(with = "Option<String>")]
    pub dir: Option<Spanned<String>>,
    /// KV path of the state, under `path_prefix`; default `<path_prefix>/<dir>`. Other workspaces
    /// are kept at `<path>-env:<workspace>`.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
}

/// A field consul does not have, where something more useful than "unknown" can be said.
pub fn field_hint(section: &str, field: &str) -> Option<&'static str> {
    Some(match (section, field) {
        ("state", "bucket") => "the consul backend keeps state in Consul's KV store, not a bucket: set state.address (host:port) and state.path_prefix",
        ("state", "region" | "location") => "a Consul KV store has no region: state.address names the agent and state.datacenter (optional) the datacenter",
        ("state", "access_token" | "token" | "http_auth") => "credentials never go into tfboot.toml or a backend block: export CONSUL_HTTP_TOKEN where Terraform runs",
        ("state", "path" | "prefix") => "use state.path_prefix: the KV path every state is kept under",
        ("state", "lock" | "lock_table") => "the consul backend locks each state with a Consul session, and tfboot writes lock = true into every block; there is no lock to choose",
        ("state", "bootstrap_key" | "bootstrap_prefix") => "the consul backend has a path, not a key: use state.bootstrap_path (unset keeps the bootstrap module's state local)",
        ("state", "tags" | "labels") => "Consul KV entries have no tags or labels",
        ("state", "encryption" | "kms_key" | "kms_key_arn") => "Consul encrypts its data at rest only as configured on the servers; tfboot writes scheme = \"https\" so state is encrypted in transit",
        ("env", "key" | "prefix") => "the consul backend has a path, not a key: use path (default `<path_prefix>/<dir>`)",
        ("env", "workspace_key_prefix") => "the consul backend keeps other workspaces at <path>-env:<workspace>; there is no workspace prefix",
        ("env", "role_arn") => "AWS roles do not apply to consul: the backend authenticates with CONSUL_HTTP_TOKEN",
        _ => return None,
    })
}

/// The settings a tfboot.toml for consul gives, before validation.
pub fn input(cfg: &LoadedConfig, s: &ConsulState, envs: &[ConsulEnv]) -> ProjectInput {
    let sourced = |field: &str, v: &Spanned<String>| cfg.sourced(field, v);
    let scheme = s.scheme.as_ref().map(|v| *v.get_ref()).unwrap_or_default();
    let scheme_at = s.scheme.as_ref().map(|v| crate::model::Sourced {
        value: v.get_ref().as_str().to_string(),
        field: "state.scheme".into(),
        file: Some(cfg.path.clone()),
        line: Some(cfg.line_of(v.span().start)),
    });
    ProjectInput {
        store: crate::backend::StoreInput::Consul(StoreInput {
            address: sourced("state.address", &s.address),
            scheme,
            scheme_at,
            path_prefix: sourced("state.path_prefix", &s.path_prefix),
            datacenter: s
                .datacenter
                .as_ref()
                .map(|v| sourced("state.datacenter", v)),
            gzip: s.gzip,
        }),
        bootstrap_dir: s
            .bootstrap_dir
            .as_ref()
            .map(|v| sourced("state.bootstrap_dir", v)),
        bootstrap_key: s
            .bootstrap_path
            .as_ref()
            .map(|v| sourced("state.bootstrap_path", v)),
        envs: envs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let f = |name: &str| format!("env[{i}].{name}");
                EnvInput {
                    name: sourced(&f("name"), &e.name),
                    dir: e.dir.as_ref().map(|v| sourced(&f("dir"), v)),
                    key: e.path.as_ref().map(|v| sourced(&f("path"), v)),
                    options: crate::backend::EnvOptions::None,
                }
            })
            .collect(),
        layout: cfg.file.layout,
        discover: cfg.discover(),
    }
}
