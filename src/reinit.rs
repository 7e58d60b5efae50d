//! Which roots need `terraform init` again after a generate run, and which flag.
//!
//! Terraform records the backend settings a working directory was initialised with
//! (`.terraform/terraform.tfstate`); once the block or the `-backend-config` file changes, every
//! command fails with "Backend initialization required" until `init` runs again: with
//! `-reconfigure` when the state stays where it is (locking, encryption, region, role), with
//! `-migrate-state` when its address changed (bucket, key, workspace prefix), so Terraform copies
//! it to the new place.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::write::{Action, Plan};

/// One root whose backend settings changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reinit {
    /// The root module's directory, relative to the project root (`.` for the root itself).
    pub dir: String,
    /// `reconfigure` or `migrate-state`.
    pub mode: &'static str,
    /// The command to run in `dir`.
    pub command: String,
    /// Backend arguments that changed (added, removed or given another value), sorted.
    pub changed: Vec<String>,
    /// Why, in words.
    pub reason: String,
}

/// Backend arguments of a file: the `backend` block of a `terraform` block in a `.tf` file, or
/// the top-level attributes of a `.tfbackend` file. Values as written (expression text).
fn backend_arguments(text: &str, tfbackend: bool) -> Option<BTreeMap<String, String>> {
    let body = hcl::edit::parser::parse_body(text).ok()?;
    let attrs = |b: &hcl::edit::structure::Body| {
        b.attributes()
            .map(|a| {
                (
                    a.key.as_str().to_string(),
                    a.value.to_string().trim().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    if tfbackend {
        return Some(attrs(&body));
    }
    let found = body
        .blocks()
        .filter(|b| b.ident.as_str() == "terraform")
        .flat_map(|b| b.body.blocks())
        .find(|b| matches!(b.ident.as_str(), "backend" | "cloud"))
        .map(|b| {
            // Nested blocks (the cloud block's `workspaces`) as `workspaces.name`.
            let mut all = attrs(&b.body);
            for nested in b.body.blocks() {
                for (k, v) in attrs(&nested.body) {
                    all.insert(format!("{}.{k}", nested.ident.as_str()), v);
                }
            }
            all
        });
    found
}

fn changed_arguments(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut keys: Vec<String> = old
        .keys()
        .chain(new.keys())
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A `.tfbackend` file of `dir` in the plan whose arguments are exactly `args`, by name.
fn moved_into(plan: &Plan, dir: &Path, args: &BTreeMap<String, String>) -> Option<String> {
    plan.files.iter().find_map(|f| {
        let name = f.display.file_name()?.to_string_lossy().into_owned();
        (name.ends_with(".tfbackend")
            && f.path.parent() == Some(dir)
            && backend_arguments(&f.content, true).as_ref() == Some(args))
        .then_some(name)
    })
}

/// The roots among the plan's changing files that need `init` again. Call before the plan is
/// executed (it reads the files as they are now).
pub fn needed(
    root: &Path,
    plan: &Plan,
    terraform: &str,
    store: &crate::backend::Store,
) -> Vec<Reinit> {
    // The backend arguments that decide where the state lives: changing one moves the state.
    let address_arguments = store.address_arguments();
    let mut out = Vec::new();
    for f in &plan.files {
        let name = f
            .display
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tfbackend = name.ends_with(".tfbackend");
        if !(tfbackend || name == "backend.tf")
            || matches!(f.action, Action::Unchanged | Action::Refuse(_))
        {
            continue;
        }
        let dir_path = f.path.parent().unwrap_or(root);
        let dir = f
            .display
            .parent()
            .map(|d| d.to_string_lossy().replace('\\', "/"))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| ".".to_string());
        // Until it is bootstrapped, the bootstrap module's override selects the local backend.
        if dir_path.join(crate::render::OVERRIDE_FILE).exists() {
            continue;
        }
        let Some(new) = backend_arguments(&f.content, tfbackend) else {
            continue;
        };
        let (changed, reason) = match f.action {
            Action::Unchanged | Action::Refuse(_) => continue,
            Action::Create => {
                // A root that was initialised before (local state, or another backend) gets a
                // backend block now: its state has to move. (Not for an empty partial block:
                // which `-backend-config` file applies is the user's choice.)
                if tfbackend
                    || new.is_empty()
                    || !dir_path
                        .join(".terraform")
                        .join("terraform.tfstate")
                        .exists()
                {
                    continue;
                }
                (
                    new.keys().cloned().collect::<Vec<_>>(),
                    format!(
                        "it had no {} backend when it was last initialised; -migrate-state copies its existing state into the bucket",
                        store.kind().name().to_uppercase()
                    ),
                )
            }
            Action::Update | Action::Overwrite(_) => {
                let Some(old) = std::fs::read_to_string(&f.path)
                    .ok()
                    .and_then(|t| backend_arguments(&t, tfbackend))
                else {
                    continue;
                };
                let changed = changed_arguments(&old, &new);
                if changed.is_empty() {
                    continue;
                }
                // The block became partial and a new `.tfbackend` beside it holds exactly what
                // it said (the layout changed): the state stays where it is.
                if !tfbackend && new.is_empty() {
                    if let Some(file) = moved_into(plan, dir_path, &old) {
                        out.push(Reinit {
                            dir,
                            mode: "reconfigure",
                            command: format!("{terraform} init -reconfigure -backend-config={file}"),
                            changed,
                            reason: format!(
                                "the settings moved from backend.tf into {file}: the state stays where it is"
                            ),
                        });
                        continue;
                    }
                }
                (changed, String::new())
            }
        };
        let moves = f.action == Action::Create
            || changed
                .iter()
                .any(|k| address_arguments.contains(&k.as_str()));
        let mode = if moves {
            "migrate-state"
        } else {
            "reconfigure"
        };
        let mut command = format!("{terraform} init -{mode}");
        if tfbackend {
            command.push_str(&format!(" -backend-config={name}"));
        }
        let reason = if !reason.is_empty() {
            reason
        } else if moves {
            format!(
                "the state address changed ({}); -migrate-state copies the state to the new address",
                changed
                    .iter()
                    .filter(|k| address_arguments.contains(&k.as_str()))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            "the state stays where it is; only how it is locked or encrypted changed".to_string()
        };
        out.push(Reinit {
            dir,
            mode,
            command,
            changed,
            reason,
        });
    }
    out.sort_by(|a, b| (&a.dir, &a.command).cmp(&(&b.dir, &b.command)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_of_blocks_and_tfbackend_files() {
        let tf = "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    use_lockfile = true\n  }\n}\n";
        let a = backend_arguments(tf, false).unwrap();
        assert_eq!(a.get("bucket").map(String::as_str), Some("\"b\""));
        assert_eq!(a.get("use_lockfile").map(String::as_str), Some("true"));
        let f = backend_arguments("key = \"x\"\n", true).unwrap();
        assert_eq!(f.len(), 1);
        let old = backend_arguments("terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    dynamodb_table = \"t\"\n  }\n}\n", false).unwrap();
        assert_eq!(
            changed_arguments(&old, &a),
            vec!["dynamodb_table".to_string(), "use_lockfile".to_string()]
        );
    }
}
