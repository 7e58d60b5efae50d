//! The consul bootstrap module: the provider, the ACL policy and CI token, outputs, the module's
//! own backend (only with `bootstrap_path`), README.

use serde::Serialize;
use tera::Context;

use super::Store;
use crate::backend::StateBackend as _;
use crate::error::Result;
use crate::model::BootstrapModule;
use crate::render::{
    align, backend_attributes, escape_heredoc, quote_hcl, settings, FileKind, RenderedFile, Setting,
};
use crate::templates::{template_error, Templates};

/// The Consul provider versions the bootstrap module admits: 2.20 and later 2.x (ACL policies
/// and tokens as written here, `datacenters` on policies).
pub const CONSUL_PROVIDER_CONSTRAINT: &str = ">= 2.20.0, < 3.0.0";

#[derive(Serialize)]
struct BootstrapContext {
    address: String,
    scheme: &'static str,
    datacenter: Option<String>,
    path_prefix: String,
    /// `<path_prefix>/`: what the policy grants.
    key_prefix: String,
    /// The same, as an HCL object key (quoted and escaped).
    key_prefix_key: String,
    policy_name: String,
    dir: String,
    /// The module's own state path; empty when its state is local.
    key: String,
    remote_state: bool,
    state_url: String,
    required_version: &'static str,
    version_reason: &'static str,
    consul_version: &'static str,
    provider_attrs: String,
    backend_attrs: String,
    example_backend: String,
    backend_config_heredoc: String,
    apply_command: String,
    lock_summary: String,
    // Raw values for user templates (`--templates`), to be written with `| hcl`.
    backend: Vec<Setting>,
}

/// Every file of the consul bootstrap module, from the given templates.
pub(super) fn bootstrap_module(
    store: &Store,
    templates: &Templates,
    module: &BootstrapModule,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    let remote_state = !module.key.is_empty();
    let own = store.block(remote_state.then_some(module.key.as_str()));
    let shared = store.block(Some("<root module>"));
    let heredoc = escape_heredoc(&backend_attributes(&store.block(None), "    "));
    let (required_version, version_reason) = store.required_version();
    let key_prefix = format!("{}/", store.path_prefix);
    let mut provider: Vec<(String, String)> = vec![
        ("address".into(), quote_hcl(&store.address)),
        ("scheme".into(), quote_hcl(store.scheme.as_str())),
    ];
    if let Some(dc) = &store.datacenter {
        provider.push(("datacenter".into(), quote_hcl(dc)));
    }
    let ctx = BootstrapContext {
        address: store.address.clone(),
        scheme: store.scheme.as_str(),
        datacenter: store.datacenter.clone(),
        path_prefix: store.path_prefix.clone(),
        key_prefix_key: quote_hcl(&key_prefix),
        key_prefix,
        policy_name: store.policy_name(),
        dir: module.dir.to_string_lossy().replace('\\', "/"),
        key: module.key.clone(),
        remote_state,
        state_url: store.state_url(&module.key),
        required_version,
        version_reason,
        consul_version: CONSUL_PROVIDER_CONSTRAINT,
        provider_attrs: align(&provider, "  "),
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        backend_config_heredoc: heredoc,
        apply_command: apply_command.to_string(),
        lock_summary: format!(
            "{}. The session lives as long as the Terraform run renews it (a 15 s TTL), so a killed run's lock lapses on its own; `terraform force-unlock` takes the session ID (shown as the lock ID).",
            store.lock_summary()
        ),
        backend: settings(&own),
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
        "consul/bootstrap/versions.tf.tera",
        "versions.tf",
        FileKind::Hcl,
    )?;
    add("consul/bootstrap/acl.tf.tera", "acl.tf", FileKind::Hcl)?;
    add(
        "consul/bootstrap/outputs.tf.tera",
        "outputs.tf",
        FileKind::Hcl,
    )?;
    if remote_state {
        add(
            "consul/bootstrap/backend.tf.tera",
            "backend.tf",
            FileKind::Hcl,
        )?;
    }
    add(
        "consul/bootstrap/README.md.tera",
        "README.md",
        FileKind::Markdown,
    )?;
    add("bootstrap/gitignore.tera", ".gitignore", FileKind::Plain)?;
    Ok(files)
}
