//! From a [`Project`] to a [`Plan`] of files under a root directory.

use std::path::Path;

use crate::error::Result;
use crate::model::Project;
use crate::render::{self, OVERRIDE_FILE};
use crate::write::Plan;

/// True when the bootstrap module has been through bootstrap already: its `backend.tf` exists and
/// the override that kept state local has been deleted. The override is then never written again,
/// or the next `terraform init` would try to move the state back to local disk.
pub fn is_bootstrapped(module_dir: &Path) -> bool {
    module_dir.join("backend.tf").exists() && !module_dir.join(OVERRIDE_FILE).exists()
}

/// Plan the bootstrap module of `project` under `root`.
pub fn plan_bootstrap(
    root: &Path,
    project: &Project,
    apply_command: &str,
    force: bool,
) -> Result<Plan> {
    let mut files = render::bootstrap_module(project, apply_command)?;
    let bootstrapped = is_bootstrapped(&root.join(&project.bootstrap.dir));
    files.retain(|f| !(f.transient && bootstrapped));
    Plan::new(root, &files, force)
}
