//! `tfboot bootstrap --apply`: drive terraform (or tofu) from nothing to remote state, and never
//! overwrite state that is already in the bucket.
//!
//! Steps, each resumable: (1) `init` with the local backend that `bootstrap_override.tf` selects,
//! (2) `apply`, (3) check the bucket is in the state, delete the override, (4) read the state at the
//! bootstrap key through Terraform itself (a scratch directory holding only `backend.tf`, so the
//! module's own `.terraform/` and local state are not touched), (5) copy the local state there only
//! when the bucket holds none (`terraform state push`, which refuses to replace an unrelated state),
//! move the local copy aside so no later `init` can pick it up, and `init -reconfigure` the module.
//! A rerun skips (1)–(3) once the override is gone; (4) decides afresh every time.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::render::OVERRIDE_FILE;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `terraform`, `tofu`, or a path.
    pub terraform: String,
    pub auto_approve: bool,
    /// Partial backend configuration passed to every `init` that configures the remote backend.
    pub backend_config: Option<PathBuf>,
    /// Terraform's colours: only when tfboot's own stdout is a terminal (else `-no-color`).
    pub color: bool,
    /// `s3://bucket/key` of the module's own state, for messages.
    pub state_url: String,
    /// The store the module builds: what it must hold before the switch, and how its failures
    /// read.
    pub store: crate::backend::Store,
}

/// What happened to the module's state, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The local state was copied into the empty bucket key.
    Migrated {
        /// Where the local copies went (relative to the module directory).
        moved_aside: Vec<String>,
    },
    /// The bucket already held this state (an earlier run migrated it); local copies that match it
    /// were moved aside.
    AlreadyRemote { moved_aside: Vec<String> },
    /// The store existed before the module (consul): its state is where its backend says, and
    /// nothing was moved.
    Applied,
}

/// What a finished terraform command printed, for recognising known failures.
struct Captured {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Copy a child's stream to ours as it arrives (prompts have no newline) and keep its tail.
fn tee(
    mut from: impl Read + Send + 'static,
    to: fn() -> Box<dyn Write>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        const KEEP: usize = 256 * 1024;
        let mut kept: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        let mut out = to();
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default();
                    let _ = out.write_all(chunk);
                    let _ = out.flush();
                    kept.extend_from_slice(chunk);
                    if kept.len() > 2 * KEEP {
                        kept.drain(..kept.len() - KEEP);
                    }
                }
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

fn code_text(c: &Captured) -> String {
    c.code
        .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"))
}

impl ApplyOptions {
    fn color_args(&self) -> Vec<String> {
        if self.color {
            Vec::new()
        } else {
            vec!["-no-color".into()]
        }
    }
}

/// Run terraform in `dir`, its output streaming through (and captured).
fn run_streaming(
    log: &mut dyn Write,
    dir: &Path,
    opts: &ApplyOptions,
    env: &[(&str, &Path)],
    step: &str,
    args: &[String],
) -> Result<Captured> {
    let _ = writeln!(log, "tfboot: {step}: {} {}", opts.terraform, args.join(" "));
    let _ = log.flush();
    let mut cmd = Command::new(&opts.terraform);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| spawn_error(&opts.terraform, e))?;
    let out = child
        .stdout
        .take()
        .map(|s| tee(s, || Box::new(std::io::stdout())));
    let err = child
        .stderr
        .take()
        .map(|s| tee(s, || Box::new(std::io::stderr())));
    let status = child.wait().map_err(|e| spawn_error(&opts.terraform, e))?;
    let join = |h: Option<std::thread::JoinHandle<String>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    Ok(Captured {
        success: status.success(),
        code: status.code(),
        stdout: join(out),
        stderr: join(err),
    })
}

fn run_step(
    log: &mut dyn Write,
    dir: &Path,
    opts: &ApplyOptions,
    step: &str,
    args: &[String],
) -> Result<Captured> {
    let c = run_streaming(log, dir, opts, &[], step, args)?;
    if !c.success {
        return Err(Error::StepFailed {
            step: step.to_string(),
            message: format!(
                "{} exited with {}; fix the cause and rerun the same tfboot command to continue from this step",
                opts.terraform,
                code_text(&c)
            ),
        });
    }
    Ok(c)
}

fn spawn_error(bin: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::Usage(format!(
            "cannot run {bin:?}: not found on PATH; install Terraform (or OpenTofu) or pass --terraform BIN / set TFBOOT_TERRAFORM"
        ))
    } else {
        Error::Usage(format!("cannot run {bin:?}: {e}"))
    }
}

/// A declined apply, which every backend reports the same way.
pub fn explain_declined(stdout: &str, stderr: &str) -> Option<String> {
    if stdout.contains("Apply cancelled") || stderr.contains("Apply cancelled") {
        return Some("apply declined; nothing changed, rerun to continue".to_string());
    }
    None
}

fn apply_step(log: &mut dyn Write, dir: &Path, opts: &ApplyOptions, step: &str) -> Result<()> {
    let mut args = vec!["apply".to_string()];
    args.extend(opts.color_args());
    if opts.auto_approve {
        args.push("-auto-approve".into());
        args.push("-input=false".into());
    }
    let c = run_streaming(log, dir, opts, &[], step, &args)?;
    if c.success {
        return Ok(());
    }
    let message = opts.store.explain_apply_failure(&c.stdout, &c.stderr).unwrap_or_else(|| {
        format!(
            "{} exited with {}; fix the cause and rerun the same tfboot command to continue from this step",
            opts.terraform,
            code_text(&c)
        )
    });
    Err(Error::StepFailed {
        step: step.to_string(),
        message,
    })
}

/// A Terraform state file, as far as tfboot needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateFacts {
    pub serial: u64,
    pub lineage: String,
    /// `type.name` (with module prefix) of every resource, sorted.
    pub addresses: Vec<String>,
    /// The resources array as written, for an exact comparison.
    resources: serde_json::Value,
    /// No resources, no outputs, serial 1 at most: nothing in it can be lost. Terraform's gcs
    /// backend writes such a state when it first reads a prefix that holds none (even `init` does).
    pub blank: bool,
}

impl StateFacts {
    /// `None` for an empty document or a state that has never been written (serial 0, no lineage).
    pub fn parse(text: &str) -> std::result::Result<Option<StateFacts>, String> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a Terraform state: {e}"))?;
        let serial = v.get("serial").and_then(|s| s.as_u64()).unwrap_or(0);
        let lineage = v
            .get("lineage")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        let resources = v
            .get("resources")
            .cloned()
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        if serial == 0 && lineage.is_empty() && resources.as_array().is_none_or(|r| r.is_empty()) {
            return Ok(None);
        }
        let mut addresses: Vec<String> = resources
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        let part = |k: &str| r.get(k).and_then(|x| x.as_str()).unwrap_or_default();
                        let prefix = match part("module") {
                            "" => String::new(),
                            m => format!("{m}."),
                        };
                        let data = if part("mode") == "data" { "data." } else { "" };
                        format!("{prefix}{data}{}.{}", part("type"), part("name"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        addresses.sort();
        let outputs_empty = v
            .get("outputs")
            .and_then(|o| o.as_object())
            .is_none_or(|o| o.is_empty());
        // Serial 1 at most: written once, by the backend creating it, not by runs that emptied it.
        let blank =
            serial <= 1 && outputs_empty && resources.as_array().is_none_or(|r| r.is_empty());
        Ok(Some(StateFacts {
            serial,
            lineage,
            addresses,
            resources,
            blank,
        }))
    }

    /// Same resources, attribute for attribute. Lineage and serial are not compared: Terraform
    /// gives a migrated or pushed copy a new lineage and serial 1.
    pub fn same_content(&self, other: &StateFacts) -> bool {
        self.resources == other.resources
    }

    fn describe(&self) -> String {
        format!(
            "serial {}, lineage {}, {} resource(s)",
            self.serial,
            self.lineage,
            self.addresses.len()
        )
    }
}

/// Which of two differing states is newer, as far as the states themselves tell.
pub fn which_is_newer(local: &StateFacts, remote: &StateFacts) -> String {
    if local.lineage == remote.lineage {
        match local.serial.cmp(&remote.serial) {
            std::cmp::Ordering::Less => format!(
                "the bucket's state is newer (same lineage, serial {} > {})",
                remote.serial, local.serial
            ),
            std::cmp::Ordering::Greater => format!(
                "the local state is newer (same lineage, serial {} > {})",
                local.serial, remote.serial
            ),
            std::cmp::Ordering::Equal => {
                "both have the same lineage and serial but different contents (someone wrote one of them without Terraform)".to_string()
            }
        }
    } else {
        "the lineages differ, so the serials cannot be compared; Terraform gives a migrated copy a new lineage, so the bucket's state most likely descends from an earlier migration of this local copy and is the newer one".to_string()
    }
}

fn read_local_state(path: &Path) -> Result<Option<StateFacts>> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
        Ok(text) => StateFacts::parse(&text).map_err(|m| Error::Parse {
            path: path.to_path_buf(),
            message: m,
        }),
    }
}

/// `20261202T003000Z`, for names of files moved aside.
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Rename the local state files out of Terraform's way: `terraform.tfstate` →
/// `terraform.tfstate.migrated-<stamp>` (and the `.backup` beside it).
fn move_aside(dir: &Path, stamp: &str) -> Result<Vec<String>> {
    let mut moved = Vec::new();
    for name in ["terraform.tfstate", "terraform.tfstate.backup"] {
        let from = dir.join(name);
        if !from.exists() {
            continue;
        }
        // Never over an earlier copy: a second run within the same second gets `-2`, `-3`, ….
        let mut to_name = format!("{name}.migrated-{stamp}");
        let mut n = 1;
        while dir.join(&to_name).exists() {
            n += 1;
            to_name = format!("{name}.migrated-{stamp}-{n}");
        }
        let to = dir.join(&to_name);
        std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
        moved.push(to_name);
    }
    Ok(moved)
}

/// A scratch working directory that holds only the module's `backend.tf`: Terraform run there
/// reads and writes the state at the bootstrap key without seeing the module's local state (which
/// would make `init` offer to copy it over whatever the bucket holds) or its `.terraform/`.
struct Probe {
    dir: tempfile::TempDir,
}

impl Probe {
    fn new(module_dir: &Path) -> Result<Probe> {
        let dir = tempfile::Builder::new()
            .prefix("tfboot-state-probe-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let src = module_dir.join("backend.tf");
        std::fs::copy(&src, dir.path().join("backend.tf")).map_err(|e| Error::io(&src, e))?;
        Ok(Probe { dir })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join(".terraform")
    }

    fn run(
        &self,
        log: &mut dyn Write,
        opts: &ApplyOptions,
        step: &str,
        args: &[String],
    ) -> Result<Captured> {
        let data = self.data_dir();
        let c = run_quiet(self.dir.path(), opts, &[("TF_DATA_DIR", &data)], args)?;
        if !c.success {
            let _ = write!(log, "{}", c.stdout);
            let _ = write!(log, "{}", c.stderr);
            return Err(Error::StepFailed {
                step: step.to_string(),
                message: format!(
                    "`{} {}` (reading the state at {}) exited with {}; nothing was changed. Fix the cause and rerun",
                    opts.terraform,
                    args.join(" "),
                    opts.state_url,
                    code_text(&c)
                ),
            });
        }
        Ok(c)
    }

    fn pull(
        &self,
        log: &mut dyn Write,
        opts: &ApplyOptions,
        step: &str,
    ) -> Result<Option<StateFacts>> {
        let c = self.run(log, opts, step, &["state".into(), "pull".into()])?;
        StateFacts::parse(&c.stdout).map_err(|m| Error::StepFailed {
            step: step.to_string(),
            message: format!("`terraform state pull` printed something that is {m}"),
        })
    }
}

/// Run terraform with its output captured (not shown), for the probe's bookkeeping commands.
fn run_quiet(
    dir: &Path,
    opts: &ApplyOptions,
    env: &[(&str, &Path)],
    args: &[String],
) -> Result<Captured> {
    let mut cmd = Command::new(&opts.terraform);
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| spawn_error(&opts.terraform, e))?;
    Ok(Captured {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Run the bootstrap in `dir` (the module directory, already written).
pub fn bootstrap(dir: &Path, opts: &ApplyOptions, log: &mut dyn Write) -> Result<Outcome> {
    let backend_config = match &opts.backend_config {
        Some(p) => {
            let abs = std::fs::canonicalize(p).map_err(|e| Error::io(p, e))?;
            vec![format!("-backend-config={}", abs.display())]
        }
        None => Vec::new(),
    };
    if !opts.store.moves_own_state() {
        // Nothing to create first: init straight against the module's own backend (or local
        // state when it has none) and apply.
        let mut init = vec!["init".to_string(), "-input=false".into()];
        init.extend(opts.color_args());
        if dir.join("backend.tf").exists() {
            // A local state from before the module had a backend: Terraform must copy it, and
            // only its own prompt shows whether that would replace a state already there.
            let local = dir.join("terraform.tfstate");
            if std::fs::metadata(&local).is_ok_and(|m| m.len() > 0) {
                return Err(Error::StepFailed {
                    step: "1/2 init".into(),
                    message: format!(
                        "{} holds this module's state from before backend.tf gave it one: run `terraform init -migrate-state` in {} to copy it to {} (Terraform asks before it replaces a state there), then rerun",
                        local.display(),
                        dir.display(),
                        opts.state_url
                    ),
                });
            }
            init.extend(backend_config.iter().cloned());
        }
        run_step(log, dir, opts, "1/2 init", &init)?;
        apply_step(log, dir, opts, "2/2 apply")?;
        return Ok(Outcome::Applied);
    }
    let override_path = dir.join(OVERRIDE_FILE);
    if override_path.exists() {
        let mut init = vec!["init".to_string(), "-input=false".into()];
        init.extend(opts.color_args());
        run_step(log, dir, opts, "1/5 init (local state)", &init)?;
        apply_step(log, dir, opts, "2/5 apply")?;
        verify_bucket_in_state(dir, opts, log)?;
        std::fs::remove_file(&override_path).map_err(|e| Error::io(&override_path, e))?;
        let _ = writeln!(
            log,
            "tfboot: 3/5 removed {OVERRIDE_FILE}: backend.tf now selects the {} backend",
            opts.store.kind().name().to_uppercase()
        );
    } else {
        let _ = writeln!(
            log,
            "tfboot: {OVERRIDE_FILE} is gone, so the bucket was created earlier: checking where the module's state is"
        );
    }

    // 4: what the bucket holds at the bootstrap key, asked of Terraform itself.
    let step4 = "4/5 read the state in the bucket";
    let _ = writeln!(
        log,
        "tfboot: {step4}: {} state pull (for {}, in a scratch directory holding only backend.tf)",
        opts.terraform, opts.state_url
    );
    let probe = Probe::new(dir)?;
    let mut init = vec![
        "init".to_string(),
        "-input=false".into(),
        "-no-color".into(),
    ];
    init.extend(backend_config.iter().cloned());
    probe.run(log, opts, step4, &init)?;
    let remote = probe.pull(log, opts, step4)?;
    let local_path = dir.join("terraform.tfstate");
    let local = read_local_state(&local_path)?;
    let stamp = utc_stamp(std::time::SystemTime::now());
    let step5 = "5/5 move the state into the bucket";
    // A blank state in the bucket (no resources, no outputs) is what the gcs backend writes when
    // it first reads an empty prefix: there is nothing in it to keep, so it counts as no state,
    // and the copy replaces it (its version stays in the bucket's history).
    let blank_remote = remote.as_ref().is_some_and(|r| r.blank);
    let remote = if blank_remote { None } else { remote };

    let outcome = match (&local, &remote) {
        (None, None) => {
            return Err(Error::StepFailed {
                step: step4.into(),
                message: format!(
                    "there is no state to move: {} has none and {} holds none. If the bucket does not exist yet, restore {OVERRIDE_FILE} (`terraform {{ backend \"local\" {{}} }}`) in {} and rerun; if it exists but is in no state, import it (`tfboot adopt`) instead of creating it",
                    local_path.display(),
                    opts.state_url,
                    dir.display()
                ),
            });
        }
        (Some(l), None) => {
            let _ = writeln!(
                log,
                "tfboot: {step5}: {} holds no state{}; copying the local state there ({})",
                opts.state_url,
                if blank_remote {
                    " (only a blank one, with no resources or outputs)"
                } else {
                    ""
                },
                l.describe()
            );
            let abs = std::fs::canonicalize(&local_path).map_err(|e| Error::io(&local_path, e))?;
            let mut push = vec![
                "state".to_string(),
                "push".into(),
                "-lock-timeout=120s".into(),
            ];
            if blank_remote {
                // The blank state has another lineage, which push refuses without -force. Read
                // it once more right before: only a state that is still blank is replaced.
                if !probe.pull(log, opts, step5)?.is_none_or(|r| r.blank) {
                    return Err(Error::StepFailed {
                        step: step5.into(),
                        message: format!(
                            "{} changed while tfboot was reading it: it now holds resources. Nothing was copied; rerun to compare it with the local state",
                            opts.state_url
                        ),
                    });
                }
                push.push("-force".into());
            }
            // Otherwise `state push` refuses to replace a state of another lineage: if anything
            // wrote the key since it was read, this fails instead of overwriting it.
            push.push(abs.to_string_lossy().into_owned());
            probe.run(log, opts, step5, &push)?;
            match probe.pull(log, opts, step5)? {
                Some(r) if r.same_content(l) => {}
                _ => {
                    return Err(Error::StepFailed {
                        step: step5.into(),
                        message: format!(
                            "after the copy, {} does not hold the local state's resources; the local state is left where it was ({})",
                            opts.state_url,
                            local_path.display()
                        ),
                    })
                }
            }
            Outcome::Migrated {
                moved_aside: move_aside(dir, &stamp)?,
            }
        }
        (None, Some(r)) => {
            let _ = writeln!(
                log,
                "tfboot: {step5}: {} holds the module's state already ({}); nothing to copy",
                opts.state_url,
                r.describe()
            );
            Outcome::AlreadyRemote {
                moved_aside: move_aside(dir, &stamp)?,
            }
        }
        (Some(l), Some(r)) if l.same_content(r) => {
            let _ = writeln!(
                log,
                "tfboot: {step5}: {} holds the same resources as the local state; nothing to copy",
                opts.state_url
            );
            Outcome::AlreadyRemote {
                moved_aside: move_aside(dir, &stamp)?,
            }
        }
        (Some(l), Some(r)) => {
            return Err(conflict(dir, opts, &backend_config, l, r));
        }
    };

    // Point the module's own working directory at the bucket. No local state is left for
    // Terraform to offer to copy, so this cannot move any state.
    let mut init = vec![
        "init".to_string(),
        "-input=false".into(),
        "-reconfigure".into(),
    ];
    init.extend(opts.color_args());
    init.extend(backend_config);
    run_step(
        log,
        dir,
        opts,
        "5/5 init -reconfigure (the module now reads its state from the bucket)",
        &init,
    )?;
    Ok(outcome)
}

/// Local and bucket state both exist and differ: stop, say which looks newer, and how to choose.
fn conflict(
    dir: &Path,
    opts: &ApplyOptions,
    backend_config: &[String],
    local: &StateFacts,
    remote: &StateFacts,
) -> Error {
    let only_local: Vec<&String> = local
        .addresses
        .iter()
        .filter(|a| !remote.addresses.contains(a))
        .collect();
    let only_remote: Vec<&String> = remote
        .addresses
        .iter()
        .filter(|a| !local.addresses.contains(a))
        .collect();
    let mut m = format!(
        "both a local state and a state in the bucket exist, and they differ; tfboot copies only into an empty key, so nothing was changed.\n  local:  {} ({})\n  bucket: {} ({})\n  {}",
        dir.join("terraform.tfstate").display(),
        local.describe(),
        opts.state_url,
        remote.describe(),
        which_is_newer(local, remote)
    );
    if !only_local.is_empty() {
        m.push_str(&format!(
            "\n  only in the local state: {}",
            only_local
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !only_remote.is_empty() {
        m.push_str(&format!(
            "\n  only in the bucket: {}",
            only_remote
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if only_local.is_empty() && only_remote.is_empty() {
        m.push_str("\n  the same resources, with different attributes");
    }
    let bc = if backend_config.is_empty() {
        String::new()
    } else {
        format!(" {}", backend_config.join(" "))
    };
    let tf = &opts.terraform;
    m.push_str(&format!(
        "\nTo keep the bucket's state (the usual case: the local file is the copy from before an earlier migration):\n  cd {d}\n  mv terraform.tfstate terraform.tfstate.discarded\n  {tf} init -reconfigure{bc}\nTo keep the local state instead (replaces the bucket's; its old version stays in the bucket's version history):\n  cd {d}\n  mv terraform.tfstate keep.tfstate\n  {tf} init -reconfigure{bc}\n  {tf} state push -force keep.tfstate",
        d = dir.display()
    ));
    Error::StepFailed {
        step: "4/5 compare the local state with the bucket's".into(),
        message: m,
    }
}

/// After `apply`, the bucket must be in the local state before the override goes: an apply that
/// was declined (or created nothing) must not switch the module to a backend that does not exist.
fn verify_bucket_in_state(dir: &Path, opts: &ApplyOptions, log: &mut dyn Write) -> Result<()> {
    let resource = opts.store.state_resource();
    let _ = writeln!(log, "tfboot: 3/5 checking that the state holds {resource}");
    let out = Command::new(&opts.terraform)
        .args(["state", "list"])
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(&opts.terraform, e))?;
    let listed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !listed.lines().any(|l| l.trim() == resource) {
        return Err(Error::StepFailed {
            step: "3/5 verify".into(),
            message: format!("the local state does not hold {resource} (was the apply declined?); the state stays local, rerun to continue"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_is_utc_civil_time() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_171_400);
        assert_eq!(utc_stamp(t), "20261202T003000Z");
        assert_eq!(utc_stamp(std::time::UNIX_EPOCH), "19700101T000000Z");
        // 2024-02-29 12:00:00 UTC
        let leap = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_709_208_000);
        assert_eq!(utc_stamp(leap), "20240229T120000Z");
    }

    #[test]
    fn empty_states_are_no_state() {
        assert_eq!(StateFacts::parse("").unwrap(), None);
        let empty = r#"{"version":4,"terraform_version":"1.11.4","serial":0,"lineage":"","outputs":{},"resources":[],"check_results":null}"#;
        assert_eq!(StateFacts::parse(empty).unwrap(), None);
        assert!(StateFacts::parse("{").is_err());
    }

    #[test]
    fn only_a_state_written_once_with_nothing_in_it_is_blank() {
        let parse = |t: &str| StateFacts::parse(t).unwrap().unwrap();
        assert!(parse(r#"{"serial":1,"lineage":"a","outputs":{},"resources":[]}"#).blank);
        assert!(!parse(r#"{"serial":4,"lineage":"a","outputs":{},"resources":[]}"#).blank);
        assert!(
            !parse(r#"{"serial":1,"lineage":"a","outputs":{"x":{"value":1}},"resources":[]}"#)
                .blank
        );
        assert!(!parse(r#"{"serial":1,"lineage":"a","resources":[{"mode":"managed","type":"t","name":"n","instances":[]}]}"#).blank);
    }

    #[test]
    fn content_not_lineage_decides_sameness() {
        let a = StateFacts::parse(r#"{"serial":10,"lineage":"a","resources":[{"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"tags":{"x":"1"}}}]}]}"#).unwrap().unwrap();
        let b = StateFacts::parse(r#"{"serial":1,"lineage":"b","resources":[{"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"tags":{"x":"1"}}}]}]}"#).unwrap().unwrap();
        let c = StateFacts::parse(r#"{"serial":3,"lineage":"b","resources":[{"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"tags":{}}}]}]}"#).unwrap().unwrap();
        assert!(a.same_content(&b));
        assert!(!b.same_content(&c));
        assert_eq!(a.addresses, vec!["aws_s3_bucket.state".to_string()]);
        assert!(which_is_newer(&b, &c).contains("bucket's state is newer"));
        assert!(which_is_newer(&a, &c).contains("lineages differ"));
    }

    fn s3_store() -> crate::backend::Store {
        crate::backend::Store::S3(crate::backend::s3::Store {
            bucket: "x".into(),
            region: "eu-west-1".into(),
            encryption: crate::backend::s3::StoreEncryption::Aes256,
            tags: Default::default(),
            lock: crate::backend::s3::Lock {
                mode: crate::backend::s3::LockMode::S3,
                table: None,
            },
            unmanaged: Default::default(),
        })
    }

    fn gcs_store() -> crate::backend::Store {
        crate::backend::Store::Gcs(crate::backend::gcs::Store {
            bucket: "x".into(),
            project: "acme-infra".into(),
            location: "EU".into(),
            encryption: crate::backend::gcs::StoreEncryption::Google,
            labels: Default::default(),
            unmanaged: Default::default(),
        })
    }

    #[test]
    fn known_apply_failures_are_named() {
        let s3 = s3_store();
        let owned = s3
            .explain_apply_failure(
                "",
                "Error: creating S3 Bucket (x): BucketAlreadyOwnedByYou: ...",
            )
            .unwrap();
        assert!(owned.contains("tfboot adopt"), "{owned}");
        let taken = s3
            .explain_apply_failure(
                "",
                "api error BucketAlreadyExists: The requested bucket name is not available",
            )
            .unwrap();
        assert!(taken.contains("another AWS account"), "{taken}");
        for store in [s3_store(), gcs_store()] {
            let declined = store
                .explain_apply_failure("\nApply cancelled.\n", "")
                .unwrap();
            assert_eq!(
                declined,
                "apply declined; nothing changed, rerun to continue"
            );
            assert_eq!(
                store.explain_apply_failure("", "Error: something else"),
                None
            );
        }
        let gcs = gcs_store();
        let owned = gcs
            .explain_apply_failure("", "googleapi: Error 409: Your previous request to create the named bucket succeeded and you already own it., conflict")
            .unwrap();
        assert!(
            owned.contains("terraform import google_storage_bucket.state x"),
            "{owned}"
        );
        let taken = gcs
            .explain_apply_failure("", "googleapi: Error 409: The requested bucket name is not available. The bucket namespace is shared by all users of the system., conflict")
            .unwrap();
        assert!(taken.contains("another project"), "{taken}");
    }
}
