//! `tfboot check`: validate backend blocks, `*.tfbackend` partial configurations and dependency
//! locks across a tree.
//!
//! walk (ignore: skips `.terraform/`, git-ignored paths) → group files into modules (one directory
//! = one module) → parse with hcl-edit (spans) → rules (one file each, in `rules/`) →
//! suppressions → diagnostics, rendered by `report`.

pub mod diagnostic;
pub mod model;
pub mod report;
pub mod rules;
pub mod version;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use diagnostic::{Diagnostic, Severity};
use model::{Module, SourceFile};

use crate::error::{Error, Result};

/// The files of one directory, sorted by name.
#[derive(Default)]
struct DirFiles {
    tf: Vec<PathBuf>,
    tfbackend: Vec<PathBuf>,
    lock: Option<PathBuf>,
    /// Files named like the partial configurations real repositories pass to `-backend-config`
    /// (`backend.hcl`, `prod.backend`, `backend-dev.conf`, …); kept when their content is one.
    maybe_partial: Vec<PathBuf>,
}

fn wanted(name: &str) -> bool {
    crate::discover::is_config_file(name, true)
        || name == ".terraform.lock.hcl"
        || partial_config_name(name)
}

/// Names used for `-backend-config` files besides `*.tfbackend`: `*.backend`, `*.hcl` (such as
/// `backend.hcl`, `<env>.hcl`), `backend*.conf`, `backend*.tfvars`.
pub fn partial_config_name(name: &str) -> bool {
    if name.starts_with('.') || name.ends_with('~') {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".backend")
        || lower.ends_with(".hcl")
        || (lower.starts_with("backend")
            && (lower.ends_with(".conf") || lower.ends_with(".tfvars")))
}

/// Arguments that say where state lives: a file of only these and other backend arguments is a
/// partial configuration even under a generic name.
const ADDRESS_ARGUMENTS: &[&str] = &[
    "bucket",
    "key",
    "prefix",
    "storage_account_name",
    "container_name",
    "path",
    "address",
    "workspace_key_prefix",
];

/// Whether `file` is a partial backend configuration: only top-level attributes, all of them
/// arguments of one backend type (`kind`, or any type when the module declares none). Names that
/// say "backend" need one such attribute; generic names (`prod.hcl`) two, one of them where the
/// state lives.
fn is_partial_config(file: &SourceFile, kind: Option<&str>) -> bool {
    let Some(body) = &file.body else {
        return false;
    };
    if body.blocks().next().is_some() {
        return false;
    }
    let names: Vec<&str> = body.attributes().map(|a| a.key.as_str()).collect();
    let base = file
        .display
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let says_backend = base.contains("backend");
    let enough = if says_backend {
        !names.is_empty()
    } else {
        names.len() >= 2 && names.iter().any(|n| ADDRESS_ARGUMENTS.contains(n))
    };
    if !enough {
        return false;
    }
    let fits = |k: &str| rules::schema::accepts_all(k, &names);
    match kind {
        Some(k) => fits(k),
        None => rules::schema::kinds().any(fits),
    }
}

/// `./a//b/` → `a/b`; `.` for the current directory.
fn display_path(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = parts.join("/").replace("//", "/");
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// What a check found, with the text of every file a diagnostic points into (for snippets).
pub struct CheckResult {
    pub diagnostics: Vec<Diagnostic>,
    /// Paths the walk could not read (skipped; the rest of the tree was checked).
    pub skipped: Vec<String>,
    pub sources: BTreeMap<String, String>,
    pub files_checked: usize,
}

/// What to check and how to report it: `[check]` in tfboot.toml, overridden by flags.
#[derive(Debug, Default)]
pub struct CheckOptions {
    /// Only these rules (empty: all).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Rule id → the severity to report it with.
    pub severity: BTreeMap<String, Severity>,
    /// Path globs not to check, matched against paths relative to `base`.
    pub exclude: Vec<String>,
    /// File-name globs of extra partial backend configurations.
    pub partial_config: Vec<String>,
    /// `terraform` or `opentofu`.
    pub engine: Option<&'static str>,
    /// What `exclude` globs are relative to (the config file's directory), absolute.
    pub base: Option<PathBuf>,
}

fn globset(patterns: &[String]) -> Result<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let g = globset::GlobBuilder::new(p.trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .map_err(|e| Error::Usage(format!("{p:?} is not a valid glob: {}", e.kind())))?;
        b.add(g);
    }
    b.build().map_err(|e| Error::Usage(e.to_string()))
}

/// Engine, selection and severity overrides, applied to what the rules found.
fn apply_options(diags: Vec<Diagnostic>, opts: &CheckOptions) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            if let (Some(engine), Some((only, severity))) = (opts.engine, d.engine_only) {
                if engine != only {
                    return None;
                }
                d.severity = severity;
            }
            if !opts.select.is_empty() && !opts.select.iter().any(|r| r == d.rule) {
                return None;
            }
            if opts.ignore.iter().any(|r| r == d.rule) {
                return None;
            }
            if let Some(s) = opts.severity.get(d.rule) {
                d.severity = *s;
            }
            Some(d)
        })
        .collect()
}

/// Check every module under `paths` (directories are walked; a file stands for its directory).
pub fn check_paths(paths: &[PathBuf]) -> Result<CheckResult> {
    check_paths_with(paths, &CheckOptions::default())
}

/// [`check_paths`] with rule selection, severities, excluded paths and the engine.
pub fn check_paths_with(paths: &[PathBuf], opts: &CheckOptions) -> Result<CheckResult> {
    let (modules, skipped) = load_modules(paths, opts)?;
    crate::progress::phase("checking modules", Some(modules.len()));
    let mut diags: Vec<Diagnostic> = modules
        .par_iter()
        .flat_map(|m| {
            let d = rules::check_module(m);
            crate::progress::inc();
            d
        })
        .collect();
    diags.extend(rules::check_tree(&modules));
    let mut diags = apply_options(diags, opts);
    let by_file: BTreeMap<&str, &SourceFile> = modules
        .iter()
        .flat_map(|m| m.all_files())
        .map(|f| (f.display.as_str(), f))
        .collect();
    diags.retain(|d| {
        by_file
            .get(d.file.as_str())
            .is_none_or(|f| !f.suppresses(d))
    });
    diags.extend(
        modules
            .iter()
            .flat_map(|m| m.all_files())
            .flat_map(SourceFile::unexplained_ignores),
    );
    diags.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.column, a.rule).cmp(&(
            b.file.as_str(),
            b.line,
            b.column,
            b.rule,
        ))
    });
    diags.dedup();
    let files_checked = by_file.len();
    let sources = diags
        .iter()
        .filter_map(|d| {
            by_file
                .get(d.file.as_str())
                .map(|f| (d.file.clone(), f.text.clone()))
        })
        .collect();
    drop(by_file);
    // Freeing tens of thousands of syntax trees takes a noticeable share of a large run; a CLI
    // need not wait for it.
    let _ = std::thread::Builder::new()
        .name("tfboot-free".into())
        .spawn(move || drop(modules));
    Ok(CheckResult {
        diagnostics: diags,
        skipped,
        sources,
        files_checked,
    })
}

/// Every module under `paths` (directories are walked; a file stands for its directory), parsed,
/// with the partial configurations that belong to its backend; and the paths the walk could not
/// read. What `check` checks and `locks` reads its state addresses from.
pub fn load_modules(paths: &[PathBuf], opts: &CheckOptions) -> Result<(Vec<Module>, Vec<String>)> {
    let exclude = globset(&opts.exclude)?;
    let partial_globs = globset(&opts.partial_config)?;
    // GlobSet::is_match builds a candidate path even for an empty set: skip it entirely then.
    let team_partial = |name: &str| !opts.partial_config.is_empty() && partial_globs.is_match(name);
    let base = opts
        .base
        .clone()
        .unwrap_or_else(|| crate::discover::lexical_abs(Path::new(".")));
    let excluded = |p: &Path| {
        if opts.exclude.is_empty() {
            return false;
        }
        let abs = crate::discover::lexical_abs(p);
        let rel = abs.strip_prefix(&base).unwrap_or(&abs);
        // A file is excluded when it or any directory above it matches.
        let mut probe = Some(rel);
        while let Some(q) = probe {
            if !q.as_os_str().is_empty() && exclude.is_match(q) {
                return true;
            }
            probe = q.parent();
        }
        false
    };
    // Grouped in a hash map and sorted once: ordered maps keyed by paths compare path components
    // on every insert, which showed up in profiles of 40,000-file trees.
    let mut dirs: std::collections::HashMap<PathBuf, DirFiles> = std::collections::HashMap::new();
    let mut skipped = Vec::new();
    crate::progress::phase("finding Terraform files", None);
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        let files = if meta.is_dir() {
            let want = |name: &str| wanted(name) || team_partial(name);
            let (files, errors) = crate::discover::walk_lenient(p, &want);
            skipped.extend(errors);
            files
        } else {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let mut v = Vec::new();
            for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                let path = e.map_err(|e| Error::io(&dir, e))?.path();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if path.is_file() && (wanted(&name) || team_partial(&name)) {
                    v.push(path);
                }
            }
            v.sort();
            v
        };
        for f in files {
            if excluded(&f) {
                continue;
            }
            let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let entry = dirs.entry(dir).or_default();
            if name == ".terraform.lock.hcl" {
                entry.lock = Some(f);
            } else if partial_config_name(&name)
                && !name.ends_with(".tfbackend")
                && !team_partial(&name)
            {
                if !entry.maybe_partial.contains(&f) {
                    entry.maybe_partial.push(f);
                }
            } else if name.ends_with(".tfbackend") || team_partial(&name) {
                if !entry.tfbackend.contains(&f) {
                    entry.tfbackend.push(f);
                }
            } else if !entry.tf.contains(&f) {
                entry.tf.push(f);
            }
        }
    }
    let mut dirs: Vec<(PathBuf, DirFiles)> = dirs.into_iter().collect();
    dirs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Load and parse every file on all cores, giving up on any file the parser gets stuck on.
    let all: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|(_, d)| {
            d.tf.iter()
                .chain(&d.tfbackend)
                .chain(&d.lock)
                .chain(&d.maybe_partial)
        })
        .cloned()
        .collect();
    crate::progress::phase("parsing", Some(all.len()));
    let parsed = crate::deadline::map(all.clone(), load, parse_budget);
    // Results come back in the order of `all`, which is the order modules take them in below.
    let mut loaded = all.iter().zip(parsed).map(|(path, file)| {
        file.unwrap_or_else(|| {
            SourceFile::unparsable(
                display_path(path),
                "gave up parsing: the HCL parser backtracks without end on this file (look for unclosed `{` or `[`)",
            )
        })
    });
    let mut take = |p: &PathBuf| {
        loaded
            .next()
            .unwrap_or_else(|| SourceFile::unparsable(display_path(p), "the file was not loaded"))
    };
    let modules: Vec<Module> = dirs
        .iter()
        .map(|(dir, files)| {
            let tf = files.tf.iter().map(&mut take).collect();
            let tfbackend = files.tfbackend.iter().map(&mut take).collect();
            let lock = files.lock.as_ref().map(&mut take);
            let candidates: Vec<SourceFile> = files.maybe_partial.iter().map(&mut take).collect();
            let mut module = Module {
                dir: display_path(dir),
                tf,
                tfbackend,
                lock,
            };
            if !module.tf.is_empty() && !candidates.is_empty() {
                let kind = module
                    .backend_blocks()
                    .first()
                    .map(|(_, b)| backend_kind(b));
                let found: Vec<SourceFile> = candidates
                    .into_iter()
                    .filter(|c| is_partial_config(c, kind.as_deref()))
                    .collect();
                module.tfbackend.extend(found);
                module.tfbackend.sort_by(|a, b| a.display.cmp(&b.display));
            }
            module
        })
        .collect();
    Ok((modules, skipped))
}

/// `s3` for `backend "s3"`, `cloud` for a `cloud` block.
fn backend_kind(b: &hcl::edit::structure::Block) -> String {
    if b.ident.as_str() == "cloud" {
        return "cloud".into();
    }
    b.labels
        .first()
        .map(|l| l.as_str().to_string())
        .unwrap_or_default()
}

fn from_bytes(display: String, bytes: Vec<u8>) -> SourceFile {
    match String::from_utf8(bytes) {
        Ok(text) => SourceFile::parse(display, text),
        Err(_) => SourceFile::unparsable(display, "the file is not UTF-8 text"),
    }
}

/// How long one file may take to parse: generous for big files, short of a hang.
fn parse_budget(path: &PathBuf) -> std::time::Duration {
    let mb = std::fs::metadata(path).map_or(0, |m| m.len() / (1024 * 1024));
    std::time::Duration::from_secs(10 + 2 * mb)
}

fn load(path: &PathBuf) -> SourceFile {
    let display = display_path(path);
    match std::fs::read(path) {
        Ok(bytes) => from_bytes(display, bytes),
        // Removed or unreadable since the walk saw it: reported, and the rest goes on.
        Err(e) => SourceFile::unparsable(display, &format!("cannot read the file: {e}")),
    }
}

/// Check one module given as in-memory files `(name, bytes)` (names such as `main.tf`,
/// `prod.s3.tfbackend`, `.terraform.lock.hcl`): the entry point for fuzzing and embedding.
pub fn check_module_files(files: Vec<(String, Vec<u8>)>) -> Vec<Diagnostic> {
    let mut module = model::Module {
        dir: ".".into(),
        tf: Vec::new(),
        tfbackend: Vec::new(),
        lock: None,
    };
    for (name, bytes) in files {
        let f = from_bytes(name.clone(), bytes);
        if name.ends_with(".terraform.lock.hcl") {
            module.lock = Some(f);
        } else if name.ends_with(".tfbackend") {
            module.tfbackend.push(f);
        } else {
            module.tf.push(f);
        }
    }
    let mut diags: Vec<Diagnostic> = rules::check_module(&module);
    diags.extend(rules::check_tree(std::slice::from_ref(&module)));
    diags
}
