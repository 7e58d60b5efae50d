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
    /// What `tfboot check` reports: rule selection, severities, excluded paths, the engine.
    pub check: Option<CheckSection>,
}

/// `[check]`: which rules `tfboot check` runs and how loud they are. Flags override.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSection {
    /// Only these rule ids (default: all). `tfboot explain` lists them.
    #[schemars(with = "Option<Vec<String>>")]
    pub select: Option<Vec<Spanned<String>>>,
    /// Rule ids to leave out.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore: Vec<Spanned<String>>,
    /// Severity per rule id: `error`, `warning` or `info` (e.g. `{ encryption-disabled = "warning" }`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub severity: BTreeMap<String, Spanned<String>>,
    /// Globs of paths (relative to this file) not to check, e.g. `["**/examples/**"]`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub exclude: Vec<Spanned<String>>,
    /// Extra file-name globs of partial backend configurations (`-backend-config` files), beside
    /// `*.tfbackend` and the common names tfboot recognises by content.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub partial_config: Vec<Spanned<String>>,
    /// `terraform` or `opentofu`: which engine runs the modules. Unset, findings that hold for one
    /// engine only are `info`.
    pub engine: Option<Engine>,
}

/// Which Terraform implementation runs the modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Terraform,
    Opentofu,
}

/// The `[check]` section of a tfboot.toml, read without requiring the rest (a repository may use
/// tfboot only for `check`). Unknown fields in `[check]` are errors with their line.
pub fn load_check_section(path: &Path) -> Result<(String, CheckSection)> {
    let source = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc: toml::Table = toml::from_str(&source).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: describe_toml_error(&source, &e),
    })?;
    let Some(section) = doc.get("check") else {
        return Ok((source, CheckSection::default()));
    };
    // Re-read the section from the source with spans, so errors point at lines.
    #[derive(Deserialize)]
    struct Only {
        #[serde(default)]
        check: Option<CheckSection>,
    }
    if !section.is_table() {
        return Err(Error::Config {
            path: path.to_path_buf(),
            message: "[check] must be a table".into(),
        });
    }
    let only: Only = toml::from_str(&strip_other_tables(&source)).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: describe_toml_error(&source, &e),
    })?;
    Ok((source, only.check.unwrap_or_default()))
}

/// The source with every top-level table other than `[check]` blanked out line by line (lines
/// kept, so spans and line numbers stay those of the file).
fn strip_other_tables(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut keep = false;
    for line in source.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t
                .trim_start_matches('[')
                .split([']', '.'])
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches('"');
            keep = name == "check";
        }
        if keep {
            out.push_str(line);
        } else {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        }
    }
    out
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
    /// Not supported: read only to reject it with a reason (the S3 backend tags nothing, so it
    /// would change no generated file). Not in the schema.
    #[serde(default)]
    #[schemars(skip)]
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
    locate_from(&cwd, PathBuf::new())
}

/// Search `start` and its parents, up to the repository root, for `tfboot.toml`; the path is
/// returned as `rel` joined with the `..` steps taken.
pub fn locate_from(start: &Path, rel: PathBuf) -> Result<PathBuf> {
    let mut dir = start;
    let mut rel = rel;
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
        // serde stops at the first unknown field; every one of them is reported at once instead.
        let unknown = unknown_fields(&source);
        if !unknown.is_empty() {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: unknown.join(&format!("\nerror: {}: ", path.display())),
            });
        }
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

/// Fields the schema leaves out but the file may hold, to be rejected with a reason of their own
/// (`[[env]] tags`) rather than as unknown.
const UNLISTED_FIELDS: &[(&str, &str)] = &[("env", "tags")];

/// Every key of the document that no section knows, as `line N: unknown field …` with a "did you
/// mean" where one is close. The sections' fields come from the JSON Schema of [`ConfigFile`], so
/// this never drifts from what serde accepts. A document that does not parse yields nothing here
/// (serde reports the syntax error).
fn unknown_fields(source: &str) -> Vec<String> {
    let Ok(doc) = toml::de::DeTable::parse(source) else {
        return Vec::new();
    };
    let schema = serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or_default();
    let mut out = Vec::new();
    walk_unknown(&schema, &schema, doc.get_ref(), "", source, &mut out);
    out.sort();
    out.into_iter().map(|(_, m)| m).collect()
}

/// Follow `$ref`, `anyOf`/`oneOf` (an `Option` is "the thing or null") to an object schema.
fn resolve<'a>(root: &'a serde_json::Value, s: &'a serde_json::Value) -> &'a serde_json::Value {
    if let Some(r) = s.get("$ref").and_then(|r| r.as_str()) {
        let target = r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(root, |node, part| &node[part]));
        if let Some(t) = target {
            return resolve(root, t);
        }
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(options) = s.get(combinator).and_then(|o| o.as_array()) {
            if let Some(o) = options
                .iter()
                .find(|o| o.get("$ref").is_some() || o.get("properties").is_some())
            {
                return resolve(root, o);
            }
        }
    }
    s
}

fn walk_unknown(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    table: &toml::de::DeTable<'_>,
    section: &str,
    source: &str,
    out: &mut Vec<(usize, String)>,
) {
    use toml::de::DeValue;
    let schema = resolve(root, schema);
    // A map (tags): any key is allowed.
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let Some(field_schema) = props.get(name) else {
            if UNLISTED_FIELDS.contains(&(section, name)) {
                continue;
            }
            let suggestion = props
                .keys()
                .map(|k| (strsim::levenshtein(k, name), k))
                .filter(|(d, k)| {
                    *d <= 2 || k.eq_ignore_ascii_case(name) || strsim::jaro_winkler(k, name) >= 0.85
                })
                .min()
                .map(|(_, k)| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            let place = if section.is_empty() {
                "at the top level".to_string()
            } else if section == "env" {
                "in [[env]]".to_string()
            } else {
                format!("in [{section}]")
            };
            let mut allowed: Vec<&str> = props.keys().map(String::as_str).collect();
            allowed.sort_unstable();
            let line = line_of(source, key.span().start);
            out.push((
                line,
                format!(
                    "line {line}: unknown field `{name}` {place}{suggestion} (allowed: {})",
                    allowed.join(", ")
                ),
            ));
            continue;
        };
        let child = if section.is_empty() {
            name.to_string()
        } else {
            format!("{section}.{name}")
        };
        match value.get_ref() {
            DeValue::Table(t) => walk_unknown(root, field_schema, t, &child, source, out),
            DeValue::Array(items) => {
                let item_schema = resolve(root, field_schema)
                    .get("items")
                    .unwrap_or(&serde_json::Value::Null);
                for item in items {
                    if let DeValue::Table(t) = item.get_ref() {
                        walk_unknown(root, item_schema, t, &child, source, out);
                    }
                }
            }
            _ => {}
        }
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
