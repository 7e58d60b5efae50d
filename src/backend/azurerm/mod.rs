//! The azurerm backend: state blobs in a private container of a hardened storage account (no
//! public blob access, no shared keys, TLS 1.2, versioning, soft delete, a delete lock), locked by
//! a blob lease that Terraform takes on each state blob (lock info in its `terraformlockid`
//! metadata); there is nothing to create for locking.
//!
//! Still to come (issue 13): customer-managed keys (`encryption = "cmk"`), `check` rules beyond
//! the schema, the end-to-end test against Azurite, `examples/azure/`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{BackendBlock, BackendKind, BackendValue, StateBackend};
use crate::error::{InvalidValue, Result};
use crate::model::{BootstrapModule, Sourced};
use crate::render::RenderedFile;
use crate::templates::Templates;

pub mod check;
pub mod config;
mod render;
pub mod validate;

pub use render::AZURERM_PROVIDER_CONSTRAINT;

/// Where the bootstrap module keeps its own state unless `bootstrap_key` says otherwise.
pub const DEFAULT_BOOTSTRAP_KEY: &str = "bootstrap/terraform.tfstate";

/// The container the state blobs go in unless `container` says otherwise.
pub const DEFAULT_CONTAINER: &str = "tfstate";

/// Default encryption of the storage account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "AzurermEncryption")]
pub enum Encryption {
    /// Microsoft-managed keys, with infrastructure encryption (a second layer) on.
    #[default]
    Microsoft,
    /// A customer-managed key: the module creates a Key Vault (purge protection, RBAC), a key
    /// with a rotation policy and the account's identity, unless `key_vault_key_id` names a key.
    Cmk,
}

/// How the storage account replicates its data (`account_replication_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
#[clap(rename_all = "UPPERCASE")]
#[schemars(rename = "AzurermReplication")]
pub enum Replication {
    /// Three copies in one datacenter.
    Lrs,
    /// Three copies in one zone-redundant region (three zones).
    Zrs,
    /// LRS plus three copies in the paired region.
    Grs,
    /// GRS with read access to the paired region.
    Ragrs,
    /// ZRS plus three copies in the paired region (survives a zone and a region failure).
    #[default]
    Gzrs,
    /// GZRS with read access to the paired region.
    Ragzrs,
}

impl Replication {
    pub fn as_str(self) -> &'static str {
        match self {
            Replication::Lrs => "LRS",
            Replication::Zrs => "ZRS",
            Replication::Grs => "GRS",
            Replication::Ragrs => "RAGRS",
            Replication::Gzrs => "GZRS",
            Replication::Ragzrs => "RAGZRS",
        }
    }

    /// From the blob service's SKU name (`Standard_RAGRS`).
    pub fn from_sku(sku: &str) -> Option<Replication> {
        let (_, r) = sku.split_once('_')?;
        [
            Replication::Lrs,
            Replication::Zrs,
            Replication::Grs,
            Replication::Ragrs,
            Replication::Gzrs,
            Replication::Ragzrs,
        ]
        .into_iter()
        .find(|x| x.as_str().eq_ignore_ascii_case(r))
    }
}

/// The account's encryption as built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEncryption {
    Microsoft,
    /// The module creates the vault (named `vault`) and its key.
    CreatedKey {
        vault: String,
    },
    /// An existing key (its versionless ID) in the vault with this resource ID.
    ExistingKey {
        key_id: String,
        vault_id: String,
    },
}

/// The storage account that holds all state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub storage_account: String,
    pub resource_group: String,
    pub container: String,
    /// As given (`westeurope`, `West Europe`).
    pub location: String,
    pub subscription_id: Option<String>,
    pub encryption: StoreEncryption,
    pub allowed_ips: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub replication: Replication,
}

/// Retiring the Key Vault key: the account's data is encrypted with it.
pub const RETIRE_VAULT: &str = "it declares the Key Vault and the key that encrypts the storage account: without the key the account's data, every state included, cannot be read. Deleting the file makes the next `terraform apply` try to destroy them (prevent_destroy stops it; purge protection keeps a deleted vault recoverable for 90 days). Switch the account to another key first, or keep them with `removed` blocks (`lifecycle { destroy = false }`, Terraform >= 1.7)";

/// Retiring the storage account: it holds every state.
pub const RETIRE_ACCOUNT: &str = "it declares the storage account, which holds the state of every root. Deleting the file alone makes the next `terraform apply` of that module try to destroy the account (the CanNotDelete lock and prevent_destroy stop it). If the module moved (a new bootstrap_dir), move its state with it (`terraform state mv` or a `moved` block) before deleting the old files; the module's README describes the teardown";

impl StateBackend for Store {
    fn kind(&self) -> BackendKind {
        BackendKind::Azurerm
    }

    fn store_name(&self) -> &str {
        &self.storage_account
    }

    fn place(&self) -> &str {
        &self.location
    }

    fn block(&self, key: Option<&str>) -> BackendBlock {
        let mut attributes = vec![
            (
                "resource_group_name",
                BackendValue::String(self.resource_group.clone()),
            ),
            (
                "storage_account_name",
                BackendValue::String(self.storage_account.clone()),
            ),
            (
                "container_name",
                BackendValue::String(self.container.clone()),
            ),
        ];
        if let Some(k) = key {
            attributes.push(("key", BackendValue::String(k.to_string())));
        }
        attributes.push(("use_azuread_auth", BackendValue::Bool(true)));
        BackendBlock {
            backend: "azurerm",
            attributes,
        }
    }

    fn default_address(&self, dir: &str) -> String {
        format!("{dir}/terraform.tfstate")
    }

    fn state_url(&self, key: &str) -> String {
        format!(
            "https://{}.blob.core.windows.net/{}/{key}",
            self.storage_account, self.container
        )
    }

    fn collision_key(&self, key: &str) -> String {
        key.to_string()
    }

    fn collision_note(&self) -> &'static str {
        " (Terraform keeps the default workspace at the key itself and others at <key>env:<workspace>)"
    }

    fn required_version(&self) -> (&'static str, &'static str) {
        (
            ">= 1.3.0",
            "The azurerm backend settings written here (Azure AD auth to the storage account) work with Terraform 1.3 or later and every OpenTofu release.",
        )
    }

    fn tfbackend_suffix(&self) -> &'static str {
        "azurerm.tfbackend"
    }

    fn tfbackend_template(&self) -> &'static str {
        "env/env.azurerm.tfbackend.tera"
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
        "azurerm_storage_container.state"
    }

    fn retire(&self, text: &str) -> Option<&'static str> {
        retire(text)
    }

    fn address_arguments(&self) -> &'static [&'static str] {
        &["storage_account_name", "container_name", "key"]
    }

    fn lock_summary(&self) -> String {
        "a blob lease on each state blob (the lock info in its terraformlockid metadata)".into()
    }

    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String> {
        let account = &self.storage_account;
        if stderr.contains("StorageAccountAlreadyTaken") {
            return Some(format!(
                "a storage account named {account} exists already somewhere in Azure (StorageAccountAlreadyTaken): account names are global, so pick another --storage-account. The state stays local (with whatever this apply did create)"
            ));
        }
        if stderr.contains("AuthorizationFailed") && stderr.contains("roleAssignments") {
            return Some(
                "the identity running Terraform may not create role assignments (AuthorizationFailed): it needs Owner, User Access Administrator or Role Based Access Control Administrator on the resource group to grant itself Storage Blob Data Contributor. The state stays local, and a rerun continues from it".into(),
            );
        }
        crate::apply::explain_declined(stdout, stderr)
    }
}

/// azurerm store settings, before validation.
#[derive(Debug, Clone)]
pub struct StoreInput {
    pub storage_account: Sourced,
    pub resource_group: Option<Sourced>,
    pub container: Option<Sourced>,
    pub location: Sourced,
    pub subscription_id: Option<Sourced>,
    pub encryption: Encryption,
    /// Where `encryption` was set, for the conflict message with `key_vault_key_id`.
    pub encryption_field: String,
    pub key_vault_key_id: Option<Sourced>,
    pub key_vault_id: Option<Sourced>,
    pub allowed_ips: Vec<Sourced>,
    pub tags: Vec<(Sourced, Sourced)>,
    pub replication: Replication,
}

impl StoreInput {
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        self.storage_account
            .check(errors, validate::storage_account);
        let resource_group = match &self.resource_group {
            Some(rg) => {
                rg.check(errors, validate::resource_group);
                rg.value.clone()
            }
            None => format!("{}-rg", self.storage_account.value),
        };
        let container = match &self.container {
            Some(c) => {
                c.check(errors, validate::container);
                c.value.clone()
            }
            None => DEFAULT_CONTAINER.to_string(),
        };
        self.location.check(errors, validate::location);
        if let Some(s) = &self.subscription_id {
            s.check(errors, validate::subscription_id);
        }
        for ip in &self.allowed_ips {
            ip.check(errors, validate::allowed_ip);
        }
        let encryption = match (self.encryption, &self.key_vault_key_id) {
            (Encryption::Cmk, Some(key)) => {
                key.check(errors, validate::key_vault_key_id);
                match &self.key_vault_id {
                    Some(vault) => vault.check(errors, validate::key_vault_id),
                    None => errors.push(key.invalid("an existing key needs key_vault_id too (the vault's resource ID, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>): the module grants the account's identity Key Vault Crypto Service Encryption User on it, without which creating the account fails")),
                }
                StoreEncryption::ExistingKey {
                    key_id: validate::versionless_key_id(&key.value),
                    vault_id: self
                        .key_vault_id
                        .as_ref()
                        .map(|v| v.value.clone())
                        .unwrap_or_default(),
                }
            }
            (Encryption::Cmk, None) => {
                if let Some(v) = &self.key_vault_id {
                    errors.push(v.invalid("key_vault_id goes with key_vault_key_id (an existing key); without one the module creates its own vault"));
                }
                StoreEncryption::CreatedKey {
                    vault: vault_name_for(&self.storage_account.value),
                }
            }
            (Encryption::Microsoft, Some(key)) => {
                errors.push(key.invalid(format!(
                    "a Key Vault key needs encryption = \"cmk\", but {} is microsoft",
                    self.encryption_field
                )));
                StoreEncryption::Microsoft
            }
            (Encryption::Microsoft, None) => StoreEncryption::Microsoft,
        };
        let mut tags = BTreeMap::new();
        if self.tags.len() > 50 {
            if let Some((k, _)) = self.tags.first() {
                errors.push(k.invalid(format!(
                    "Azure allows at most 50 tags per resource ({} given)",
                    self.tags.len()
                )));
            }
        }
        for (k, v) in &self.tags {
            k.check(errors, validate::tag_key);
            v.check(errors, validate::tag_value);
            tags.insert(k.value.clone(), v.value.clone());
        }
        Store {
            storage_account: self.storage_account.value.clone(),
            resource_group,
            container,
            location: self.location.value.clone(),
            subscription_id: self.subscription_id.as_ref().map(|s| s.value.clone()),
            encryption,
            allowed_ips: self.allowed_ips.iter().map(|s| s.value.clone()).collect(),
            tags,
            replication: self.replication,
        }
    }
}

/// Key Vault names are 3–24 letters, digits and `-`, starting with a letter and unique across
/// Azure: `kv-` and the account's name, cut to fit.
pub fn vault_name_for(account: &str) -> String {
    let mut name = format!("kv-{account}");
    name.truncate(24);
    name
}

/// For a stale generated file of this backend that declares what holds or guards state: how
/// to retire it.
pub fn retire(text: &str) -> Option<&'static str> {
    if text.contains("resource \"azurerm_key_vault_key\"") {
        Some(RETIRE_VAULT)
    } else {
        text.contains("resource \"azurerm_storage_account\"")
            .then_some(RETIRE_ACCOUNT)
    }
}
