//! `tfboot bootstrap --apply`: drive terraform (or tofu) from nothing to remote state.
//!
//! Steps, each resumable: (1) `init` with the local backend that `bootstrap_override.tf` selects,
//! (2) `apply`, (3) check the bucket is in the state, delete the override, (4) `init -migrate-state
//! -force-copy` into the bucket. A rerun skips (1)–(3) once the override is gone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::render::OVERRIDE_FILE;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `terraform`, `tofu`, or a path.
    pub terraform: String,
    pub auto_approve: bool,
    /// Partial backend configuration passed to every `init` that configures the S3 backend.
    pub backend_config: Option<PathBuf>,
}

fn run_step(
    log: &mut dyn Write,
    dir: &Path,
    opts: &ApplyOptions,
    step: &str,
    args: &[String],
) -> Result<()> {
    let _ = writeln!(log, "tfboot: {step}: {} {}", opts.terraform, args.join(" "));
    let status = Command::new(&opts.terraform)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::inherit())
        .status()
        .map_err(|e| spawn_error(&opts.terraform, e))?;
    if !status.success() {
        return Err(Error::StepFailed {
            step: step.to_string(),
            message: format!(
                "{} exited with {}; fix the cause and rerun the same tfboot command to continue from this step",
                opts.terraform,
                status
                    .code()
                    .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"))
            ),
        });
    }
    Ok(())
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

/// Run the bootstrap in `dir` (the module directory, already written).
pub fn bootstrap(dir: &Path, opts: &ApplyOptions, log: &mut dyn Write) -> Result<()> {
    let backend_config = match &opts.backend_config {
        Some(p) => {
            let abs = std::fs::canonicalize(p).map_err(|e| Error::io(p, e))?;
            vec![format!("-backend-config={}", abs.display())]
        }
        None => Vec::new(),
    };
    let override_path = dir.join(OVERRIDE_FILE);
    if override_path.exists() {
        run_step(
            log,
            dir,
            opts,
            "1/4 init (local state)",
            &["init".into(), "-input=false".into()],
        )?;
        let mut apply = vec!["apply".to_string()];
        if opts.auto_approve {
            apply.push("-auto-approve".into());
            apply.push("-input=false".into());
        }
        run_step(log, dir, opts, "2/4 apply", &apply)?;
        verify_bucket_in_state(dir, opts, log)?;
        std::fs::remove_file(&override_path).map_err(|e| Error::io(&override_path, e))?;
        let _ = writeln!(
            log,
            "tfboot: 3/4 removed {OVERRIDE_FILE}: backend.tf now selects the S3 backend"
        );
    } else {
        let _ = writeln!(
            log,
            "tfboot: {OVERRIDE_FILE} is gone, so the bucket exists: continuing with the state migration"
        );
    }
    let mut init = vec![
        "init".to_string(),
        "-input=false".into(),
        "-migrate-state".into(),
        "-force-copy".into(),
    ];
    init.extend(backend_config);
    run_step(
        log,
        dir,
        opts,
        "4/4 init -migrate-state (move state into the bucket)",
        &init,
    )?;
    Ok(())
}

/// After `apply`, the bucket must be in the local state before the override goes: an apply that
/// was declined (or created nothing) must not switch the module to a backend that does not exist.
fn verify_bucket_in_state(dir: &Path, opts: &ApplyOptions, log: &mut dyn Write) -> Result<()> {
    let _ = writeln!(
        log,
        "tfboot: 3/4 checking that the state holds aws_s3_bucket.state"
    );
    let out = Command::new(&opts.terraform)
        .args(["state", "list"])
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(&opts.terraform, e))?;
    let listed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !listed.lines().any(|l| l.trim() == "aws_s3_bucket.state") {
        return Err(Error::StepFailed {
            step: "3/4 verify".into(),
            message: "the local state does not hold aws_s3_bucket.state (was the apply declined?); the state stays local, rerun to continue".into(),
        });
    }
    Ok(())
}
