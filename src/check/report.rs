//! Printers: text (annotate-snippets, like rustc), JSON, SARIF 2.1.0 and GitHub workflow commands.

use std::collections::BTreeMap;

use annotate_snippets::{Level, Renderer, Snippet};
use serde_json::json;

use super::diagnostic::{Diagnostic, Severity};
use super::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    /// GitLab code quality report (Code Climate JSON).
    Codeclimate,
}

/// Counts for the summary line and the JSON `summary`.
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub fn summarize(diags: &[Diagnostic]) -> Summary {
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    Summary {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
    }
}

/// Text with source snippets. `sources` maps a diagnostic's file to its text.
pub fn text(
    diags: &[Diagnostic],
    sources: &BTreeMap<String, String>,
    color: bool,
    summary_line: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Info,
        };
        let src = sources.get(&d.file).map(String::as_str).unwrap_or_default();
        let origin = format!("{}:{}:{}", d.file, d.line, d.column);
        let help = d.help.clone().unwrap_or_default();
        let mut message = level.title(&d.message).id(d.rule);
        if !src.is_empty() {
            let span = d.span.start.min(src.len())
                ..d.span.end.min(src.len()).max(d.span.start.min(src.len()));
            message = message.snippet(
                Snippet::source(src)
                    .origin(&d.file)
                    .fold(true)
                    .annotation(level.span(span)),
            );
        }
        if !help.is_empty() {
            message = message.footer(Level::Help.title(&help));
        }
        let rendered = renderer.render(message).to_string();
        if src.is_empty() {
            out.push_str(&format!("{rendered}\n  --> {origin}\n\n"));
        } else {
            out.push_str(&rendered);
            out.push_str("\n\n");
        }
    }
    if summary_line {
        let s = summarize(diags);
        let infos = if s.infos > 0 {
            format!(", {} info (never changes the exit code)", s.infos)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "tfboot check: {} error(s), {} warning(s){infos}\n",
            s.errors, s.warnings
        ));
    }
    out
}

pub fn json(diags: &[Diagnostic], files_checked: usize) -> String {
    let s = summarize(diags);
    let doc = json!({
        "diagnostics": diags,
        "summary": {
            "errors": s.errors,
            "warnings": s.warnings,
            "infos": s.infos,
            "files_checked": files_checked,
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn sarif(diags: &[Diagnostic]) -> String {
    sarif_for(diags, rules::ALL)
}

/// SARIF for findings of the rules `all` (check's, or doctor's).
pub fn sarif_for(diags: &[Diagnostic], all: &[rules::Rule]) -> String {
    let rules: Vec<_> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.doc(), "markdown": r.doc() },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
            })
        })
        .collect();
    let results: Vec<_> = diags
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message = format!("{message} ({h})");
            }
            json!({
                "ruleId": d.rule,
                "ruleIndex": all.iter().position(|r| r.id == d.rule).unwrap_or(0),
                "level": sarif_level(d.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file },
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column.max(if d.end_line == d.line { d.column + 1 } else { 1 }),
                        }
                    }
                }],
                "partialFingerprints": {
                    "tfboot/v1": fingerprint(d),
                }
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tfboot",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/tfboot",
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Stable across line moves: rule, file and message.
fn fingerprint(d: &Diagnostic) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}\u{0}{}\u{0}{}", d.rule, d.file, d.message).as_bytes());
    h.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn gh_escape(s: &str, property: bool) -> String {
    let mut s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s = s.replace(':', "%3A").replace(',', "%2C");
    }
    s
}

pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message = format!("{message} (help: {h})");
        }
        out.push_str(&format!(
            "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            gh_escape(&d.file, true),
            d.line,
            d.column,
            d.end_line,
            d.end_column,
            gh_escape(d.rule, true),
            gh_escape(&message, false)
        ));
    }
    out
}

/// GitLab's code quality report: an array of Code Climate issues.
pub fn codeclimate(diags: &[Diagnostic]) -> String {
    let issues: Vec<_> = diags
        .iter()
        .map(|d| {
            json!({
                "description": format!("{}: {}", d.rule, d.message),
                "check_name": d.rule,
                "fingerprint": fingerprint(d),
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": { "path": d.file, "lines": { "begin": d.line, "end": d.end_line } },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}
