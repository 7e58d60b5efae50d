//! State backends: one unit per backend, each with its `tfboot.toml` sections, validation, model,
//! bootstrap module templates (`templates/<backend>/`) and the backend knowledge the rest needs,
//! behind [`StateBackend`]. Generate, discovery, the writer, apply and the report code use only that
//! interface; adding a backend is adding a directory here and a variant to the enums below.
//!
//! The model keeps one [`Store`] per project today; nothing outside this module assumes there is
//! only one, so several stores (prod state in a prod account) can come later as a list of them.

use std::ops::Deref;

use serde::Deserialize;

use crate::error::{InvalidValue, Result};
use crate::model::{BootstrapModule, EnvInput, Sourced};
use crate::render::RenderedFile;
use crate::templates::Templates;

pub mod azurerm;
pub mod cloud;
pub mod consul;
pub mod gcs;
pub mod s3;

/// Which backend holds the state (`[state] backend`, `--backend`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Amazon S3, locked by a DynamoDB table and/or S3-native lock objects.
    #[default]
    S3,
    /// Google Cloud Storage, locked by `.tflock` objects written with a generation precondition.
    Gcs,
    /// Azure Blob Storage, locked by a lease on each state blob.
    Azurerm,
    /// Consul's KV store, locked by a Consul session per state.
    Consul,
    /// HCP Terraform / Terraform Enterprise (the `cloud` block), locked by the platform.
    Cloud,
}

impl BackendKind {
    /// Every backend tfboot generates, in the order messages list them.
    pub const ALL: &'static [BackendKind] = &[
        BackendKind::S3,
        BackendKind::Gcs,
        BackendKind::Azurerm,
        BackendKind::Consul,
        BackendKind::Cloud,
    ];

    /// Backends Terraform has and teams use that tfboot cannot generate yet.
    pub const NOT_YET: &'static [&'static str] = &[];

    /// The backend's type name, as in `backend "<name>"`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::S3 => "s3",
            BackendKind::Gcs => "gcs",
            BackendKind::Azurerm => "azurerm",
            BackendKind::Consul => "consul",
            BackendKind::Cloud => "cloud",
        }
    }

    pub fn from_name(name: &str) -> Option<BackendKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// `s3, gcs`, for messages.
    pub fn list() -> String {
        Self::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The JSON Schema of a whole tfboot.toml that uses this backend.
    pub fn config_schema(self) -> serde_json::Value {
        let schema = match self {
            BackendKind::S3 => schemars::schema_for!(
                crate::config::FileOf<s3::config::S3State, s3::config::S3Env>
            ),
            BackendKind::Gcs => schemars::schema_for!(
                crate::config::FileOf<gcs::config::GcsState, gcs::config::GcsEnv>
            ),
            BackendKind::Azurerm => schemars::schema_for!(
                crate::config::FileOf<azurerm::config::AzurermState, azurerm::config::AzurermEnv>
            ),
            BackendKind::Consul => schemars::schema_for!(
                crate::config::FileOf<consul::config::ConsulState, consul::config::ConsulEnv>
            ),
            BackendKind::Cloud => schemars::schema_for!(
                crate::config::FileOf<cloud::config::CloudState, cloud::config::CloudEnv>
            ),
        };
        serde_json::to_value(schema).unwrap_or_default()
    }

    /// Parse a tfboot.toml that uses this backend.
    pub fn parse_config(
        self,
        source: &str,
    ) -> std::result::Result<crate::config::ConfigFile, toml::de::Error> {
        match self {
            BackendKind::S3 => crate::config::parse_as(source, Sections::S3),
            BackendKind::Gcs => crate::config::parse_as(source, Sections::Gcs),
            BackendKind::Azurerm => crate::config::parse_as(source, Sections::Azurerm),
            BackendKind::Consul => crate::config::parse_as(source, Sections::Consul),
            BackendKind::Cloud => crate::config::parse_as(source, Sections::Cloud),
        }
    }

    /// Why `field` of `[section]` is wrong for this backend, when there is more to say than
    /// "unknown" (a field of the same meaning under another name).
    pub fn field_hint(self, section: &str, field: &str) -> Option<&'static str> {
        match self {
            BackendKind::S3 => s3::config::field_hint(section, field),
            BackendKind::Gcs => gcs::config::field_hint(section, field),
            BackendKind::Azurerm => azurerm::config::field_hint(section, field),
            BackendKind::Consul => consul::config::field_hint(section, field),
            BackendKind::Cloud => cloud::config::field_hint(section, field),
        }
    }
}

/// The `[state]` and `[[env]]` sections of a tfboot.toml, in the shape of its backend.
#[derive(Debug)]
pub enum Sections {
    S3(s3::config::S3State, Vec<s3::config::S3Env>),
    Gcs(gcs::config::GcsState, Vec<gcs::config::GcsEnv>),
    Azurerm(
        azurerm::config::AzurermState,
        Vec<azurerm::config::AzurermEnv>,
    ),
    Consul(consul::config::ConsulState, Vec<consul::config::ConsulEnv>),
    Cloud(cloud::config::CloudState, Vec<cloud::config::CloudEnv>),
}

impl Sections {
    pub fn kind(&self) -> BackendKind {
        match self {
            Sections::S3(..) => BackendKind::S3,
            Sections::Gcs(..) => BackendKind::Gcs,
            Sections::Azurerm(..) => BackendKind::Azurerm,
            Sections::Consul(..) => BackendKind::Consul,
            Sections::Cloud(..) => BackendKind::Cloud,
        }
    }

    /// The settings these sections give, before validation.
    pub fn input(&self, cfg: &crate::config::LoadedConfig) -> crate::model::ProjectInput {
        match self {
            Sections::S3(state, envs) => s3::config::input(cfg, state, envs),
            Sections::Gcs(state, envs) => gcs::config::input(cfg, state, envs),
            Sections::Azurerm(state, envs) => azurerm::config::input(cfg, state, envs),
            Sections::Consul(state, envs) => consul::config::input(cfg, state, envs),
            Sections::Cloud(state, envs) => cloud::config::input(cfg, state, envs),
        }
    }
}

/// A value in a backend block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendValue {
    String(String),
    Bool(bool),
    /// `assume_role = { role_arn = "…" }`: an object attribute (Terraform rejects block syntax).
    AssumeRole(String),
    /// `tags = ["a", "b"]`.
    List(Vec<String>),
    /// A nested block, `workspaces { name = "…" }` (the `cloud` block's).
    Block(Vec<(&'static str, BackendValue)>),
}

/// One `backend "<type>"` configuration: its attributes in the order tfboot writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendBlock {
    /// `s3`, `gcs`, …
    pub backend: &'static str,
    pub attributes: Vec<(&'static str, BackendValue)>,
}

impl BackendBlock {
    pub fn get(&self, name: &str) -> Option<&BackendValue> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// A string attribute's value.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(BackendValue::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// What the rest of tfboot knows of a backend. One implementation per backend, on its store.
pub trait StateBackend: std::fmt::Debug + Send + Sync {
    fn kind(&self) -> BackendKind;

    /// The bucket (or storage account) that holds every state, for messages.
    fn store_name(&self) -> &str;

    /// Where the store is (an AWS region, a Cloud Storage location), for messages.
    fn place(&self) -> &str;

    /// The block for the state at `address` (an S3 key, a GCS prefix); `None` gives the settings
    /// every root shares, for a `-backend-config` file.
    fn block(&self, address: Option<&str>) -> BackendBlock;

    /// The address of a discovered root module at `dir` (relative, `/`-separated).
    fn default_address(&self, dir: &str) -> String;

    /// Why an address [`Self::default_address`] made is not one the store takes (a workspace name
    /// longer than the platform allows); `Ok` for most backends, whose addresses follow the dir.
    fn check_default_address(&self, _address: &str) -> std::result::Result<(), String> {
        Ok(())
    }

    /// Where the default workspace's state of `address` is, as a URL (`s3://b/k`,
    /// `gs://b/p/default.tfstate`).
    fn state_url(&self, address: &str) -> String;

    /// What two addresses are compared by: equal values mean one state object for both.
    fn collision_key(&self, address: &str) -> String;

    /// Appended to a collision message: why equal keys collide whatever else differs.
    fn collision_note(&self) -> &'static str;

    /// `required_version` of the roots' backend files, and the reason written beside it.
    fn required_version(&self) -> (&'static str, &'static str);

    /// `<env>.<suffix>` partial configuration files: `s3.tfbackend`, `gcs.tfbackend`.
    fn tfbackend_suffix(&self) -> &'static str;

    /// The template an `<env>.<suffix>` file is rendered from (its name is what users override).
    fn tfbackend_template(&self) -> &'static str;

    /// Every file of the bootstrap module, paths relative to the project root.
    fn bootstrap_files(
        &self,
        templates: &Templates,
        module: &BootstrapModule,
        envs: &[crate::model::EnvBackend],
        apply_command: &str,
    ) -> Result<Vec<RenderedFile>>;

    /// The resource that must be in the module's local state before `--apply` switches it to
    /// the bucket: the bucket itself.
    fn state_resource(&self) -> &'static str;

    /// Whether the bootstrap module creates the store its own state then moves into (a bucket).
    /// Without a store to create, its state is where its backend block says from the start.
    fn moves_own_state(&self) -> bool {
        true
    }

    /// How the configuration block opens: `backend "s3"`; HCP Terraform's is `cloud`.
    fn block_header(&self) -> String {
        format!("backend {:?}", self.kind().name())
    }

    /// What a bootstrap module that creates nothing to hold state grants access to, in words.
    fn access_scope(&self) -> String {
        format!("the state in {} ({})", self.store_name(), self.place())
    }

    /// For a stale generated file that declares what holds or guards state: how to retire it.
    fn retire(&self, file_text: &str) -> Option<&'static str>;

    /// The backend arguments that move the state (a change means `init -migrate-state`).
    fn address_arguments(&self) -> &'static [&'static str];

    /// The state lock, in one phrase (`the DynamoDB table t`, `a .tflock object per state`).
    fn lock_summary(&self) -> String;

    /// A known cause of a failed bootstrap apply, explained.
    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String>;
}

/// How to retire a stale generated file that declares what holds or guards state, whichever
/// backend wrote it (a project may have switched backends since).
pub fn retire_any(text: &str) -> Option<&'static str> {
    s3::retire(text)
        .or_else(|| gcs::retire(text))
        .or_else(|| azurerm::retire(text))
        .or_else(|| consul::retire(text))
        .or_else(|| cloud::retire(text))
}

/// The state store a project keeps its state in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    S3(s3::Store),
    Gcs(gcs::Store),
    Azurerm(azurerm::Store),
    Consul(consul::Store),
    Cloud(cloud::Store),
}

impl Deref for Store {
    type Target = dyn StateBackend;

    fn deref(&self) -> &Self::Target {
        match self {
            Store::S3(s) => s,
            Store::Gcs(s) => s,
            Store::Azurerm(s) => s,
            Store::Consul(s) => s,
            Store::Cloud(s) => s,
        }
    }
}

/// The settings of a store, before validation (from tfboot.toml or flags).
// Built once per run: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum StoreInput {
    S3(s3::StoreInput),
    Gcs(gcs::StoreInput),
    Azurerm(azurerm::StoreInput),
    Consul(consul::StoreInput),
    Cloud(cloud::StoreInput),
}

/// Per-environment settings only one backend has.
#[derive(Debug, Clone, Default)]
pub enum EnvOptions {
    #[default]
    None,
    S3(s3::EnvOptions),
    Cloud(cloud::EnvOptions),
}

impl StoreInput {
    pub fn kind(&self) -> BackendKind {
        match self {
            StoreInput::S3(_) => BackendKind::S3,
            StoreInput::Gcs(_) => BackendKind::Gcs,
            StoreInput::Azurerm(_) => BackendKind::Azurerm,
            StoreInput::Consul(_) => BackendKind::Consul,
            StoreInput::Cloud(_) => BackendKind::Cloud,
        }
    }

    /// Validate every value (collecting problems) and build the store.
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        match self {
            StoreInput::S3(s) => Store::S3(s.build(errors)),
            StoreInput::Gcs(s) => Store::Gcs(s.build(errors)),
            StoreInput::Azurerm(s) => Store::Azurerm(s.build(errors)),
            StoreInput::Consul(s) => Store::Consul(s.build(errors)),
            StoreInput::Cloud(s) => Store::Cloud(s.build(errors)),
        }
    }

    /// The field an address is set with in `[[env]]`: `key` (S3), `prefix` (GCS), `path`.
    pub fn address_field(&self) -> &'static str {
        match self {
            StoreInput::S3(_) | StoreInput::Azurerm(_) => "key",
            StoreInput::Gcs(_) => "prefix",
            StoreInput::Consul(_) => "path",
            StoreInput::Cloud(_) => "workspace",
        }
    }

    /// Where the bootstrap module keeps its own state unless told otherwise (empty: local).
    pub fn default_bootstrap_address(&self) -> &'static str {
        match self {
            StoreInput::S3(_) => s3::DEFAULT_BOOTSTRAP_KEY,
            StoreInput::Gcs(_) => gcs::DEFAULT_BOOTSTRAP_PREFIX,
            StoreInput::Azurerm(_) => azurerm::DEFAULT_BOOTSTRAP_KEY,
            StoreInput::Consul(_) | StoreInput::Cloud(_) => "",
        }
    }

    /// The address of an environment in `dir` that set none.
    pub fn default_env_address(&self, dir: &str) -> String {
        match self {
            StoreInput::S3(_) | StoreInput::Azurerm(_) => format!("{dir}/terraform.tfstate"),
            StoreInput::Gcs(_) => dir.to_string(),
            StoreInput::Consul(s) => format!("{}/{dir}", s.path_prefix.value),
            StoreInput::Cloud(s) => cloud::validate::workspace_for_dir(
                s.workspace_prefix
                    .as_ref()
                    .unwrap_or(&s.organization)
                    .value
                    .as_str(),
                dir,
            ),
        }
    }

    pub fn check_address(&self, address: &Sourced, errors: &mut Vec<InvalidValue>) {
        let rule = match self {
            // Blob names follow the same rules Terraform applies to S3 keys here.
            StoreInput::S3(_) | StoreInput::Azurerm(_) => s3::validate::state_key,
            StoreInput::Gcs(_) => gcs::validate::prefix,
            StoreInput::Consul(_) => consul::validate::path,
            StoreInput::Cloud(_) => cloud::validate::workspace,
        };
        if let Err(r) = rule(&address.value) {
            errors.push(address.invalid(r));
        }
    }

    /// An environment's address: what [`Self::check_address`] checks, and (consul) that it is
    /// where the bootstrap module grants access.
    pub fn check_env_address(&self, address: &Sourced, errors: &mut Vec<InvalidValue>) {
        match self {
            StoreInput::Consul(s) => s.check_env_path(address, errors),
            _ => self.check_address(address, errors),
        }
    }

    /// The address of an environment that sets none, when the backend derives it from the
    /// environment itself rather than its directory (cloud: `<prefix>-<name>`, or its tags).
    pub fn env_address_of(&self, env: &EnvInput, errors: &mut Vec<InvalidValue>) -> Option<String> {
        match (self, &env.options) {
            (StoreInput::Cloud(s), EnvOptions::Cloud(o)) => Some(
                o.tags_address(env.key.as_ref(), errors)
                    .unwrap_or_else(|| match &env.key {
                        Some(k) => k.value.clone(),
                        None => s.workspace_for(&env.name.value),
                    }),
            ),
            (StoreInput::Cloud(s), _) => Some(match &env.key {
                Some(k) => k.value.clone(),
                None => s.workspace_for(&env.name.value),
            }),
            _ => None,
        }
    }

    /// The attributes an environment adds to its block, validated.
    pub fn env_attributes(
        &self,
        env: &EnvInput,
        errors: &mut Vec<InvalidValue>,
    ) -> Vec<(&'static str, BackendValue)> {
        match (&env.options, self) {
            (EnvOptions::S3(o), StoreInput::S3(_)) => o.attributes(errors),
            _ => Vec::new(),
        }
    }
}
