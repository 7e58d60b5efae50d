//! Rendering: tera templates (embedded), HCL escaping by default, `=` alignment like `terraform fmt`.

use std::path::PathBuf;

use serde::Serialize;
use tera::Context;

use crate::templates::{template_error, Templates};

use crate::backend::{BackendBlock, BackendValue, Store};
use crate::error::{Error, Result};
use crate::model::Project;

pub use crate::backend::s3::AWS_PROVIDER_CONSTRAINT;

/// Override file that keeps the bootstrap module's state local until the bucket exists.
pub const OVERRIDE_FILE: &str = "bootstrap_override.tf";

pub use crate::backend::s3::NONCURRENT_DAYS;

/// What a file is, which decides how tfboot's marker is written into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// HCL (`.tf`, `.tfbackend`): must parse and be `terraform fmt` canonical.
    Hcl,
    Markdown,
    /// Plain text with `#` comments (`.gitignore`).
    Plain,
}

/// One generated file, before the marker is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path relative to the project root (the config file's directory).
    pub path: PathBuf,
    pub kind: FileKind,
    pub body: String,
    /// Written only while the module has not been bootstrapped yet (see [`OVERRIDE_FILE`]).
    pub transient: bool,
}

/// Escape a string for the inside of an HCL quoted string: quotes, backslashes, control
/// characters, and the template markers `${` / `%{` (doubled, so Terraform reads them literally).
pub fn escape_hcl(s: &str) -> String {
    let quoted = quote_hcl(s);
    quoted[1..quoted.len() - 1].to_string()
}

/// A complete HCL string literal holding exactly `s`.
pub fn quote_hcl(s: &str) -> String {
    hcl::format::to_string(&hcl::Expression::String(s.to_string()))
        .unwrap_or_else(|_| manual_quote(s))
}

/// Fallback with the same rules as hcl-rs (only reached if hcl-rs ever fails to format a string).
fn manual_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A word for a POSIX shell: bare when it holds only characters no shell treats specially, else
/// single-quoted (a `'` inside written as `'\''`).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Escape text for the body of a heredoc: only template markers are special there.
pub(crate) fn escape_heredoc(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// An object key or attribute name: bare when it is an identifier, quoted otherwise.
pub fn hcl_key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        quote_hcl(k)
    }
}

/// Lines `key = value` with the `=` aligned as `terraform fmt` aligns a run of one-line attributes
/// (width counted in characters, as HashiCorp's formatter counts runes).
pub fn align(items: &[(String, String)], indent: &str) -> String {
    let width = items
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    items
        .iter()
        .map(|(k, v)| {
            let pad = width - k.chars().count();
            format!("{indent}{k}{} = {v}", " ".repeat(pad))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn backend_value(v: &BackendValue) -> String {
    match v {
        BackendValue::String(s) => quote_hcl(s),
        BackendValue::Bool(b) => b.to_string(),
        BackendValue::AssumeRole(arn) => format!("{{ role_arn = {} }}", quote_hcl(arn)),
        BackendValue::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| quote_hcl(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // Written as a nested block by `attribute_lines`, never as a value.
        BackendValue::Block(_) => String::new(),
    }
}

/// The attribute lines of a backend block, aligned, at `indent`.
pub fn backend_attributes(block: &BackendBlock, indent: &str) -> String {
    attribute_lines(&block.attributes, indent)
}

/// Attributes (aligned, as `terraform fmt` aligns a run) and then nested blocks, each after a
/// blank line.
fn attribute_lines(attributes: &[(&'static str, BackendValue)], indent: &str) -> String {
    let items: Vec<(String, String)> = attributes
        .iter()
        .filter(|(_, v)| !matches!(v, BackendValue::Block(_)))
        .map(|(k, v)| (k.to_string(), backend_value(v)))
        .collect();
    let mut out = align(&items, indent);
    for (name, v) in attributes {
        if let BackendValue::Block(inner) = v {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            let nested = format!("{indent}  ");
            out.push_str(&format!("{indent}{name} {{\n"));
            let body = attribute_lines(inner, &nested);
            if !body.is_empty() {
                out.push_str(&body);
                out.push('\n');
            }
            out.push_str(&format!("{indent}}}"));
        }
    }
    out
}

/// One backend setting as data: `{{ s.name }} = {{ s.value | hcl }}`.
#[derive(Serialize)]
pub(crate) struct Setting {
    name: &'static str,
    value: SettingValue,
}

/// A setting's value as templates see it: a string, a bool, `{ role_arn = … }`, a list of
/// strings, or a nested block's settings.
#[derive(Serialize)]
#[serde(untagged)]
enum SettingValue {
    String(String),
    Bool(bool),
    AssumeRole { role_arn: String },
    List(Vec<String>),
    Block(Vec<Setting>),
}

pub(crate) fn settings(block: &BackendBlock) -> Vec<Setting> {
    settings_of(&block.attributes)
}

fn settings_of(attributes: &[(&'static str, BackendValue)]) -> Vec<Setting> {
    attributes
        .iter()
        .map(|(name, v)| Setting {
            name,
            value: match v {
                BackendValue::String(s) => SettingValue::String(s.clone()),
                BackendValue::Bool(b) => SettingValue::Bool(*b),
                BackendValue::AssumeRole(role_arn) => SettingValue::AssumeRole {
                    role_arn: role_arn.clone(),
                },
                BackendValue::List(items) => SettingValue::List(items.clone()),
                BackendValue::Block(inner) => SettingValue::Block(settings_of(inner)),
            },
        })
        .collect()
}

/// Render every file of the bootstrap module, paths relative to the project root.
pub fn bootstrap_module(project: &Project, apply_command: &str) -> Result<Vec<RenderedFile>> {
    bootstrap_module_with(&Templates::builtin()?, project, apply_command)
}

/// [`bootstrap_module`] from the given templates: what the project's backend builds.
pub fn bootstrap_module_with(
    templates: &Templates,
    project: &Project,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    project
        .store
        .bootstrap_files(templates, &project.bootstrap, &project.envs, apply_command)
}

/// Every rendered HCL file is parsed back before it is written: a template bug never reaches disk.
pub fn check_hcl(name: &str, body: &str) -> Result<()> {
    hcl::edit::parser::parse_body(body)
        .map(|_| ())
        .map_err(|e| Error::Template {
            template: name.to_string(),
            message: format!("rendered invalid HCL: {e}"),
        })
}

#[derive(Serialize)]
struct BackendContext<'a> {
    what: &'a str,
    /// The bucket (or container) and the address in it, for user templates.
    bucket: &'a str,
    key: &'a str,
    /// Where the default workspace's state is (`s3://b/k`, `gs://b/p/default.tfstate`).
    url: String,
    backend_type: &'a str,
    /// `backend "s3"`, or `cloud` for HCP Terraform.
    block_header: String,
    file_name: &'a str,
    attrs: String,
    required_version: &'a str,
    version_reason: &'a str,
    dir: &'a str,
    backend: Vec<Setting>,
}

/// A root module that gets a backend: an `[[env]]` entry or a discovered directory.
#[derive(Debug, Clone)]
pub struct BackendTarget {
    /// `env "dev"` or `root live/prod/app`, for comments and messages.
    pub what: String,
    /// Directory relative to the project root, `/`-separated.
    pub dir: String,
    /// `Some(name)` writes `<dir>/<name>.<backend>.tfbackend` (layout tfbackend); `None` writes
    /// `<dir>/backend.tf`.
    pub tfbackend_name: Option<String>,
    /// The state's address in the store (an S3 key, a GCS prefix).
    pub address: String,
    pub block: BackendBlock,
}

/// Render `backend.tf` / `*.<backend>.tfbackend` files for many targets (in parallel), plus one
/// `backend "<type>" {}` file per directory that uses partial configuration and has no backend yet.
pub fn backend_files(
    store: &Store,
    targets: &[BackendTarget],
    partial_dirs: &[String],
) -> Result<Vec<RenderedFile>> {
    backend_files_with(&Templates::builtin()?, store, targets, partial_dirs)
}

/// [`backend_files`] from the given templates.
pub fn backend_files_with(
    templates: &Templates,
    store: &Store,
    targets: &[BackendTarget],
    partial_dirs: &[String],
) -> Result<Vec<RenderedFile>> {
    use rayon::prelude::*;
    let (required_version, version_reason) = store.required_version();
    let backend_type = store.kind().name();
    let suffix = store.tfbackend_suffix();
    let mut files: Vec<RenderedFile> = targets
        .par_iter()
        .map(|t| {
            let (template, file_name, indent) = match &t.tfbackend_name {
                Some(name) => (store.tfbackend_template(), format!("{name}.{suffix}"), ""),
                None => ("env/backend.tf.tera", "backend.tf".to_string(), "    "),
            };
            let ctx = BackendContext {
                what: &t.what,
                bucket: store.store_name(),
                key: &t.address,
                url: store.state_url(&t.address),
                backend_type,
                block_header: store.block_header(),
                file_name: &file_name,
                attrs: backend_attributes(&t.block, indent),
                required_version,
                version_reason,
                dir: &t.dir,
                backend: settings(&t.block),
            };
            let ctx = Context::from_serialize(&ctx).map_err(|e| template_error(template, &e))?;
            let body = templates.render(template, &ctx, FileKind::Hcl)?;
            let path = PathBuf::from(&t.dir).join(&file_name);
            Ok(RenderedFile {
                path,
                kind: FileKind::Hcl,
                body,
                transient: false,
            })
        })
        .collect::<Result<_>>()?;
    for dir in partial_dirs {
        let mut ctx = Context::new();
        ctx.insert("required_version", required_version);
        ctx.insert("version_reason", version_reason);
        ctx.insert("dir", dir);
        ctx.insert("backend_type", backend_type);
        ctx.insert("suffix", suffix);
        let body = templates.render("env/partial_backend.tf.tera", &ctx, FileKind::Hcl)?;
        files.push(RenderedFile {
            path: PathBuf::from(dir).join("backend.tf"),
            kind: FileKind::Hcl,
            body,
            transient: false,
        });
    }
    Ok(files)
}
