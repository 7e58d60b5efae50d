//! `tfboot migrate-lock`: move a monorepo's state lock from DynamoDB to S3's `use_lockfile` the
//! way Terraform documents it, both locks for a while (`--phase both`), then the lockfile alone
//! (`--phase s3`). Checks first (every root admits only Terraform >= 1.10, no lock is held), then
//! edits `lock` in tfboot.toml keeping its comments, regenerates, and re-initialises each root
//! (prints the commands, or runs them with `--run`; a rerun continues where it stopped).

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// DynamoDB and the lockfile together (`lock = "both"`).
    Both,
    /// The lockfile alone (`lock = "s3"`), once every run uses both.
    S3,
}

impl Phase {
    fn mode(self) -> LockMode {
        match self {
            Phase::Both => LockMode::Both,
            Phase::S3 => LockMode::S3,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot migrate-lock --phase both          # lock = \"both\", regenerate, print each root's init\n  tfboot migrate-lock --phase both --run    # and run them (a rerun continues)\n  tfboot migrate-lock --phase s3 --run      # later: the lockfile alone\nExit codes: 0 done, 1 a lock is held or an init failed (rerun to continue), 2 usage, a root that cannot run Terraform >= 1.10, or files tfboot would not overwrite"
)]
pub struct MigrateLockArgs {
    #[arg(long, value_enum)]
    pub phase: Phase,
    /// The tfboot.toml [default: ./tfboot.toml or a parent's].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Run `terraform init -reconfigure` in every root that needs it, one after the other,
    /// stopping at the first failure.
    #[arg(long)]
    pub run: bool,
    /// A partial backend configuration added to every `init` (with --run), e.g. an emulator's.
    #[arg(long, value_name = "FILE", requires = "run")]
    pub backend_config: Option<PathBuf>,
    #[arg(
        long,
        env = "TFBOOT_TERRAFORM",
        default_value = "terraform",
        value_name = "BIN"
    )]
    pub terraform: String,
}

fn w(out: &mut dyn Write, s: impl AsRef<str>) -> Result<()> {
    writeln!(out, "{}", s.as_ref()).map_err(|e| Error::io("stdout", e))
}

/// A root module whose backend the migration changes.
#[derive(Debug, Clone)]
struct Root {
    what: String,
    dir: String,
    key: String,
    /// The `-backend-config` file of its environment (layout = "tfbackend").
    tfbackend: Option<String>,
}

/// The lock settings a root's working directory was last initialised with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Initialised {
    /// No `.terraform/terraform.tfstate`: its next `init` reads the new settings anyway.
    Never,
    /// The bootstrap module still keeps its state local.
    LocalState,
    With {
        key: String,
        table: bool,
        lockfile: bool,
    },
}

fn initialised(dir: &Path) -> Initialised {
    if dir.join(crate::render::OVERRIDE_FILE).exists() {
        return Initialised::LocalState;
    }
    let Ok(text) = std::fs::read_to_string(dir.join(".terraform").join("terraform.tfstate")) else {
        return Initialised::Never;
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Initialised::Never;
    };
    let config = doc.pointer("/backend/config");
    let get = |k: &str| config.and_then(|c| c.get(k));
    Initialised::With {
        key: get("key")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        table: get("dynamodb_table")
            .and_then(|v| v.as_str())
            .is_some_and(|t| !t.is_empty()),
        lockfile: get("use_lockfile").and_then(|v| v.as_bool()) == Some(true),
    }
}

/// `required_version` strings of a root's own files (tfboot's generated files left out: they
/// are rewritten).
fn own_required_versions(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
        if crate::write::provenance(&text) == crate::write::Provenance::Generated {
            continue;
        }
        let Ok(body) = hcl::edit::parser::parse_body(&text) else {
            continue;
        };
        for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
            if let Some(v) = tb
                .body
                .get_attribute("required_version")
                .and_then(|a| a.value.as_str())
            {
                out.push(v.to_string());
            }
        }
    }
    Ok(out)
}

/// tfboot.toml with `lock` set to `mode`, comments and layout kept.
fn edited_config(path: &Path, text: &str, mode: LockMode) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::Usage(format!("{}: cannot edit it: {e}", path.display())))?;
    let Some(state) = doc.get_mut("state").and_then(|s| s.as_table_like_mut()) else {
        return Err(Error::Usage(format!(
            "{}: no [state] table to set lock in",
            path.display()
        )));
    };
    match state.get_mut("lock") {
        Some(item) => {
            // Keep the comment after the value and the spacing before it.
            let decor = item.as_value().map(|v| v.decor().clone());
            *item = toml_edit::value(mode.as_str());
            if let (Some(d), Some(v)) = (decor, item.as_value_mut()) {
                *v.decor_mut() = d;
            }
        }
        None => {
            state.insert("lock", toml_edit::value(mode.as_str()));
        }
    }
    Ok(doc.to_string())
}

pub(super) fn cmd_migrate_lock(a: &MigrateLockArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let at = config.display().to_string();
    let crate::backend::Store::S3(store) = &project.store else {
        return Err(Error::Usage(format!(
            "{at}: state.backend = {:?}: migrate-lock moves S3 stores from DynamoDB to use_lockfile",
            project.store.kind().name()
        )));
    };
    let from = store.lock.mode;
    let to = a.phase.mode();
    match (from, a.phase) {
        (LockMode::S3, Phase::Both) => {
            return Err(Error::Usage(format!(
                "{at}: lock = \"s3\" already; --phase both is the step before it (set lock = \"both\" by hand to go back)"
            )))
        }
        (LockMode::Dynamodb, Phase::S3) => {
            return Err(Error::Usage(format!(
                "{at}: lock = \"dynamodb\": run --phase both first and let every pipeline and engineer run with both locks; switching in one step lets old and new runs miss each other's lock"
            )))
        }
        _ => {}
    }
    let root = cfg.base_dir();
    let source = std::fs::read_to_string(&config).map_err(|e| Error::io(&config, e))?;
    let new_text = edited_config(&config, &source, to)?;
    let new_cfg = LoadedConfig::parse(&config, new_text.clone())?;
    let new_project = ProjectInput::from_config(&new_cfg).build()?;
    let templates = load_templates(None, Some(&new_cfg))?;
    let generation =
        crate::generate::plan_all(&root, &new_project, README_APPLY_COMMAND, false, &templates)?;

    // The roots, with their -backend-config file.
    let mut roots = Vec::new();
    for (what, dir, key) in &generation.states {
        let tfbackend = new_project
            .envs
            .iter()
            .find(|e| format!("env {}", e.name) == *what)
            .filter(|_| new_project.layout == crate::model::Layout::Tfbackend)
            .map(|e| format!("{}.s3.tfbackend", e.name));
        roots.push(Root {
            what: what.clone(),
            dir: dir.clone(),
            key: key.clone(),
            tfbackend,
        });
    }

    // 1. Every root admits only Terraform >= 1.10 (use_lockfile's first release).
    let mut too_old = Vec::new();
    let generated_backend: std::collections::BTreeSet<String> = generation
        .plan
        .files
        .iter()
        .filter(|f| {
            f.display
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tf"))
        })
        .filter_map(|f| f.display.parent().map(dir_display))
        .collect();
    let mut seen_dirs = std::collections::BTreeSet::new();
    for r in &roots {
        if !seen_dirs.insert(r.dir.clone()) {
            continue;
        }
        let mut constraints = own_required_versions(&root.join(&r.dir))?;
        if generated_backend.contains(&r.dir) {
            constraints.push(to.required_version().to_string());
        }
        let combined = crate::check::version::combined(&constraints);
        let problem = match combined {
            _ if constraints.is_empty() => Some("declares no required_version".to_string()),
            None => Some(format!(
                "required_version {} cannot be read",
                constraints.join(", ")
            )),
            Some(c) if !c.admits_from((1, 10, 0)) => Some(format!(
                "required_version {} admits no Terraform >= 1.10",
                constraints.join(" and ")
            )),
            Some(c) if c.admits_below((1, 10, 0)) => Some(format!(
                "required_version {} still admits Terraform < 1.10, which ignores use_lockfile",
                constraints.join(" and ")
            )),
            Some(_) => None,
        };
        if let Some(p) = problem {
            too_old.push(format!("{} ({}): {p}", r.dir, r.what));
        }
    }
    if !too_old.is_empty() {
        return Err(Error::Usage(format!(
            "use_lockfile needs Terraform (or OpenTofu) 1.10 or later in every root; these roots do not guarantee it, nothing was changed:\n  {}\n(set required_version = \">= 1.10\" in them, or in a file tfboot does not generate, and rerun)",
            too_old.join("\n  ")
        )));
    }

    // 2. No lock is held: a run in progress would finish under the old settings.
    if from != to {
        let t = super::locks::collect(Some(&config), &[])?;
        let mut held = Vec::new();
        for g in &t.groups {
            for l in crate::live::list(g)?.locks {
                held.push(format!(
                    "{} ({} lock, ID {}, {} by {})",
                    l.state, l.lock, l.id, l.operation, l.who
                ));
            }
        }
        if !held.is_empty() {
            w(
                out,
                "a state lock is held, so a run is in progress; nothing was changed:",
            )?;
            for h in &held {
                w(out, format!("  {h}"))?;
            }
            w(
                out,
                "wait for it to finish (or `tfboot locks` to look at it), then rerun",
            )?;
            return Ok(1);
        }
    }

    // 3. tfboot.toml, then every generated file.
    if new_text != source {
        crate::write::atomic_write(&config, new_text.as_bytes())?;
        w(
            out,
            format!(
                "updated   {at} (lock = \"{}\", was \"{}\")",
                to.as_str(),
                from.as_str()
            ),
        )?;
    }
    execute_and_report(&generation.plan, ui, out)?;
    print_stale(
        out,
        &generation.stale,
        &config,
        "`tfboot generate --prune` deletes it once you are sure",
    )?;
    if to.uses_lockfile() {
        w(out, "note: the .tflock object needs s3:DeleteObject on <key>.tflock for every principal that runs Terraform; without it `terraform init -migrate-state` hides the AccessDenied and later runs leave their lock behind. `tfboot iam-policy --all` prints the policy")?;
    }

    // 4. Re-initialise each root.
    let mut pending = Vec::new();
    for r in &roots {
        let dir = root.join(&r.dir);
        match initialised(&dir) {
            Initialised::Never => w(
                out,
                format!(
                    "  {} ({}): not initialised here; its next `terraform init` takes the new settings",
                    r.dir, r.what
                ),
            )?,
            Initialised::LocalState => w(
                out,
                format!(
                    "  {} ({}): still keeps its state local (not bootstrapped yet)",
                    r.dir, r.what
                ),
            )?,
            Initialised::With {
                key,
                table,
                lockfile,
            } => {
                if key != r.key {
                    // A shared directory initialised for another environment's state.
                    continue;
                }
                if lockfile == to.uses_lockfile() && table == to.uses_table() {
                    w(out, format!("  done      {} ({})", r.dir, r.what))?;
                } else {
                    pending.push(r.clone());
                }
            }
        }
    }
    let init_args = |r: &Root| {
        let mut args = vec![
            "init".to_string(),
            "-reconfigure".to_string(),
            "-input=false".to_string(),
        ];
        if let Some(f) = &r.tfbackend {
            args.push(format!("-backend-config={f}"));
        }
        args
    };
    if !a.run {
        if !pending.is_empty() {
            w(out, "next, in each root (or rerun with --run):")?;
        }
        for r in &pending {
            w(
                out,
                format!(
                    "  cd {} && terraform {}",
                    shell_quote(&r.dir),
                    init_args(r).join(" ")
                ),
            )?;
        }
    } else {
        let extra = match &a.backend_config {
            Some(f) => Some(std::fs::canonicalize(f).map_err(|e| Error::io(f, e))?),
            None => None,
        };
        for r in &pending {
            let mut args = init_args(r);
            if let Some(f) = &extra {
                args.push(format!("-backend-config={}", f.display()));
            }
            if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                args.push("-no-color".into());
            }
            w(
                out,
                format!("tfboot: {}: terraform {}", r.dir, args.join(" ")),
            )?;
            let _ = out.flush();
            let status = std::process::Command::new(&a.terraform)
                .args(&args)
                .current_dir(root.join(&r.dir))
                .status()
                .map_err(|e| Error::Usage(format!("cannot run {}: {e}", a.terraform)))?;
            if !status.success() {
                w(out, format!(
                    "tfboot: terraform init failed in {} ({status}); fix it and rerun `tfboot migrate-lock --phase {}` --run: the roots done so far are skipped",
                    r.dir,
                    match a.phase { Phase::Both => "both", Phase::S3 => "s3" }
                ))?;
                return Ok(1);
            }
            w(out, format!("  done      {} ({})", r.dir, r.what))?;
        }
    }
    let all_done = a.run || pending.is_empty();
    match a.phase {
        Phase::Both if all_done => w(out, "phase both done: every run now takes both locks. Once every pipeline and engineer runs these settings, `tfboot migrate-lock --phase s3`")?,
        Phase::S3 if all_done => {
            if let Some(table) = &store.lock.table {
                w(out, format!("phase s3 done: no root uses the table {table} any more. To retire it: set deletion_protection_enabled = false and remove prevent_destroy in the bootstrap module's dynamodb.tf (tfboot generate reports it as stale; keep it or `--prune` it as its warning says), apply, then destroy; `tfboot locks prune-digests` deletes the <key>-md5 digest items no Terraform reads any more"))?;
            }
        }
        _ => {}
    }
    Ok(0)
}

#[derive(Debug, Args)]
pub struct PruneDigestsArgs {
    /// The tfboot.toml [default: ./tfboot.toml or a parent's].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The retired lock table [default: state.lock_table, else <bucket>-lock].
    #[arg(long)]
    pub table: Option<String>,
    /// Delete them (without it, they are only listed).
    #[arg(long)]
    pub yes: bool,
}

/// `tfboot locks prune-digests`: after `migrate-lock --phase s3`, the `<key>-md5` digest items no
/// Terraform reads any more. Only digest items of this bucket, only once tfboot.toml says
/// lock = "s3" and no root here is still initialised with the table; listed first.
pub(super) fn cmd_prune_digests(a: &PruneDigestsArgs, out: &mut dyn Write) -> Result<i32> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let at = config.display().to_string();
    let crate::backend::Store::S3(store) = &project.store else {
        return Err(Error::Usage(format!(
            "{at}: digest items exist only in the DynamoDB lock table of s3 stores"
        )));
    };
    if store.lock.mode != LockMode::S3 {
        return Err(Error::Usage(format!(
            "{at}: lock = \"{}\": roots still read the digest items; prune them only after `tfboot migrate-lock --phase s3` completed",
            store.lock.mode.as_str()
        )));
    }
    let table = match &a.table {
        Some(t) => t.clone(),
        None => {
            let toml: toml::Table = std::fs::read_to_string(&config)
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or_default();
            toml.get("state")
                .and_then(|s| s.get("lock_table"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-lock", store.bucket))
        }
    };
    let root = cfg.base_dir();
    let templates = load_templates(None, Some(&cfg))?;
    let generation =
        crate::generate::plan_all(&root, &project, README_APPLY_COMMAND, false, &templates)?;
    let still: Vec<String> = generation
        .states
        .iter()
        .filter(|(_, dir, key)| {
            matches!(initialised(&root.join(dir)), Initialised::With { key: k, table: true, .. } if k == *key)
        })
        .map(|(what, dir, _)| format!("{dir} ({what})"))
        .collect();
    if !still.is_empty() {
        return Err(Error::Usage(format!(
            "these roots are still initialised with the table, so their runs read the digests: {}; run `tfboot migrate-lock --phase s3 --run` first",
            still.join(", ")
        )));
    }
    let target = crate::live::targets::S3Target {
        bucket: store.bucket.clone(),
        region: store.region.clone(),
        ..Default::default()
    };
    let rt = crate::live::aws::runtime()?;
    rt.block_on(async {
        let clients = crate::live::aws::clients(&target).await?;
        let found =
            crate::live::locks::table_contents(&clients, &store.bucket, &table).await?;
        if !found.locks.is_empty() {
            w(out, format!("the table {table} still holds lock items, so some run still locks with it; nothing was deleted:"))?;
            for l in &found.locks {
                w(out, format!("  {l}"))?;
            }
            return Ok(1);
        }
        if found.digests.is_empty() {
            w(out, format!("no digest items of s3://{} in {table}", store.bucket))?;
            return Ok(0);
        }
        w(
            out,
            format!(
                "{} digest item(s) of s3://{} in {table}:",
                found.digests.len(),
                store.bucket
            ),
        )?;
        for d in &found.digests {
            w(out, format!("  {d}"))?;
        }
        if !a.yes {
            w(out, "pass --yes to delete them (only these; lock items and other buckets' items are never touched)")?;
            return Ok(0);
        }
        let mut deleted = 0;
        for d in &found.digests {
            if crate::live::locks::delete_digest(&clients, &table, d).await? {
                deleted += 1;
            } else {
                w(out, format!("kept {d}: it is no longer a digest item"))?;
            }
        }
        w(out, format!("deleted {deleted} digest item(s) from {table}"))?;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_is_edited_in_place_with_its_comment() {
        let text = "# top\n[state]\nbucket = \"b\"  # the bucket\nlock   = \"dynamodb\"   # since 2019\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n";
        let out = edited_config(Path::new("tfboot.toml"), text, LockMode::Both).unwrap();
        assert_eq!(out, text.replace("\"dynamodb\"", "\"both\""));
        let no_lock = "[state]\nbucket = \"b\"\nregion = \"eu-west-1\"\n";
        let out = edited_config(Path::new("tfboot.toml"), no_lock, LockMode::Both).unwrap();
        assert!(out.contains("lock = \"both\""), "{out}");
        assert!(out.starts_with("[state]\nbucket = \"b\"\n"), "{out}");
    }
}
