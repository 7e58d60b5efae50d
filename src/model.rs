//! What to build, independent of where the settings came from: the state store, its lock, the
//! bootstrap module and the per-environment backends that point at them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::LoadedConfig;
use crate::error::{Error, InvalidValue, Result};
use crate::validate;

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

/// How per-environment backend configuration is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `<dir>/backend.tf` with the whole `backend "s3"` block.
    #[default]
    Dir,
    /// `<dir>/<env>.s3.tfbackend` partial configurations beside a `backend "s3" {}` block.
    Tfbackend,
}

/// Default encryption of the state bucket.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Encryption {
    /// SSE-KMS with a customer-managed key (created by the module unless `kms_key_arn` is given).
    #[default]
    Kms,
    /// SSE-S3 (AES256), no customer-managed key.
    Aes256,
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

/// The S3 bucket that holds all state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateStore {
    pub bucket: String,
    pub region: String,
    pub encryption: StoreEncryption,
    pub tags: BTreeMap<String, String>,
}

/// The state lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub mode: LockMode,
    /// DynamoDB table name, when the mode uses one.
    pub table: Option<String>,
}

/// One `backend "s3"` configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendBlock {
    pub bucket: String,
    pub key: Option<String>,
    pub region: String,
    pub kms_key_id: Option<String>,
    pub dynamodb_table: Option<String>,
    pub use_lockfile: bool,
    pub workspace_key_prefix: Option<String>,
    pub role_arn: Option<String>,
}

/// A value in a backend block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendValue {
    String(String),
    Bool(bool),
    /// `assume_role = { role_arn = "…" }`: an object attribute (Terraform rejects block syntax).
    AssumeRole(String),
}

impl BackendBlock {
    /// Attributes in the order tfboot writes them.
    pub fn attributes(&self) -> Vec<(&'static str, BackendValue)> {
        let mut out = vec![("bucket", BackendValue::String(self.bucket.clone()))];
        if let Some(key) = &self.key {
            out.push(("key", BackendValue::String(key.clone())));
        }
        out.push(("region", BackendValue::String(self.region.clone())));
        out.push(("encrypt", BackendValue::Bool(true)));
        if let Some(k) = &self.kms_key_id {
            out.push(("kms_key_id", BackendValue::String(k.clone())));
        }
        if let Some(t) = &self.dynamodb_table {
            out.push(("dynamodb_table", BackendValue::String(t.clone())));
        }
        if self.use_lockfile {
            out.push(("use_lockfile", BackendValue::Bool(true)));
        }
        if let Some(p) = &self.workspace_key_prefix {
            out.push(("workspace_key_prefix", BackendValue::String(p.clone())));
        }
        if let Some(r) = &self.role_arn {
            out.push(("assume_role", BackendValue::AssumeRole(r.clone())));
        }
        out
    }
}

/// The self-bootstrapping module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapModule {
    /// Directory, relative to the config file (or the working directory for `tfboot bootstrap`).
    pub dir: PathBuf,
    /// Where the module keeps its own state once it has moved into the bucket.
    pub key: String,
}

/// One environment's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvBackend {
    pub name: String,
    pub dir: PathBuf,
    pub key: String,
    pub role_arn: Option<String>,
    pub workspace_key_prefix: Option<String>,
}

/// Everything a config describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub store: StateStore,
    pub lock: Lock,
    pub bootstrap: BootstrapModule,
    pub envs: Vec<EnvBackend>,
    pub layout: Layout,
    /// `[discover]` roots and exclude globs.
    pub discover: Option<Discover>,
}

/// `[discover]`: root modules found by globs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discover {
    pub roots: Vec<String>,
    pub exclude: Vec<String>,
}

impl Project {
    /// The backend block for state at `key` in this project's store.
    pub fn backend(&self, key: Option<&str>) -> BackendBlock {
        BackendBlock {
            bucket: self.store.bucket.clone(),
            key: key.map(str::to_string),
            region: self.store.region.clone(),
            kms_key_id: self
                .store
                .encryption
                .backend_kms_key_id()
                .map(str::to_string),
            dynamodb_table: self.lock.table.clone(),
            use_lockfile: self.lock.mode.uses_lockfile(),
            workspace_key_prefix: None,
            role_arn: None,
        }
    }

    /// The bootstrap module's own backend.
    pub fn bootstrap_backend(&self) -> BackendBlock {
        self.backend(Some(&self.bootstrap.key))
    }

    pub fn env_backend(&self, env: &EnvBackend) -> BackendBlock {
        BackendBlock {
            workspace_key_prefix: env.workspace_key_prefix.clone(),
            role_arn: env.role_arn.clone(),
            ..self.backend(Some(&env.key))
        }
    }
}

/// A setting and where it came from, so a rejection can name the file, line and field.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub value: String,
    pub field: String,
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
}

impl Sourced {
    /// A value from a command-line flag.
    pub fn flag(flag: &str, value: impl Into<String>) -> Self {
        Sourced {
            value: value.into(),
            field: flag.to_string(),
            file: None,
            line: None,
        }
    }

    /// ` at line N` (nothing for a flag), for naming where another value came from.
    fn at(&self) -> String {
        match self.line {
            Some(l) => format!(" at line {l}"),
            None => String::new(),
        }
    }

    /// `env[0].name at line 7`: the field and where it is, to name it in another value's message.
    fn describe(&self) -> String {
        format!("{}{}", self.field, self.at())
    }

    /// A value the user did not write, defaulted from this one (an env's `key` or `dir` from its
    /// `name`): named as `env[1].key (default)` at this value's line.
    pub fn defaulted(&self, field: &str, value: &str) -> Sourced {
        let owner = self
            .field
            .strip_suffix(".name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", self.field, self.value));
        Sourced {
            value: value.to_string(),
            field: format!("{owner}.{field} (default)"),
            file: self.file.clone(),
            line: self.line,
        }
    }

    fn invalid(&self, rule: impl Into<String>) -> InvalidValue {
        InvalidValue {
            file: self.file.clone(),
            line: self.line,
            field: self.field.clone(),
            value: self.value.clone(),
            rule: rule.into(),
        }
    }

    fn check(&self, errors: &mut Vec<InvalidValue>, rule: fn(&str) -> Result<(), String>) {
        if let Err(r) = rule(&self.value) {
            errors.push(self.invalid(r));
        }
    }
}

/// Settings for one environment, before validation.
#[derive(Debug, Clone)]
pub struct EnvInput {
    pub name: Sourced,
    pub dir: Option<Sourced>,
    pub key: Option<Sourced>,
    pub role_arn: Option<Sourced>,
    pub workspace_key_prefix: Option<Sourced>,
    pub tags: Vec<(Sourced, Sourced)>,
}

/// Settings for a project, before validation: from `tfboot.toml` or from `tfboot bootstrap` flags.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub bucket: Sourced,
    pub region: Sourced,
    pub lock: LockMode,
    pub lock_table: Option<Sourced>,
    pub encryption: Encryption,
    /// Where `encryption` was set, for the conflict message with `kms_key_arn`.
    pub encryption_field: String,
    pub kms_key_arn: Option<Sourced>,
    pub bootstrap_dir: Option<Sourced>,
    pub bootstrap_key: Option<Sourced>,
    pub tags: Vec<(Sourced, Sourced)>,
    pub envs: Vec<EnvInput>,
    pub layout: Layout,
    pub discover: Option<Discover>,
}

pub const DEFAULT_BOOTSTRAP_DIR: &str = "bootstrap";
pub const DEFAULT_BOOTSTRAP_KEY: &str = "bootstrap/terraform.tfstate";

impl ProjectInput {
    /// Validate every value (collecting all problems, not just the first) and build the model.
    pub fn build(self) -> Result<Project> {
        let mut errors = Vec::new();
        self.bucket.check(&mut errors, validate::bucket_name);
        self.region.check(&mut errors, validate::region);

        let table = if self.lock.uses_table() {
            let t = self.lock_table.clone().unwrap_or_else(|| Sourced {
                value: format!("{}-lock", self.bucket.value),
                ..self.bucket.clone()
            });
            t.check(&mut errors, validate::table_name);
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

        let bootstrap_dir = match &self.bootstrap_dir {
            Some(d) => {
                d.check(&mut errors, validate::relative_dir);
                d.value.clone()
            }
            None => DEFAULT_BOOTSTRAP_DIR.to_string(),
        };
        let bootstrap_key = match &self.bootstrap_key {
            Some(k) => {
                k.check(&mut errors, validate::state_key);
                k.value.clone()
            }
            None => DEFAULT_BOOTSTRAP_KEY.to_string(),
        };

        let tags = check_tags(&self.tags, &mut errors);

        let mut envs = Vec::new();
        for env in &self.envs {
            env.name.check(&mut errors, validate::env_name);
            let dir = match &env.dir {
                Some(d) => {
                    d.check(&mut errors, validate::relative_dir);
                    d.value.trim_end_matches('/').to_string()
                }
                None => format!("envs/{}", env.name.value),
            };
            let key = match &env.key {
                Some(k) => {
                    k.check(&mut errors, validate::state_key);
                    k.value.clone()
                }
                // Partial-configuration envs given a directory usually share it, so each gets its
                // own sub-path; a default directory (envs/<name>) is unique already.
                None if self.layout == Layout::Tfbackend && env.dir.is_some() => format!(
                    "{}/{}/terraform.tfstate",
                    normalize_dir(&dir),
                    env.name.value
                ),
                None => format!("{}/terraform.tfstate", normalize_dir(&dir)),
            };
            if let Some(r) = &env.role_arn {
                r.check(&mut errors, validate::role_arn);
            }
            if let Some(p) = &env.workspace_key_prefix {
                p.check(&mut errors, validate::workspace_key_prefix);
            }
            if let Some((k, _)) = env.tags.first() {
                errors.push(InvalidValue {
                    field: k.field.replace(" key", ""),
                    value: env
                        .tags
                        .iter()
                        .map(|(k, v)| format!("{}={}", k.value, v.value))
                        .collect::<Vec<_>>()
                        .join(", "),
                    ..k.invalid("per-environment tags are not supported: the S3 backend has no tags setting (state objects are not tagged), so they would change no generated file. Tag the state store's resources with state.tags, and an environment's own resources with default_tags in its provider block")
                });
            }
            envs.push(EnvBackend {
                name: env.name.value.clone(),
                dir: PathBuf::from(normalize_dir(&dir)),
                key,
                role_arn: env.role_arn.as_ref().map(|r| r.value.clone()),
                workspace_key_prefix: env.workspace_key_prefix.as_ref().map(|p| p.value.clone()),
            });
        }
        check_env_collisions(&self, &envs, &bootstrap_key, &mut errors);
        if self.layout == Layout::Dir {
            let mut dirs: BTreeMap<&PathBuf, (&str, Sourced)> = BTreeMap::new();
            for (env, src) in envs.iter().zip(&self.envs) {
                let at = src.dir.clone().unwrap_or_else(|| {
                    src.name
                        .defaulted("dir", &env.dir.to_string_lossy().replace('\\', "/"))
                });
                if let Some((other, other_at)) = dirs.get(&env.dir) {
                    errors.push(at.invalid(format!(
                        "env {other:?} ({}) uses the same directory; with layout = \"dir\" each environment needs its own directory (or use layout = \"tfbackend\")",
                        other_at.describe()
                    )));
                } else {
                    dirs.insert(&env.dir, (&env.name, at));
                }
            }
        }

        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(Project {
            store: StateStore {
                bucket: self.bucket.value,
                region: self.region.value,
                encryption,
                tags,
            },
            lock: Lock {
                mode: self.lock,
                table,
            },
            bootstrap: BootstrapModule {
                dir: PathBuf::from(normalize_dir(&bootstrap_dir)),
                key: bootstrap_key,
            },
            envs,
            layout: self.layout,
            discover: self.discover,
        })
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

/// Two environments, or an environment and the bootstrap module, that would share a state object.
/// The default workspace's state lives at `key` whatever `workspace_key_prefix` says (the prefix
/// only places *other* workspaces, at `<prefix>/<workspace>/<key>`), so equal keys collide.
fn check_env_collisions(
    input: &ProjectInput,
    envs: &[EnvBackend],
    bootstrap_key: &str,
    errors: &mut Vec<InvalidValue>,
) {
    let mut seen_names: BTreeMap<&str, &Sourced> = BTreeMap::new();
    let mut seen_keys: BTreeMap<&str, String> = BTreeMap::new();
    let bootstrap_owner = match &input.bootstrap_key {
        Some(k) => format!("the bootstrap module ({}{})", k.field, k.at()),
        None => "the bootstrap module (its default state key)".to_string(),
    };
    seen_keys.insert(bootstrap_key, bootstrap_owner);
    for (env, src) in envs.iter().zip(&input.envs) {
        if let Some(first) = seen_names.get(env.name.as_str()) {
            errors.push(src.name.invalid(format!(
                "environment names must be unique; {} has the same name",
                first.describe()
            )));
        } else {
            seen_names.insert(&env.name, &src.name);
        }
        let at = src
            .key
            .clone()
            .unwrap_or_else(|| src.name.defaulted("key", &env.key));
        if let Some(other) = seen_keys.get(env.key.as_str()) {
            errors.push(at.invalid(format!(
                "state address s3://{}/{} is also used by {other}; two configurations sharing one state overwrite each other (the default workspace uses the key as is, whatever workspace_key_prefix says)",
                input.bucket.value, env.key
            )));
        } else {
            seen_keys.insert(&env.key, format!("env {:?} ({})", env.name, at.describe()));
        }
    }
}

/// `./a//b/` → `a/b`.
fn normalize_dir(dir: &str) -> String {
    dir.split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// KMS alias names allow `[A-Za-z0-9/_-]`; bucket names may also hold `.`.
pub fn kms_alias_for(bucket: &str) -> String {
    format!("alias/{}", bucket.replace('.', "-"))
}

impl ProjectInput {
    /// Settings from a loaded `tfboot.toml`.
    pub fn from_config(cfg: &LoadedConfig) -> Self {
        let s = &cfg.file.state;
        let sourced = |field: &str, v: &toml::Spanned<String>| Sourced {
            value: v.get_ref().clone(),
            field: field.to_string(),
            file: Some(cfg.path.clone()),
            line: Some(cfg.line_of(v.span().start)),
        };
        let tags = |prefix: &str, t: &Option<toml::Spanned<BTreeMap<String, String>>>| {
            let Some(t) = t else { return Vec::new() };
            let line = Some(cfg.line_of(t.span().start));
            t.get_ref()
                .iter()
                .map(|(k, v)| {
                    let at = |field: String, value: &str| Sourced {
                        value: value.to_string(),
                        field,
                        file: Some(cfg.path.clone()),
                        line,
                    };
                    (
                        at(format!("{prefix}.tags key"), k),
                        at(format!("{prefix}.tags.{k}"), v),
                    )
                })
                .collect()
        };
        ProjectInput {
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
            bootstrap_dir: s
                .bootstrap_dir
                .as_ref()
                .map(|v| sourced("state.bootstrap_dir", v)),
            bootstrap_key: s
                .bootstrap_key
                .as_ref()
                .map(|v| sourced("state.bootstrap_key", v)),
            tags: tags("state", &s.tags),
            envs: cfg
                .file
                .env
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let f = |name: &str| format!("env[{i}].{name}");
                    EnvInput {
                        name: sourced(&f("name"), &e.name),
                        dir: e.dir.as_ref().map(|v| sourced(&f("dir"), v)),
                        key: e.key.as_ref().map(|v| sourced(&f("key"), v)),
                        role_arn: e.role_arn.as_ref().map(|v| sourced(&f("role_arn"), v)),
                        workspace_key_prefix: e
                            .workspace_key_prefix
                            .as_ref()
                            .map(|v| sourced(&f("workspace_key_prefix"), v)),
                        tags: tags(&format!("env[{i}]"), &e.tags),
                    }
                })
                .collect(),
            layout: cfg.file.layout,
            discover: cfg.file.discover.as_ref().map(|d| Discover {
                roots: d.roots.iter().map(|r| r.get_ref().clone()).collect(),
                exclude: d.exclude.iter().map(|r| r.get_ref().clone()).collect(),
            }),
        }
    }
}
