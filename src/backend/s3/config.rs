//! The `[state]` and `[[env]]` sections of a tfboot.toml for the S3 backend.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Encryption, EnvOptions, LockMode, StoreInput};
use crate::config::LoadedConfig;
use crate::model::{EnvInput, ProjectInput};

/// `backend = "s3"`, the default.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub enum S3Name {
    #[serde(rename = "s3")]
    S3,
}

/// `[state]` for S3: the bucket, its lock and the bootstrap module.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3State {
    /// `s3` (the default when unset) | `gcs`.
    pub backend: Option<S3Name>,
    /// Name of the S3 bucket that holds all state.
    #[schemars(with = "String")]
    pub bucket: Spanned<String>,
    /// The bucket's region, written into every backend block.
    #[schemars(with = "String")]
    pub region: Spanned<String>,
    /// `dynamodb` (default) | `s3` | `both`.
    #[serde(default)]
    pub lock: LockMode,
    /// DynamoDB lock table; default `<bucket>-lock`. Unused when `lock = "s3"`.
    #[schemars(with = "Option<String>")]
    pub lock_table: Option<Spanned<String>>,
    /// `kms` (default: the module creates a customer-managed key) | `aes256`.
    #[serde(default)]
    pub encryption: Encryption,
    /// Use this existing KMS key instead of creating one.
    #[schemars(with = "Option<String>")]
    pub kms_key_arn: Option<Spanned<String>>,
    /// Where the bootstrap module is written; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_dir: Option<Spanned<String>>,
    /// State key of the bootstrap module itself; default `bootstrap/terraform.tfstate`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_key: Option<Spanned<String>>,
    /// Tags for every resource the bootstrap module creates (provider `default_tags`).
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Spanned<BTreeMap<String, String>>>,
    /// Bucket settings the bootstrap module leaves alone (`tfboot adopt` sets them for a bucket's
    /// own policy or lifecycle rules): `bucket_policy`, `lifecycle`.
    #[serde(default)]
    pub unmanaged: Vec<super::Unmanaged>,
}

/// An `[[env]]` for S3.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Env {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Default `envs/<name>`.
    #[schemars(with = "Option<String>")]
    pub dir: Option<Spanned<String>>,
    /// Default `<dir>/terraform.tfstate`.
    #[schemars(with = "Option<String>")]
    pub key: Option<Spanned<String>>,
    /// Backend `assume_role = { role_arn = … }`.
    #[schemars(with = "Option<String>")]
    pub role_arn: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub workspace_key_prefix: Option<Spanned<String>>,
    /// Not supported: read only to reject it with a reason (the S3 backend tags nothing, so it
    /// would change no generated file). Not in the schema.
    #[serde(default)]
    #[schemars(skip)]
    pub tags: Option<Spanned<BTreeMap<String, String>>>,
}

/// A field S3 does not have, where something more useful than "unknown" can be said.
pub fn field_hint(section: &str, field: &str) -> Option<&'static str> {
    match (section, field) {
        ("state", "labels") => Some("S3 resources have tags, not labels: use state.tags"),
        ("env", "prefix") => Some("the s3 backend has no prefix: an environment's state is at its `key` (default `<dir>/terraform.tfstate`); set key, or state.backend = \"gcs\""),
        _ => None,
    }
}

/// The settings a tfboot.toml for S3 gives, before validation.
pub fn input(cfg: &LoadedConfig, s: &S3State, envs: &[S3Env]) -> ProjectInput {
    let sourced = |field: &str, v: &Spanned<String>| cfg.sourced(field, v);
    ProjectInput {
        store: crate::backend::StoreInput::S3(StoreInput {
            bucket: sourced("state.bucket", &s.bucket),
            region: sourced("state.region", &s.region),
            lock: s.lock,
            lock_table: s
                .lock_table
                .as_ref()
                .map(|v| sourced("state.lock_table", v)),
            encryption: s.encryption,
            encryption_field: "state.encryption".into(),
            kms_key_arn: s
                .kms_key_arn
                .as_ref()
                .map(|v| sourced("state.kms_key_arn", v)),
            tags: cfg.map_entries("state.tags", &s.tags),
            unmanaged: s.unmanaged.clone(),
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
                    options: crate::backend::EnvOptions::S3(EnvOptions {
                        role_arn: e.role_arn.as_ref().map(|v| sourced(&f("role_arn"), v)),
                        workspace_key_prefix: e
                            .workspace_key_prefix
                            .as_ref()
                            .map(|v| sourced(&f("workspace_key_prefix"), v)),
                        tags: cfg.map_entries(&f("tags"), &e.tags),
                    }),
                }
            })
            .collect(),
        layout: cfg.file.layout,
        discover: cfg.discover(),
    }
}
