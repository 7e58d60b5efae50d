//! `tfboot check`: validate a tree, with `[check]` of tfboot.toml and the selection flags.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot check                             # every root module under the working directory\n  tfboot check live/ --format sarif > tfboot.sarif\n  tfboot check --deny-warnings             # CI: warnings fail too\nExit codes: 0 no errors, 1 errors (or warnings with --deny-warnings), 2 bad input"
)]
pub struct CheckArgs {
    /// Directories to walk, or files whose directory (module) to check [default: .]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::check::report::Format::Text)]
    pub format: crate::check::report::Format,
    /// Exit 1 on warnings too (info findings never change the exit code).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Only these rules, comma-separated [default: `select` in [check] of tfboot.toml, else all].
    #[arg(long, value_delimiter = ',', value_name = "RULE,…", value_parser = rule_ids(), hide_possible_values = true)]
    pub select: Vec<String>,
    /// Leave these rules out, comma-separated [default: `ignore` in [check] of tfboot.toml].
    #[arg(long, value_delimiter = ',', value_name = "RULE,…", value_parser = rule_ids(), hide_possible_values = true)]
    pub ignore: Vec<String>,
    /// Paths not to check (glob, repeatable, relative to the working directory) [default:
    /// `exclude` in [check] of tfboot.toml, relative to that file].
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The engine that runs these modules; unset, findings for one engine only are info
    /// [default: `engine` in [check] of tfboot.toml].
    #[arg(long, value_enum)]
    pub engine: Option<crate::config::Engine>,
    /// tfboot.toml whose [check] section to use [default: the nearest tfboot.toml at or above
    /// the first PATH, up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Rule ids as clap values: validated (with clap's "did you mean"), and completed by the shell
/// completions.
fn rule_ids() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::check::rules::ALL.iter().map(|r| r.id))
}

pub(super) fn cmd_check(a: &CheckArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    use crate::check::report::{self, Format};
    use crate::check::Severity;
    use std::io::IsTerminal as _;
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let opts = check_options(a, &paths)?;
    let result = crate::check::check_paths_with(&paths, &opts)?;
    crate::progress::finish();
    if ui.verbose {
        eprintln!(
            "tfboot check: {} file(s) checked, {} finding(s)",
            result.files_checked,
            result.diagnostics.len()
        );
    }
    for s in &result.skipped {
        eprintln!("note: skipped (unreadable): {s}");
    }
    if result.files_checked == 0 {
        eprintln!(
            "tfboot check: no Terraform files (*.tf, *.tfbackend, .terraform.lock.hcl) under {}; nothing to check (hidden and git-ignored directories are skipped)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let diags = &result.diagnostics;
    let text = match a.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report::text(diags, &result.sources, color, !ui.quiet)
        }
        Format::Json => report::json(diags, result.files_checked),
        Format::Sarif => report::sarif(diags),
        Format::Github => report::github(diags),
        Format::Codeclimate => report::codeclimate(diags),
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", e))?;
    let failing = diags.iter().any(|d| {
        d.severity == Severity::Error || (a.deny_warnings && d.severity == Severity::Warning)
    });
    Ok(i32::from(failing))
}

/// `[check]` of the repository's tfboot.toml, with the flags on top.
fn check_options(a: &CheckArgs, paths: &[PathBuf]) -> Result<crate::check::CheckOptions> {
    use crate::check::{CheckOptions, Severity};
    let config = match &a.config {
        Some(p) => Some(crate::config::locate(Some(p))?),
        None => {
            let first = paths
                .first()
                .map_or_else(|| PathBuf::from("."), |p| p.clone());
            let start = if first.is_dir() {
                first
            } else {
                first.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let abs = lexical_abs(&start);
            crate::config::locate_from(&abs, abs.clone()).ok()
        }
    };
    let mut opts = CheckOptions::default();
    if let Some(path) = &config {
        let (source, section) = crate::config::load_check_section(path)?;
        let line = |span: std::ops::Range<usize>| {
            crate::check::diagnostic::line_col(&source, span.start).0
        };
        let mut errors = Vec::new();
        let known = |id: &str| crate::check::rules::find(id).is_some();
        let suggest = |id: &str| {
            crate::check::rules::ALL
                .iter()
                .map(|r| (strsim::levenshtein(r.id, id), r.id))
                .min()
                .filter(|(d, _)| *d <= 4)
                .map(|(_, r)| format!(" (did you mean {r}?)"))
                .unwrap_or_default()
        };
        let mut rule_list = |field: &str, items: &[toml::Spanned<String>]| -> Vec<String> {
            for it in items {
                if !known(it.get_ref()) {
                    errors.push(crate::error::InvalidValue {
                        file: Some(path.clone()),
                        line: Some(line(it.span())),
                        field: format!("check.{field}"),
                        value: it.get_ref().clone(),
                        rule: format!(
                            "not a rule id{}; `tfboot explain` lists them",
                            suggest(it.get_ref())
                        ),
                    });
                }
            }
            items.iter().map(|i| i.get_ref().clone()).collect()
        };
        opts.select = section
            .select
            .as_deref()
            .map(|s| rule_list("select", s))
            .unwrap_or_default();
        opts.ignore = rule_list("ignore", &section.ignore);
        for (id, sev) in &section.severity {
            if !known(id) {
                errors.push(crate::error::InvalidValue {
                    file: Some(path.clone()),
                    line: Some(line(sev.span())),
                    field: format!("check.severity.{id}"),
                    value: id.clone(),
                    rule: format!("not a rule id{}; `tfboot explain` lists them", suggest(id)),
                });
                continue;
            }
            let parsed = match sev.get_ref().as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                _ => None,
            };
            match parsed {
                Some(s) => {
                    opts.severity.insert(id.clone(), s);
                }
                None => errors.push(crate::error::InvalidValue {
                    file: Some(path.clone()),
                    line: Some(line(sev.span())),
                    field: format!("check.severity.{id}"),
                    value: sev.get_ref().clone(),
                    rule: "a severity is error, warning or info (use `ignore` to turn a rule off)"
                        .into(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        opts.exclude = section
            .exclude
            .iter()
            .map(|g| g.get_ref().clone())
            .collect();
        opts.partial_config = section
            .partial_config
            .iter()
            .map(|g| g.get_ref().clone())
            .collect();
        opts.engine = section.engine.map(engine_name);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        opts.base = Some(lexical_abs(&base));
    }
    if !a.select.is_empty() {
        opts.select = a.select.clone();
    }
    if !a.ignore.is_empty() {
        opts.ignore = a.ignore.clone();
    }
    if !a.exclude.is_empty() {
        opts.exclude = a.exclude.clone();
        opts.base = None;
    }
    if let Some(e) = a.engine {
        opts.engine = Some(engine_name(e));
    }
    Ok(opts)
}

fn engine_name(e: crate::config::Engine) -> &'static str {
    match e {
        crate::config::Engine::Terraform => "terraform",
        crate::config::Engine::Opentofu => "opentofu",
    }
}
