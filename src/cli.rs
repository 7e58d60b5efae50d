//! Command-line interface (clap derive) and the commands it dispatches to.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::apply::{self, ApplyOptions};
use crate::config::{LoadedConfig, DEFAULT_FILE};
use crate::discover::lexical_abs;
use crate::error::{Error, Result};
use crate::generate;
use crate::model::{Encryption, LockMode, Project, ProjectInput, Sourced, DEFAULT_BOOTSTRAP_DIR};
use crate::render::OVERRIDE_FILE;
use crate::templates::Templates;
use crate::validate;
use crate::write::{Action, Plan, Provenance, Summary};

#[derive(Debug, Parser)]
#[command(
    name = "tfboot",
    version,
    about = "Get Terraform remote state right: bootstrap the S3 state bucket and its lock, generate backend blocks",
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
    Bootstrap(BootstrapArgs),
    /// Write everything tfboot.toml describes.
    Generate(GenerateArgs),
    /// Validate backend blocks, *.tfbackend files and .terraform.lock.hcl across a tree.
    Check(CheckArgs),
    /// Explain a rule (without RULE: list every rule).
    Explain(ExplainArgs),
    /// List the built-in templates, or export them to start overrides from (--templates DIR).
    Templates(TemplatesArgs),
    /// Print the JSON Schema of tfboot.toml (example: `tfboot schema > tfboot.schema.json`).
    Schema,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff; example: `tfboot man | man -l -`).
    Man,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot templates                          # list the built-in templates\n  tfboot templates env/backend.tf.tera      # print one\n  tfboot templates --export tpl             # write them all to tpl/ to start overrides from"
)]
pub struct TemplatesArgs {
    /// Print this built-in template (e.g. env/backend.tf.tera).
    #[arg(conflicts_with = "export")]
    pub name: Option<String>,
    /// Write the built-in templates into DIR (existing files are left alone unless --force).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// With --export: overwrite files that exist.
    #[arg(long, requires = "export")]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tfboot completions bash > ~/.local/share/bash-completion/completions/tfboot"
)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

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

/// What `tfboot explain` takes: every topic and rule id (completed by the shell completions).
fn rules_and_topics() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        TOPICS
            .iter()
            .map(|(t, _)| *t)
            .chain(crate::check::rules::ALL.iter().map(|r| r.id)),
    )
}

/// Rule ids as clap values: validated (with clap's "did you mean"), and completed by the shell
/// completions.
fn rule_ids() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::check::rules::ALL.iter().map(|r| r.id))
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot explain                    # every topic and rule, one line each\n  tfboot explain no-state-locking   # what a rule checks, why, and the fix\n  tfboot explain locking            # state lock vs dependency lock, and force-unlock"
)]
pub struct ExplainArgs {
    /// A rule id (e.g. no-state-locking) or a topic: locking, bootstrap, migrate-lock.
    #[arg(value_parser = rules_and_topics(), hide_possible_values = true)]
    pub rule: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tfboot init --name acme --region eu-west-1 --env dev --env prod   # then: tfboot generate"
)]
pub struct InitArgs {
    /// Project name; the bucket becomes `<name>-tfstate` [default: the current directory's name,
    /// lowercased, other characters as `-`].
    #[arg(long)]
    pub name: Option<String>,
    /// Region of the state bucket [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long)]
    pub region: Option<String>,
    /// An environment to add (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    /// State lock.
    #[arg(long, value_enum, default_value_t = LockMode::Dynamodb)]
    pub lock: LockMode,
    /// Where to write the file.
    #[arg(long, default_value = DEFAULT_FILE)]
    pub config: PathBuf,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot bootstrap --bucket acme-tfstate --region eu-west-1                    # write bootstrap/\n  tfboot bootstrap --bucket acme-tfstate --region eu-west-1 --apply            # and run terraform\n  tfboot bootstrap --apply                                                     # from tfboot.toml\nA rerun never overwrites state in the bucket: it copies the local state only into an empty key."
)]
pub struct BootstrapArgs {
    /// State bucket name. Without it, settings come from tfboot.toml (see --config).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Region of the state bucket [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long)]
    pub region: Option<String>,
    /// State lock [default: dynamodb].
    #[arg(long, value_enum)]
    pub lock: Option<LockMode>,
    /// DynamoDB lock table [default: <bucket>-lock].
    #[arg(long)]
    pub lock_table: Option<String>,
    /// Bucket encryption [default: kms, a key the module creates].
    #[arg(long, value_enum)]
    pub encryption: Option<Encryption>,
    /// Use an existing KMS key instead of creating one.
    #[arg(long)]
    pub kms_key_arn: Option<String>,
    /// State key of the bootstrap module itself [default: bootstrap/terraform.tfstate].
    #[arg(long)]
    pub key: Option<String>,
    /// A tag for every resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Directory to write the module to [default: bootstrap].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Config file [default: tfboot.toml here, else the nearest one in a parent directory up to the
    /// repository root]. Without --bucket the settings come from it; with --bucket, flags that
    /// would rewrite the module it describes must agree with it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Delete stale files in the module: files tfboot generated earlier that the settings no
    /// longer produce (`dynamodb.tf` after `--lock s3`, `kms.tf` after `--encryption aes256`),
    /// only while they carry tfboot's unedited marker.
    #[arg(long)]
    pub prune: bool,
    /// Overwrite files tfboot did not generate, or that were edited since.
    #[arg(long)]
    pub force: bool,
    /// Run terraform: init, apply, then move the module's own state into the bucket.
    #[arg(long)]
    pub apply: bool,
    /// Apply without asking for approval (with --apply).
    #[arg(long, requires = "apply")]
    pub auto_approve: bool,
    /// Partial backend configuration for every `terraform init` of the S3 backend (with --apply).
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub backend_config: Option<PathBuf>,
    /// Directory of template overrides (`*.tera` named like the built-ins; see `tfboot templates`)
    /// [default: `templates` in tfboot.toml, else the built-in templates].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Terraform binary (`terraform`, `tofu`, or a path).
    #[arg(
        long,
        env = "TFBOOT_TERRAFORM",
        default_value = "terraform",
        value_name = "BIN"
    )]
    pub terraform: String,
}

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
        Command::Init(a) => cmd_init(&a, ui, &mut out),
        Command::Bootstrap(a) => cmd_bootstrap(&a, ui, &mut out, &mut err),
        Command::Generate(a) => cmd_generate(&a, ui, &mut out),
        Command::Check(a) => cmd_check(&a, ui, &mut out),
        Command::Explain(a) => cmd_explain(&a, &mut out),
        Command::Completions(a) => cmd_completions(&a, &mut out),
        Command::Man => cmd_man(&mut out),
        Command::Templates(a) => cmd_templates(&a, ui, &mut out),
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

fn cmd_init(a: &InitArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    if a.config.is_dir() {
        return Err(Error::Usage(format!(
            "--config {} is a directory; name the file to write (e.g. --config {})",
            a.config.display(),
            a.config.join(DEFAULT_FILE).display()
        )));
    }
    if a.config.exists() && !a.force {
        return Err(Error::Refused(vec![a.config.clone()]));
    }
    let name = match &a.name {
        Some(n) => {
            // A name that makes no valid bucket gets the clean-up a directory name gets, as a
            // suggestion (a name given explicitly is never changed behind the user's back).
            let cleaned = clean_name(n);
            let bucket_ok = |n: &str| validate::bucket_name(&format!("{n}-tfstate")).is_ok();
            if !bucket_ok(n) && cleaned != *n && bucket_ok(&cleaned) {
                return Err(Error::Invalid(vec![crate::error::InvalidValue {
                    file: None,
                    line: None,
                    field: "--name".into(),
                    value: n.clone(),
                    rule: format!(
                        "the state bucket would be {n}-tfstate, and S3 bucket names use only lowercase letters, digits, '.' and '-'; did you mean --name {cleaned} (bucket {cleaned}-tfstate)?"
                    ),
                }]));
            }
            Sourced::flag("--name", n.clone())
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
            let base = cwd
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Sourced::flag("--name (from the directory name)", clean_name(&base))
        }
    };
    let region = match &a.region {
        Some(r) => Sourced::flag("--region", r.clone()),
        None => match region_from_env() {
            Some(r) => r,
            None => {
                return Err(Error::Usage(
                    "--region is required (or set AWS_REGION): the state bucket's region is written into every backend block".into(),
                ))
            }
        },
    };
    let bucket = Sourced {
        value: format!("{}-tfstate", name.value),
        ..name.clone()
    };
    // Validate through the same model the config will go through.
    let input = ProjectInput {
        bucket: bucket.clone(),
        region: region.clone(),
        lock: a.lock,
        lock_table: None,
        encryption: Encryption::Kms,
        encryption_field: "encryption".into(),
        kms_key_arn: None,
        bootstrap_dir: None,
        bootstrap_key: None,
        tags: Vec::new(),
        envs: a
            .envs
            .iter()
            .map(|e| crate::model::EnvInput {
                name: Sourced::flag("--env", e.clone()),
                dir: None,
                key: None,
                role_arn: None,
                workspace_key_prefix: None,
                tags: Vec::new(),
            })
            .collect(),
        layout: Default::default(),
        discover: None,
    };
    input.build()?;
    // Editors with TOML schema support (taplo / Even Better TOML) read the directive on line 1.
    let schema_path = a
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from(SCHEMA_FILE), |p| p.join(SCHEMA_FILE));
    let schema = crate::config::json_schema();
    if let Ok(existing) = std::fs::read_to_string(&schema_path) {
        if existing != schema && !a.force {
            return Err(Error::Refused(vec![schema_path]));
        }
    }
    let mut text = format!("#:schema ./{SCHEMA_FILE}\n");
    text.push_str("# tfboot configuration: `tfboot generate` writes what this file describes.\n");
    text.push_str("[state]\n");
    text.push_str(&format!("bucket     = {}\n", toml_str(&bucket.value)));
    text.push_str(&format!("region     = {}\n", toml_str(&region.value)));
    text.push_str(&format!(
        "lock       = {}  # dynamodb | s3 (use_lockfile, Terraform >= 1.10) | both\n",
        toml_str(a.lock.as_str())
    ));
    text.push_str("encryption = \"kms\"       # kms (the module creates a key) | aes256\n");
    text.push_str("# lock_table    = \"<bucket>-lock\"\n");
    text.push_str(
        "# kms_key_arn   = \"arn:aws:kms:<region>:<account>:key/<id>\"  # use an existing key\n",
    );
    text.push_str("# bootstrap_dir = \"bootstrap\"\n");
    text.push_str("# tags          = { team = \"platform\" }\n");
    for e in &a.envs {
        text.push_str(&format!("\n[[env]]\nname = {}\n", toml_str(e)));
    }
    crate::write::atomic_write(&schema_path, schema.as_bytes())?;
    crate::write::atomic_write(&a.config, text.as_bytes())?;
    if ui.quiet {
        return Ok(0);
    }
    writeln!(out, "wrote {}", a.config.display()).map_err(|e| Error::io("stdout", e))?;
    writeln!(
        out,
        "wrote {} (editor completion and validation)",
        schema_path.display()
    )
    .map_err(|e| Error::io("stdout", e))?;
    let generate = if a.config == Path::new(DEFAULT_FILE) {
        "tfboot generate".to_string()
    } else {
        format!(
            "tfboot generate --config {}",
            shell_quote(&a.config.to_string_lossy())
        )
    };
    writeln!(
        out,
        "next: {generate}   (writes the bootstrap module to {DEFAULT_BOOTSTRAP_DIR}/)"
    )
    .map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

/// A project name as bucket names allow it: lowercase, every other character a `-`, no `-` at
/// either end or twice in a row (`Acme_Corp` → `acme-corp`).
fn clean_name(n: &str) -> String {
    let mapped: String = n
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    mapped
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The schema file `tfboot init` writes beside the config (and the repository commits).
pub const SCHEMA_FILE: &str = "tfboot.schema.json";

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn parse_tags(tags: &[String]) -> Result<Vec<(Sourced, Sourced)>> {
    tags.iter()
        .map(|t| {
            let (k, v) = t.split_once('=').ok_or_else(|| {
                Error::Invalid(vec![crate::error::InvalidValue {
                    file: None,
                    line: None,
                    field: "--tag".into(),
                    value: t.clone(),
                    rule: "expected KEY=VALUE".into(),
                }])
            })?;
            Ok((
                Sourced::flag("--tag key", k),
                Sourced::flag(&format!("--tag {k}"), v),
            ))
        })
        .collect()
}

fn cmd_bootstrap(
    a: &BootstrapArgs,
    ui: Ui,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let config = match &a.config {
        Some(p) => Some(crate::config::locate(Some(p))?),
        None => crate::config::locate(None).ok(),
    };
    let loaded = match &config {
        Some(p) => Some(LoadedConfig::load(p)?),
        None => None,
    };
    let from_config = match &loaded {
        Some(cfg) => Some((cfg, ProjectInput::from_config(cfg).build()?)),
        None => None,
    };
    let flags_dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BOOTSTRAP_DIR));
    // Flags that would rewrite the module a tfboot.toml describes must agree with it: the file
    // is what `generate` and the next person use.
    let same_module = from_config.as_ref().is_some_and(|(cfg, project)| {
        lexical_abs(&flags_dir) == lexical_abs(&cfg.base_dir().join(&project.bootstrap.dir))
    });
    let flags_bucket = a.bucket.as_ref().filter(|_| !same_module);
    let (root, project, apply_command, templates) = match (flags_bucket, from_config) {
        (Some(bucket), _) => {
            let region = match &a.region {
                Some(r) => Sourced::flag("--region", r.clone()),
                None => region_from_env().ok_or_else(|| {
                    Error::Usage("--region is required with --bucket (or set AWS_REGION): the bucket's region goes into every backend block".into())
                })?,
            };
            let input = ProjectInput {
                bucket: Sourced::flag("--bucket", bucket.clone()),
                region,
                lock: a.lock.unwrap_or_default(),
                lock_table: a
                    .lock_table
                    .clone()
                    .map(|t| Sourced::flag("--lock-table", t)),
                encryption: a.encryption.unwrap_or_default(),
                encryption_field: "--encryption".into(),
                kms_key_arn: a
                    .kms_key_arn
                    .clone()
                    .map(|k| Sourced::flag("--kms-key-arn", k)),
                bootstrap_dir: None,
                bootstrap_key: a.key.clone().map(|k| Sourced::flag("--key", k)),
                tags: parse_tags(&a.tags)?,
                envs: Vec::new(),
                layout: Default::default(),
                discover: None,
            };
            let mut project = input.build()?;
            if let Some(dir) = &a.out {
                if dir.as_os_str().is_empty() {
                    return Err(Error::Usage("--out must name a directory".into()));
                }
                project.bootstrap.dir = dir.clone();
            }
            let cmd = bootstrap_command_line(a);
            (
                PathBuf::new(),
                project,
                cmd,
                load_templates(a.templates.as_deref(), None)?,
            )
        }
        (None, Some((cfg, mut project))) => {
            let config = config
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
            let out_elsewhere = a.out.is_some() && !same_module;
            if !out_elsewhere {
                flags_agree_with_config(a, cfg, &project, &config)?;
            } else if a.bucket.is_none() && any_setting_flag(a) {
                return Err(Error::Usage(
                    "--bucket is required when settings are given as flags for a module tfboot.toml does not describe".into(),
                ));
            }
            if let Some(dir) = &a.out {
                if dir.as_os_str().is_empty() {
                    return Err(Error::Usage("--out must name a directory".into()));
                }
                // --out is relative to the working directory, like every path on the command line.
                project.bootstrap.dir =
                    relative_to(&lexical_abs(dir), &lexical_abs(&cfg.base_dir()));
            }
            let templates = load_templates(a.templates.as_deref(), Some(cfg))?;
            (
                cfg.base_dir(),
                project,
                config_apply_command(&config),
                templates,
            )
        }
        (None, None) => {
            return Err(Error::Usage(
                "--bucket and --region are required, or a tfboot.toml (none here or in a parent directory up to the repository root; `tfboot init` writes one, --config names another)".into(),
            ));
        }
    };
    let readme_command = if a.bucket.is_some() && !same_module {
        apply_command.as_str()
    } else {
        README_APPLY_COMMAND
    };
    let generation =
        generate::plan_bootstrap(&root, &project, readme_command, a.force, &templates)?;
    execute_and_report(&generation.plan, ui, out)?;
    let deleted = if a.prune {
        generate::prune(&root, &generation.stale)?
    } else {
        Vec::new()
    };
    for d in &deleted {
        writeln!(out, "deleted   {d}").map_err(|e| Error::io("stdout", e))?;
    }
    let remaining: Vec<generate::StaleFile> = generation
        .stale
        .iter()
        .filter(|f| !deleted.contains(&f.path))
        .cloned()
        .collect();
    let source = config.clone().unwrap_or_else(|| PathBuf::from("the flags"));
    print_stale(
        out,
        &remaining,
        &source,
        "rerunning the command with --prune deletes it",
    )?;
    for f in generation
        .stale
        .iter()
        .filter(|f| deleted.contains(&f.path))
    {
        if let Some(why) = f.retire {
            writeln!(out, "warning: deleted {}: {why}", f.path)
                .map_err(|e| Error::io("stdout", e))?;
        }
    }
    let module_dir = root.join(&project.bootstrap.dir);
    if !a.apply {
        if !remaining.is_empty() {
            writeln!(out, "note: `--prune` deletes the stale files (unedited ones only); `terraform apply` would still create what they declare").map_err(|e| Error::io("stdout", e))?;
        }
        if !ui.quiet {
            print_next_steps(out, &project, &module_dir, &apply_command)?;
        }
        return Ok(0);
    }
    if !remaining.is_empty() {
        return Err(Error::StepFailed {
            step: "0/5 check the module".into(),
            message: format!(
                "{} stale file(s) in {} declare resources the settings no longer ask for, and `terraform apply` would create them: rerun with --prune (deletes unedited ones) or delete them by hand",
                remaining.len(),
                module_dir.display()
            ),
        });
    }
    let _ = out.flush();
    let opts = ApplyOptions {
        terraform: a.terraform.clone(),
        auto_approve: a.auto_approve,
        backend_config: a.backend_config.clone(),
        color: {
            use std::io::IsTerminal as _;
            std::io::stdout().is_terminal()
        },
        state_url: format!("s3://{}/{}", project.store.bucket, project.bootstrap.key),
        bucket: project.store.bucket.clone(),
    };
    if let Some(bc) = &opts.backend_config {
        if !bc.is_file() {
            return Err(Error::io(
                bc,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "backend config file not found",
                ),
            ));
        }
    }
    let outcome = apply::bootstrap(&module_dir, &opts, err)?;
    if ui.quiet {
        return Ok(0);
    }
    let lock = describe_lock(&project);
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    let (how, moved) = match &outcome {
        apply::Outcome::Migrated { moved_aside } => ("copied the local state there", moved_aside),
        apply::Outcome::AlreadyRemote { moved_aside } => {
            ("it was there already, nothing was copied", moved_aside)
        }
    };
    w(
        out,
        format!(
            "bootstrapped: the state of {} is at {} ({}), locked by {lock}; {how}",
            module_dir.display(),
            opts.state_url,
            project.store.region,
        ),
    )?;
    for m in moved {
        w(
            out,
            format!(
                "note: moved the local state aside to {}: Terraform never reads it again (.gitignore keeps it out of git); delete it once you have checked the state in the bucket",
                module_dir.join(m).display()
            ),
        )?;
    }
    Ok(0)
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

/// `path` relative to `base` (both absolute and lexically normal).
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in p.iter().skip(common) {
        out.push(c);
    }
    out
}

fn any_setting_flag(a: &BootstrapArgs) -> bool {
    a.bucket.is_some()
        || a.region.is_some()
        || a.lock.is_some()
        || a.lock_table.is_some()
        || a.encryption.is_some()
        || a.kms_key_arn.is_some()
        || a.key.is_some()
        || !a.tags.is_empty()
}

/// Every setting flag given must say what the config says; exit 2 naming both values otherwise.
fn flags_agree_with_config(
    a: &BootstrapArgs,
    cfg: &LoadedConfig,
    project: &Project,
    config: &Path,
) -> Result<()> {
    use crate::model::StoreEncryption;
    let s = &cfg.file.state;
    let at = |span: Option<std::ops::Range<usize>>| {
        span.map_or_else(String::new, |sp| {
            format!(" (line {})", cfg.line_of(sp.start))
        })
    };
    let mut clashes: Vec<String> = Vec::new();
    let mut check =
        |flag: &str, given: Option<String>, field: &str, value: String, line: String| {
            if let Some(g) = given {
                if g != value {
                    clashes.push(format!(
                        "{flag} {} but {field} = {}{line} in {}",
                        shell_quote(&g),
                        toml_str(&value),
                        config.display()
                    ));
                }
            }
        };
    check(
        "--bucket",
        a.bucket.clone(),
        "state.bucket",
        project.store.bucket.clone(),
        at(Some(s.bucket.span())),
    );
    check(
        "--region",
        a.region.clone(),
        "state.region",
        project.store.region.clone(),
        at(Some(s.region.span())),
    );
    check(
        "--lock",
        a.lock.map(|l| l.as_str().to_string()),
        "state.lock",
        project.lock.mode.as_str().to_string(),
        String::new(),
    );
    check(
        "--lock-table",
        a.lock_table.clone(),
        "state.lock_table",
        project
            .lock
            .table
            .clone()
            .unwrap_or_else(|| "(none: lock = \"s3\")".into()),
        at(s.lock_table.as_ref().map(|t| t.span())),
    );
    let enc = match project.store.encryption {
        StoreEncryption::Aes256 => "aes256",
        _ => "kms",
    };
    check(
        "--encryption",
        a.encryption.map(|e| match e {
            Encryption::Kms => "kms".to_string(),
            Encryption::Aes256 => "aes256".to_string(),
        }),
        "state.encryption",
        enc.to_string(),
        String::new(),
    );
    let arn = match &project.store.encryption {
        StoreEncryption::ExistingKey { arn } => arn.clone(),
        _ => "(none: the module creates a key)".into(),
    };
    check(
        "--kms-key-arn",
        a.kms_key_arn.clone(),
        "state.kms_key_arn",
        arn,
        at(s.kms_key_arn.as_ref().map(|t| t.span())),
    );
    check(
        "--key",
        a.key.clone(),
        "state.bootstrap_key",
        project.bootstrap.key.clone(),
        at(s.bootstrap_key.as_ref().map(|t| t.span())),
    );
    if !a.tags.is_empty() {
        let given: std::collections::BTreeMap<String, String> = parse_tags(&a.tags)?
            .into_iter()
            .map(|(k, v)| (k.value, v.value))
            .collect();
        if given != project.store.tags {
            let show = |m: &std::collections::BTreeMap<String, String>| {
                let inner: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", toml_str(v)))
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            };
            clashes.push(format!(
                "--tag gives {} but state.tags = {}{} in {}",
                show(&given),
                show(&project.store.tags),
                at(s.tags.as_ref().map(|t| t.span())),
                config.display()
            ));
        }
    }
    if clashes.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the flags disagree with {config} about the module it describes ({dir}/):\n  {}\nEither drop the flags to use {config} as it is (`tfboot bootstrap{cfgflag}`), change {config}, or write a separate module with --out DIR",
        clashes.join("\n  "),
        config = config.display(),
        dir = cfg.base_dir().join(&project.bootstrap.dir).display(),
        cfgflag = if config == Path::new(DEFAULT_FILE) {
            String::new()
        } else {
            format!(" --config {}", shell_quote(&config.to_string_lossy()))
        }
    )))
}

fn describe_lock(project: &Project) -> String {
    match (&project.lock.table, project.lock.mode.uses_lockfile()) {
        (Some(t), true) => format!("the DynamoDB table {t} and an S3 lock object (use_lockfile)"),
        (Some(t), false) => format!("the DynamoDB table {t}"),
        (None, _) => "an S3 lock object (use_lockfile)".to_string(),
    }
}

/// The command a user reruns to bootstrap with the same settings (shown in the module README).
fn bootstrap_command_line(a: &BootstrapArgs) -> String {
    let mut parts = vec!["tfboot bootstrap".to_string()];
    let mut push = |flag: &str, v: &str| parts.push(format!("--{flag} {}", shell_quote(v)));
    if let Some(b) = &a.bucket {
        push("bucket", b);
    }
    if let Some(r) = &a.region {
        push("region", r);
    }
    if let Some(l) = a.lock {
        push("lock", l.as_str());
    }
    if let Some(t) = &a.lock_table {
        push("lock-table", t);
    }
    if let Some(e) = a.encryption {
        push(
            "encryption",
            if e == Encryption::Kms {
                "kms"
            } else {
                "aes256"
            },
        );
    }
    if let Some(k) = &a.kms_key_arn {
        push("kms-key-arn", k);
    }
    if let Some(k) = &a.key {
        push("key", k);
    }
    for t in &a.tags {
        push("tag", t);
    }
    if let Some(o) = &a.out {
        push("out", &o.to_string_lossy());
    }
    if let Some(t) = &a.templates {
        push("templates", &t.to_string_lossy());
    }
    parts.push("--apply".into());
    parts.join(" ")
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn print_next_steps(
    out: &mut dyn Write,
    project: &Project,
    module_dir: &Path,
    apply_command: &str,
) -> Result<()> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if generate::is_bootstrapped(module_dir) {
        w(out, format!(
            "next: the module is bootstrapped already (its state is at s3://{}/{}); `cd {} && terraform plan` to review changes",
            project.store.bucket, project.bootstrap.key, module_dir.display()
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

fn cmd_generate(a: &GenerateArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let root = cfg.base_dir();
    let templates = load_templates(a.templates.as_deref(), Some(&cfg))?;
    let generation =
        generate::plan_all(&root, &project, README_APPLY_COMMAND, a.force, &templates)?;
    let plan = &generation.plan;
    let json = a.format == OutputFormat::Json;
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if a.config.is_none() && config != Path::new(DEFAULT_FILE) && !ui.quiet && !json {
        w(out, format!("tfboot: using {}", config.display()))?;
    }
    // `--diff` is a preview: it never writes.
    let check = a.check || a.diff;
    let reinit = crate::reinit::needed(&root, plan, "terraform");
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
    let timer = generate::PhaseTimer::new();
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
        generate::prune(&root, &generation.stale)?
    } else {
        Vec::new()
    };
    if json {
        return generate_json(out, plan, &generation, &deleted, &reinit, false);
    }
    for d in &deleted {
        w(out, format!("deleted   {d}"))?;
    }
    let remaining: Vec<generate::StaleFile> = generation
        .stale
        .iter()
        .filter(|f| !deleted.contains(&f.path))
        .cloned()
        .collect();
    print_stale(
        out,
        &remaining,
        &config,
        "`tfboot generate --prune` deletes it",
    )?;
    for f in generation
        .stale
        .iter()
        .filter(|f| deleted.contains(&f.path))
    {
        if let Some(why) = f.retire {
            w(out, format!("warning: deleted {}: {why}", f.path))?;
        }
    }
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

fn dir_display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
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
    generation: &generate::Generation,
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

fn print_stale(
    out: &mut dyn Write,
    stale: &[generate::StaleFile],
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

fn cmd_templates(a: &TemplatesArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if let Some(name) = &a.name {
        let text = crate::templates::builtin_source(name).ok_or_else(|| {
            Error::Usage(format!(
                "no built-in template {name:?}; `tfboot templates` lists them"
            ))
        })?;
        out.write_all(text.as_bytes())
            .map_err(|e| Error::io("stdout", e))?;
        return Ok(0);
    }
    let Some(dir) = &a.export else {
        w(out, "Built-in templates (override one by putting a file of the same name under --templates DIR):".into())?;
        for (name, _) in crate::templates::BUILTIN {
            w(out, format!("  {name}"))?;
        }
        w(out, "Values are HCL-escaped unless piped through `| safe`; `| hcl` writes any value as an HCL expression, `| hcl_key` an object key. HCL output is parsed back and laid out like `terraform fmt`.".into())?;
        return Ok(0);
    };
    let mut existing = Vec::new();
    for (name, _) in crate::templates::BUILTIN {
        let path = dir.join(name);
        if path.exists() && !a.force {
            existing.push(path);
        }
    }
    if !existing.is_empty() {
        return Err(Error::Refused(existing));
    }
    for (name, text) in crate::templates::BUILTIN {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        crate::write::atomic_write(&path, text.as_bytes())?;
        if !ui.quiet {
            w(out, format!("wrote {}", path.display()))?;
        }
    }
    if ui.quiet {
        return Ok(0);
    }
    w(out, format!("next: delete the templates you keep as they are, edit the rest, and set `templates = \"{}\"` in tfboot.toml (or pass --templates {})", dir.display(), dir.display()))?;
    Ok(0)
}

/// The apply command the module README shows when the module comes from a config file: the same
/// whatever path the config was given by, so the output does not depend on the working directory.
const README_APPLY_COMMAND: &str =
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

fn check_report(
    plan: &Plan,
    stale: &[generate::StaleFile],
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

/// Regions tfboot knows, for error messages and docs.
pub fn known_regions() -> Vec<&'static str> {
    validate::known_regions().collect()
}

fn cmd_check(a: &CheckArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
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

/// `tfboot explain <topic>`: the questions people search for, beside the rules.
const TOPICS: &[(&str, &str)] = &[
    ("locking", include_str!("../docs/topics/locking.md")),
    ("bootstrap", include_str!("../docs/topics/bootstrap.md")),
    (
        "migrate-lock",
        include_str!("../docs/topics/migrate-lock.md"),
    ),
    ("severity", include_str!("../docs/topics/severity.md")),
];

fn cmd_explain(a: &ExplainArgs, out: &mut dyn Write) -> Result<i32> {
    use crate::check::rules;
    let text = match &a.rule {
        None => {
            let width = rules::ALL.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::from("Topics:\n");
            for (t, text) in TOPICS {
                let title = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("# ");
                s.push_str(&format!("  {t:<width$}  {title}\n"));
            }
            s.push_str(
                "\nRules (default severity; `tfboot explain severity` says what each means):\n",
            );
            for r in rules::ALL {
                s.push_str(&format!(
                    "  {:<width$}  {:<7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            s
        }
        Some(id) => match (rules::find(id), TOPICS.iter().find(|(t, _)| t == id)) {
            (Some(r), _) => format!("{} ({})\n\n{}\n", r.id, r.severity.as_str(), r.doc()),
            (None, Some((_, text))) => text.to_string(),
            (None, None) => {
                return Err(Error::Usage(format!(
                    "unknown rule or topic {id:?}; topics: {}; rules: {}",
                    TOPICS
                        .iter()
                        .map(|(t, _)| *t)
                        .collect::<Vec<_>>()
                        .join(", "),
                    rules::ALL
                        .iter()
                        .map(|r| r.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        },
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

fn cmd_completions(a: &CompletionsArgs, out: &mut dyn Write) -> Result<i32> {
    use clap::CommandFactory as _;
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "tfboot", &mut buf);
    out.write_all(&buf).map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

fn cmd_man(out: &mut dyn Write) -> Result<i32> {
    use clap::CommandFactory as _;
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::io("man page", e))?;
    out.write_all(&buf).map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}
