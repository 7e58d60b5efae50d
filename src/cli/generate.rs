//! `tfboot generate`: everything tfboot.toml describes; `--check`, `--diff`, `--prune`, `--format json`.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot generate                  # write what ./tfboot.toml (or the nearest one above, up to the repository root) describes\n  tfboot generate --check          # CI: exit 1 if anything is missing, outdated, hand-edited or stale\n  tfboot generate --diff           # preview the changes as unified diffs; writes nothing\n  tfboot generate --prune          # also delete stale files tfboot generated earlier (unedited ones only)"
)]
pub struct GenerateArgs {
    /// Config file [default: tfboot.toml here, else the nearest one in a parent directory up to
    /// the repository root].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write nothing; exit 1 if any file is missing, outdated, hand-edited or stale.
    #[arg(long)]
    pub check: bool,
    /// Print unified diffs of what would change, and write nothing (implies --check).
    #[arg(long)]
    pub diff: bool,
    /// Delete stale files: files tfboot generated earlier that the config no longer produces, and
    /// only while they carry tfboot's unedited marker.
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub prune: bool,
    /// Output format: text, or json (files, stale files, roots that need `terraform init`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Directory of template overrides (`*.tera` named like the built-ins; see `tfboot templates`).
    /// [default: `templates` in tfboot.toml, else the built-in templates]
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Overwrite files tfboot did not generate, or that were edited since.
    #[arg(long)]
    pub force: bool,
}

pub(super) fn cmd_generate(a: &GenerateArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let root = cfg.base_dir();
    let templates = load_templates(a.templates.as_deref(), Some(&cfg))?;
    let generation =
        crate::generate::plan_all(&root, &project, README_APPLY_COMMAND, a.force, &templates)?;
    let plan = &generation.plan;
    let json = a.format == OutputFormat::Json;
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if a.config.is_none() && config != Path::new(DEFAULT_FILE) && !ui.quiet && !json {
        w(out, format!("tfboot: using {}", config.display()))?;
    }
    // `--diff` is a preview: it never writes.
    let check = a.check || a.diff;
    let reinit = crate::reinit::needed(&root, plan, "terraform", &project.store);
    if check {
        crate::progress::finish();
        if json {
            return generate_json(out, plan, &generation, &[], &reinit, true);
        }
        if a.diff {
            print_diffs(plan, out)?;
        }
        print_stale(
            out,
            &generation.stale,
            &config,
            "`tfboot generate --prune` deletes it",
        )?;
        return check_report(plan, &generation.stale, ui, out);
    }
    let timer = crate::generate::PhaseTimer::new();
    if json {
        if !plan.refused().is_empty() {
            crate::progress::finish();
            generate_json(out, plan, &generation, &[], &reinit, false)?;
            return Err(Error::Refused(plan.refused()));
        }
        plan.execute()?;
        crate::progress::finish();
    } else {
        // Erases the progress indicator before it prints (the writes are the last phase it shows).
        execute_and_report(plan, ui, out)?;
    }
    timer.mark("write");
    let deleted = if a.prune {
        crate::generate::prune(&root, &generation.stale)?
    } else {
        Vec::new()
    };
    if json {
        return generate_json(out, plan, &generation, &deleted, &reinit, false);
    }
    report_stale(
        out,
        &generation.stale,
        &deleted,
        &config,
        "`tfboot generate --prune` deletes it",
    )?;
    print_reinit(out, &reinit)?;
    if ui.quiet {
        return Ok(0);
    }
    if project.discover.is_some() {
        w(
            out,
            format!(
                "tfboot: [discover] found {} root module(s)",
                generation.discovered
            ),
        )?;
    }
    let bootstrap_dir = dir_display(&project.bootstrap.dir);
    if !reinit.iter().any(|r| r.dir == bootstrap_dir) {
        print_next_steps(
            out,
            &project,
            &root.join(&project.bootstrap.dir),
            &config_apply_command(&config),
        )?;
    }
    Ok(0)
}

/// `--format` of `generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// `generate --format json`: what changed (or would), what is stale, which roots need `init`.
fn generate_json(
    out: &mut dyn Write,
    plan: &Plan,
    generation: &crate::generate::Generation,
    deleted: &[String],
    reinit: &[crate::reinit::Reinit],
    check: bool,
) -> Result<i32> {
    use serde_json::json;
    let files: Vec<serde_json::Value> = plan
        .files
        .iter()
        .map(|f| {
            let action = match f.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Unchanged => "unchanged",
                Action::Overwrite(_) => "overwrite",
                Action::Refuse(Provenance::Foreign) => "refused-not-generated",
                Action::Refuse(_) => "refused-edited",
            };
            json!({ "path": f.display.to_string_lossy().replace('\\', "/"), "action": action })
        })
        .collect();
    let stale: Vec<serde_json::Value> = generation
        .stale
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "edited": f.edited,
                "deleted": deleted.contains(&f.path),
                "retire": f.retire,
            })
        })
        .collect();
    let drift = plan
        .files
        .iter()
        .filter(|f| f.action != Action::Unchanged)
        .count();
    let remaining_stale = generation
        .stale
        .iter()
        .filter(|f| !deleted.contains(&f.path))
        .count();
    let refused = !plan.refused().is_empty();
    let ok = if check {
        drift == 0 && remaining_stale == 0
    } else {
        !refused
    };
    let doc = json!({
        "check": check,
        "ok": ok,
        "files": files,
        "stale": stale,
        "reinit": reinit,
        "discovered": generation.discovered,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    writeln!(out, "{text}").map_err(|e| Error::io("stdout", e))?;
    Ok(i32::from(!ok))
}

fn print_reinit(out: &mut dyn Write, reinit: &[crate::reinit::Reinit]) -> Result<()> {
    if reinit.is_empty() {
        return Ok(());
    }
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    w(
        out,
        format!(
            "tfboot: the backend settings of {} root(s) changed; until each runs `init` again, terraform stops with \"Backend initialization required\":",
            reinit.len()
        ),
    )?;
    for r in reinit {
        w(
            out,
            format!(
                "  cd {} && {}   # {} changed: {}",
                shell_quote(&r.dir),
                r.command,
                r.changed.join(", "),
                r.reason
            ),
        )?;
    }
    Ok(())
}

fn check_report(
    plan: &Plan,
    stale: &[crate::generate::StaleFile],
    ui: Ui,
    out: &mut dyn Write,
) -> Result<i32> {
    let mut drift = 0;
    for f in &plan.files {
        let what = match f.action {
            Action::Unchanged => continue,
            Action::Create => "missing",
            Action::Update => "outdated",
            Action::Refuse(Provenance::Foreign) | Action::Overwrite(Provenance::Foreign) => {
                "not generated by tfboot"
            }
            Action::Refuse(_) | Action::Overwrite(_) => "hand-edited",
        };
        drift += 1;
        writeln!(out, "{what}: {}", f.display.display()).map_err(|e| Error::io("stdout", e))?;
    }
    let failing = drift > 0 || !stale.is_empty();
    if ui.quiet {
        return Ok(i32::from(failing));
    }
    let line = match (drift, stale.len()) {
        (0, 0) => format!("tfboot: all {} files are up to date", plan.files.len()),
        (0, n) => format!(
            "tfboot: the {} generated files are up to date, but {n} stale file(s) remain that the config no longer produces; `tfboot generate --prune` deletes them",
            plan.files.len()
        ),
        (d, 0) => format!("tfboot: {d} file(s) differ from the config; run `tfboot generate`"),
        (d, n) => format!(
            "tfboot: {d} file(s) differ from the config and {n} stale file(s) remain; run `tfboot generate --prune`"
        ),
    };
    writeln!(out, "{line}").map_err(|e| Error::io("stdout", e))?;
    Ok(i32::from(failing))
}

fn print_diffs(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    for f in &plan.files {
        if f.action == Action::Unchanged {
            continue;
        }
        let old = std::fs::read(&f.path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let name = f.display.to_string_lossy();
        let diff = similar::TextDiff::from_lines(&old, &f.content);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string();
        write!(out, "{text}").map_err(|e| Error::io("stdout", e))?;
    }
    Ok(())
}
