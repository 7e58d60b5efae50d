//! What to build, independent of where the settings came from: the state store, its lock, the
//! bootstrap module and the per-environment backends that point at them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::backend::{BackendValue, EnvOptions, Store, StoreInput};
use crate::error::{Error, InvalidValue, Result};
use crate::validate;

pub use crate::backend::s3::{Encryption, Lock, LockMode, StoreEncryption};
pub use crate::backend::{BackendBlock, BackendKind};

/// How per-environment backend configuration is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `<dir>/backend.tf` with the whole backend block.
    #[default]
    Dir,
    /// `<dir>/<env>.<backend>.tfbackend` partial configurations (`dev.s3.tfbackend`,
    /// `dev.gcs.tfbackend`) beside an empty backend block.
    Tfbackend,
}

/// The self-bootstrapping module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapModule {
    /// Directory, relative to the config file (or the working directory for `tfboot bootstrap`).
    pub dir: PathBuf,
    /// Where the module keeps its own state once it has moved into the bucket: its address (an
    /// S3 key, a GCS prefix).
    pub key: String,
}

/// One environment's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvBackend {
    pub name: String,
    pub dir: PathBuf,
    /// The state's address in the store (an S3 key, a GCS prefix).
    pub key: String,
    /// Attributes only this environment's block has (S3: `workspace_key_prefix`, `assume_role`).
    pub attributes: Vec<(&'static str, BackendValue)>,
}

/// Everything a config describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub store: Store,
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
        self.store.block(key)
    }

    /// The bootstrap module's own backend.
    pub fn bootstrap_backend(&self) -> BackendBlock {
        self.backend(Some(&self.bootstrap.key))
    }

    pub fn env_backend(&self, env: &EnvBackend) -> BackendBlock {
        let mut block = self.backend(Some(&env.key));
        block.attributes.extend(env.attributes.iter().cloned());
        block
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
    pub(crate) fn describe(&self) -> String {
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

    pub fn invalid(&self, rule: impl Into<String>) -> InvalidValue {
        InvalidValue {
            file: self.file.clone(),
            line: self.line,
            field: self.field.clone(),
            value: self.value.clone(),
            rule: rule.into(),
        }
    }

    pub fn check(&self, errors: &mut Vec<InvalidValue>, rule: fn(&str) -> Result<(), String>) {
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
    /// The state address (`key` for S3, `prefix` for GCS).
    pub key: Option<Sourced>,
    /// What only the backend's `[[env]]` has.
    pub options: EnvOptions,
}

impl EnvInput {
    /// An environment with nothing but a name.
    pub fn named(name: Sourced) -> Self {
        EnvInput {
            name,
            dir: None,
            key: None,
            options: EnvOptions::None,
        }
    }
}

/// Settings for a project, before validation: from `tfboot.toml` or from `tfboot bootstrap` flags.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub store: StoreInput,
    pub bootstrap_dir: Option<Sourced>,
    /// The bootstrap module's own state address (`bootstrap_key`, `bootstrap_prefix`).
    pub bootstrap_key: Option<Sourced>,
    pub envs: Vec<EnvInput>,
    pub layout: Layout,
    pub discover: Option<Discover>,
}

pub const DEFAULT_BOOTSTRAP_DIR: &str = "bootstrap";
pub use crate::backend::s3::DEFAULT_BOOTSTRAP_KEY;

impl ProjectInput {
    /// Validate every value (collecting all problems, not just the first) and build the model.
    pub fn build(self) -> Result<Project> {
        let mut errors = Vec::new();
        let store = self.store.build(&mut errors);

        let bootstrap_dir = match &self.bootstrap_dir {
            Some(d) => {
                d.check(&mut errors, validate::relative_dir);
                d.value.clone()
            }
            None => DEFAULT_BOOTSTRAP_DIR.to_string(),
        };
        let bootstrap_key = match &self.bootstrap_key {
            Some(k) => {
                self.store.check_address(k, &mut errors);
                k.value.clone()
            }
            None => self.store.default_bootstrap_address().to_string(),
        };

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
            let by_env = self.store.env_address_of(env, &mut errors);
            let key = match &env.key {
                // Tags select the workspace: the address is the tag set.
                _ if by_env
                    .as_ref()
                    .is_some_and(|a| crate::backend::cloud::tags_of(a).is_some()) =>
                {
                    by_env.clone().unwrap_or_default()
                }
                Some(k) => {
                    self.store.check_env_address(k, &mut errors);
                    k.value.clone()
                }
                // Partial-configuration envs given a directory usually share it, so each gets its
                // own sub-path; a default directory (envs/<name>) is unique already.
                None if by_env.is_some() => by_env.clone().unwrap_or_default(),
                None if self.layout == Layout::Tfbackend && env.dir.is_some() => self
                    .store
                    .default_env_address(&format!("{}/{}", normalize_dir(&dir), env.name.value)),
                None => self.store.default_env_address(&normalize_dir(&dir)),
            };
            let attributes = self.store.env_attributes(env, &mut errors);
            envs.push(EnvBackend {
                name: env.name.value.clone(),
                dir: PathBuf::from(normalize_dir(&dir)),
                key,
                attributes,
            });
        }
        check_env_collisions(&self, &store, &envs, &bootstrap_key, &mut errors);
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
            store,
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

/// Two environments, or an environment and the bootstrap module, that would share a state object.
/// Addresses are compared as the backend compares them (S3: the key, since the default
/// workspace's state lives at `key` whatever `workspace_key_prefix` says; GCS: the normalised
/// prefix).
fn check_env_collisions(
    input: &ProjectInput,
    store: &Store,
    envs: &[EnvBackend],
    bootstrap_key: &str,
    errors: &mut Vec<InvalidValue>,
) {
    let mut seen_names: BTreeMap<&str, &Sourced> = BTreeMap::new();
    let mut seen_keys: BTreeMap<String, String> = BTreeMap::new();
    let bootstrap_owner = match &input.bootstrap_key {
        Some(k) => format!("the bootstrap module ({}{})", k.field, k.at()),
        None => format!(
            "the bootstrap module (its default state {})",
            input.store.address_field()
        ),
    };
    seen_keys.insert(store.collision_key(bootstrap_key), bootstrap_owner);
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
            .unwrap_or_else(|| src.name.defaulted(input.store.address_field(), &env.key));
        let collision = store.collision_key(&env.key);
        // An address that names no one state (cloud tags, a local state) collides with nothing.
        if collision.is_empty() {
            continue;
        }
        if let Some(other) = seen_keys.get(&collision) {
            errors.push(at.invalid(format!(
                "state address {} is also used by {other}; two configurations sharing one state overwrite each other{}",
                store.state_url(&env.key),
                store.collision_note()
            )));
        } else {
            seen_keys.insert(collision, format!("env {:?} ({})", env.name, at.describe()));
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

pub use crate::backend::s3::kms_alias_for;

impl ProjectInput {
    /// Settings from a loaded `tfboot.toml`.
    pub fn from_config(cfg: &crate::config::LoadedConfig) -> Self {
        cfg.file.sections.input(cfg)
    }
}
