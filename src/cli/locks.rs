//! `tfboot locks`: the state locks held in the store right now, and a conditional unlock.
//! This version reads S3 stores (DynamoDB lock items and `.tflock` objects) for the states a
//! tfboot.toml describes.

use super::*;
use crate::backend::Store;
use crate::live::locks::{self, KnownState};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  tfboot locks                                   # every held lock of the store tfboot.toml names\n  tfboot locks list --older-than 30m --format json\n  tfboot locks unlock envs/prod --id 5e6c4c5a-…   # only if that lock still holds that ID"
)]
pub struct LocksArgs {
    #[command(subcommand)]
    pub command: Option<LocksCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum LocksCommand {
    /// Every held state lock (the default).
    List(ListArgs),
    /// Remove one lock, only if it still holds the given ID.
    Unlock(UnlockArgs),
}

#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// The tfboot.toml whose store and states to read [default: ./tfboot.toml or a parent's].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only locks held longer than this (30m, 2h, 1d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The state: its root directory (envs/prod), its key, or s3://<bucket>/<key>.
    pub address: String,
    /// The lock ID, exactly as `tfboot locks` or Terraform printed it.
    #[arg(long)]
    pub id: String,
    /// The tfboot.toml whose store to use [default: ./tfboot.toml or a parent's].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
}

fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30m, 2h, 1d)"))
}

/// The S3 store and the states of the project a tfboot.toml describes.
fn project_states(config: Option<&Path>) -> Result<(crate::backend::s3::Store, Vec<KnownState>)> {
    let path = crate::config::locate(config)?;
    let cfg = LoadedConfig::load(&path)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let Store::S3(store) = &project.store else {
        return Err(Error::Usage(format!(
            "{}: state.backend = {:?}: `tfboot locks` reads s3 stores in this version (DynamoDB lock items and .tflock objects); for {} use `terraform force-unlock` in the root",
            path.display(),
            project.store.kind().name(),
            project.store.kind().name()
        )));
    };
    let root = cfg.base_dir();
    let templates = load_templates(None, Some(&cfg))?;
    let generation =
        crate::generate::plan_all(&root, &project, README_APPLY_COMMAND, false, &templates)?;
    let states = generation
        .states
        .into_iter()
        .map(|(what, dir, key)| KnownState { what, dir, key })
        .collect();
    Ok((store.clone(), states))
}

pub(super) fn cmd_locks(a: &LocksArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    match &a.command {
        None => cmd_list(&a.list, ui, out),
        Some(LocksCommand::List(l)) => cmd_list(l, ui, out),
        Some(LocksCommand::Unlock(u)) => cmd_unlock(u, out),
    }
}

fn w(out: &mut dyn Write, s: impl AsRef<str>) -> Result<()> {
    writeln!(out, "{}", s.as_ref()).map_err(|e| Error::io("stdout", e))
}

fn age(secs: Option<u64>) -> String {
    match secs {
        Some(s) => humantime::format_duration(std::time::Duration::from_secs(s))
            .to_string()
            .split(' ')
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
        None => "?".into(),
    }
}

fn cmd_list(a: &ListArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let (store, states) = project_states(a.config.as_deref())?;
    let rt = crate::live::aws::runtime()?;
    let mut report = rt.block_on(async {
        let clients = crate::live::aws::clients(&store.region).await?;
        locks::list(&clients, &store, &states).await
    })?;
    if let Some(min) = a.older_than {
        report
            .locks
            .retain(|l| l.age_seconds.is_some_and(|s| s >= min.as_secs()));
    }
    if a.format == OutputFormat::Json {
        let doc = serde_json::json!({
            "store": format!("s3://{}", store.bucket),
            "lock_table": store.lock.table,
            "locks": report.locks,
            "strays": report.strays,
            "requests": report.requests,
        });
        w(out, serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(0);
    }
    if report.locks.is_empty() && !ui.quiet {
        let table = store
            .lock
            .table
            .as_ref()
            .map(|t| format!(" or table {t}"))
            .unwrap_or_default();
        w(
            out,
            format!(
                "no state lock held in s3://{}{table} ({} states known, {} requests)",
                store.bucket,
                states.len(),
                report.requests
            ),
        )?;
    }
    for l in &report.locks {
        w(
            out,
            format!(
                "{}  {}  id {}  {} by {} (Terraform {}), {} ago{}",
                l.state,
                l.lock,
                l.id,
                l.operation.trim_start_matches("OperationType"),
                if l.who.is_empty() { "?" } else { &l.who },
                if l.version.is_empty() {
                    "?"
                } else {
                    &l.version
                },
                age(l.age_seconds),
                if l.state_exists {
                    ""
                } else {
                    "; no state object yet"
                }
            ),
        )?;
        match &l.root {
            Some(dir) => w(
                out,
                format!(
                    "  {}: cd {dir} && terraform force-unlock {}   or: tfboot locks unlock {dir} --id {}",
                    l.what.as_deref().unwrap_or("root"),
                    l.id,
                    l.id
                ),
            )?,
            None => w(
                out,
                format!(
                    "  not a state tfboot.toml lists (another workspace or root): tfboot locks unlock {} --id {}",
                    l.state, l.id
                ),
            )?,
        }
    }
    for s in &report.strays {
        w(out, format!("stray {}: {} ({})", s.kind, s.item, s.detail))?;
    }
    Ok(0)
}

fn cmd_unlock(a: &UnlockArgs, out: &mut dyn Write) -> Result<i32> {
    let (store, states) = project_states(a.config.as_deref())?;
    let address = a.address.trim_end_matches('/');
    let prefix = format!("s3://{}/", store.bucket);
    let key = if let Some(k) = address.strip_prefix(&prefix) {
        k.to_string()
    } else if address.starts_with("s3://") {
        return Err(Error::Usage(format!(
            "{address} is not in the store s3://{} that the config names",
            store.bucket
        )));
    } else if let Some(s) = states.iter().find(|s| s.dir == address || s.key == address) {
        s.key.clone()
    } else {
        return Err(Error::Usage(format!(
            "{address}: neither a root directory nor a state key of the config; pass s3://{}/<key> for another state",
            store.bucket
        )));
    };
    if !a.yes {
        use std::io::IsTerminal as _;
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "unlock removes a lock another run may still hold: pass --yes (stdin is not a terminal to ask)".into(),
            ));
        }
        eprint!("remove the lock {} on {prefix}{key}? [y/N] ", a.id);
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            w(out, "left alone")?;
            return Ok(1);
        }
    }
    let rt = crate::live::aws::runtime()?;
    let done = rt.block_on(async {
        let clients = crate::live::aws::clients(&store.region).await?;
        locks::unlock(&clients, &store, &key, &a.id).await
    })?;
    for (kind, other) in &done.kept {
        w(
            out,
            format!(
                "kept the {kind} lock on {prefix}{key}: it holds ID {other} now, not {} (another run took it)",
                a.id
            ),
        )?;
    }
    if done.removed.is_empty() {
        if done.kept.is_empty() {
            w(out, format!("no lock held on {prefix}{key}"))?;
        }
        return Ok(1);
    }
    w(
        out,
        format!(
            "unlocked {prefix}{key}: removed the {} lock with ID {}",
            done.removed.join(" and the "),
            a.id
        ),
    )?;
    Ok(if done.kept.is_empty() { 0 } else { 1 })
}
