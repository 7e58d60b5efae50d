//! The HCP Terraform bootstrap module: the tfe provider, the project, one workspace per env with
//! its settings and a team's access, outputs, the module's own `cloud` block (only with
//! `bootstrap_workspace`), README.

use serde::Serialize;
use tera::Context;

use super::{tags_of, Store};
use crate::backend::StateBackend as _;
use crate::error::Result;
use crate::model::{BootstrapModule, EnvBackend};
use crate::render::{
    align, backend_attributes, hcl_key, quote_hcl, settings, FileKind, RenderedFile, Setting,
};
use crate::templates::{template_error, Templates};

/// The tfe provider versions the module admits: 0.60 and later 0.x (`tfe_workspace_settings`
/// with `execution_mode`, `tag_names` on workspaces, `force_delete`).
pub const TFE_PROVIDER_CONSTRAINT: &str = ">= 0.60.0, < 1.0.0";

#[derive(Serialize)]
struct BootstrapContext {
    organization: String,
    hostname: String,
    project: Option<String>,
    workspace_prefix: String,
    execution_mode: &'static str,
    terraform_version: String,
    team: Option<String>,
    dir: String,
    /// The module's own workspace; empty when its state is local.
    key: String,
    remote_state: bool,
    required_version: &'static str,
    version_reason: &'static str,
    tfe_version: &'static str,
    provider_attrs: String,
    backend_attrs: String,
    example_backend: String,
    workspaces_map: String,
    workspace_list: String,
    apply_command: String,
    lock_summary: String,
    // Raw values for user templates (`--templates`), to be written with `| hcl`.
    backend: Vec<Setting>,
    workspaces: Vec<Workspace>,
}

#[derive(Serialize)]
struct Workspace {
    env: String,
    name: String,
    tags: Vec<String>,
}

/// Every file of the cloud bootstrap module, from the given templates.
pub(super) fn bootstrap_module(
    store: &Store,
    templates: &Templates,
    module: &BootstrapModule,
    envs: &[EnvBackend],
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    let remote_state = !module.key.is_empty();
    let own = store.block(remote_state.then_some(module.key.as_str()));
    let shared = store.block(Some("<workspace>"));
    let (required_version, version_reason) = store.required_version();
    let workspaces: Vec<Workspace> = envs
        .iter()
        .map(|e| match tags_of(&e.key) {
            Some(tags) => Workspace {
                env: e.name.clone(),
                name: format!("{}-{}", store.workspace_prefix, e.name),
                tags,
            },
            None => Workspace {
                env: e.name.clone(),
                name: e.key.clone(),
                tags: Vec::new(),
            },
        })
        .collect();
    let map: Vec<(String, String)> = workspaces
        .iter()
        .map(|w| {
            let tags = w
                .tags
                .iter()
                .map(|t| quote_hcl(t))
                .collect::<Vec<_>>()
                .join(", ");
            (
                hcl_key(&w.env),
                format!("{{ name = {}, tags = [{tags}] }}", quote_hcl(&w.name)),
            )
        })
        .collect();
    let workspace_list = if workspaces.is_empty() {
        "none yet (add `[[env]]` entries to tfboot.toml, or `--workspace` flags)".to_string()
    } else {
        workspaces
            .iter()
            .map(|w| format!("`{}` ({})", w.name, w.env))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let provider: Vec<(String, String)> = vec![
        ("hostname".into(), quote_hcl(&store.hostname)),
        ("organization".into(), quote_hcl(&store.organization)),
    ];
    let ctx = BootstrapContext {
        organization: store.organization.clone(),
        hostname: store.hostname.clone(),
        project: store.project.clone(),
        workspace_prefix: store.workspace_prefix.clone(),
        execution_mode: store.execution_mode.as_str(),
        terraform_version: store.terraform_version.clone(),
        team: store.team.clone(),
        dir: module.dir.to_string_lossy().replace('\\', "/"),
        key: module.key.clone(),
        remote_state,
        required_version,
        version_reason,
        tfe_version: TFE_PROVIDER_CONSTRAINT,
        provider_attrs: align(&provider, "  "),
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        workspaces_map: align(&map, "    "),
        workspace_list,
        apply_command: apply_command.to_string(),
        lock_summary: store.lock_summary(),
        backend: settings(&own),
        workspaces,
    };
    let ctx = Context::from_serialize(&ctx).map_err(|e| template_error("(context)", &e))?;

    let mut files = Vec::new();
    let mut add = |name: &str, out: &str, kind: FileKind| -> Result<()> {
        let body = templates.render(name, &ctx, kind)?;
        files.push(RenderedFile {
            path: module.dir.join(out),
            kind,
            body,
            transient: false,
        });
        Ok(())
    };
    add(
        "cloud/bootstrap/versions.tf.tera",
        "versions.tf",
        FileKind::Hcl,
    )?;
    add(
        "cloud/bootstrap/workspaces.tf.tera",
        "workspaces.tf",
        FileKind::Hcl,
    )?;
    add(
        "cloud/bootstrap/outputs.tf.tera",
        "outputs.tf",
        FileKind::Hcl,
    )?;
    if remote_state {
        add(
            "cloud/bootstrap/backend.tf.tera",
            "backend.tf",
            FileKind::Hcl,
        )?;
    }
    add(
        "cloud/bootstrap/README.md.tera",
        "README.md",
        FileKind::Markdown,
    )?;
    add("bootstrap/gitignore.tera", ".gitignore", FileKind::Plain)?;
    Ok(files)
}
