//! `tfboot bootstrap`: the bootstrap module from flags or tfboot.toml, and `--apply`.

use super::*;

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

pub(super) fn cmd_bootstrap(
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
        crate::generate::plan_bootstrap(&root, &project, readme_command, a.force, &templates)?;
    execute_and_report(&generation.plan, ui, out)?;
    let deleted = if a.prune {
        crate::generate::prune(&root, &generation.stale)?
    } else {
        Vec::new()
    };
    let source = config.clone().unwrap_or_else(|| PathBuf::from("the flags"));
    let remaining = report_stale(
        out,
        &generation.stale,
        &deleted,
        &source,
        "rerunning the command with --prune deletes it",
    )?;
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
