//! `tfboot.toml`: typed, `deny_unknown_fields`, with spans so errors name the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::backend::{BackendKind, Sections};
use crate::error::{Error, InvalidValue, Result};
use crate::model::Layout;

pub const DEFAULT_FILE: &str = "tfboot.toml";

/// tfboot.toml for one backend: `S` is its `[state]` section, `E` its `[[env]]` entries.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileOf<S, E> {
    /// `dir` (default): `<dir>/backend.tf` per environment. `tfbackend`: one
    /// `<dir>/<env>.<backend>.tfbackend` partial configuration per environment beside an empty
    /// backend block.
    #[serde(default)]
    pub layout: Layout,
    /// The state store (its backend, bucket and lock) and the bootstrap module.
    pub state: S,
    /// Environments, each with its own backend and state address.
    #[serde(default = "Vec::<E>::new")]
    pub env: Vec<E>,
    /// Root modules found by globs in large monorepos.
    pub discover: Option<DiscoverSection>,
    /// Directory (relative to this file) of template overrides: `*.tera` files named like tfboot's
    /// built-in templates (`tfboot templates` lists them). `--templates` takes precedence.
    #[schemars(with = "Option<String>")]
    pub templates: Option<Spanned<String>>,
    /// What `tfboot check` reports: rule selection, severities, excluded paths, the engine.
    pub check: Option<CheckSection>,
}

/// A tfboot.toml, whichever backend it uses.
#[derive(Debug)]
pub struct ConfigFile {
    pub layout: Layout,
    /// `[state]` and `[[env]]`, in the shape of the backend.
    pub sections: Sections,
    pub discover: Option<DiscoverSection>,
    pub templates: Option<Spanned<String>>,
    pub check: Option<CheckSection>,
}

/// Parse `source` as the tfboot.toml of the backend whose sections `wrap` makes.
pub fn parse_as<S, E>(
    source: &str,
    wrap: fn(S, Vec<E>) -> Sections,
) -> std::result::Result<ConfigFile, toml::de::Error>
where
    S: serde::de::DeserializeOwned,
    E: serde::de::DeserializeOwned,
{
    let f: FileOf<S, E> = toml::from_str(source)?;
    Ok(ConfigFile {
        layout: f.layout,
        sections: wrap(f.state, f.env),
        discover: f.discover,
        templates: f.templates,
        check: f.check,
    })
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
        let kind = backend_of(&source).map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })?;
        // serde stops at the first unknown field; every one of them is reported at once instead.
        let unknown = unknown_fields(&source, kind);
        if !unknown.is_empty() {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: unknown.join(&format!("\nerror: {}: ", path.display())),
            });
        }
        let file = kind.parse_config(&source).map_err(|e| Error::Config {
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

    /// A string setting of this file and where it is.
    pub fn sourced(&self, field: &str, v: &Spanned<String>) -> crate::model::Sourced {
        crate::model::Sourced {
            value: v.get_ref().clone(),
            field: field.to_string(),
            file: Some(self.path.clone()),
            line: Some(self.line_of(v.span().start)),
        }
    }

    /// The entries of a string map (`tags`, `labels`) as `(key, value)` settings named
    /// `<field> key` and `<field>.<key>`, at the map's line.
    pub fn map_entries(
        &self,
        field: &str,
        map: &Option<Spanned<BTreeMap<String, String>>>,
    ) -> Vec<(crate::model::Sourced, crate::model::Sourced)> {
        let Some(m) = map else { return Vec::new() };
        let line = Some(self.line_of(m.span().start));
        let at = |field: String, value: &str| crate::model::Sourced {
            value: value.to_string(),
            field,
            file: Some(self.path.clone()),
            line,
        };
        m.get_ref()
            .iter()
            .map(|(k, v)| (at(format!("{field} key"), k), at(format!("{field}.{k}"), v)))
            .collect()
    }

    /// `[discover]`, as the model has it.
    pub fn discover(&self) -> Option<crate::model::Discover> {
        self.file.discover.as_ref().map(Into::into)
    }

    /// The line of the top-level `layout = …`, when the file sets it.
    pub fn layout_line(&self) -> Option<usize> {
        let doc = toml::de::DeTable::parse(&self.source).ok()?;
        let v = doc.get_ref().get("layout")?;
        Some(self.line_of(v.span().start))
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
fn unknown_fields(source: &str, kind: BackendKind) -> Vec<String> {
    let Ok(doc) = toml::de::DeTable::parse(source) else {
        return Vec::new();
    };
    let schema = kind.config_schema();
    let others: Vec<(BackendKind, serde_json::Value)> = BackendKind::ALL
        .iter()
        .filter(|k| **k != kind)
        .map(|k| (*k, k.config_schema()))
        .collect();
    let explicit = doc
        .get_ref()
        .get("state")
        .and_then(|s| s.get_ref().as_table())
        .is_some_and(|t| t.contains_key("backend"));
    let hint = |section: &str, field: &str| -> Option<String> {
        if let Some(h) = kind.field_hint(section, field) {
            return Some(h.to_string());
        }
        let owners: Vec<&str> = others
            .iter()
            .filter(|(_, s)| section_has_field(s, section, field))
            .map(|(k, _)| k.name())
            .collect();
        (!owners.is_empty()).then(|| {
            format!(
                "`{field}` is a setting of the {} backend{}, and this file's state.backend is \"{}\"{}",
                owners.join(" and "),
                if owners.len() > 1 { "s" } else { "" },
                kind.name(),
                if explicit { "" } else { " (the default when unset)" }
            )
        })
    };
    let mut out = Vec::new();
    walk_unknown(&schema, &schema, doc.get_ref(), "", source, &hint, &mut out);
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

/// Whether the `[section]` (`state`, `env`) of a config schema has `field`.
fn section_has_field(root: &serde_json::Value, section: &str, field: &str) -> bool {
    let top = resolve(root, root);
    let Some(s) = top.get("properties").and_then(|p| p.get(section)) else {
        return false;
    };
    let s = resolve(root, s);
    let s = match s.get("items") {
        Some(items) => resolve(root, items),
        None => s,
    };
    s.get("properties").and_then(|p| p.get(field)).is_some()
}

/// `[state] backend`: which backend's shape the file has (default s3). An unknown or not yet
/// supported backend is an error naming the line and what is allowed.
fn backend_of(source: &str) -> std::result::Result<BackendKind, String> {
    let Ok(doc) = toml::de::DeTable::parse(source) else {
        // Not TOML: serde reports the syntax error.
        return Ok(BackendKind::default());
    };
    let Some(state) = doc.get_ref().get("state") else {
        return Ok(BackendKind::default());
    };
    let Some(value) = state.get_ref().as_table().and_then(|t| t.get("backend")) else {
        return Ok(BackendKind::default());
    };
    let line = line_of(source, value.span().start);
    let Some(name) = value.get_ref().as_str() else {
        return Err(format!(
            "line {line}: state.backend must be a string: one of {}",
            BackendKind::list()
        ));
    };
    if let Some(kind) = BackendKind::from_name(name) {
        return Ok(kind);
    }
    if name == "local" {
        return Err(format!(
            "line {line}: state.backend = \"local\" is refused: a local state file is not shared with the team or CI and its lock works only between processes on one machine, the seed of most lost state (supported: {}; each locks the state for everyone who runs Terraform)",
            BackendKind::list()
        ));
    }
    if name == "remote" {
        return Err(format!(
            "line {line}: state.backend = \"remote\": tfboot writes the `cloud` block, which replaces the remote backend for HCP Terraform and Terraform Enterprise since Terraform 1.1; set state.backend = \"cloud\" (supported: {})",
            BackendKind::list()
        ));
    }
    if BackendKind::NOT_YET.contains(&name) {
        return Err(format!(
            "line {line}: state.backend = {name:?}: this version of tfboot does not generate the {name} backend yet (supported: {}); `tfboot check` validates existing {name} backend blocks",
            BackendKind::list()
        ));
    }
    let suggestion = BackendKind::ALL
        .iter()
        .map(|k| k.name())
        .chain(BackendKind::NOT_YET.iter().copied())
        .find(|k| k.eq_ignore_ascii_case(name) || strsim::levenshtein(k, name) <= 1)
        .map(|k| format!("; did you mean {k:?}?"))
        .unwrap_or_default();
    Err(format!(
        "line {line}: state.backend = {name:?} is not a backend tfboot knows{suggestion} (supported: {})",
        BackendKind::list()
    ))
}

#[allow(clippy::too_many_arguments)]
fn walk_unknown(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    table: &toml::de::DeTable<'_>,
    section: &str,
    source: &str,
    hint: &dyn Fn(&str, &str) -> Option<String>,
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
            let why = match hint(section, name) {
                Some(h) => format!("; {h}"),
                None => suggestion,
            };
            out.push((
                line,
                format!(
                    "line {line}: unknown field `{name}` {place}{why} (allowed: {})",
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
            DeValue::Table(t) => walk_unknown(root, field_schema, t, &child, source, hint, out),
            DeValue::Array(items) => {
                let item_schema = resolve(root, field_schema)
                    .get("items")
                    .unwrap_or(&serde_json::Value::Null);
                for item in items {
                    if let DeValue::Table(t) = item.get_ref() {
                        walk_unknown(root, item_schema, t, &child, source, hint, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The JSON Schema (draft 2020-12) of tfboot.toml, from these structs: one shape per backend
/// (`[state] backend` selects it; unset means s3). Doc comments become descriptions.
pub fn json_schema() -> String {
    let mut defs = serde_json::Map::new();
    let mut shapes = Vec::new();
    for kind in BackendKind::ALL {
        let mut schema = kind.config_schema();
        let Some(o) = schema.as_object_mut() else {
            continue;
        };
        if let Some(serde_json::Value::Object(d)) = o.remove("$defs") {
            for (name, def) in d {
                // Every backend's types are named apart (`S3Encryption`, `GcsEncryption`); a
                // shared name must mean the same type (`CheckSection`), or one shape would
                // validate against another's definition.
                debug_assert!(
                    defs.get(&name).is_none_or(|d| *d == def),
                    "schema definition {name} differs between backends"
                );
                defs.insert(name, def);
            }
        }
        o.remove("$schema");
        o.insert(
            "title".into(),
            format!("tfboot.toml for the {} backend", kind.name()).into(),
        );
        let name = format!("{}_config", kind.name());
        defs.insert(name.clone(), schema);
        shapes.push(serde_json::json!({ "$ref": format!("#/$defs/{name}") }));
    }
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tfboot.toml",
        "description": "tfboot.toml: the state store, its lock, the bootstrap module and the backends of every environment and discovered root module. [state] backend selects the shape (s3 when unset).",
        "anyOf": shapes,
        "$defs": defs,
    });
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl From<&DiscoverSection> for crate::model::Discover {
    fn from(d: &DiscoverSection) -> Self {
        crate::model::Discover {
            roots: d.roots.iter().map(|r| r.get_ref().clone()).collect(),
            exclude: d.exclude.iter().map(|r| r.get_ref().clone()).collect(),
        }
    }
}
