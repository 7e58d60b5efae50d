//! `tfboot adopt` for a storage account made by hand: what the blob API tells of the account
//! and its container, and what the azurerm bootstrap module imports, keeps and changes. The
//! account's other settings live in Azure Resource Manager, which tfboot does not read: the
//! report says so instead of guessing.

use super::Adoption;
use crate::backend::azurerm::{Replication, Store, StoreEncryption};
use crate::error::{Error, Result};
use crate::live::targets::AzureTarget;

/// What `adopt` reads of an account through the blob API. `None`: not in the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundAzure {
    /// `Standard_RAGRS`, `Premium_LRS`.
    pub sku: Option<String>,
    /// `StorageV2`, `Storage`, `BlobStorage`, `BlockBlobStorage`, `FileStorage`.
    pub kind: Option<String>,
    pub container_exists: bool,
    /// The container's anonymous access level (`blob`, `container`), when it has one.
    pub public_access: Option<String>,
    /// Blob soft delete: `Some(None)` off, `Some(Some(days))` on.
    pub soft_delete_days: Option<Option<u32>>,
}

impl FoundAzure {
    pub fn replication(&self) -> Option<Replication> {
        self.sku.as_deref().and_then(Replication::from_sku)
    }
}

/// Read the account and its container; exit 2 when the account cannot be reached.
pub fn read(target: &AzureTarget) -> Result<FoundAzure> {
    let mut c = crate::live::azure::Client::new(target)?;
    let mut f = FoundAzure::default();
    let at = format!("storage account {}", target.account);
    let (status, hdrs, body) = c.send(
        "GET",
        "/",
        &[("restype", "account"), ("comp", "properties")],
        &[],
    )?;
    if status != 200 {
        let code = hdrs.get("x-ms-error-code").cloned().unwrap_or_default();
        return Err(Error::Usage(format!(
            "cannot read {at}: HTTP {status} {code} {} (adopt reads the account through the blob API with ARM_ACCESS_KEY or ARM_SAS_TOKEN)",
            body.chars().take(200).collect::<String>().trim()
        )));
    }
    f.sku = hdrs.get("x-ms-sku-name").cloned();
    f.kind = hdrs.get("x-ms-account-kind").cloned();
    let (status, hdrs, body) = c.send(
        "GET",
        &format!("/{}", target.container),
        &[("restype", "container")],
        &[],
    )?;
    match status {
        200 => {
            f.container_exists = true;
            f.public_access = hdrs
                .get("x-ms-blob-public-access")
                .filter(|v| !v.is_empty())
                .cloned();
        }
        404 => {}
        _ => {
            return Err(Error::Usage(format!(
                "cannot read the container {} of {at}: HTTP {status} {}",
                target.container,
                body.chars().take(200).collect::<String>().trim()
            )))
        }
    }
    let (status, _, body) = c.send(
        "GET",
        "/",
        &[("restype", "service"), ("comp", "properties")],
        &[],
    )?;
    if status == 200 {
        f.soft_delete_days = roxmltree::Document::parse(&body).ok().and_then(|d| {
            let p = d
                .descendants()
                .find(|n| n.has_tag_name("DeleteRetentionPolicy"))?;
            let text = |tag: &str| {
                p.children()
                    .find(|n| n.has_tag_name(tag))
                    .and_then(|n| n.text())
                    .map(|t| t.trim().to_string())
            };
            match text("Enabled").as_deref() {
                Some("true") => Some(text("Days").and_then(|d| d.parse().ok())),
                Some(_) => Some(None),
                None => None,
            }
        });
    }
    Ok(f)
}

/// Settings that cannot change on an existing account: a refusal naming what was found.
pub fn cannot_adopt(found: &FoundAzure, account: &str) -> Option<String> {
    if let Some(sku) = &found.sku {
        if !sku.starts_with("Standard_") {
            return Some(format!(
                "the storage account {account} is {sku}: the module's account is Standard (StorageV2), and the tier of an account cannot change (Terraform would replace it)"
            ));
        }
    }
    match found.kind.as_deref() {
        Some("StorageV2") | Some("Storage") | None => None,
        Some(k) => Some(format!(
            "the storage account {account} is of kind {k}: the module's account is StorageV2, which Azure reaches in place only from Storage (general-purpose v1); any other kind would be replaced"
        )),
    }
}

/// The resource IDs of the module's account and group.
pub fn account_id(store: &Store, subscription: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
        store.resource_group, store.storage_account
    )
}

/// Decide which resources the module imports and what its first apply changes; `store` is the
/// module as it will be written.
pub fn plan(store: &Store, found: &FoundAzure, subscription: &str) -> Adoption {
    let mut a = Adoption::default();
    let account = account_id(store, subscription);
    a.imports.push((
        "azurerm_resource_group.state",
        format!(
            "/subscriptions/{subscription}/resourceGroups/{}",
            store.resource_group
        ),
    ));
    a.imports
        .push(("azurerm_storage_account.state", account.clone()));
    if found.container_exists {
        a.imports.push((
            "azurerm_storage_container.state",
            format!(
                "{account}/blobServices/default/containers/{}",
                store.container
            ),
        ));
        if let Some(p) = &found.public_access {
            a.changes.push(format!(
                "the container {} allows anonymous reads ({p}): the first apply makes it private",
                store.container
            ));
        }
    } else {
        a.changes.push(format!(
            "the container {} does not exist: the first apply creates it (private)",
            store.container
        ));
    }
    if found.replication() == Some(store.replication) {
        a.kept.push(format!(
            "replication {} (state.replication)",
            store.replication.as_str()
        ));
    }
    if found.kind.as_deref() == Some("Storage") {
        a.changes.push(
            "the account is general-purpose v1 (Storage): the first apply upgrades it to StorageV2 in place (this cannot be undone)".into(),
        );
    }
    match found.soft_delete_days {
        Some(Some(_)) => {}
        Some(None) => a
            .changes
            .push("blob soft delete is off: the first apply keeps deleted blobs restorable".into()),
        None => a.changes.push(
            "blob soft delete: the service properties do not say; the first apply turns it on"
                .into(),
        ),
    }
    a.changes.push(
        "shared-key access is turned off (shared_access_key_enabled = false): whatever reaches the account with its key (ARM_ACCESS_KEY, access_key, a SAS token) stops working; backends need use_azuread_auth = true and Storage Blob Data Contributor (`tfboot generate` writes such backends; `tfboot check` reports azurerm-shared-key-auth)".into(),
    );
    a.changes.push(
        "not readable through the blob API (Azure Resource Manager settings), set to tfboot's by the first apply as the plan lists them: minimum TLS 1.2, HTTPS only, no nested public access, blob versioning, change feed, container soft delete, no cross-tenant replication, OAuth by default, tags".into(),
    );
    a.changes.push(format!(
        "a CanNotDelete lock (terraform-state) is added to the account, and whoever runs Terraform gets Storage Blob Data Contributor on it; a principal that holds that role on the account already makes the apply fail with RoleAssignmentExists: import the assignment (az role assignment list --scope {account} --role \"Storage Blob Data Contributor\" --query \"[].id\")"
    ));
    match &store.encryption {
        StoreEncryption::Microsoft => {}
        StoreEncryption::CreatedKey { vault } => a.changes.push(format!(
            "the first apply creates the Key Vault {vault}, its key and the account's identity, and switches the account's encryption to that key"
        )),
        StoreEncryption::ExistingKey { key_id, .. } => a.changes.push(format!(
            "the first apply switches the account's encryption to {key_id} (through a user-assigned identity it creates)"
        )),
    }
    a.notes.push(format!(
        "the account is taken to be in {} and resource group {} (the blob API reports neither): with another one the plan wants to replace it, and prevent_destroy stops it",
        store.location, store.resource_group
    ));
    a.notes.push(
        "infrastructure encryption cannot be read through the blob API and can only be chosen when an account is created: the module ignores it (ignore_changes), so an account without it is not replaced".into(),
    );
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store {
            storage_account: "acmetfstate".into(),
            resource_group: "acme-rg".into(),
            container: "tfstate".into(),
            location: "westeurope".into(),
            subscription_id: None,
            encryption: StoreEncryption::Microsoft,
            allowed_ips: Vec::new(),
            tags: Default::default(),
            replication: Replication::Ragrs,
        }
    }

    #[test]
    fn imports_name_the_subscription_group_account_and_container() {
        let found = FoundAzure {
            sku: Some("Standard_RAGRS".into()),
            kind: Some("StorageV2".into()),
            container_exists: true,
            public_access: Some("blob".into()),
            soft_delete_days: Some(None),
        };
        let a = plan(&store(), &found, "00000000-1111-2222-3333-444444444444");
        let ids: Vec<&str> = a.imports.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/acme-rg",
                "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/acme-rg/providers/Microsoft.Storage/storageAccounts/acmetfstate",
                "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/acme-rg/providers/Microsoft.Storage/storageAccounts/acmetfstate/blobServices/default/containers/tfstate",
            ]
        );
        assert!(a.kept.iter().any(|k| k.contains("replication RAGRS")));
        let all = a.changes.join("\n");
        assert!(all.contains("anonymous reads (blob)"));
        assert!(all.contains("blob soft delete is off"));
        assert!(all.contains("shared-key access is turned off"));
    }

    #[test]
    fn a_missing_container_is_created_and_other_tiers_are_refused() {
        let found = FoundAzure {
            sku: Some("Standard_LRS".into()),
            kind: Some("Storage".into()),
            soft_delete_days: Some(Some(7)),
            ..FoundAzure::default()
        };
        let a = plan(&store(), &found, "s");
        assert_eq!(a.imports.len(), 2);
        assert!(a.changes.iter().any(|c| c.contains("creates it")));
        assert!(a
            .changes
            .iter()
            .any(|c| c.contains("upgrades it to StorageV2")));
        assert_eq!(found.replication(), Some(Replication::Lrs));
        assert!(cannot_adopt(&found, "a").is_none());
        let premium = FoundAzure {
            sku: Some("Premium_LRS".into()),
            ..FoundAzure::default()
        };
        assert!(cannot_adopt(&premium, "a").unwrap().contains("tier"));
        let blob = FoundAzure {
            kind: Some("BlobStorage".into()),
            ..FoundAzure::default()
        };
        assert!(cannot_adopt(&blob, "a").unwrap().contains("BlobStorage"));
    }
}
