//! The S3 backend: a versioned, encrypted bucket, locked by a DynamoDB table and/or S3-native lock
//! objects (`use_lockfile`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{BackendBlock, BackendKind, BackendValue, StateBackend};
use crate::error::{InvalidValue, Result};
use crate::model::{BootstrapModule, Sourced};
use crate::render::RenderedFile;
use crate::templates::Templates;

pub mod config;
mod render;
pub mod validate;

pub use render::{aws_cli_script, AWS_PROVIDER_CONSTRAINT, NONCURRENT_DAYS};

/// Where the bootstrap module keeps its own state unless `bootstrap_key` says otherwise.
pub const DEFAULT_BOOTSTRAP_KEY: &str = "bootstrap/terraform.tfstate";

/// How Terraform guards the state against two concurrent writers (the *state* lock).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// A DynamoDB table keyed by `LockID` (`dynamodb_table`). Works with every Terraform and OpenTofu.
    #[default]
    Dynamodb,
    /// S3-native lock object `<key>.tflock` (`use_lockfile = true`); Terraform/OpenTofu >= 1.10.
    S3,
    /// Both: the documented migration path from DynamoDB to `use_lockfile`.
    Both,
}

impl LockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Dynamodb => "dynamodb",
            LockMode::S3 => "s3",
            LockMode::Both => "both",
        }
    }
    pub fn uses_table(self) -> bool {
        matches!(self, LockMode::Dynamodb | LockMode::Both)
    }
    pub fn uses_lockfile(self) -> bool {
        matches!(self, LockMode::S3 | LockMode::Both)
    }
    /// The oldest Terraform / OpenTofu that supports this lock mode with the backend syntax tfboot
    /// writes (1.6 rewrote the S3 backend; `use_lockfile` arrived in 1.10).
    pub fn required_version(self) -> &'static str {
        if self.uses_lockfile() {
            ">= 1.10.0"
        } else {
            ">= 1.6.0"
        }
    }
}

/// Default encryption of the state bucket.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "S3Encryption")]
pub enum Encryption {
    /// SSE-KMS with a customer-managed key (created by the module unless `kms_key_arn` is given).
    #[default]
    Kms,
    /// SSE-S3 (AES256), no customer-managed key.
    Aes256,
}

impl Encryption {
    pub fn as_str(self) -> &'static str {
        match self {
            Encryption::Kms => "kms",
            Encryption::Aes256 => "aes256",
        }
    }
}

/// The bucket's encryption as built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEncryption {
    /// The module creates a CMK with rotation and this alias.
    CreatedKey { alias: String },
    /// An existing key, by ARN.
    ExistingKey { arn: String },
    /// SSE-S3.
    Aes256,
}

impl StoreEncryption {
    /// What backends must carry as `kms_key_id`: without it Terraform uploads state with SSE-S3 and
    /// silently ignores the bucket's KMS default.
    pub fn backend_kms_key_id(&self) -> Option<&str> {
        match self {
            StoreEncryption::CreatedKey { alias } => Some(alias),
            StoreEncryption::ExistingKey { arn } => Some(arn),
            StoreEncryption::Aes256 => None,
        }
    }
}

/// The state lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub mode: LockMode,
    /// DynamoDB table name, when the mode uses one.
    pub table: Option<String>,
}

/// A bucket setting the bootstrap module leaves to someone else (`state.unmanaged`): `tfboot
/// adopt` keeps a bucket's own policy or lifecycle rules this way instead of replacing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unmanaged {
    /// The bucket policy (tfboot's is TLS-only).
    BucketPolicy,
    /// The lifecycle configuration (tfboot's expires noncurrent versions).
    Lifecycle,
}

impl Unmanaged {
    pub fn as_str(self) -> &'static str {
        match self {
            Unmanaged::BucketPolicy => "bucket_policy",
            Unmanaged::Lifecycle => "lifecycle",
        }
    }
}

/// The S3 bucket that holds all state, and its lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub bucket: String,
    pub region: String,
    pub encryption: StoreEncryption,
    pub tags: BTreeMap<String, String>,
    pub lock: Lock,
    /// Bucket settings the module does not manage.
    pub unmanaged: std::collections::BTreeSet<Unmanaged>,
}

impl Store {
    pub fn manages(&self, what: Unmanaged) -> bool {
        !self.unmanaged.contains(&what)
    }
}

/// Retiring the lock table: what deleting `dynamodb.tf` means, and the safe order.
pub const RETIRE_TABLE: &str = "it declares the DynamoDB lock table. Deleting the file makes the next `terraform apply` of the module try to destroy the table (deletion_protection_enabled = true makes AWS refuse). Retire it in this order: run `terraform init -reconfigure` in every root so none uses the table any more, then either keep the table but drop it from the module (replace the file with `removed { from = aws_dynamodb_table.lock  lifecycle { destroy = false } }`, Terraform >= 1.7) or delete it (set deletion_protection_enabled = false and remove prevent_destroy, apply, then delete the file and apply)";

/// Retiring the KMS key: state written before the switch can only be read with it.
pub const RETIRE_KEY: &str = "it declares the KMS key that encrypts the state written so far: every state object and the lock table stay encrypted with it until rewritten, and cannot be read without it. Deleting the file makes the next `terraform apply` schedule the key for deletion (deletion_window_in_days = 30; `aws kms cancel-key-deletion` undoes it within the window). Keep the key until every root has written its state again, or keep it for good by replacing the file with `removed` blocks (`from = aws_kms_key.state` and `from = aws_kms_alias.state`, `lifecycle { destroy = false }`, Terraform >= 1.7)";

/// Retiring the state bucket: it holds every state.
pub const RETIRE_BUCKET: &str = "it declares the state bucket, which holds the state of every root. Deleting the file alone makes the next `terraform apply` of that module try to destroy the bucket (prevent_destroy stops it). If the module moved (a new bootstrap_dir), move its state with it (`terraform state mv` or a `moved` block) before deleting the old files; the module's README describes the teardown";

impl StateBackend for Store {
    fn kind(&self) -> BackendKind {
        BackendKind::S3
    }

    fn store_name(&self) -> &str {
        &self.bucket
    }

    fn place(&self) -> &str {
        &self.region
    }

    fn block(&self, key: Option<&str>) -> BackendBlock {
        let mut out = vec![("bucket", BackendValue::String(self.bucket.clone()))];
        if let Some(key) = key {
            out.push(("key", BackendValue::String(key.to_string())));
        }
        out.push(("region", BackendValue::String(self.region.clone())));
        out.push(("encrypt", BackendValue::Bool(true)));
        if let Some(k) = self.encryption.backend_kms_key_id() {
            out.push(("kms_key_id", BackendValue::String(k.to_string())));
        }
        if let Some(t) = &self.lock.table {
            out.push(("dynamodb_table", BackendValue::String(t.clone())));
        }
        if self.lock.mode.uses_lockfile() {
            out.push(("use_lockfile", BackendValue::Bool(true)));
        }
        BackendBlock {
            backend: "s3",
            attributes: out,
        }
    }

    fn default_address(&self, dir: &str) -> String {
        format!("{dir}/terraform.tfstate")
    }

    fn state_url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn collision_key(&self, key: &str) -> String {
        key.to_string()
    }

    fn collision_note(&self) -> &'static str {
        " (the default workspace uses the key as is, whatever workspace_key_prefix says)"
    }

    fn required_version(&self) -> (&'static str, &'static str) {
        let reason = if self.lock.mode.uses_lockfile() {
            "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later."
        } else {
            "The S3 backend settings written here need Terraform 1.6 or later."
        };
        (self.lock.mode.required_version(), reason)
    }

    fn tfbackend_suffix(&self) -> &'static str {
        "s3.tfbackend"
    }

    fn tfbackend_template(&self) -> &'static str {
        "env/env.s3.tfbackend.tera"
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
        "aws_s3_bucket.state"
    }

    fn retire(&self, text: &str) -> Option<&'static str> {
        retire(text)
    }

    fn address_arguments(&self) -> &'static [&'static str] {
        &["bucket", "key", "workspace_key_prefix"]
    }

    fn lock_summary(&self) -> String {
        match (&self.lock.table, self.lock.mode.uses_lockfile()) {
            (Some(t), true) => {
                format!("the DynamoDB table {t} and an S3 lock object (use_lockfile)")
            }
            (Some(t), false) => format!("the DynamoDB table {t}"),
            (None, _) => "an S3 lock object (use_lockfile)".to_string(),
        }
    }

    fn explain_apply_failure(&self, stdout: &str, stderr: &str) -> Option<String> {
        let bucket = &self.bucket;
        if stderr.contains("BucketAlreadyOwnedByYou") {
            return Some(format!(
                "the bucket {bucket} exists already and your account owns it (BucketAlreadyOwnedByYou): it was made by hand or by an earlier bootstrap whose state is gone. Take it over instead of creating it (`tfboot adopt`, or `terraform import aws_s3_bucket.state {bucket}` and the other resources by hand), or pick another --bucket name. The state stays local (with whatever this apply did create), and a rerun continues from it"
            ));
        }
        if stderr.contains("BucketAlreadyExists") {
            return Some(format!(
                "a bucket named {bucket} exists in another AWS account (BucketAlreadyExists): bucket names are global across all accounts, so pick another name (for example with your account id or organisation in it). The state stays local (with whatever this apply did create)"
            ));
        }
        crate::apply::explain_declined(stdout, stderr)
    }
}

/// S3 store settings, before validation: from `tfboot.toml` or from `tfboot bootstrap` flags.
#[derive(Debug, Clone)]
pub struct StoreInput {
    pub bucket: Sourced,
    pub region: Sourced,
    pub lock: LockMode,
    pub lock_table: Option<Sourced>,
    pub encryption: Encryption,
    /// Where `encryption` was set, for the conflict message with `kms_key_arn`.
    pub encryption_field: String,
    pub kms_key_arn: Option<Sourced>,
    pub tags: Vec<(Sourced, Sourced)>,
    pub unmanaged: Vec<Unmanaged>,
}

impl StoreInput {
    pub fn build(&self, errors: &mut Vec<InvalidValue>) -> Store {
        self.bucket.check(errors, validate::bucket_name);
        self.region.check(errors, validate::region);

        let table = if self.lock.uses_table() {
            let t = self.lock_table.clone().unwrap_or_else(|| Sourced {
                value: format!("{}-lock", self.bucket.value),
                ..self.bucket.clone()
            });
            t.check(errors, validate::table_name);
            Some(t.value)
        } else {
            None
        };

        let encryption = match (self.encryption, &self.kms_key_arn) {
            (Encryption::Kms, Some(arn)) => {
                if let Err(r) = validate::kms_key_arn(&arn.value, &self.region.value) {
                    errors.push(arn.invalid(r));
                }
                StoreEncryption::ExistingKey {
                    arn: arn.value.clone(),
                }
            }
            (Encryption::Kms, None) => StoreEncryption::CreatedKey {
                alias: kms_alias_for(&self.bucket.value),
            },
            (Encryption::Aes256, Some(arn)) => {
                errors.push(arn.invalid(format!(
                    "a KMS key needs encryption = kms, but {} is aes256",
                    self.encryption_field
                )));
                StoreEncryption::Aes256
            }
            (Encryption::Aes256, None) => StoreEncryption::Aes256,
        };
        Store {
            bucket: self.bucket.value.clone(),
            region: self.region.value.clone(),
            encryption,
            tags: check_tags(&self.tags, errors),
            lock: Lock {
                mode: self.lock,
                table,
            },
            unmanaged: self.unmanaged.iter().copied().collect(),
        }
    }
}

fn check_tags(
    tags: &[(Sourced, Sourced)],
    errors: &mut Vec<InvalidValue>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if tags.len() > 50 {
        if let Some((k, _)) = tags.first() {
            errors.push(k.invalid(format!(
                "AWS allows at most 50 tags per resource ({} given)",
                tags.len()
            )));
        }
    }
    for (k, v) in tags {
        k.check(errors, validate::tag_key);
        v.check(errors, validate::tag_value);
        out.insert(k.value.clone(), v.value.clone());
    }
    out
}

/// KMS alias names allow `[A-Za-z0-9/_-]`; bucket names may also hold `.`.
pub fn kms_alias_for(bucket: &str) -> String {
    format!("alias/{}", bucket.replace('.', "-"))
}

/// An `[[env]]`'s S3-only settings.
#[derive(Debug, Clone, Default)]
pub struct EnvOptions {
    pub role_arn: Option<Sourced>,
    pub workspace_key_prefix: Option<Sourced>,
    /// Not supported; read only to reject with a reason.
    pub tags: Vec<(Sourced, Sourced)>,
}

impl EnvOptions {
    /// The attributes these settings add to the env's block, after the store's.
    pub fn attributes(&self, errors: &mut Vec<InvalidValue>) -> Vec<(&'static str, BackendValue)> {
        let mut out = Vec::new();
        if let Some(r) = &self.role_arn {
            r.check(errors, validate::role_arn);
        }
        if let Some(p) = &self.workspace_key_prefix {
            p.check(errors, validate::workspace_key_prefix);
            out.push((
                "workspace_key_prefix",
                BackendValue::String(p.value.clone()),
            ));
        }
        if let Some(r) = &self.role_arn {
            out.push(("assume_role", BackendValue::AssumeRole(r.value.clone())));
        }
        if let Some((k, _)) = self.tags.first() {
            errors.push(InvalidValue {
                field: k.field.replace(" key", ""),
                value: self
                    .tags
                    .iter()
                    .map(|(k, v)| format!("{}={}", k.value, v.value))
                    .collect::<Vec<_>>()
                    .join(", "),
                ..k.invalid("per-environment tags are not supported: the S3 backend has no tags setting (state objects are not tagged), so they would change no generated file. Tag the state store's resources with state.tags, and an environment's own resources with default_tags in its provider block")
            });
        }
        out
    }
}

/// For a stale generated file of this backend that declares what holds or guards state: how
/// to retire it.
pub fn retire(text: &str) -> Option<&'static str> {
    if text.contains("resource \"aws_kms_key\"") {
        Some(RETIRE_KEY)
    } else if text.contains("resource \"aws_dynamodb_table\"") {
        Some(RETIRE_TABLE)
    } else if text.contains("resource \"aws_s3_bucket\"") {
        Some(RETIRE_BUCKET)
    } else {
        None
    }
}
