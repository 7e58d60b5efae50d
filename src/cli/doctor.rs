//! `tfboot doctor`: the live store against what the bootstrap module promises and the backends
//! assume, reported like `check` (text, JSON, SARIF); exit 1 on errors.

use super::*;
use crate::check::report;
use crate::check::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot doctor                       # the store tfboot.toml names\n  tfboot doctor live/ --format sarif  # the stores the backend blocks under live/ name\nExit codes: 0 no errors (warnings with --deny-warnings), 1 errors, 2 usage, credentials, network\n`tfboot explain store-versioning` (and each rule id doctor prints) says what a finding means."
)]
pub struct DoctorArgs {
    /// Root modules or trees whose backend blocks (with their *.tfbackend files) name stores
    /// [default: the store of tfboot.toml].
    pub paths: Vec<PathBuf>,
    /// The tfboot.toml whose store to check [default: ./tfboot.toml or a parent's, unless PATHs
    /// are given].
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
    /// Exit 1 on warnings too (info findings never change the exit code).
    #[arg(long)]
    pub deny_warnings: bool,
}

pub(super) fn cmd_doctor(a: &DoctorArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    use std::io::IsTerminal as _;
    let t = super::locks::collect(a.config.as_deref(), &a.paths)?;
    let mut findings = Vec::new();
    let mut passed: Vec<(String, Vec<String>)> = Vec::new();
    for g in &t.groups {
        let checked = crate::live::doctor(g)?;
        findings.extend(checked.findings);
        passed.push((g.target.url(), checked.passed));
    }
    let s = report::summarize(&findings);
    let text = match a.format {
        DoctorFormat::Json => {
            let doc = serde_json::json!({
                "stores": passed.iter().map(|(url, ok)| serde_json::json!({"store": url, "passed": ok})).collect::<Vec<_>>(),
                "diagnostics": findings,
                "skipped": t.skipped,
                "summary": {"errors": s.errors, "warnings": s.warnings, "infos": s.infos},
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        DoctorFormat::Sarif => report::sarif_for(&findings, crate::live::doctor::ALL),
        DoctorFormat::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut text = String::new();
            if !ui.quiet {
                for (url, ok) in &passed {
                    if !ok.is_empty() {
                        text.push_str(&format!("{url}: ok: {}\n", ok.join(", ")));
                    }
                }
                if !passed.is_empty() {
                    text.push('\n');
                }
            }
            // A store has no lines: its findings point at the store alone.
            let findings_text = report::text(&findings, &Default::default(), color, false);
            for line in findings_text.split_inclusive('\n') {
                match line.strip_suffix(":1:1\n") {
                    Some(head) if line.trim_start().starts_with("--> ") => {
                        text.push_str(head);
                        text.push('\n');
                    }
                    _ => text.push_str(line),
                }
            }
            let infos = if s.infos > 0 {
                format!(", {} info (never changes the exit code)", s.infos)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "tfboot doctor: {} store(s), {} error(s), {} warning(s){infos}\n",
                passed.len(),
                s.errors,
                s.warnings
            ));
            text
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", e))?;
    if !ui.quiet {
        for sk in &t.skipped {
            eprintln!("note: skipped {}: {}", sk.file, sk.reason);
        }
    }
    let failing = findings.iter().any(|d| {
        d.severity == Severity::Error || (a.deny_warnings && d.severity == Severity::Warning)
    });
    Ok(i32::from(failing))
}
