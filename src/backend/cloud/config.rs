//! The `[state]` and `[[env]]` sections of a tfboot.toml for HCP Terraform / Terraform
//! Enterprise (`backend = "cloud"`).

use serde::Deserialize;
use toml::Spanned;

use super::{EnvOptions, ExecutionMode, StoreInput};
use crate::config::LoadedConfig;
use crate::model::{EnvInput, ProjectInput, Sourced};

/// `backend = "cloud"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub enum CloudName {
    #[serde(rename = "cloud")]
    Cloud,
}

/// `[state]` for HCP Terraform / Terraform Enterprise: the organization whose workspaces hold
/// every state, and the bootstrap module (a project, one workspace per env, a team's access).
/// The platform locks each workspace itself. The token comes from `terraform login` or
/// `TFE_TOKEN`, never from this file.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudState {
    /// `cloud`.
    pub backend: CloudName,
    /// The organization (`acme`).
    #[schemars(with = "String")]
    pub organization: Spanned<String>,
    /// `app.terraform.io` (default, HCP Terraform) or a Terraform Enterprise host.
    #[schemars(with = "Option<String>")]
    pub hostname: Option<Spanned<String>>,
    /// The project the workspaces belong to (the bootstrap module creates it); default: the
    /// organization's default project.
    #[schemars(with = "Option<String>")]
    pub project: Option<Spanned<String>>,
    /// Workspaces are named `<workspace_prefix>-<env>`; default: the organization's name.
    #[schemars(with = "Option<String>")]
    pub workspace_prefix: Option<Spanned<String>>,
    /// `remote` (default: CLI-driven runs execute on the platform) | `local` (the platform only
    /// stores and locks the state).
    pub execution_mode: Option<ExecutionMode>,
    /// The Terraform version the workspaces run: a release or a constraint; default `~> 1.11.0`.
    #[schemars(with = "Option<String>")]
    pub terraform_version: Option<Spanned<String>>,
    /// A team given write access to every workspace.
    #[schemars(with = "Option<String>")]
    pub team: Option<Spanned<String>>,
    /// Where the bootstrap module is written; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_dir: Option<Spanned<String>>,
    /// A workspace for the bootstrap module's own state; unset, that state stays local (in the
    /// module directory, which its README says to keep safe).
    #[schemars(with = "Option<String>")]
    pub bootstrap_workspace: Option<Spanned<String>>,
}

/// An `[[env]]` for HCP Terraform: its workspace by name, or by tags.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudEnv {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Default `envs/<name>`.
    #[schemars(with = "Option<String>")]
    pub dir: Option<Spanned<String>>,
    /// The workspace that holds the state; default `<workspace_prefix>-<name>`.
    #[schemars(with = "Option<String>")]
    pub workspace: Option<Spanned<String>>,
    /// Select workspaces by these tags instead of one name (`terraform workspace select` then
    /// picks one); the bootstrap module tags `<workspace_prefix>-<name>` with them.
    #[schemars(with = "Option<Vec<String>>")]
    pub tags: Option<Vec<Spanned<String>>>,
}

/// A field the cloud backend does not have, where something more useful than "unknown" can be
/// said.
pub fn field_hint(section: &str, field: &str) -> Option<&'static str> {
    Some(match (section, field) {
        ("state", "bucket" | "storage_account" | "address") => "HCP Terraform keeps each state in a workspace of an organization: set state.organization (and state.hostname for Terraform Enterprise)",
        ("state", "region" | "location") => "HCP Terraform has no region to choose; Terraform Enterprise is reached by state.hostname",
        ("state", "token" | "access_token") => "credentials never go into tfboot.toml or a cloud block: run `terraform login <hostname>`, or export TFE_TOKEN in CI",
        ("state", "lock" | "lock_table") => "HCP Terraform locks every workspace for each run itself; there is no lock to choose",
        ("state", "workspace" | "workspaces") => "workspaces are per environment: set [[env]] workspace (or tags), and state.workspace_prefix for the default names",
        ("state", "bootstrap_key" | "bootstrap_prefix" | "bootstrap_path") => "the bootstrap module's own state goes into a workspace: use state.bootstrap_workspace (unset keeps it local)",
        ("state", "tags" | "labels") => "tags belong to workspaces: set them per [[env]] (tags = [\"app\"])",
        ("state", "encryption" | "kms_key" | "kms_key_arn") => "HCP Terraform encrypts every state version itself (Vault transit); there is nothing to choose",
        ("env", "key" | "prefix" | "path") => "HCP Terraform has a workspace per state: use workspace (default `<workspace_prefix>-<name>`) or tags",
        ("env", "name_prefix" | "prefix_workspace") => "the cloud block has no workspace prefix (the remote backend's `prefix`): select by tags instead",
        ("env", "role_arn") => "AWS roles do not apply to HCP Terraform: runs authenticate with the workspace's variables or dynamic credentials",
        _ => return None,
    })
}

/// The settings a tfboot.toml for cloud gives, before validation.
pub fn input(cfg: &LoadedConfig, s: &CloudState, envs: &[CloudEnv]) -> ProjectInput {
    let sourced = |field: &str, v: &Spanned<String>| cfg.sourced(field, v);
    let opt = |field: &str, v: &Option<Spanned<String>>| v.as_ref().map(|v| sourced(field, v));
    let tfbackend_layout = (cfg.file.layout == crate::model::Layout::Tfbackend).then(|| Sourced {
        value: "tfbackend".into(),
        field: "layout".into(),
        file: Some(cfg.path.clone()),
        line: cfg.layout_line(),
    });
    ProjectInput {
        store: crate::backend::StoreInput::Cloud(StoreInput {
            organization: sourced("state.organization", &s.organization),
            hostname: opt("state.hostname", &s.hostname),
            project: opt("state.project", &s.project),
            workspace_prefix: opt("state.workspace_prefix", &s.workspace_prefix),
            execution_mode: s.execution_mode.unwrap_or_default(),
            terraform_version: opt("state.terraform_version", &s.terraform_version),
            team: opt("state.team", &s.team),
            tfbackend_layout,
        }),
        bootstrap_dir: opt("state.bootstrap_dir", &s.bootstrap_dir),
        bootstrap_key: opt("state.bootstrap_workspace", &s.bootstrap_workspace),
        envs: envs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let f = |name: &str| format!("env[{i}].{name}");
                EnvInput {
                    name: sourced(&f("name"), &e.name),
                    dir: e.dir.as_ref().map(|v| sourced(&f("dir"), v)),
                    key: e.workspace.as_ref().map(|v| sourced(&f("workspace"), v)),
                    options: crate::backend::EnvOptions::Cloud(EnvOptions {
                        tags: e
                            .tags
                            .iter()
                            .flatten()
                            .enumerate()
                            .map(|(j, t)| sourced(&format!("env[{i}].tags[{j}]"), t))
                            .collect(),
                    }),
                }
            })
            .collect(),
        layout: cfg.file.layout,
        discover: cfg.discover(),
    }
}
