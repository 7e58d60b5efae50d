//! HCP Terraform and Terraform Enterprise, through the `cloud` block: every state is a workspace
//! of one organization, stored and locked by the platform (each run locks its workspace). There
//! is no bucket to create, so the bootstrap module sets up the workspaces (and a project, and a
//! team's access) with the `tfe` provider; its own state stays local unless `bootstrap_workspace`
//! names a workspace for it.

use serde::{Deserialize, Serialize};

use super::{BackendBlock, BackendKind, BackendValue, StateBackend};
use crate::error::{InvalidValue, Result};
use crate::model::{BootstrapModule, EnvBackend, Sourced};
use crate::render::RenderedFile;
use crate::templates::Templates;

pub mod config;
mod render;
pub mod validate;

pub use render::TFE_PROVIDER_CONSTRAINT;

/// HCP Terraform's public host, Terraform's default for the `cloud` block.
pub const DEFAULT_HOSTNAME: &str = "app.terraform.io";

/// The Terraform version the workspaces run unless told otherwise: the 1.11 series.
pub const DEFAULT_TERRAFORM_VERSION: &str = "~> 1.11.0";

/// An address that selects workspaces by tags rather than by name: `tags:<a>,<b>`.
pub const TAGS_PREFIX: &str = "tags:";

/// Where a workspace's runs execute.
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
pub enum ExecutionMode {
    /// CLI-driven runs execute on the platform (`terraform plan` streams the remote run).
    #[default]
    Remote,
    /// Runs execute where `terraform` is invoked; the platform stores and locks the state.
    Local,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::Remote => "remote",
            ExecutionMode::Local => "local",
        }
    }
}

/// The organization whose workspaces hold all state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub organization: String,
    pub hostname: String,
    pub project: Option<String>,
    /// Workspaces are named `<workspace_prefix>-<env>` unless an env names its own.
    pub workspace_prefix: String,
    pub execution_mode: ExecutionMode,
    pub terraform_version: String,
    pub team: Option<String>,
}

/// The tags an address selects by, when it selects by tags.
pub fn tags_of(address: &str) -> Option<Vec<String>> {
    address
        .strip_prefix(TAGS_PREFIX)
        .map(|t| t.split(',').map(str::to_string).collect())
}

/// Retiring the workspaces: their state goes with them.
pub const RETIRE_WORKSPACES: &str = "it declares the HCP Terraform workspaces that hold every environment's state. Deleting the file makes the next `terraform apply` of the module try to destroy them (prevent_destroy stops it; without that, a deleted workspace takes its state versions with it). Keep it, or move the workspaces out of this module's state with `removed` blocks (`lifecycle { destroy = false }`, Terraform >= 1.7)";

impl StateBackend for Store {
    fn kind(&self) -> BackendKind {
        BackendKind::Cloud
    }

    fn store_name(&self) -> &str {
        &self.organization
    }

    fn place(&self) -> &str {
        &self.hostname
    }

    fn block_header(&self) -> String {
        "cloud".into()
    }

    fn access_scope(&self) -> String {
        let project = self
            .project
            .as_ref()
            .map(|p| format!(", project {p:?}"))
            .unwrap_or_default();
        format!(
            "the workspaces of organization {:?} on {}{project}",
            self.organization, self.hostname
        )
    }

    fn block(&self, address: Option<&str>) -> BackendBlock {
        let mut attributes = vec![
            (
                "organization",
                BackendValue::String(self.organization.clone()),
            ),
            // Always written: OpenTofu has no default hostname.
            ("hostname", BackendValue::String(self.hostname.clone())),
        ];
        if let Some(a) = address {
            let mut ws = Vec::new();
            if let Some(p) = &self.project {
                ws.push(("project", BackendValue::String(p.clone())));
            }
            match tags_of(a) {
                Some(tags) => ws.push(("tags", BackendValue::List(tags))),
                None if !a.is_empty() => ws.push(("name", BackendValue::String(a.to_string()))),
                None => {}
            }
            attributes.push(("workspaces", BackendValue::Block(ws)));
        }
        BackendBlock {
            backend: "cloud",
            attributes,
        }
    }

    fn default_address(&self, dir: &str) -> String {
        validate::workspace_for_dir(&self.workspace_prefix, dir)
    }

    fn check_default_address(&self, address: &str) -> std::result::Result<(), String> {
        validate::workspace(address).map_err(|r| {
            format!("the workspace name made from the directory is not one HCP Terraform takes ({r}): shorten state.workspace_prefix, or list the root as an [[env]] with its own workspace")
        })
    }

    fn state_url(&self, address: &str) -> String {
        if address.is_empty() {
            return "terraform.tfstate in the module's directory (local: no bootstrap_workspace is set)"
                .into();
        }
        match tags_of(address) {
            Some(tags) => format!(
                "the workspace tagged {} that TF_WORKSPACE or `terraform workspace select` picks, organization {} on {}",
                tags.join(", "),
                self.organization,
                self.hostname
            ),
            None => format!(
                "https://{}/app/{}/workspaces/{address}",
                self.hostname, self.organization
            ),
        }
    }

    fn collision_key(&self, address: &str) -> String {
        // A tag selection names no one workspace: nothing to collide on.
        if tags_of(address).is_some() {
            return String::new();
        }
        address.to_ascii_lowercase()
    }

    fn collision_note(&self) -> &'static str {
        " (a workspace holds one state: two roots on it overwrite each other's resources)"
    }

    fn required_version(&self) -> (&'static str, &'static str) {
        if self.project.is_some() {
            (
                ">= 1.6.0",
                "The cloud block needs Terraform 1.1 or later, and workspaces.project needs 1.6 or later (OpenTofu 1.6 or later).",
            )
        } else {
            (
                ">= 1.1.0",
                "The cloud block needs Terraform 1.1 or later (OpenTofu 1.6 or later).",
            )
        }
    }

    fn tfbackend_suffix(&self) -> &'static str {
        // Never written: the cloud block takes no -backend-config (layout = "tfbackend" is refused).
        "cloud.tfbackend"
    }

    fn tfbackend_template(&self) -> &'static str {
        "env/env.tfbackend.tera"
    }

    fn bootstrap_files(
        &self,
        templates: &Templates,
        module: &BootstrapModule,
        envs: &[EnvBackend],
        apply_command: &str,
    ) -> Result<Vec<RenderedFile>> {
        render::bootstrap_module(self, templates, module, envs, apply_command)
    }

    fn state_resource(&self) -> &'static str {
        "tfe_workspace.env"
    }

    fn moves_own_state(&self) -> bool {
        false
    }

    fn retire(&self, text: &str) -> Option<&'static str> {
        retire(text)
    }

    fn address_arguments(&self) -> &'static [&'static str] {
        &[
            "organization",
            "hostname",
            "workspaces.name",
            "workspaces.tags",
            "workspaces.project",
        ]
    }

    fn lock_summary(&self) -> String {
        "the platform's own workspace lock (every run locks its workspace; `terraform force-unlock` or the workspace's Lock button releases a stuck one)".into()
    }

    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String> {
        if stderr.contains("401")
            || stderr.contains("unauthorized")
            || stderr.contains("required token could not be found")
        {
            return Some(format!(
                "{} refused the request for lack of a token: run `terraform login {}` (or export TFE_TOKEN with a user or team token allowed to manage workspaces) and rerun",
                self.hostname, self.hostname
            ));
        }
        if stderr.contains("404") || stderr.contains("resource not found") {
            return Some(format!(
                "{} answered \"not found\": check that the organization {:?} exists and that the token's user or team belongs to it{}",
                self.hostname,
                self.organization,
                if self.team.is_some() { " (and that the team exists)" } else { "" }
            ));
        }
        crate::apply::explain_declined(stdout, stderr)
    }
}

/// HCP Terraform settings, before validation.
#[derive(Debug, Clone)]
pub struct StoreInput {
    pub organization: Sourced,
    pub hostname: Option<Sourced>,
    pub project: Option<Sourced>,
    pub workspace_prefix: Option<Sourced>,
    pub execution_mode: ExecutionMode,
    pub terraform_version: Option<Sourced>,
    pub team: Option<Sourced>,
    /// `layout = "tfbackend"` in the file, which the cloud block cannot follow.
    pub tfbackend_layout: Option<Sourced>,
}

impl StoreInput {
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        self.organization.check(errors, validate::organization);
        let check = |v: &Option<Sourced>,
                     rule: fn(&str) -> std::result::Result<(), String>,
                     errors: &mut Vec<InvalidValue>| {
            if let Some(v) = v {
                v.check(errors, rule);
            }
        };
        check(&self.hostname, validate::hostname, errors);
        check(&self.project, validate::project, errors);
        check(&self.workspace_prefix, validate::workspace_prefix, errors);
        check(&self.terraform_version, validate::terraform_version, errors);
        check(&self.team, validate::team, errors);
        if let Some(l) = &self.tfbackend_layout {
            errors.push(l.invalid(
                "the cloud block takes no -backend-config, so there are no partial-configuration files to write: use layout = \"dir\" (one directory, one cloud block, per environment), or select workspaces by tags",
            ));
        }
        Store {
            organization: self.organization.value.clone(),
            hostname: self
                .hostname
                .as_ref()
                .map_or_else(|| DEFAULT_HOSTNAME.to_string(), |h| h.value.clone()),
            project: self.project.as_ref().map(|p| p.value.clone()),
            workspace_prefix: self
                .workspace_prefix
                .as_ref()
                .map_or_else(|| self.organization.value.clone(), |p| p.value.clone()),
            execution_mode: self.execution_mode,
            terraform_version: self.terraform_version.as_ref().map_or_else(
                || DEFAULT_TERRAFORM_VERSION.to_string(),
                |v| v.value.clone(),
            ),
            team: self.team.as_ref().map(|t| t.value.clone()),
        }
    }

    /// The workspace an env without `workspace` gets: `<prefix>-<env>`.
    pub fn workspace_for(&self, env: &str) -> String {
        let prefix = self.workspace_prefix.as_ref().unwrap_or(&self.organization);
        format!("{}-{env}", prefix.value)
    }
}

/// What only a cloud `[[env]]` has: workspace tags.
#[derive(Debug, Clone, Default)]
pub struct EnvOptions {
    pub tags: Vec<Sourced>,
}

impl EnvOptions {
    /// The address of an env that selects by tags (`tags:a,b`), validated; `None` without tags.
    pub fn tags_address(
        &self,
        workspace: Option<&Sourced>,
        errors: &mut Vec<InvalidValue>,
    ) -> Option<String> {
        let first = self.tags.first()?;
        if let Some(w) = workspace {
            errors.push(w.invalid(format!(
                "workspace and tags ({}) exclude each other: Terraform rejects a workspaces block with both name and tags. Keep one",
                first.describe()
            )));
        }
        for t in &self.tags {
            t.check(errors, validate::tag);
        }
        let mut tags: Vec<String> = self.tags.iter().map(|t| t.value.clone()).collect();
        tags.sort();
        tags.dedup();
        Some(format!("{TAGS_PREFIX}{}", tags.join(",")))
    }
}

/// For a stale generated file of this backend that declares what holds or guards state: how
/// to retire it.
pub fn retire(text: &str) -> Option<&'static str> {
    text.contains("resource \"tfe_workspace\"")
        .then_some(RETIRE_WORKSPACES)
}
