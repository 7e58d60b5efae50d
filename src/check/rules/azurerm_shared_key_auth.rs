//! ## What it does
//! Finds an azurerm backend that does not set `use_azuread_auth = true`.
//!
//! ## Why is this bad?
//! Without it Terraform reaches the state blob with the storage account's shared key: the one
//! given (`access_key`, `ARM_ACCESS_KEY`), a SAS token, or one it looks up through Azure Resource
//! Manager with the signed-in identity's `listKeys` permission. That fails on an account with
//! shared keys disabled (the hardened setting, and what `tfboot bootstrap --backend azurerm`
//! creates), and a shared key grants everything on the account to whoever holds it. With
//! `use_azuread_auth = true` Terraform uses Azure AD and needs only a data-plane role (Storage Blob
//! Data Contributor) on the account or container. An `info`: whether the account still allows
//! shared keys is not in the files.
//!
//! ## Example
//! ```hcl
//! backend "azurerm" {
//!   resource_group_name  = "acme-tfstate-rg"
//!   storage_account_name = "acmetfstate"
//!   container_name       = "tfstate"
//!   key                  = "app/terraform.tfstate"
//! }
//! ```
//!
//! ## Use instead
//! Add `use_azuread_auth = true`, grant Storage Blob Data Contributor, and turn shared keys off.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "azurerm-shared-key-auth",
    Info,
    "an azurerm backend that reaches state with the account's shared key, not Azure AD",
    "azurerm_shared_key_auth.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "azurerm" || cfg.is_unconfigured_partial() {
        return;
    }
    if cfg.is_true("use_azuread_auth") {
        return;
    }
    let set_false = cfg.get("use_azuread_auth").is_some();
    out.push(cfg.diag_block(
        RULE.id,
        RULE.severity,
        if set_false {
            "azurerm backend with use_azuread_auth = false: Terraform reaches the state with the storage account's shared key, which fails once shared keys are disabled on the account"
        } else {
            "azurerm backend without use_azuread_auth = true: Terraform reaches the state with the storage account's shared key, which fails once shared keys are disabled on the account"
        },
        Some("set `use_azuread_auth = true` and grant the identity Storage Blob Data Contributor on the account or container".into()),
    ));
}
