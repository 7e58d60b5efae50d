//! Rendering: tera templates (embedded), HCL escaping by default, `=` alignment like `terraform fmt`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use tera::Context;

use crate::templates::{template_error, Templates};

use crate::error::{Error, Result};
use crate::model::{BackendBlock, BackendValue, LockMode, Project, StoreEncryption};

/// The AWS provider versions the bootstrap module admits: 5.x from 5.100 and all of 6.x.
pub const AWS_PROVIDER_CONSTRAINT: &str = ">= 5.100.0, < 7.0.0";

/// Override file that keeps the bootstrap module's state local until the bucket exists.
pub const OVERRIDE_FILE: &str = "bootstrap_override.tf";

/// Days after which noncurrent state versions expire.
pub const NONCURRENT_DAYS: u32 = 90;

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

/// Escape text for the body of a heredoc: only template markers are special there.
fn escape_heredoc(s: &str) -> String {
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
    }
}

/// The attribute lines of a backend block, aligned, at `indent`.
pub fn backend_attributes(block: &BackendBlock, indent: &str) -> String {
    let items: Vec<(String, String)> = block
        .attributes()
        .iter()
        .map(|(k, v)| (k.to_string(), backend_value(v)))
        .collect();
    align(&items, indent)
}

#[derive(Serialize)]
struct BootstrapContext {
    bucket: String,
    region: String,
    dir: String,
    key: String,
    table: Option<String>,
    encryption: &'static str,
    created_key: bool,
    kms_alias: String,
    kms_key_ref: String,
    required_version: &'static str,
    version_reason: &'static str,
    aws_version: &'static str,
    default_tags: String,
    backend_attrs: String,
    example_backend: String,
    backend_config_heredoc: String,
    override_file: &'static str,
    noncurrent_days: u32,
    apply_command: String,
    encryption_summary: String,
    lock_summary: &'static str,
    // Raw values for user templates (`--templates`), to be written with `| hcl` / `| hcl_key`.
    lock: &'static str,
    use_lockfile: bool,
    tags: BTreeMap<String, String>,
    backend: Vec<Setting>,
}

/// One backend setting as data: `{{ s.name }} = {{ s.value | hcl }}`.
#[derive(Serialize)]
struct Setting {
    name: &'static str,
    value: SettingValue,
}

/// A setting's value as templates see it: a string, a bool, or `{ role_arn = … }`.
#[derive(Serialize)]
#[serde(untagged)]
enum SettingValue {
    String(String),
    Bool(bool),
    AssumeRole { role_arn: String },
}

fn settings(block: &BackendBlock) -> Vec<Setting> {
    block
        .attributes()
        .into_iter()
        .map(|(name, v)| Setting {
            name,
            value: match v {
                BackendValue::String(s) => SettingValue::String(s),
                BackendValue::Bool(b) => SettingValue::Bool(b),
                BackendValue::AssumeRole(role_arn) => SettingValue::AssumeRole { role_arn },
            },
        })
        .collect()
}

/// Render every file of the bootstrap module, paths relative to the project root.
pub fn bootstrap_module(project: &Project, apply_command: &str) -> Result<Vec<RenderedFile>> {
    bootstrap_module_with(&Templates::builtin()?, project, apply_command)
}

/// [`bootstrap_module`] from the given templates.
pub fn bootstrap_module_with(
    templates: &Templates,
    project: &Project,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    let store = &project.store;
    let (encryption, created_key, kms_alias, kms_key_ref, encryption_summary) =
        match &store.encryption {
            StoreEncryption::CreatedKey { alias } => (
                "kms",
                true,
                alias.clone(),
                "aws_kms_key.state.arn".to_string(),
                format!("SSE-KMS with the module's key `{alias}`, S3 bucket keys on"),
            ),
            StoreEncryption::ExistingKey { arn } => (
                "kms",
                false,
                String::new(),
                quote_hcl(arn),
                format!("SSE-KMS with the existing key `{arn}`, S3 bucket keys on"),
            ),
            StoreEncryption::Aes256 => (
                "aes256",
                false,
                String::new(),
                String::new(),
                "SSE-S3 (AES256)".to_string(),
            ),
        };
    let tags: Vec<(String, String)> = store
        .tags
        .iter()
        .map(|(k, v)| (hcl_key(k), quote_hcl(v)))
        .collect();
    let own = project.bootstrap_backend();
    let shared = project.backend(Some("<root module>/terraform.tfstate"));
    let mut config_only = project.backend(None);
    config_only.key = None;
    let heredoc = escape_heredoc(&backend_attributes(&config_only, "    "));
    let (version_reason, lock_summary) = match project.lock.mode {
        LockMode::Dynamodb => (
            "The S3 backend as rewritten in Terraform 1.6 (endpoints, assume_role objects).",
            "a DynamoDB table (`dynamodb_table`), understood by every Terraform and OpenTofu release. Terraform 1.11 deprecates it in favour of `use_lockfile`; `lock = \"both\"` is the migration path.",
        ),
        LockMode::S3 => (
            "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later.",
            "S3-native lock objects (`use_lockfile = true`, `<key>.tflock` written with a conditional PUT); needs Terraform or OpenTofu >= 1.10. No DynamoDB table.",
        ),
        LockMode::Both => (
            "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later.",
            "both the S3 lock object (`use_lockfile = true`) and the DynamoDB table, the documented path for migrating from DynamoDB to `use_lockfile`; needs Terraform or OpenTofu >= 1.10.",
        ),
    };
    let dir = project.bootstrap.dir.to_string_lossy().replace('\\', "/");
    let ctx = BootstrapContext {
        bucket: store.bucket.clone(),
        region: store.region.clone(),
        dir: dir.clone(),
        key: project.bootstrap.key.clone(),
        table: project.lock.table.clone(),
        encryption,
        created_key,
        kms_alias,
        kms_key_ref,
        required_version: project.lock.mode.required_version(),
        version_reason,
        aws_version: AWS_PROVIDER_CONSTRAINT,
        default_tags: align(&tags, "      "),
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        backend_config_heredoc: heredoc,
        override_file: OVERRIDE_FILE,
        noncurrent_days: NONCURRENT_DAYS,
        apply_command: apply_command.to_string(),
        encryption_summary,
        lock_summary,
        lock: project.lock.mode.as_str(),
        use_lockfile: project.lock.mode.uses_lockfile(),
        tags: store.tags.clone(),
        backend: settings(&own),
    };
    let ctx = Context::from_serialize(&ctx).map_err(|e| template_error("(context)", &e))?;

    let mut files = Vec::new();
    let mut add = |name: &str, out: &str, kind: FileKind, transient: bool| -> Result<()> {
        let body = templates.render(&format!("bootstrap/{name}"), &ctx, kind)?;
        files.push(RenderedFile {
            path: project.bootstrap.dir.join(out),
            kind,
            body,
            transient,
        });
        Ok(())
    };
    add("versions.tf.tera", "versions.tf", FileKind::Hcl, false)?;
    if created_key {
        add("kms.tf.tera", "kms.tf", FileKind::Hcl, false)?;
    }
    add("s3.tf.tera", "s3.tf", FileKind::Hcl, false)?;
    if project.lock.table.is_some() {
        add("dynamodb.tf.tera", "dynamodb.tf", FileKind::Hcl, false)?;
    }
    add("outputs.tf.tera", "outputs.tf", FileKind::Hcl, false)?;
    add("backend.tf.tera", "backend.tf", FileKind::Hcl, false)?;
    add(
        "bootstrap_override.tf.tera",
        OVERRIDE_FILE,
        FileKind::Hcl,
        true,
    )?;
    add("README.md.tera", "README.md", FileKind::Markdown, false)?;
    add("gitignore.tera", ".gitignore", FileKind::Plain, false)?;
    Ok(files)
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
    bucket: &'a str,
    key: &'a str,
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
    /// `Some(name)` writes `<dir>/<name>.s3.tfbackend` (layout tfbackend); `None` writes `<dir>/backend.tf`.
    pub tfbackend_name: Option<String>,
    pub block: BackendBlock,
}

/// Render `backend.tf` / `*.s3.tfbackend` files for many targets (in parallel), plus one
/// `backend "s3" {}` file per directory that uses partial configuration and has no backend yet.
pub fn backend_files(
    targets: &[BackendTarget],
    partial_dirs: &[String],
    lock: LockMode,
) -> Result<Vec<RenderedFile>> {
    backend_files_with(&Templates::builtin()?, targets, partial_dirs, lock)
}

/// [`backend_files`] from the given templates.
pub fn backend_files_with(
    templates: &Templates,
    targets: &[BackendTarget],
    partial_dirs: &[String],
    lock: LockMode,
) -> Result<Vec<RenderedFile>> {
    use rayon::prelude::*;
    let required_version = lock.required_version();
    let version_reason = if lock.uses_lockfile() {
        "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later."
    } else {
        "The S3 backend settings written here need Terraform 1.6 or later."
    };
    let mut files: Vec<RenderedFile> = targets
        .par_iter()
        .map(|t| {
            let (template, file_name, indent) = match &t.tfbackend_name {
                Some(name) => (
                    "env/env.s3.tfbackend.tera",
                    format!("{name}.s3.tfbackend"),
                    "",
                ),
                None => ("env/backend.tf.tera", "backend.tf".to_string(), "    "),
            };
            let ctx = BackendContext {
                what: &t.what,
                bucket: &t.block.bucket,
                key: t.block.key.as_deref().unwrap_or_default(),
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
