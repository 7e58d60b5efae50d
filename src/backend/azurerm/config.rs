//! The `[state]` and `[[env]]` sections of a tfboot.toml for the azurerm backend.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Encryption, StoreInput};
use crate::config::LoadedConfig;
use crate::model::{EnvInput, ProjectInput};

/// `backend = "azurerm"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub enum AzurermName {
    #[serde(rename = "azurerm")]
    Azurerm,
}

/// `[state]` for azurerm: the storage account, its container and the bootstrap module. Terraform
/// locks each state blob with a lease; there is no lock to configure.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzurermState {
    /// `azurerm`.
    pub backend: AzurermName,
    /// Name of the storage account that holds all state (3–24 lowercase letters and digits,
    /// unique across Azure).
    #[schemars(with = "String")]
    pub storage_account: Spanned<String>,
    /// Resource group of the storage account; default `<storage_account>-rg`.
    #[schemars(with = "Option<String>")]
    pub resource_group: Option<Spanned<String>>,
    /// Blob container of the state; default `tfstate`.
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
    /// The Azure region of the account (`westeurope`, or its display name `West Europe`).
    #[schemars(with = "String")]
    pub location: Spanned<String>,
    /// Subscription for the provider block; default: `ARM_SUBSCRIPTION_ID` (azurerm 4 and later
    /// need one of the two).
    #[schemars(with = "Option<String>")]
    pub subscription_id: Option<Spanned<String>>,
    /// `microsoft` (default): Microsoft-managed keys with infrastructure encryption. `cmk`: a
    /// customer-managed key (the module creates a Key Vault and key unless `key_vault_key_id`
    /// names one).
    #[serde(default)]
    pub encryption: Encryption,
    /// An existing key for `cmk`: `https://<vault>.vault.azure.net/keys/<name>`.
    #[schemars(with = "Option<String>")]
    pub key_vault_key_id: Option<Spanned<String>>,
    /// The resource ID of that key's vault, so the module can let the account's identity use it.
    #[schemars(with = "Option<String>")]
    pub key_vault_id: Option<Spanned<String>>,
    /// Public IPv4 addresses or CIDR ranges allowed through the storage firewall; unset, the
    /// account accepts Azure AD-authenticated requests from any network.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub allowed_ips: Vec<Spanned<String>>,
    /// How the account replicates: `GZRS` (default), `RAGZRS`, `ZRS`, `GRS`, `RAGRS`, `LRS`.
    /// `tfboot adopt` keeps an existing account's; Azure changes it between zone-redundant and
    /// other kinds only through a migration request, never in place.
    #[serde(default)]
    pub replication: super::Replication,
    /// Where the bootstrap module is written; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_dir: Option<Spanned<String>>,
    /// State key of the bootstrap module itself; default `bootstrap/terraform.tfstate`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_key: Option<Spanned<String>>,
    /// Tags for every resource the bootstrap module creates.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Spanned<BTreeMap<String, String>>>,
}

/// An `[[env]]` for azurerm.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzurermEnv {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Default `envs/<name>`.
    #[schemars(with = "Option<String>")]
    pub dir: Option<Spanned<String>>,
    /// The state blob's name; default `<dir>/terraform.tfstate`. Other workspaces are at
    /// `<key>env:<workspace>`.
    #[schemars(with = "Option<String>")]
    pub key: Option<Spanned<String>>,
}

/// A field azurerm does not have, where something more useful than "unknown" can be said.
pub fn field_hint(section: &str, field: &str) -> Option<&'static str> {
    Some(match (section, field) {
        ("state", "bucket") => "Azure keeps state in a storage account container: use state.storage_account (and state.container, default \"tfstate\")",
        ("state", "region") => "use state.location (an Azure region such as westeurope)",
        ("state", "labels") => "Azure resources have tags: use state.tags",
        ("state", "lock" | "lock_table") => "the azurerm backend always locks each state blob with a lease; there is no lock to choose",
        ("state", "kms_key_arn" | "kms_key") => "use state.key_vault_key_id (and key_vault_id) with encryption = \"cmk\"",
        ("state", "bootstrap_prefix") => "the azurerm backend has a key, not a prefix: use state.bootstrap_key",
        ("env", "prefix") => "the azurerm backend has no prefix: an environment's state is the blob named by `key` (default `<dir>/terraform.tfstate`)",
        ("env", "role_arn" | "workspace_key_prefix") => "AWS settings do not apply to azurerm: it authenticates with Azure AD (az login, a managed identity, OIDC)",
        _ => return None,
    })
}

/// The settings a tfboot.toml for azurerm gives, before validation.
pub fn input(cfg: &LoadedConfig, s: &AzurermState, envs: &[AzurermEnv]) -> ProjectInput {
    let sourced = |field: &str, v: &Spanned<String>| cfg.sourced(field, v);
    ProjectInput {
        store: crate::backend::StoreInput::Azurerm(StoreInput {
            storage_account: sourced("state.storage_account", &s.storage_account),
            resource_group: s
                .resource_group
                .as_ref()
                .map(|v| sourced("state.resource_group", v)),
            container: s.container.as_ref().map(|v| sourced("state.container", v)),
            location: sourced("state.location", &s.location),
            subscription_id: s
                .subscription_id
                .as_ref()
                .map(|v| sourced("state.subscription_id", v)),
            encryption: s.encryption,
            encryption_field: "state.encryption".into(),
            key_vault_key_id: s
                .key_vault_key_id
                .as_ref()
                .map(|v| sourced("state.key_vault_key_id", v)),
            key_vault_id: s
                .key_vault_id
                .as_ref()
                .map(|v| sourced("state.key_vault_id", v)),
            allowed_ips: s
                .allowed_ips
                .iter()
                .enumerate()
                .map(|(i, v)| sourced(&format!("state.allowed_ips[{i}]"), v))
                .collect(),
            tags: cfg.map_entries("state.tags", &s.tags),
            replication: s.replication,
        }),
        bootstrap_dir: s
            .bootstrap_dir
            .as_ref()
            .map(|v| sourced("state.bootstrap_dir", v)),
        bootstrap_key: s
            .bootstrap_key
            .as_ref()
            .map(|v| sourced("state.bootstrap_key", v)),
        envs: envs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let f = |name: &str| format!("env[{i}].{name}");
                EnvInput {
                    name: sourced(&f("name"), &e.name),
                    dir: e.dir.as_ref().map(|v| sourced(&f("dir"), v)),
                    key: e.key.as_ref().map(|v| sourced(&f("key"), v)),
                    options: crate::backend::EnvOptions::None,
                }
            })
            .collect(),
        layout: cfg.file.layout,
        discover: cfg.discover(),
    }
}
