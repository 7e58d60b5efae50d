//! From a [`Project`] to a [`Plan`] of files under a root directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::discover::{self, RootMatcher, TreeScan};
use crate::error::{Error, InvalidValue, Result};
use crate::model::{Layout, Project};
use crate::render::{self, BackendTarget, RenderedFile, OVERRIDE_FILE};
use crate::templates::Templates;
use crate::write::Plan;

/// True when the bootstrap module has been through bootstrap already: its `backend.tf` exists and
/// the override that kept state local has been deleted. The override is then never written again,
/// or the next `terraform init` would try to move the state back to local disk.
pub fn is_bootstrapped(module_dir: &Path) -> bool {
    module_dir.join("backend.tf").exists() && !module_dir.join(OVERRIDE_FILE).exists()
}

fn bootstrap_files(
    root: &Path,
    project: &Project,
    apply_command: &str,
    templates: &Templates,
) -> Result<Vec<RenderedFile>> {
    let mut files = render::bootstrap_module_with(templates, project, apply_command)?;
    let bootstrapped = is_bootstrapped(&root.join(&project.bootstrap.dir));
    files.retain(|f| !(f.transient && bootstrapped));
    Ok(files)
}

/// Plan the bootstrap module of `project` under `root` (what `tfboot bootstrap` writes), and find
/// the files tfboot generated into that directory earlier that it no longer writes.
pub fn plan_bootstrap(
    root: &Path,
    project: &Project,
    apply_command: &str,
    force: bool,
    templates: &Templates,
) -> Result<Generation> {
    plan_bootstrap_with(root, project, apply_command, force, templates, Vec::new())
}

/// [`plan_bootstrap`] with more files in the module (`adopt`'s `imports.tf`).
pub fn plan_bootstrap_with(
    root: &Path,
    project: &Project,
    apply_command: &str,
    force: bool,
    templates: &Templates,
    extra: Vec<RenderedFile>,
) -> Result<Generation> {
    let mut files = bootstrap_files(root, project, apply_command, templates)?;
    files.extend(extra);
    let planned: BTreeSet<String> = files.iter().map(|f| dir_string(&f.path)).collect();
    let module_dir = root.join(&project.bootstrap.dir);
    let mut candidates = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&module_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !crate::discover::is_config_file(&name, false) || !e.path().is_file() {
                continue;
            }
            let rel = dir_string(&project.bootstrap.dir.join(&name));
            if !planned.contains(&rel) {
                candidates.push(rel);
            }
        }
    }
    candidates.sort();
    Ok(Generation {
        plan: Plan::new(root, &files, force)?,
        stale: stale_files(root, &project.store, candidates.iter()),
        discovered: 0,
        states: vec![(
            "the bootstrap module".to_string(),
            dir_string(&project.bootstrap.dir),
            project.bootstrap.key.clone(),
        )],
    })
}

/// Everything `tfboot generate` writes, and what it found that it no longer writes.
pub struct Generation {
    pub plan: Plan,
    /// Files tfboot generated earlier that nothing in the config produces any more.
    pub stale: Vec<StaleFile>,
    /// How many root modules `[discover]` found.
    pub discovered: usize,
    /// Every state the project describes, bootstrap module first: (what, root directory,
    /// address in the store).
    pub states: Vec<(String, String, String)>,
}

/// A file tfboot generated earlier that the current settings no longer produce (an env or root
/// that is gone, `dynamodb.tf` after `lock = "s3"`, `kms.tf` after `encryption = "aes256"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    /// Edited since tfboot wrote it: reported, never deleted by `--prune`.
    pub edited: bool,
    /// For a file whose resources hold or guard state (the lock table, the KMS key): how to retire
    /// them safely, since deleting the file makes the next apply destroy them.
    pub retire: Option<&'static str>,
}

pub use crate::backend::s3::{RETIRE_BUCKET, RETIRE_KEY, RETIRE_TABLE};

/// Retiring a root's backend while the root still has its Terraform files.
pub const RETIRE_BACKEND: &str = "the directory still holds Terraform files: without this backend, its next `terraform init` offers to copy the state to local disk. Delete the root, or give it a backend again (an [[env]] or [discover] entry), before deleting this file";

fn is_backend_file(rel: &str) -> bool {
    rel.ends_with("/backend.tf") || rel == "backend.tf" || rel.ends_with(".tfbackend")
}

/// Whether the directory of a backend file still holds other `.tf` files (a live root).
fn root_still_there(file: &Path) -> bool {
    let Some(dir) = file.parent() else {
        return false;
    };
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name != "backend.tf" && crate::discover::is_config_file(&name, false)
        })
    })
}

/// A line of the `imports.tf` that `tfboot adopt` writes into the bootstrap module: generate
/// does not call that file stale.
pub const ADOPT_IMPORTS_MARK: &str = "Written by tfboot adopt;";

fn stale_files<'a>(
    root: &Path,
    store: &crate::backend::Store,
    candidates: impl Iterator<Item = &'a String>,
) -> Vec<StaleFile> {
    candidates
        .filter_map(|rel| {
            let text = std::fs::read_to_string(root.join(rel)).ok()?;
            // `tfboot adopt`'s import blocks belong to the module until the user deletes them.
            if text.contains(ADOPT_IMPORTS_MARK) {
                return None;
            }
            let edited = match crate::write::provenance(&text) {
                crate::write::Provenance::Foreign => return None,
                crate::write::Provenance::Edited => true,
                crate::write::Provenance::Generated => false,
            };
            let retire = store
                .retire(&text)
                .or_else(|| crate::backend::retire_any(&text))
                .or_else(|| {
                    (is_backend_file(rel) && root_still_there(&root.join(rel)))
                        .then_some(RETIRE_BACKEND)
                });
            Some(StaleFile {
                path: rel.clone(),
                edited,
                retire,
            })
        })
        .collect()
}

/// Delete the stale files that tfboot generated and nobody edited; edited ones stay.
pub fn prune(root: &Path, stale: &[StaleFile]) -> Result<Vec<String>> {
    let mut deleted = Vec::new();
    for f in stale.iter().filter(|f| !f.edited) {
        let p = root.join(&f.path);
        // Checked again right before: only a file that still carries an unedited marker goes.
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        if crate::write::provenance(&text) != crate::write::Provenance::Generated {
            continue;
        }
        std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        deleted.push(f.path.clone());
    }
    Ok(deleted)
}

fn dir_string(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn under(dir: &str, ancestor: &str) -> bool {
    dir == ancestor || dir.starts_with(&format!("{ancestor}/"))
}

/// The configured directories must not lead out of the repository through a symlink either: the
/// nearest existing ancestor of each is resolved and must lie inside the resolved root.
fn check_inside(root: &Path, project: &Project) -> Result<()> {
    let base = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let Ok(real_root) = std::fs::canonicalize(base) else {
        return Ok(());
    };
    let dirs = std::iter::once(("state.bootstrap_dir".to_string(), &project.bootstrap.dir)).chain(
        project
            .envs
            .iter()
            .map(|e| (format!("env {:?} dir", e.name), &e.dir)),
    );
    let mut errors = Vec::new();
    for (field, dir) in dirs {
        let mut probe = base.join(dir);
        while !probe.exists() {
            if !probe.pop() {
                break;
            }
        }
        if let Ok(real) = std::fs::canonicalize(&probe) {
            if !real.starts_with(&real_root) {
                errors.push(InvalidValue {
                    file: None,
                    line: None,
                    field,
                    value: dir_string(dir),
                    rule: "a directory must stay inside the repository; this one leads out of it through a symlink".into(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Plan the bootstrap module, every `[[env]]` backend and every discovered root's backend.
pub fn plan_all(
    root: &Path,
    project: &Project,
    apply_command: &str,
    force: bool,
    templates: &Templates,
) -> Result<Generation> {
    let timer = PhaseTimer::new();
    let mut files = bootstrap_files(root, project, apply_command, templates)?;
    let scan: TreeScan = discover::scan(root)?;
    timer.mark("walk + parse");
    let bootstrap_dir = dir_string(&project.bootstrap.dir);

    check_inside(root, project)?;
    let mut targets: Vec<BackendTarget> = Vec::new();
    let mut partial_dirs: BTreeSet<String> = BTreeSet::new();
    // State address → who uses it, for collisions between envs, discovered roots and bootstrap.
    // Keyed by state key alone: the default workspace ignores workspace_key_prefix.
    let store = &project.store;
    let mut addresses: BTreeMap<String, String> = BTreeMap::new();
    addresses.insert(
        store.collision_key(&project.bootstrap.key),
        "the bootstrap module".into(),
    );
    for env in &project.envs {
        let dir = dir_string(&env.dir);
        let block = project.env_backend(env);
        addresses.insert(store.collision_key(&env.key), format!("env {:?}", env.name));
        let tfbackend_name = (project.layout == Layout::Tfbackend).then(|| env.name.clone());
        if tfbackend_name.is_some() {
            partial_dirs.insert(dir.clone());
        }
        targets.push(BackendTarget {
            what: format!("env {}", env.name),
            dir,
            tfbackend_name,
            address: env.key.clone(),
            block,
        });
    }

    let mut discovered = 0;
    if let Some(d) = &project.discover {
        let matcher = RootMatcher::new(&d.roots, &d.exclude)?;
        let env_dirs: BTreeSet<String> = project.envs.iter().map(|e| dir_string(&e.dir)).collect();
        let mut collisions = Vec::new();
        for dir in discover::roots(&scan, &matcher) {
            if env_dirs.contains(&dir) || under(&dir, &bootstrap_dir) {
                continue;
            }
            let key = store.default_address(&dir);
            if let Err(rule) = store.check_default_address(&key) {
                collisions.push(InvalidValue {
                    file: None,
                    line: None,
                    field: format!("discover (root {dir})"),
                    value: key.clone(),
                    rule,
                });
                continue;
            }
            let who = format!("discovered root {dir}");
            let collision = store.collision_key(&key);
            if let Some(other) = addresses.get(&collision) {
                collisions.push(InvalidValue {
                    file: None,
                    line: None,
                    field: format!("discover (root {dir})"),
                    value: key.clone(),
                    rule: format!(
                        "state address {} is also used by {other}; two configurations sharing one state overwrite each other",
                        store.state_url(&key)
                    ),
                });
                continue;
            }
            addresses.insert(collision, who);
            discovered += 1;
            targets.push(BackendTarget {
                what: format!("root {dir}"),
                dir,
                tfbackend_name: None,
                block: project.backend(Some(&key)),
                address: key,
            });
        }
        if !collisions.is_empty() {
            return Err(Error::Invalid(collisions));
        }
    }

    // A second backend block in a root breaks `terraform init`: refuse to add one.
    let mut conflicts = Vec::new();
    for t in &targets {
        if t.tfbackend_name.is_none() {
            let own_file = format!("{}/backend.tf:", t.dir);
            let places: Vec<&String> = scan
                .foreign_backends
                .get(&t.dir)
                .map(|p| p.iter().filter(|p| !p.starts_with(&own_file)).collect())
                .unwrap_or_default();
            // A hand-written backend.tf itself is the plan's business: refused unless --force.
            if !places.is_empty() {
                let places: Vec<&str> = places.iter().map(|p| p.as_str()).collect();
                conflicts.push(format!(
                    "{} already declares a backend ({}); tfboot would add a second one in {}/backend.tf. Remove it, or exclude the directory",
                    t.what,
                    places.join(", "),
                    t.dir
                ));
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(Error::Conflicts(conflicts));
    }
    // Partial layout: a directory that already has an empty backend block (or any backend) keeps it.
    let partial: Vec<String> = partial_dirs
        .into_iter()
        .filter(|d| !scan.foreign_backends.contains_key(d))
        .collect();

    crate::progress::phase("rendering backends", None);
    files.extend(render::backend_files_with(
        templates, store, &targets, &partial,
    )?);
    timer.mark("render");
    let planned: BTreeSet<String> = files.iter().map(|f| dir_string(&f.path)).collect();
    let candidates = scan.generated_files.iter().filter(|f| {
        !planned.contains(*f)
            && !scan
                .nested_projects
                .iter()
                .any(|p| f.starts_with(&format!("{p}/")))
    });
    let stale = stale_files(root, &project.store, candidates);
    let plan = Plan::new(root, &files, force)?;
    timer.mark("compare with disk");
    let mut states = vec![(
        "the bootstrap module".to_string(),
        bootstrap_dir.clone(),
        project.bootstrap.key.clone(),
    )];
    states.extend(
        targets
            .iter()
            .map(|t| (t.what.clone(), t.dir.clone(), t.address.clone())),
    );
    Ok(Generation {
        plan,
        stale,
        discovered,
        states,
    })
}

/// `TFBOOT_TIMINGS=1` prints how long each phase took (to stderr), for the benchmark.
pub struct PhaseTimer {
    start: std::cell::Cell<std::time::Instant>,
    on: bool,
}

static TIMINGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl PhaseTimer {
    /// Print phase timings from now on (`--verbose`).
    pub fn enable() {
        TIMINGS.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn new() -> Self {
        PhaseTimer {
            start: std::cell::Cell::new(std::time::Instant::now()),
            on: TIMINGS.load(std::sync::atomic::Ordering::Relaxed)
                || std::env::var_os("TFBOOT_TIMINGS").is_some_and(|v| v == "1"),
        }
    }

    pub fn mark(&self, phase: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "tfboot: {phase}: {:.1} ms",
                (now - self.start.get()).as_secs_f64() * 1000.0
            );
            self.start.set(now);
        }
    }
}

impl Default for PhaseTimer {
    fn default() -> Self {
        Self::new()
    }
}
