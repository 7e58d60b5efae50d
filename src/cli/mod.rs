//! Command-line interface (clap derive): the top-level parser, output helpers the subcommands
//! share, and one file per subcommand that turns its arguments into a library call.

#[cfg(feature = "live")]
mod adopt;
mod bootstrap;
mod check;
mod completions;
#[cfg(feature = "live")]
mod doctor;
mod explain;
mod generate;
mod iam;
mod init;
#[cfg(feature = "live")]
mod locks;
#[cfg(feature = "live")]
mod migrate;
mod templates;

pub use bootstrap::BootstrapArgs;
pub use check::CheckArgs;
pub use completions::CompletionsArgs;
pub use explain::ExplainArgs;
pub use generate::{GenerateArgs, OutputFormat};
pub use init::InitArgs;
pub use templates::TemplatesArgs;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::apply::{self, ApplyOptions};
use crate::backend::BackendKind;
use crate::config::{LoadedConfig, DEFAULT_FILE};
use crate::discover::lexical_abs;
use crate::error::{Error, Result};
use crate::model::{LockMode, Project, ProjectInput, Sourced, DEFAULT_BOOTSTRAP_DIR};
use crate::render::OVERRIDE_FILE;
use crate::templates::Templates;
use crate::write::{Action, Plan, Provenance, Summary};

#[derive(Debug, Parser)]
#[command(
    name = "tfboot",
    version,
    about = "Get Terraform remote state right: bootstrap the state store (S3, GCS, Azure Blob, Consul, HCP Terraform) and its lock, generate backend blocks",
    long_about = None,
    after_help = "Examples:\n  tfboot init --name acme --region eu-west-1 --env dev --env prod   # write tfboot.toml\n  tfboot generate                                                    # write the bootstrap module and every backend\n  tfboot bootstrap --apply                                           # create the store, move its own state into it\n  tfboot check                                                       # validate the backends of a tree"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only problems: errors, refusals, drift, findings (no file lists, summaries or next
    /// steps). No progress indicator.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: every file including unchanged ones, how long each phase took.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How much the commands print besides results and problems.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a tfboot.toml to start from.
    Init(InitArgs),
    /// Write the self-bootstrapping state module from flags (or tfboot.toml), optionally apply it.
    Bootstrap(Box<BootstrapArgs>),
    /// Write everything tfboot.toml describes.
    Generate(GenerateArgs),
    /// Validate backend blocks, *.tfbackend files and .terraform.lock.hcl across a tree.
    Check(CheckArgs),
    /// Explain a rule (without RULE: list every rule).
    Explain(ExplainArgs),
    /// List the built-in templates, or export them to start overrides from (--templates DIR).
    Templates(TemplatesArgs),
    /// The state locks held in the stores (s3, gcs, azurerm), one in detail, a conditional unlock.
    #[cfg(feature = "live")]
    Locks(locks::LocksArgs),
    /// Take over a state store made by hand: the bootstrap module with import blocks for what
    /// exists, what the first apply changes, and (--apply) the bootstrap flow.
    #[cfg(feature = "live")]
    Adopt(Box<adopt::AdoptArgs>),
    /// Move the state lock from DynamoDB to use_lockfile across the project, in Terraform's two
    /// phases (both locks, then the lockfile alone).
    #[cfg(feature = "live")]
    MigrateLock(migrate::MigrateLockArgs),
    /// Check the live store: versioning, encryption, public access, the lock table's key.
    #[cfg(feature = "live")]
    Doctor(doctor::DoctorArgs),
    /// Print the least-privilege IAM policy for the principals that run Terraform against a state.
    IamPolicy(iam::IamPolicyArgs),
    /// Print the JSON Schema of tfboot.toml (example: `tfboot schema > tfboot.schema.json`).
    Schema,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff; example: `tfboot man | man -l -`).
    Man,
}

/// Run the command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    use std::io::IsTerminal as _;
    let ui = Ui {
        quiet: cli.quiet,
        verbose: cli.verbose > 0,
    };
    if ui.verbose {
        crate::generate::PhaseTimer::enable();
    }
    let long_running = matches!(
        cli.command,
        Command::Generate(_) | Command::Check(_) | Command::Bootstrap(_)
    );
    if long_running && crate::progress::wanted(std::io::stderr().is_terminal(), ui.quiet) {
        crate::progress::enable();
    }
    // Not locked for the whole run either: `bootstrap --apply` streams terraform's output from
    // other threads.
    let mut out = std::io::stdout();
    // Not locked for the whole run: the progress thread writes to stderr too.
    let mut err = std::io::stderr();
    let result = match cli.command {
        Command::Init(a) => init::cmd_init(&a, ui, &mut out),
        Command::Bootstrap(a) => bootstrap::cmd_bootstrap(&a, ui, &mut out, &mut err),
        Command::Generate(a) => generate::cmd_generate(&a, ui, &mut out),
        Command::Check(a) => check::cmd_check(&a, ui, &mut out),
        Command::Explain(a) => explain::cmd_explain(&a, &mut out),
        Command::Completions(a) => completions::cmd_completions(&a, &mut out),
        Command::Man => completions::cmd_man(&mut out),
        Command::Templates(a) => templates::cmd_templates(&a, ui, &mut out),
        #[cfg(feature = "live")]
        Command::Locks(a) => locks::cmd_locks(&a, ui, &mut out),
        #[cfg(feature = "live")]
        Command::Adopt(a) => adopt::cmd_adopt(&a, ui, &mut out, &mut err),
        #[cfg(feature = "live")]
        Command::MigrateLock(a) => migrate::cmd_migrate_lock(&a, ui, &mut out),
        #[cfg(feature = "live")]
        Command::Doctor(a) => doctor::cmd_doctor(&a, ui, &mut out),
        Command::IamPolicy(a) => iam::cmd_iam_policy(&a, ui, &mut out),
        Command::Schema => out
            .write_all(crate::config::json_schema().as_bytes())
            .map(|()| 0)
            .map_err(|e| Error::io("stdout", e)),
    };
    crate::progress::finish();
    match result {
        Ok(code) => code,
        // `tfboot … | head`: the reader is gone; stop quietly.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = out.flush();
            let _ = writeln!(err, "error: {e}");
            if matches!(e, Error::Invalid(_)) {
                let _ = writeln!(err, "nothing was written");
            }
            e.exit_code()
        }
    }
}

/// The schema file `tfboot init` writes beside the config (and the repository commits).
pub const SCHEMA_FILE: &str = "tfboot.schema.json";

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The region from `AWS_REGION`, else `AWS_DEFAULT_REGION` (what the AWS CLI and SDKs read).
fn region_from_env() -> Option<Sourced> {
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(r) = std::env::var(var) {
            if !r.is_empty() {
                return Some(Sourced::flag(&format!("--region (from {var})"), r));
            }
        }
    }
    None
}

use crate::render::shell_quote;

fn print_next_steps(
    out: &mut dyn Write,
    project: &Project,
    module_dir: &Path,
    apply_command: &str,
) -> Result<()> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if !project.store.moves_own_state() {
        w(out, "next, either let tfboot run terraform:".into())?;
        w(out, format!("  {apply_command}"))?;
        w(out, "or run it yourself:".into())?;
        w(out, format!("  cd {}", module_dir.display()))?;
        w(out, "  terraform init".into())?;
        w(out, "  terraform apply".into())?;
        return Ok(());
    }
    if crate::generate::is_bootstrapped(module_dir) {
        w(out, format!(
            "next: the module is bootstrapped already (its state is at {}); `cd {} && terraform plan` to review changes",
            project.store.state_url(&project.bootstrap.key), module_dir.display()
        ))?;
        return Ok(());
    }
    w(out, "next, either let tfboot run terraform:".into())?;
    w(out, format!("  {apply_command}"))?;
    w(out, "or run it yourself:".into())?;
    w(out, format!("  cd {}", module_dir.display()))?;
    w(out, "  terraform init".into())?;
    w(out, "  terraform apply".into())?;
    w(out, format!("  rm {OVERRIDE_FILE}"))?;
    w(out, "  terraform init -migrate-state -force-copy".into())?;
    Ok(())
}

fn execute_and_report(plan: &Plan, ui: Ui, out: &mut dyn Write) -> Result<Summary> {
    let refused = plan.refused();
    if !refused.is_empty() {
        crate::progress::finish();
        for f in &plan.files {
            if let Action::Refuse(p) = f.action {
                let why = match p {
                    Provenance::Foreign => "has no tfboot marker (hand-written?)",
                    _ => "was edited since tfboot wrote it",
                };
                let _ = writeln!(out, "refused   {} ({why})", f.display.display());
            }
        }
        let _ = writeln!(out, "tfboot: nothing written");
        return Err(Error::Refused(refused));
    }
    let summary = plan.execute()?;
    crate::progress::finish();
    if ui.quiet {
        return Ok(summary);
    }
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    let show_unchanged = ui.verbose || plan.files.len() <= 50;
    for f in &plan.files {
        if f.action == Action::Unchanged && !show_unchanged {
            continue;
        }
        let verb = match f.action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Overwrite(_) => "overwrote",
            Action::Unchanged => "unchanged",
            Action::Refuse(_) => "refused",
        };
        w(out, format!("{verb:<9} {}", f.display.display()))?;
    }
    let changed = summary.created.len() + summary.updated.len();
    w(
        out,
        format!(
            "tfboot: {} created, {} updated, {} unchanged, 0 refused{}",
            summary.created.len(),
            summary.updated.len(),
            summary.unchanged.len(),
            if changed == 0 { " (nothing to do)" } else { "" }
        ),
    )?;
    Ok(summary)
}

fn dir_display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// What a run did about stale files: the ones `--prune` deleted (with the retire warning of any
/// that held a resource), then the ones that remain. Returns the remaining ones.
fn report_stale(
    out: &mut dyn Write,
    stale: &[crate::generate::StaleFile],
    deleted: &[String],
    source: &Path,
    prune_hint: &str,
) -> Result<Vec<crate::generate::StaleFile>> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    for d in deleted {
        w(out, format!("deleted   {d}"))?;
    }
    let (gone, remaining): (Vec<_>, Vec<_>) = stale
        .iter()
        .cloned()
        .partition(|f| deleted.contains(&f.path));
    print_stale(out, &remaining, source, prune_hint)?;
    for f in &gone {
        if let Some(why) = f.retire {
            w(out, format!("warning: deleted {}: {why}", f.path))?;
        }
    }
    Ok(remaining)
}

fn print_stale(
    out: &mut dyn Write,
    stale: &[crate::generate::StaleFile],
    config: &Path,
    prune_hint: &str,
) -> Result<()> {
    for f in stale {
        let what = if f.edited {
            "edited since, so `--prune` leaves it: delete it by hand if that is what you want"
                .to_string()
        } else {
            prune_hint.to_string()
        };
        writeln!(
            out,
            "stale: {} (tfboot generated it earlier; {} no longer produces it; {what})",
            f.path,
            config.display()
        )
        .map_err(|e| Error::io("stdout", e))?;
        if let Some(why) = f.retire {
            writeln!(out, "  careful: {why}").map_err(|e| Error::io("stdout", e))?;
        }
    }
    Ok(())
}

/// Templates from `--templates DIR`, else from `templates` in the config file, else the built-ins.
fn load_templates(flag: Option<&Path>, cfg: Option<&LoadedConfig>) -> Result<Templates> {
    if let Some(dir) = flag {
        return Templates::load(Some(dir));
    }
    let Some(cfg) = cfg else {
        return Templates::builtin();
    };
    let (Some(field), Some(dir)) = (&cfg.file.templates, cfg.templates_dir()) else {
        return Templates::builtin();
    };
    if !dir.is_dir() {
        return Err(Error::Invalid(vec![cfg.invalid(
            field.span(),
            "templates",
            field.get_ref().clone(),
            format!(
                "must be a directory of template overrides, relative to the config file ({} is not a directory)",
                dir.display()
            ),
        )]));
    }
    Templates::load(Some(&dir))
}

/// The apply command the module README shows when the module comes from a config file: the same
/// whatever path the config was given by, so the output does not depend on the working directory.
pub(super) const README_APPLY_COMMAND: &str =
    "tfboot bootstrap --apply   # in the directory that holds tfboot.toml";

fn config_apply_command(config: &Path) -> String {
    let mut cmd = "tfboot bootstrap --apply".to_string();
    if config != Path::new(DEFAULT_FILE) {
        cmd.push_str(&format!(
            " --config {}",
            shell_quote(&config.to_string_lossy())
        ));
    }
    cmd
}

/// Regions tfboot knows, for error messages and docs.
pub fn known_regions() -> Vec<&'static str> {
    crate::backend::s3::validate::known_regions().collect()
}
