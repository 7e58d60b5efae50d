//! The gcs backend: a Cloud Storage bucket (versioned, uniform access, public access prevented,
//! CMEK by default) whose state objects Terraform locks with a `.tflock` object beside each state,
//! created with a generation precondition (`ifGenerationMatch=0`).

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

pub use render::{GOOGLE_PROVIDER_CONSTRAINT, KEEP_VERSIONS, NONCURRENT_DAYS};

/// Where the bootstrap module keeps its own state unless `bootstrap_prefix` says otherwise.
pub const DEFAULT_BOOTSTRAP_PREFIX: &str = "bootstrap";

/// Default encryption of the state bucket.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "GcsEncryption")]
pub enum Encryption {
    /// A customer-managed Cloud KMS key as the bucket's default key (created by the module
    /// unless `kms_key` names one).
    #[default]
    Kms,
    /// Google-managed encryption keys (Google default encryption).
    Google,
}

impl Encryption {
    pub fn as_str(self) -> &'static str {
        match self {
            Encryption::Kms => "kms",
            Encryption::Google => "google",
        }
    }
}

/// The bucket's encryption as built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEncryption {
    /// The module creates a key ring and key in `location`.
    CreatedKey {
        ring: String,
        key: String,
        location: String,
    },
    /// An existing key, by its full resource name.
    ExistingKey { name: String },
    /// Google default encryption.
    Google,
}

/// A bucket setting the gcs bootstrap module leaves to someone else (`state.unmanaged`): `tfboot
/// adopt` keeps a bucket's own lifecycle rules this way instead of replacing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "GcsUnmanaged")]
pub enum Unmanaged {
    /// The bucket's lifecycle rules (tfboot's deletes old noncurrent versions).
    Lifecycle,
}

impl Unmanaged {
    pub fn as_str(self) -> &'static str {
        match self {
            Unmanaged::Lifecycle => "lifecycle",
        }
    }
}

/// The Cloud Storage bucket that holds all state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub bucket: String,
    pub project: String,
    /// As given (`europe-west1`, `EU`, `nam4`).
    pub location: String,
    pub encryption: StoreEncryption,
    pub labels: BTreeMap<String, String>,
    /// Bucket settings the module does not manage.
    pub unmanaged: std::collections::BTreeSet<Unmanaged>,
}

impl Store {
    pub fn manages(&self, what: Unmanaged) -> bool {
        !self.unmanaged.contains(&what)
    }

    /// The provider's default region: the bucket's location when it is a region.
    pub fn region(&self) -> Option<String> {
        (validate::location_kind(&self.location) == Some(validate::LocationKind::Region))
            .then(|| self.location.to_ascii_lowercase())
    }
}

/// Retiring the KMS key: objects written with it cannot be read without it.
pub const RETIRE_KEY: &str = "it declares the Cloud KMS key that encrypts the state written so far: every state object stays encrypted with it until rewritten, and cannot be read once the key's versions are destroyed. Deleting the file makes the next `terraform apply` of the module try to destroy the key (prevent_destroy stops it; Cloud KMS then schedules the key versions for destruction). Keep it until every root has written its state again, or keep it for good with `removed` blocks (`from = google_kms_crypto_key.state`, `lifecycle { destroy = false }`, Terraform >= 1.7)";

/// Retiring the state bucket: it holds every state.
pub const RETIRE_BUCKET: &str = "it declares the state bucket, which holds the state of every root. Deleting the file alone makes the next `terraform apply` of that module try to destroy the bucket (prevent_destroy and force_destroy = false stop it). If the module moved (a new bootstrap_dir), move its state with it (`terraform state mv` or a `moved` block) before deleting the old files; the module's README describes the teardown";

impl StateBackend for Store {
    fn kind(&self) -> BackendKind {
        BackendKind::Gcs
    }

    fn store_name(&self) -> &str {
        &self.bucket
    }

    fn place(&self) -> &str {
        &self.location
    }

    fn block(&self, prefix: Option<&str>) -> BackendBlock {
        let mut attributes = vec![("bucket", BackendValue::String(self.bucket.clone()))];
        if let Some(p) = prefix {
            attributes.push(("prefix", BackendValue::String(p.to_string())));
        }
        BackendBlock {
            backend: "gcs",
            attributes,
        }
    }

    fn default_address(&self, dir: &str) -> String {
        dir.to_string()
    }

    fn state_url(&self, prefix: &str) -> String {
        let p = validate::normalize_prefix(prefix);
        if p.is_empty() {
            format!("gs://{}/default.tfstate", self.bucket)
        } else {
            format!("gs://{}/{p}/default.tfstate", self.bucket)
        }
    }

    fn collision_key(&self, prefix: &str) -> String {
        validate::normalize_prefix(prefix)
    }

    fn collision_note(&self) -> &'static str {
        " (Terraform keeps every workspace of a prefix at <prefix>/<workspace>.tfstate, so equal prefixes share all their workspaces)"
    }

    fn required_version(&self) -> (&'static str, &'static str) {
        (
            ">= 1.3.0",
            "The gcs backend settings written here (bucket, prefix) work with Terraform 1.3 or later and every OpenTofu release.",
        )
    }

    fn tfbackend_suffix(&self) -> &'static str {
        "gcs.tfbackend"
    }

    fn tfbackend_template(&self) -> &'static str {
        "env/env.gcs.tfbackend.tera"
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
        "google_storage_bucket.state"
    }

    fn retire(&self, text: &str) -> Option<&'static str> {
        retire(text)
    }

    fn address_arguments(&self) -> &'static [&'static str] {
        &["bucket", "prefix"]
    }

    fn lock_summary(&self) -> String {
        "a .tflock object beside each state (created only if absent, ifGenerationMatch=0)".into()
    }

    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String> {
        let bucket = &self.bucket;
        if stderr.contains("you already own it") {
            return Some(format!(
                "the bucket {bucket} exists already and you own it (Error 409): it was made by hand or by an earlier bootstrap whose state is gone. Import it instead of creating it (`terraform import google_storage_bucket.state {bucket}`), or pick another --bucket name. The state stays local (with whatever this apply did create), and a rerun continues from it"
            ));
        }
        if stderr.contains("bucket name is not available") {
            return Some(format!(
                "a bucket named {bucket} exists in another project (Error 409): bucket names are global across all of Cloud Storage, so pick another name (for example with your project id in it). The state stays local (with whatever this apply did create)"
            ));
        }
        if stderr.contains("Permission denied on Cloud KMS key") {
            return Some(
                "Cloud Storage's service agent may not use the KMS key (Error 403): it needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key, which google_kms_crypto_key_iam_member.storage_agent grants; if the key is in another project, whoever runs this needs permission to set that key's IAM policy. The state stays local, and a rerun continues from it".into(),
            );
        }
        if stderr.contains("already exists") && stderr.contains("keyRings") {
            return Some(
                "the key ring exists already: Cloud KMS key rings can never be deleted, so a second bootstrap with the same bucket name finds the first one's ring. Import it (`terraform import google_kms_key_ring.state <its id>`) and its key, or name an existing key with kms_key".into(),
            );
        }
        crate::apply::explain_declined(stdout, stderr)
    }
}

/// GCS store settings, before validation.
#[derive(Debug, Clone)]
pub struct StoreInput {
    pub bucket: Sourced,
    pub project: Sourced,
    pub location: Sourced,
    pub encryption: Encryption,
    /// Where `encryption` was set, for the conflict message with `kms_key`.
    pub encryption_field: String,
    pub kms_key: Option<Sourced>,
    pub labels: Vec<(Sourced, Sourced)>,
    pub unmanaged: Vec<Unmanaged>,
}

/// The full resource name of a Cloud KMS key ring.
pub fn key_ring_name(project: &str, location: &str, ring: &str) -> String {
    format!("projects/{project}/locations/{location}/keyRings/{ring}")
}

/// The full resource name of a Cloud KMS key.
pub fn kms_key_name(project: &str, location: &str, ring: &str, key: &str) -> String {
    format!(
        "{}/cryptoKeys/{key}",
        key_ring_name(project, location, ring)
    )
}

/// The key ring, key and Cloud KMS location of the key the module creates for a bucket.
fn created_key(bucket: &str, bucket_location: &str) -> (String, String, String) {
    let location = validate::kms_locations_for(bucket_location)
        .into_iter()
        .next()
        .unwrap_or_default();
    (key_ring_for(bucket), "state".into(), location)
}

/// The full resource name of the key the module would create for a bucket.
pub fn created_key_name(project: &str, bucket: &str, bucket_location: &str) -> String {
    let (ring, key, location) = created_key(bucket, bucket_location);
    kms_key_name(project, &location, &ring, &key)
}

/// Key ring and key names allow `[A-Za-z0-9_-]{1,63}`; bucket names may hold `.` and be longer.
pub fn key_ring_for(bucket: &str) -> String {
    let mut name: String = bucket
        .chars()
        .map(|c| if c == '.' { '-' } else { c })
        .collect();
    name.truncate(63);
    name
}

impl StoreInput {
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        self.bucket.check(errors, validate::bucket_name);
        self.project.check(errors, validate::project_id);
        self.location.check(errors, validate::location);
        let encryption = match (self.encryption, &self.kms_key) {
            (Encryption::Kms, Some(k)) => {
                if let Err(r) = validate::kms_key(&k.value, &self.location.value) {
                    errors.push(k.invalid(r));
                }
                StoreEncryption::ExistingKey {
                    name: k.value.clone(),
                }
            }
            (Encryption::Kms, None) => {
                let (ring, key, location) = created_key(&self.bucket.value, &self.location.value);
                StoreEncryption::CreatedKey {
                    ring,
                    key,
                    location,
                }
            }
            (Encryption::Google, Some(k)) => {
                errors.push(k.invalid(format!(
                    "a KMS key needs encryption = kms, but {} is google",
                    self.encryption_field
                )));
                StoreEncryption::Google
            }
            (Encryption::Google, None) => StoreEncryption::Google,
        };
        let mut labels = BTreeMap::new();
        if self.labels.len() > 64 {
            if let Some((k, _)) = self.labels.first() {
                errors.push(k.invalid(format!(
                    "a bucket has at most 64 labels ({} given)",
                    self.labels.len()
                )));
            }
        }
        for (k, v) in &self.labels {
            k.check(errors, validate::label_key);
            v.check(errors, validate::label_value);
            labels.insert(k.value.clone(), v.value.clone());
        }
        Store {
            bucket: self.bucket.value.clone(),
            project: self.project.value.clone(),
            location: self.location.value.clone(),
            encryption,
            labels,
            unmanaged: self.unmanaged.iter().copied().collect(),
        }
    }
}

/// For a stale generated file of this backend that declares what holds or guards state: how
/// to retire it.
pub fn retire(text: &str) -> Option<&'static str> {
    if text.contains("resource \"google_kms_crypto_key\"") {
        Some(RETIRE_KEY)
    } else if text.contains("resource \"google_storage_bucket\"") {
        Some(RETIRE_BUCKET)
    } else {
        None
    }
}
