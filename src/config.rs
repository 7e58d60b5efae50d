//! `tfboot.toml`: typed, `deny_unknown_fields`, with spans so errors name the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, InvalidValue, Result};
use crate::model::{Encryption, Layout, LockMode};

pub const DEFAULT_FILE: &str = "tfboot.toml";

/// tfboot.toml: the state bucket, its lock, the bootstrap module and the backends of every
/// environment and discovered root module.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `dir` (default): `<dir>/backend.tf` per environment. `tfbackend`: one
    /// `<dir>/<env>.s3.tfbackend` partial configuration per environment beside a `backend "s3" {}`.
    #[serde(default)]
    pub layout: Layout,
    /// The state bucket, its lock and the bootstrap module.
    pub state: StateSection,
    /// Environments, each with its own backend and state key.
    #[serde(default)]
    pub env: Vec<EnvSection>,
    /// Root modules found by globs in large monorepos.
    pub discover: Option<DiscoverSection>,
    /// Directory (relative to this file) of template overrides: `*.tera` files named like tfboot's
    /// built-in templates (`tfboot templates` lists them). `--templates` takes precedence.
    #[schemars(with = "Option<String>")]
    pub templates: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSection {
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
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvSection {
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
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub tags: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverSection {
    /// Globs of directories (relative to the config file) that hold root modules.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub roots: Vec<Spanned<String>>,
    /// Globs of directories to leave out.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub exclude: Vec<Spanned<String>>,
}

/// The config file to use: `--config` as given (it must be a file), else `tfboot.toml` in the
/// working directory or the nearest parent directory that has one, up to the repository root (the
/// first directory with a `.git`), like cargo finds `Cargo.toml`. The path returned is relative
/// to the working directory when the file was found by searching.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_dir() {
            return Err(Error::Usage(format!(
                "--config {} is a directory; name the file (e.g. --config {})",
                p.display(),
                p.join(DEFAULT_FILE).display()
            )));
        }
        if !p.exists() {
            return Err(Error::Usage(format!(
                "config file {} does not exist; `tfboot init --config {}` writes one",
                p.display(),
                p.display()
            )));
        }
        return Ok(p.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let mut dir = cwd.as_path();
    let mut rel = PathBuf::new();
    loop {
        if dir.join(DEFAULT_FILE).is_file() {
            return Ok(rel.join(DEFAULT_FILE));
        }
        if dir.join(".git").exists() {
            return Err(Error::Usage(format!(
                "no {DEFAULT_FILE} in this directory or any parent up to the repository root ({}); `tfboot init` writes one (or pass --config FILE)",
                dir.display()
            )));
        }
        match dir.parent() {
            Some(p) => {
                dir = p;
                rel.push("..");
            }
            None => {
                return Err(Error::Usage(format!(
                    "no {DEFAULT_FILE} in this directory or any parent; `tfboot init` writes one (or pass --config FILE)"
                )))
            }
        }
    }
}

/// A config file together with where it came from, so validation errors can point at lines.
pub struct LoadedConfig {
    pub path: PathBuf,
    pub source: String,
    pub file: ConfigFile,
}

impl LoadedConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let source = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, source)
    }

    pub fn parse(path: &Path, source: String) -> Result<Self> {
        let file: ConfigFile = toml::from_str(&source).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: describe_toml_error(&source, &e),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            source,
            file,
        })
    }

    /// The template overrides directory the file names, resolved against the file's directory.
    pub fn templates_dir(&self) -> Option<PathBuf> {
        self.file
            .templates
            .as_ref()
            .map(|t| self.base_dir().join(t.get_ref()))
    }

    /// The directory relative paths in the file are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::new(),
        }
    }

    /// 1-based line of a byte offset in the source.
    pub fn line_of(&self, offset: usize) -> usize {
        line_of(&self.source, offset)
    }

    /// An [`InvalidValue`] located at `span` in this file.
    pub fn invalid(
        &self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        value: impl Into<String>,
        rule: impl Into<String>,
    ) -> InvalidValue {
        InvalidValue {
            file: Some(self.path.clone()),
            line: Some(self.line_of(span.start)),
            field: field.into(),
            value: value.into(),
            rule: rule.into(),
        }
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    crate::check::diagnostic::line_col(source, offset).0
}

fn describe_toml_error(source: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim_end();
    match e.span() {
        Some(span) => format!("line {}: {msg}", line_of(source, span.start)),
        None => msg.to_string(),
    }
}

/// The JSON Schema (draft 2020-12) of tfboot.toml, from these structs; doc comments become
/// descriptions.
pub fn json_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or_default();
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), "tfboot.toml".into());
    }
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
