//! The `[state]` and `[[env]]` sections of a tfboot.toml for the gcs backend.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Encryption, StoreInput};
use crate::config::LoadedConfig;
use crate::model::{EnvInput, ProjectInput};

/// `backend = "gcs"`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub enum GcsName {
    #[serde(rename = "gcs")]
    Gcs,
}

/// `[state]` for gcs: the Cloud Storage bucket and the bootstrap module. Terraform locks gcs
/// state with a `.tflock` object beside each state; there is no lock to configure.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcsState {
    /// `gcs`.
    pub backend: GcsName,
    /// Name of the Cloud Storage bucket that holds all state.
    #[schemars(with = "String")]
    pub bucket: Spanned<String>,
    /// The Google Cloud project ID the bucket (and its key) is created in.
    #[schemars(with = "String")]
    pub project: Spanned<String>,
    /// The bucket's location: a region (`europe-west1`), a dual-region (`EUR4`) or a
    /// multi-region (`EU`, `US`, `ASIA`).
    #[schemars(with = "String")]
    pub location: Spanned<String>,
    /// `kms` (default: a customer-managed key, created by the module unless `kms_key` names
    /// one) | `google` (Google-managed keys).
    #[serde(default)]
    pub encryption: Encryption,
    /// Use this existing key: `projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`, in the
    /// bucket's location.
    #[schemars(with = "Option<String>")]
    pub kms_key: Option<Spanned<String>>,
    /// Where the bootstrap module is written; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_dir: Option<Spanned<String>>,
    /// State prefix of the bootstrap module itself; default `bootstrap`.
    #[schemars(with = "Option<String>")]
    pub bootstrap_prefix: Option<Spanned<String>>,
    /// Labels for every resource the bootstrap module creates (provider `default_labels`):
    /// lowercase keys and values.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Bucket settings the module leaves as they are instead of managing them: `lifecycle` keeps
    /// the bucket's own lifecycle rules (what `tfboot adopt` writes for a bucket that has some).
    #[serde(default)]
    pub unmanaged: Vec<super::Unmanaged>,
}

/// An `[[env]]` for gcs.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcsEnv {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Default `envs/<name>`.
    #[schemars(with = "Option<String>")]
    pub dir: Option<Spanned<String>>,
    /// Default `<dir>`: the state is at `<prefix>/default.tfstate`, other workspaces beside it.
    #[schemars(with = "Option<String>")]
    pub prefix: Option<Spanned<String>>,
}

/// A field gcs does not have, where something more useful than "unknown" can be said.
pub fn field_hint(section: &str, field: &str) -> Option<&'static str> {
    Some(match (section, field) {
        ("state", "tags") => "Cloud Storage buckets have labels, not tags: use state.labels (lowercase keys and values)",
        ("state", "region") => "a Cloud Storage bucket has a location, not a region: use state.location (a region such as europe-west1, a dual-region such as EUR4, or EU, US, ASIA)",
        ("state", "kms_key_arn") => "use state.kms_key with the key's full resource name (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>)",
        ("state", "bootstrap_key") => "the gcs backend has a prefix, not a key: use state.bootstrap_prefix",
        ("state", "lock" | "lock_table") => "the gcs backend always locks each state with a .tflock object beside it; there is no lock to choose",
        ("env", "key") => "the gcs backend has no key: state goes to <prefix>/<workspace>.tfstate; use prefix (default `<dir>`)",
        ("env", "workspace_key_prefix") => "the gcs backend keeps every workspace under the prefix, as <prefix>/<workspace>.tfstate; there is no workspace prefix",
        ("env", "role_arn") => "AWS roles do not apply to gcs: the gcs backend uses Google credentials (GOOGLE_APPLICATION_CREDENTIALS, or impersonate_service_account in a partial configuration)",
        ("env", "tags" | "labels") => "the gcs backend labels nothing per environment: state.labels labels the bootstrap module's resources",
        _ => return None,
    })
}

/// The settings a tfboot.toml for gcs gives, before validation.
pub fn input(cfg: &LoadedConfig, s: &GcsState, envs: &[GcsEnv]) -> ProjectInput {
    let sourced = |field: &str, v: &Spanned<String>| cfg.sourced(field, v);
    ProjectInput {
        store: crate::backend::StoreInput::Gcs(StoreInput {
            bucket: sourced("state.bucket", &s.bucket),
            project: sourced("state.project", &s.project),
            location: sourced("state.location", &s.location),
            encryption: s.encryption,
            encryption_field: "state.encryption".into(),
            kms_key: s.kms_key.as_ref().map(|v| sourced("state.kms_key", v)),
            labels: cfg.map_entries("state.labels", &s.labels),
            unmanaged: s.unmanaged.clone(),
        }),
        bootstrap_dir: s
            .bootstrap_dir
            .as_ref()
            .map(|v| sourced("state.bootstrap_dir", v)),
        bootstrap_key: s
            .bootstrap_prefix
            .as_ref()
            .map(|v| sourced("state.bootstrap_prefix", v)),
        envs: envs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let f = |name: &str| format!("env[{i}].{name}");
                EnvInput {
                    name: sourced(&f("name"), &e.name),
                    dir: e.dir.as_ref().map(|v| sourced(&f("dir"), v)),
                    key: e.prefix.as_ref().map(|v| sourced(&f("prefix"), v)),
                    options: crate::backend::EnvOptions::None,
                }
            })
            .collect(),
        layout: cfg.file.layout,
        discover: cfg.discover(),
    }
}
