//! The consul backend: every state is a key in Consul's KV store under one path prefix, locked
//! with a Consul session that holds `<path>/.lock` (lock details at `<path>/.lockinfo`). There is
//! no bucket to create, so the bootstrap module only grants access: an ACL policy for exactly what
//! the backend does under the prefix and a token for CI bound to it. Its own state stays local
//! unless `bootstrap_path` names a KV path for it.

use serde::{Deserialize, Serialize};

use super::{BackendBlock, BackendKind, BackendValue, StateBackend};
use crate::error::{InvalidValue, Result};
use crate::model::{BootstrapModule, Sourced};
use crate::render::RenderedFile;
use crate::templates::Templates;

pub mod check;
pub mod config;
mod render;
pub mod validate;

pub use render::CONSUL_PROVIDER_CONSTRAINT;

/// How the backend talks to the agent.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "ConsulScheme")]
pub enum Scheme {
    /// TLS (Consul's HTTPS port, 8501 by default).
    #[default]
    Https,
    /// Plain HTTP: only for an agent on this machine.
    Http,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// The Consul KV store that holds all state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// `host:port`.
    pub address: String,
    pub scheme: Scheme,
    /// Every state is under `<path_prefix>/`.
    pub path_prefix: String,
    pub datacenter: Option<String>,
    pub gzip: Option<bool>,
}

impl Store {
    /// The ACL policy the bootstrap module creates.
    pub fn policy_name(&self) -> String {
        validate::policy_name_for(&self.path_prefix)
    }
}

/// Retiring the policy or the token: CI loses access to every state.
pub const RETIRE_ACL: &str = "it declares the ACL policy and token that CI reaches the state with. Deleting the file makes the next `terraform apply` of the module destroy them, and every pipeline using the token then fails with \"Permission denied\" on the first state read. Hand out a replacement first, or keep them with `removed` blocks (`lifecycle { destroy = false }`, Terraform >= 1.7)";

impl StateBackend for Store {
    fn kind(&self) -> BackendKind {
        BackendKind::Consul
    }

    fn access_scope(&self) -> String {
        format!(
            "the state under {}/ in Consul at {} ({})",
            self.path_prefix,
            self.address,
            self.place()
        )
    }

    fn store_name(&self) -> &str {
        &self.address
    }

    fn place(&self) -> &str {
        self.datacenter
            .as_deref()
            .unwrap_or("the agent's datacenter")
    }

    fn block(&self, path: Option<&str>) -> BackendBlock {
        let mut attributes = vec![
            ("address", BackendValue::String(self.address.clone())),
            ("scheme", BackendValue::String(self.scheme.as_str().into())),
        ];
        if let Some(dc) = &self.datacenter {
            attributes.push(("datacenter", BackendValue::String(dc.clone())));
        }
        if let Some(p) = path {
            attributes.push(("path", BackendValue::String(p.to_string())));
        }
        if let Some(g) = self.gzip {
            attributes.push(("gzip", BackendValue::Bool(g)));
        }
        attributes.push(("lock", BackendValue::Bool(true)));
        BackendBlock {
            backend: "consul",
            attributes,
        }
    }

    fn default_address(&self, dir: &str) -> String {
        format!("{}/{dir}", self.path_prefix)
    }

    fn state_url(&self, path: &str) -> String {
        if path.is_empty() {
            return "terraform.tfstate in the module's directory (local: no bootstrap_path is set)"
                .into();
        }
        let mut url = format!("{}://{}/v1/kv/{path}", self.scheme.as_str(), self.address);
        if let Some(dc) = &self.datacenter {
            url.push_str(&format!("?dc={dc}"));
        }
        url
    }

    fn collision_key(&self, path: &str) -> String {
        path.to_string()
    }

    fn collision_note(&self) -> &'static str {
        " (Terraform keeps the other workspaces of a path at <path>-env:<workspace>, so equal paths share all their workspaces)"
    }

    fn required_version(&self) -> (&'static str, &'static str) {
        (
            ">= 1.3.0",
            "The consul backend settings written here (address, scheme, path, lock) work with Terraform 1.3 or later and every OpenTofu release.",
        )
    }

    fn tfbackend_suffix(&self) -> &'static str {
        "consul.tfbackend"
    }

    fn tfbackend_template(&self) -> &'static str {
        "env/env.consul.tfbackend.tera"
    }

    fn bootstrap_files(
        &self,
        templates: &Templates,
        module: &BootstrapModule,
        _envs: &[crate::model::EnvBackend],
        apply_command: &str,
    ) -> Result<Vec<RenderedFile>> {
        render::bootstrap_module(self, templates, module, apply_command)
    }

    fn state_resource(&self) -> &'static str {
        "consul_acl_policy.state"
    }

    fn moves_own_state(&self) -> bool {
        false
    }

    fn retire(&self, text: &str) -> Option<&'static str> {
        retire(text)
    }

    fn address_arguments(&self) -> &'static [&'static str] {
        &["address", "datacenter", "path"]
    }

    fn lock_summary(&self) -> String {
        "a Consul session on `<path>/.lock` per state (details at `<path>/.lockinfo`)".into()
    }

    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String> {
        if stderr.contains("Permission denied") || stderr.contains("ACL not found") {
            return Some(
                "Consul refused the token (Permission denied / ACL not found): creating ACL policies and tokens needs `acl = \"write\"`, which the initial management token or an operator's token has. Export it as CONSUL_HTTP_TOKEN for this apply only; CI then uses the token this module creates".into(),
            );
        }
        if stderr.contains("ACL support disabled") {
            return Some(
                "the Consul servers run without ACLs (acl.enabled = false): there is nothing to grant, and anyone who reaches the agent can read and overwrite every state. Enable ACLs (https://developer.hashicorp.com/consul/docs/security/acl) and bootstrap them, then rerun".into(),
            );
        }
        if stderr.contains("connection refused") || stderr.contains("no such host") {
            return Some(format!(
                "Terraform could not reach Consul at {}://{}: check state.address and state.scheme, and that this machine can reach the agent",
                self.scheme.as_str(),
                self.address
            ));
        }
        crate::apply::explain_declined(stdout, stderr)
    }
}

/// Consul store settings, before validation.
#[derive(Debug, Clone)]
pub struct StoreInput {
    pub address: Sourced,
    pub scheme: Scheme,
    /// Where `scheme` was set, for the http-to-another-host message.
    pub scheme_at: Option<Sourced>,
    pub path_prefix: Sourced,
    pub datacenter: Option<Sourced>,
    pub gzip: Option<bool>,
}

impl StoreInput {
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        self.address.check(errors, validate::address);
        self.path_prefix.check(errors, validate::path);
        if let Some(dc) = &self.datacenter {
            dc.check(errors, validate::datacenter);
        }
        if self.scheme == Scheme::Http && validate::address(&self.address.value).is_ok() {
            if let Err(r) = validate::http_allowed(&self.address.value) {
                let at = self
                    .scheme_at
                    .clone()
                    .unwrap_or_else(|| Sourced::flag("--scheme", "http"));
                errors.push(at.invalid(r));
            }
        }
        Store {
            address: self.address.value.clone(),
            scheme: self.scheme,
            path_prefix: self.path_prefix.value.clone(),
            datacenter: self.datacenter.as_ref().map(|d| d.value.clone()),
            gzip: self.gzip,
        }
    }

    /// An env's path: a valid path under the prefix the CI policy covers.
    pub fn check_env_path(&self, p: &Sourced, errors: &mut Vec<InvalidValue>) {
        if let Err(r) = validate::path(&p.value) {
            errors.push(p.invalid(r));
            return;
        }
        // A bad prefix is reported on its own; nothing can be under it.
        if validate::path(&self.path_prefix.value).is_err() {
            return;
        }
        let prefix = format!("{}/", self.path_prefix.value);
        if !p.value.starts_with(&prefix) {
            errors.push(p.invalid(format!(
                "the path must be under {prefix} ({}): the bootstrap module's ACL policy grants CI exactly that prefix",
                self.path_prefix.describe()
            )));
        }
    }
}

/// For a stale generated file of this backend that declares what holds or guards state: how
/// to retire it.
pub fn retire(text: &str) -> Option<&'static str> {
    (text.contains("resource \"consul_acl_token\"")
        || text.contains("resource \"consul_acl_policy\""))
    .then_some(RETIRE_ACL)
}
