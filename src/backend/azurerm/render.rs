//! The azurerm bootstrap module: resource group, hardened storage account, delete lock, the
//! data-plane role for whoever runs Terraform, the container, backend block, outputs, README.

use serde::Serialize;
use tera::Context;

use super::{validate, Store, StoreEncryption};
use crate::backend::StateBackend as _;
use crate::error::Result;
use crate::model::BootstrapModule;
use crate::render::{
    align, backend_attributes, escape_heredoc, hcl_key, quote_hcl, settings, FileKind,
    RenderedFile, Setting, OVERRIDE_FILE,
};
use crate::templates::{template_error, Templates};

/// The azurerm provider versions the bootstrap module admits: the current major (5) and the
/// previous one (4).
pub const AZURERM_PROVIDER_CONSTRAINT: &str = ">= 4.0.0, < 6.0.0";

/// Days deleted blobs and containers stay restorable.
pub const RETENTION_DAYS: u32 = 30;

#[derive(Serialize)]
struct BootstrapContext {
    storage_account: String,
    resource_group: String,
    container: String,
    location: String,
    subscription_id: Option<String>,
    allowed_ips: Vec<String>,
    allowed_ips_hcl: String,
    encryption: &'static str,
    created_key: bool,
    vault_name: String,
    vault_ref: String,
    key_ref: String,
    encryption_summary: String,
    dir: String,
    key: String,
    state_url: String,
    required_version: &'static str,
    version_reason: &'static str,
    azurerm_version: &'static str,
    tags_local: String,
    backend_attrs: String,
    example_backend: String,
    backend_config_heredoc: String,
    override_file: &'static str,
    retention_days: u32,
    replication: &'static str,
    apply_command: String,
    lock_summary: String,
    // Raw values for user templates (`--templates`), to be written with `| hcl` / `| hcl_key`.
    tags: std::collections::BTreeMap<String, String>,
    backend: Vec<Setting>,
}

/// Every file of the azurerm bootstrap module, from the given templates.
pub(super) fn bootstrap_module(
    store: &Store,
    templates: &Templates,
    module: &BootstrapModule,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    let tags: Vec<(String, String)> = store
        .tags
        .iter()
        .map(|(k, v)| (hcl_key(k), quote_hcl(v)))
        .collect();
    let tags_local = if tags.is_empty() {
        "  tags = {}".to_string()
    } else {
        format!("  tags = {{\n{}\n  }}", align(&tags, "    "))
    };
    let own = store.block(Some(&module.key));
    let shared = store.block(Some("<root module>/terraform.tfstate"));
    let heredoc = escape_heredoc(&backend_attributes(&store.block(None), "    "));
    let (required_version, version_reason) = store.required_version();
    let (encryption, created_key, vault_name, vault_ref, key_ref, encryption_summary) =
        match &store.encryption {
            StoreEncryption::Microsoft => (
                "microsoft",
                false,
                String::new(),
                String::new(),
                String::new(),
                "Microsoft-managed keys, with infrastructure encryption as a second layer.".to_string(),
            ),
            StoreEncryption::CreatedKey { vault } => (
                "cmk",
                true,
                vault.clone(),
                "azurerm_key_vault.state.id".to_string(),
                "azurerm_key_vault_key.state.versionless_id".to_string(),
                format!("the module's HSM-backed key `tfstate` in the Key Vault `{vault}` (rotated yearly), with infrastructure encryption as a second layer."),
            ),
            StoreEncryption::ExistingKey { key_id, vault_id } => (
                "cmk",
                false,
                String::new(),
                quote_hcl(vault_id),
                quote_hcl(key_id),
                format!("the existing key `{key_id}`, with infrastructure encryption as a second layer."),
            ),
        };
    let ctx = BootstrapContext {
        storage_account: store.storage_account.clone(),
        resource_group: store.resource_group.clone(),
        container: store.container.clone(),
        location: validate::normalize_location(&store.location),
        subscription_id: store.subscription_id.clone(),
        allowed_ips: store.allowed_ips.clone(),
        allowed_ips_hcl: format!(
            "[{}]",
            store
                .allowed_ips
                .iter()
                .map(|ip| quote_hcl(ip))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        encryption,
        created_key,
        vault_name,
        vault_ref,
        key_ref,
        encryption_summary,
        dir: module.dir.to_string_lossy().replace('\\', "/"),
        key: module.key.clone(),
        state_url: store.state_url(&module.key),
        required_version,
        version_reason,
        azurerm_version: AZURERM_PROVIDER_CONSTRAINT,
        tags_local,
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        backend_config_heredoc: heredoc,
        override_file: OVERRIDE_FILE,
        retention_days: RETENTION_DAYS,
        replication: store.replication.as_str(),
        apply_command: apply_command.to_string(),
        lock_summary: store.lock_summary(),
        tags: store.tags.clone(),
        backend: settings(&own),
    };
    let ctx = Context::from_serialize(&ctx).map_err(|e| template_error("(context)", &e))?;
    let mut files = Vec::new();
    let mut add = |name: &str, out: &str, kind: FileKind, transient: bool| -> Result<()> {
        let body = templates.render(name, &ctx, kind)?;
        files.push(RenderedFile {
            path: module.dir.join(out),
            kind,
            body,
            transient,
        });
        Ok(())
    };
    add(
        "azurerm/bootstrap/versions.tf.tera",
        "versions.tf",
        FileKind::Hcl,
        false,
    )?;
    if encryption == "cmk" {
        add(
            "azurerm/bootstrap/cmk.tf.tera",
            "cmk.tf",
            FileKind::Hcl,
            false,
        )?;
    }
    for (template, out) in [
        ("azurerm/bootstrap/storage.tf.tera", "storage.tf"),
        ("azurerm/bootstrap/outputs.tf.tera", "outputs.tf"),
        ("azurerm/bootstrap/backend.tf.tera", "backend.tf"),
    ] {
        add(template, out, FileKind::Hcl, false)?;
    }
    add(
        "bootstrap/bootstrap_override.tf.tera",
        OVERRIDE_FILE,
        FileKind::Hcl,
        true,
    )?;
    add(
        "azurerm/bootstrap/README.md.tera",
        "README.md",
        FileKind::Markdown,
        false,
    )?;
    add(
        "bootstrap/gitignore.tera",
        ".gitignore",
        FileKind::Plain,
        false,
    )?;
    Ok(files)
}
