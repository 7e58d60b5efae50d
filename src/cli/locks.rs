//! `tfboot locks`: the state locks held in the stores right now, one state in detail, and a
//! conditional unlock. States come from tfboot.toml and/or the backend blocks under PATHs, in s3
//! (DynamoDB items, `.tflock` objects), gcs (`.tflock` generations) and azurerm (blob leases)
//! stores; `src/live` does the reading.

use super::*;
use crate::live::locks::{self, HeldLock};
use crate::live::targets::{self, Group, Target, Targets};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  tfboot locks                                   # every held lock of the states tfboot.toml describes\n  tfboot locks list live/ --older-than 30m --format json   # the backends under live/\n  tfboot locks show envs/prod\n  tfboot locks unlock envs/prod --id 5e6c4c5a-…   # only if that lock still holds that ID\n  tfboot locks unlock --all --older-than 2h --yes\nExit codes: list 0; show 0 locked, 1 not locked; unlock 0 unlocked, 1 nothing matched or a race was lost; 2 usage, credentials, network"
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
    /// One state: its object, every lock on it and its digest items.
    Show(ShowArgs),
    /// Remove a lock, only if it still holds the ID given (or read, with --older-than).
    Unlock(UnlockArgs),
    /// After `migrate-lock --phase s3`: list, then delete (--yes), the `<key>-md5` digest items
    /// of the retired DynamoDB table.
    PruneDigests(super::migrate::PruneDigestsArgs),
}

/// Where the states come from: shared by every `locks` subcommand.
#[derive(Debug, Args, Default, Clone)]
pub struct SourceArgs {
    /// The tfboot.toml whose store and states to read [default: ./tfboot.toml or a parent's,
    /// unless PATHs are given; with neither, the backend blocks under `.`].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Root modules or trees whose backend blocks (with their *.tfbackend files) name states.
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// Root modules or trees whose backend blocks (with their *.tfbackend files) name states
    /// [default: the states of tfboot.toml].
    pub paths: Vec<PathBuf>,
    /// The tfboot.toml whose store and states to read [default: ./tfboot.toml or a parent's,
    /// unless PATHs are given].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only locks held longer than this (30m, 2h, 1d), by their `Created` time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The state: its root directory (envs/prod), its key, or s3://<bucket>/<key>.
    pub address: String,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(true).args(["id", "older_than"])))]
pub struct UnlockArgs {
    /// The state: its root directory (envs/prod), its key, or s3://<bucket>/<key>. Leave it out
    /// with --all.
    #[arg(required_unless_present = "all")]
    pub address: Option<String>,
    /// The lock ID, exactly as `tfboot locks` or Terraform printed it.
    #[arg(long, conflicts_with = "all")]
    pub id: Option<String>,
    /// Remove the lock only if it was created longer ago than this (30m, 2h, 1d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// Every lock older than --older-than, in every store (listed before anything is removed).
    #[arg(long, requires = "older_than", conflicts_with = "address")]
    pub all: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
}

fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30m, 2h, 1d)"))
}

/// Load a tfboot.toml's store and states into `out`.
fn load_project(path: &Path, out: &mut Targets) -> Result<()> {
    let cfg = LoadedConfig::load(path)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let templates = load_templates(None, Some(&cfg))?;
    let generation = crate::generate::plan_all(
        &cfg.base_dir(),
        &project,
        README_APPLY_COMMAND,
        false,
        &templates,
    )?;
    targets::add_project(out, path, &project, generation.states);
    Ok(())
}

/// The stores and states to read; exit 2 when there is none.
pub(super) fn collect(config: Option<&Path>, paths: &[PathBuf]) -> Result<Targets> {
    let t = targets::collect(config, paths, &load_project)?;
    if t.groups.is_empty() {
        let mut msg = format!(
            "no state tfboot can read in {}",
            if t.sources.is_empty() {
                "the config".to_string()
            } else {
                t.sources.join(" or ")
            }
        );
        for s in &t.skipped {
            msg.push_str(&format!("\n  skipped {}: {}", s.file, s.reason));
        }
        if t.skipped.is_empty() {
            msg.push_str(" (no backend block found; pass a tfboot.toml with --config or the root modules as PATHs)");
        }
        return Err(Error::Usage(msg));
    }
    Ok(t)
}

pub(super) fn cmd_locks(a: &LocksArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    match &a.command {
        None => cmd_list(&a.list, ui, out),
        Some(LocksCommand::List(l)) => cmd_list(l, ui, out),
        Some(LocksCommand::Show(s)) => cmd_show(s, out),
        Some(LocksCommand::Unlock(u)) => cmd_unlock(u, ui, out),
        Some(LocksCommand::PruneDigests(p)) => super::migrate::cmd_prune_digests(p, out),
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

/// The report of every store, read one store after the other.
fn read_all(t: &Targets) -> Result<Vec<(&Group, locks::Report)>> {
    let mut out = Vec::new();
    for g in &t.groups {
        out.push((g, crate::live::list(g)?));
    }
    Ok(out)
}

/// How to clear this lock by hand, in its root.
fn force_unlock_hint(l: &HeldLock) -> String {
    match &l.root {
        Some(dir) => {
            let mut steps = vec![format!("cd {}", shell_quote(dir))];
            if let Some(f) = &l.backend_config {
                steps.push(format!(
                    "terraform init -reconfigure -backend-config={}",
                    shell_quote(f)
                ));
            }
            if let Some(ws) = &l.workspace {
                steps.push(format!("terraform workspace select {}", shell_quote(ws)));
            }
            steps.push(format!("terraform force-unlock {}", l.id));
            format!(
                "  {}: {}   or: tfboot locks unlock {} --id {}",
                l.what.as_deref().unwrap_or("root"),
                steps.join(" && "),
                shell_quote(&l.state),
                l.id
            )
        }
        None => format!(
            "  not a state tfboot knows a root of (another root or workspace): tfboot locks unlock {} --id {}",
            shell_quote(&l.state),
            l.id
        ),
    }
}

fn lock_line(l: &HeldLock) -> String {
    format!(
        "{}  {}{}  id {}  {} by {} (Terraform {}), {} ago{}",
        l.state,
        l.lock,
        l.table
            .as_ref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default(),
        l.id,
        l.operation.trim_start_matches("OperationType"),
        if l.who.is_empty() { "?" } else { &l.who },
        if l.version.is_empty() {
            "?"
        } else {
            &l.version
        },
        age(l.age_seconds),
        l.workspace
            .as_ref()
            .map(|w| format!(", workspace {w}"))
            .unwrap_or_default(),
    )
}

fn cmd_list(a: &ListArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let t = collect(a.config.as_deref(), &a.paths)?;
    let mut reports = read_all(&t)?;
    if let Some(min) = a.older_than {
        for (_, r) in reports.iter_mut() {
            r.locks
                .retain(|l| l.age_seconds.is_some_and(|s| s >= min.as_secs()));
        }
    }
    let requests: usize = reports.iter().map(|(_, r)| r.requests).sum();
    if a.format == OutputFormat::Json {
        let stores: Vec<_> = reports
            .iter()
            .map(|(g, r)| {
                serde_json::json!({
                    "store": g.target.url(),
                    "backend": g.target.backend(),
                    "lock_tables": g.tables(),
                    "states": g.states.len(),
                    "requests": r.requests,
                })
            })
            .collect();
        let locks: Vec<&HeldLock> = reports.iter().flat_map(|(_, r)| &r.locks).collect();
        let strays: Vec<_> = reports.iter().flat_map(|(_, r)| &r.strays).collect();
        let doc = serde_json::json!({
            "stores": stores,
            "locks": locks,
            "strays": strays,
            "skipped": t.skipped,
            "requests": requests,
        });
        w(out, serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(0);
    }
    for (g, r) in &reports {
        if !ui.quiet {
            let tables = g.tables();
            w(
                out,
                format!(
                    "{}{}: {} state(s) known, {} lock(s) held{}",
                    g.target.url(),
                    if tables.is_empty() {
                        String::new()
                    } else {
                        format!(" with table {}", tables.join(", "))
                    },
                    g.states.len(),
                    r.locks.len(),
                    if a.older_than.is_some() {
                        " (older than asked)"
                    } else {
                        ""
                    }
                ),
            )?;
        }
        let (with_state, without): (Vec<&HeldLock>, Vec<&HeldLock>) =
            r.locks.iter().partition(|l| l.state_exists);
        for l in with_state {
            w(out, lock_line(l))?;
            w(out, force_unlock_hint(l))?;
        }
        if !without.is_empty() {
            w(out, "locks on states that do not exist (a first apply still running, or a lock left behind after the state was removed):")?;
            for l in without {
                w(out, lock_line(l))?;
                w(out, force_unlock_hint(l))?;
            }
        }
        for s in &r.strays {
            w(
                out,
                format!(
                    "not a lock: {} {} in {} ({})",
                    s.kind, s.item, s.table, s.detail
                ),
            )?;
        }
    }
    if !ui.quiet {
        for s in &t.skipped {
            eprintln!("note: skipped {}: {}", s.file, s.reason);
        }
        if ui.verbose {
            eprintln!("tfboot locks: {requests} request(s)");
        }
    }
    Ok(0)
}

/// Which store and key an address names: `s3://bucket/key`, a root directory, or a key.
fn resolve<'a>(t: &'a Targets, address: &str) -> Result<(&'a Group, String)> {
    let address = address.trim_end_matches('/');
    // The default workspace's state object of a gcs prefix.
    let gcs_state = |prefix: &str| {
        let p = crate::backend::gcs::check::effective_prefix(prefix);
        if p.is_empty() {
            "default.tfstate".to_string()
        } else {
            format!("{p}/default.tfstate")
        }
    };
    if let Some(rest) = address.strip_prefix("azurerm://") {
        let mut parts = rest.splitn(3, '/');
        let (account, container, key) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let Some(g) = t.groups.iter().find(|g| match &g.target {
            Target::Azure(a) => a.account == account && a.container == container,
            _ => false,
        }) else {
            return Err(Error::Usage(format!(
                "{address}: the container {account}/{container} is not a store of {} (stores: {})",
                t.sources.join(", "),
                t.groups
                    .iter()
                    .map(|g| g.target.url())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if key.is_empty() {
            return Err(Error::Usage(format!(
                "{address}: name the state key too (azurerm://<account>/<container>/<key>)"
            )));
        }
        return Ok((g, key.to_string()));
    }
    for scheme in ["s3://", "gs://"] {
        let Some(rest) = address.strip_prefix(scheme) else {
            continue;
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(g) = t.groups.iter().find(|g| match &g.target {
            Target::S3(s) => scheme == "s3://" && s.bucket == bucket,
            Target::Gcs(s) => scheme == "gs://" && s.bucket == bucket,
            Target::Azure(_) => false,
        }) else {
            return Err(Error::Usage(format!(
                "{address}: the bucket {bucket} is not a store of {} (stores: {})",
                t.sources.join(", "),
                t.groups
                    .iter()
                    .map(|g| g.target.url())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if scheme == "gs://" {
            // A state object (`envs/dev/staging.tfstate`) or a prefix (its default workspace).
            return Ok((
                g,
                if key.ends_with(".tfstate") {
                    key.to_string()
                } else {
                    gcs_state(key)
                },
            ));
        }
        if key.is_empty() {
            return Err(Error::Usage(format!(
                "{address}: name the state key too (s3://{bucket}/<key>)"
            )));
        }
        return Ok((g, key.to_string()));
    }
    let trimmed = address.trim_start_matches("./");
    let hits: Vec<(&Group, &targets::KnownState)> = t
        .states()
        .filter(|(_, s)| s.dir == trimmed || s.key == address)
        .collect();
    let key_of = |g: &Group, s: &targets::KnownState| match &g.target {
        Target::S3(_) | Target::Azure(_) => s.key.clone(),
        Target::Gcs(_) => gcs_state(&s.key),
    };
    match hits.as_slice() {
        [(g, s)] => Ok((g, key_of(g, s))),
        [] => Err(Error::Usage(format!(
            "{address}: neither a root directory nor a state key of {}; pass s3://<bucket>/<key> (or gs://<bucket>/<prefix>) for another state",
            t.sources.join(", ")
        ))),
        many => Err(Error::Usage(format!(
            "{address} names {} states: {}; pass one as {}",
            many.len(),
            many.iter()
                .map(|(g, s)| format!("{}/{} ({})", g.target.url(), key_of(g, s), s.what))
                .collect::<Vec<_>>()
                .join(", "),
            "s3://<bucket>/<key> or gs://<bucket>/<prefix>"
        ))),
    }
}

fn cmd_show(a: &ShowArgs, out: &mut dyn Write) -> Result<i32> {
    let t = collect(a.source.config.as_deref(), &a.source.paths)?;
    let (g, key) = resolve(&t, &a.address)?;
    let shown = crate::live::show(g, &key)?;
    let code = if shown.locks.is_empty() { 1 } else { 0 };
    if a.format == OutputFormat::Json {
        w(
            out,
            serde_json::to_string_pretty(&shown).unwrap_or_default(),
        )?;
        return Ok(code);
    }
    w(
        out,
        format!(
            "{}: {}",
            shown.state,
            if shown.state_exists {
                format!(
                    "state object of {} bytes{}",
                    shown.state_size.unwrap_or(0),
                    shown
                        .state_modified
                        .as_ref()
                        .map(|m| format!(", written {m}"))
                        .unwrap_or_default()
                )
            } else {
                "no state object".into()
            }
        ),
    )?;
    if shown.locks.is_empty() {
        w(out, "not locked")?;
    }
    for l in &shown.locks {
        w(out, format!("locked: {}", lock_line(l)))?;
        w(out, format!("  created {}", l.created))?;
        w(out, force_unlock_hint(l))?;
    }
    for (table, digest) in &shown.digests {
        w(
            out,
            format!("digest in {table}: {digest} (Terraform's checksum of the state, not a lock; unlock never touches it)"),
        )?;
    }
    Ok(code)
}

/// One lock to remove: where, and the ID it must still hold.
struct Pick<'a> {
    group: &'a Group,
    key: String,
    id: String,
    line: String,
}

fn confirm(a: &UnlockArgs, what: &str) -> Result<bool> {
    if a.yes {
        return Ok(true);
    }
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "unlock removes a lock another run may still hold: pass --yes (stdin is not a terminal to ask)".into(),
        ));
    }
    eprint!("{what}? [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn cmd_unlock(a: &UnlockArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let t = collect(a.source.config.as_deref(), &a.source.paths)?;
    // Refuse a bad address before anything is contacted.
    let one = match &a.address {
        Some(addr) => Some(resolve(&t, addr)?),
        None => None,
    };
    if a.id.is_some() && !a.yes {
        use std::io::IsTerminal as _;
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "unlock removes a lock another run may still hold: pass --yes (stdin is not a terminal to ask)".into(),
            ));
        }
    }
    let mut picks: Vec<Pick> = Vec::new();
    match (&one, &a.id) {
        (Some((g, key)), Some(id)) if a.older_than.is_none() => picks.push(Pick {
            group: g,
            key: key.clone(),
            id: id.clone(),
            line: format!("the lock {id} on {}/{key}", g.target.url()),
        }),
        _ => {
            // By age: read the locks, pick those old enough (and on the address, when given).
            let min = a.older_than.map(|d| d.as_secs()).unwrap_or(0);
            for (g, r) in read_all(&t)? {
                for l in r.locks {
                    let key = l
                        .state
                        .strip_prefix(&format!("{}/", g.target.url()))
                        .unwrap_or_default()
                        .to_string();
                    if let Some((og, okey)) = &one {
                        if og.target != g.target || *okey != key {
                            continue;
                        }
                    }
                    if l.age_seconds.is_none_or(|s| s < min) {
                        continue;
                    }
                    // --id with --older-than: that lock, and only if it is that old.
                    if a.id.as_ref().is_some_and(|id| *id != l.id) {
                        continue;
                    }
                    if picks
                        .iter()
                        .any(|p| p.key == key && p.id == l.id && p.group.target == g.target)
                    {
                        continue;
                    }
                    picks.push(Pick {
                        group: g,
                        key,
                        id: l.id.clone(),
                        line: lock_line(&l),
                    });
                }
            }
            if picks.is_empty() {
                w(
                    out,
                    format!(
                        "no lock older than {} held{}",
                        humantime::format_duration(a.older_than.unwrap_or_default()),
                        match &one {
                            Some((g, k)) => format!(" on {}/{k}", g.target.url()),
                            None => String::new(),
                        }
                    ),
                )?;
                return Ok(1);
            }
            if !ui.quiet {
                w(out, format!("{} lock(s) to remove:", picks.len()))?;
                for p in &picks {
                    w(out, format!("  {}", p.line))?;
                }
            }
        }
    }
    let question = match picks.as_slice() {
        [one] => format!("remove {}", one.line),
        many => format!("remove these {} locks", many.len()),
    };
    if !confirm(a, &question)? {
        w(out, "left alone")?;
        return Ok(1);
    }
    let mut removed_any = false;
    let mut lost = false;
    for p in &picks {
        let done = crate::live::unlock(p.group, &p.key, &p.id)?;
        let url = format!("{}/{}", p.group.target.url(), p.key);
        for (kind, other) in &done.kept {
            lost = true;
            w(
                out,
                format!(
                    "kept the {kind} lock on {url}: it holds ID {other} now, not {} (another run took it)",
                    p.id
                ),
            )?;
        }
        if done.removed.is_empty() {
            if done.kept.is_empty() {
                w(out, format!("no lock held on {url}"))?;
            }
            continue;
        }
        removed_any = true;
        w(
            out,
            format!(
                "unlocked {url}: removed the {} lock with ID {}",
                done.removed.join(" and the "),
                p.id
            ),
        )?;
    }
    Ok(if removed_any && !lost { 0 } else { 1 })
}
