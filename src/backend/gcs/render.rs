//! The gcs bootstrap module: bucket, key, the service agent's access to it, backend block,
//! outputs, README.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use super::{Store, StoreEncryption};
use crate::backend::StateBackend as _;
use crate::error::Result;
use crate::model::BootstrapModule;
use crate::render::{
    align, backend_attributes, escape_heredoc, hcl_key, quote_hcl, settings, FileKind,
    RenderedFile, Setting, OVERRIDE_FILE,
};
use crate::templates::{template_error, Templates};

/// The Google provider versions the bootstrap module admits: the current major (8) and the
/// previous one (7).
pub const GOOGLE_PROVIDER_CONSTRAINT: &str = ">= 7.0.0, < 9.0.0";

/// Days after which a noncurrent state version may be deleted.
pub const NONCURRENT_DAYS: u32 = 90;

/// Newer versions that must exist before a noncurrent one is deleted, however old it is.
pub const KEEP_VERSIONS: u32 = 5;

#[derive(Serialize)]
struct BootstrapContext {
    bucket: String,
    project: String,
    location: String,
    region: Option<String>,
    dir: String,
    key: String,
    state_url: String,
    encryption: &'static str,
    created_key: bool,
    kms_ring: String,
    kms_key: String,
    kms_location: String,
    kms_key_name: String,
    kms_key_ref: String,
    required_version: &'static str,
    version_reason: &'static str,
    google_version: &'static str,
    default_labels: String,
    backend_attrs: String,
    example_backend: String,
    backend_config_heredoc: String,
    override_file: &'static str,
    noncurrent_days: u32,
    keep_versions: u32,
    apply_command: String,
    encryption_summary: String,
    lock_summary: String,
    manage_lifecycle: bool,
    // Raw values for user templates (`--templates`), to be written with `| hcl` / `| hcl_key`.
    labels: BTreeMap<String, String>,
    backend: Vec<Setting>,
}

/// Every file of the gcs bootstrap module, from the given templates.
pub(super) fn bootstrap_module(
    store: &Store,
    templates: &Templates,
    module: &BootstrapModule,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    let (encryption, created_key, ring, key, kms_location, name, kms_key_ref, summary) =
        match &store.encryption {
            StoreEncryption::CreatedKey {
                ring,
                key,
                location,
            } => (
                "kms",
                true,
                ring.clone(),
                key.clone(),
                location.clone(),
                String::new(),
                "google_kms_crypto_key.state.id".to_string(),
                format!("the bucket's default key is the module's Cloud KMS key `{ring}/{key}` ({location}), rotated every 90 days"),
            ),
            StoreEncryption::ExistingKey { name } => (
                "kms",
                false,
                String::new(),
                String::new(),
                String::new(),
                name.clone(),
                quote_hcl(name),
                format!("the bucket's default key is the existing Cloud KMS key `{name}`"),
            ),
            StoreEncryption::Google => (
                "google",
                false,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "Google-managed keys (Google default encryption)".to_string(),
            ),
        };
    let labels: Vec<(String, String)> = store
        .labels
        .iter()
        .map(|(k, v)| (hcl_key(k), quote_hcl(v)))
        .collect();
    let own = store.block(Some(&module.key));
    let shared = store.block(Some("<root module>"));
    let heredoc = escape_heredoc(&backend_attributes(&store.block(None), "    "));
    let (required_version, version_reason) = store.required_version();
    let ctx = BootstrapContext {
        bucket: store.bucket.clone(),
        project: store.project.clone(),
        location: store.location.clone(),
        region: store.region(),
        dir: module.dir.to_string_lossy().replace('\\', "/"),
        key: module.key.clone(),
        state_url: store.state_url(&module.key),
        encryption,
        created_key,
        kms_ring: ring,
        kms_key: key,
        kms_location,
        kms_key_name: name,
        kms_key_ref,
        required_version,
        version_reason,
        google_version: GOOGLE_PROVIDER_CONSTRAINT,
        default_labels: align(&labels, "    "),
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        backend_config_heredoc: heredoc,
        override_file: OVERRIDE_FILE,
        noncurrent_days: NONCURRENT_DAYS,
        keep_versions: KEEP_VERSIONS,
        apply_command: apply_command.to_string(),
        encryption_summary: summary,
        lock_summary: format!(
            "{}. Terraform writes the lock only if none exists and removes it when done; `terraform force-unlock` takes the lock object's generation number (shown as the lock ID).",
            store.lock_summary()
        ),
        manage_lifecycle: store.manages(super::Unmanaged::Lifecycle),
        labels: store.labels.clone(),
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
        "gcs/bootstrap/versions.tf.tera",
        "versions.tf",
        FileKind::Hcl,
        false,
    )?;
    if encryption == "kms" {
        add("gcs/bootstrap/kms.tf.tera", "kms.tf", FileKind::Hcl, false)?;
    }
    add(
        "gcs/bootstrap/storage.tf.tera",
        "storage.tf",
        FileKind::Hcl,
        false,
    )?;
    add(
        "gcs/bootstrap/outputs.tf.tera",
        "outputs.tf",
        FileKind::Hcl,
        false,
    )?;
    add(
        "gcs/bootstrap/backend.tf.tera",
        "backend.tf",
        FileKind::Hcl,
        false,
    )?;
    add(
        "bootstrap/bootstrap_override.tf.tera",
        OVERRIDE_FILE,
        FileKind::Hcl,
        true,
    )?;
    add(
        "gcs/bootstrap/README.md.tera",
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
