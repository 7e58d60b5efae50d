//! `tfboot iam-policy`: the least-privilege policy for the principals that run Terraform against
//! the states tfboot.toml describes (one env, several, or every env and discovered root).

use super::*;
use crate::iam::{self, StateAccess};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyFormat {
    /// The IAM policy document (`--all`: an object of documents keyed by state name).
    Json,
    /// `aws_iam_policy_document` data sources, one per state.
    Hcl,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot iam-policy --env dev > dev-state-policy.json\n  tfboot iam-policy --all --format hcl > state_policies.tf\nThe policy covers the state only (bucket listing, the state and lock objects, the lock table's items, the KMS key); the principal needs its own permissions for what the root module manages.\nExit codes: 0 printed, 2 usage or config errors"
)]
pub struct IamPolicyArgs {
    /// The tfboot.toml [default: ./tfboot.toml or a parent's].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The environment (an [[env]] name, or a discovered root's directory); repeatable.
    #[arg(long, conflicts_with = "all")]
    pub env: Vec<String>,
    /// Every environment and discovered root, one policy each.
    #[arg(long)]
    pub all: bool,
    /// [default: json for s3; hcl for gcs and azurerm, whose roles and bindings are Terraform
    /// resources rather than a policy document]
    #[arg(long, value_enum)]
    pub format: Option<PolicyFormat>,
    /// The ARN of the KMS key the bootstrap module created (`terraform output -raw kms_key_arn`
    /// in it): the policy names that key instead of any key carrying the alias.
    #[arg(long)]
    pub kms_key_arn: Option<String>,
}

/// The states tfboot.toml gives backends to: envs (with their workspace_key_prefix) and
/// discovered roots, by name.
fn states_of(project: &Project, cfg: &LoadedConfig) -> Result<Vec<StateAccess>> {
    let templates = load_templates(None, Some(cfg))?;
    let generation = crate::generate::plan_all(
        &cfg.base_dir(),
        project,
        README_APPLY_COMMAND,
        false,
        &templates,
    )?;
    let mut out = Vec::new();
    for env in &project.envs {
        let prefix = env
            .attributes
            .iter()
            .find_map(|(name, v)| match (name, v) {
                (&"workspace_key_prefix", crate::backend::BackendValue::String(p)) => {
                    Some(p.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| "env:".to_string());
        out.push(StateAccess {
            name: env.name.clone(),
            key: env.key.clone(),
            workspace_key_prefix: prefix,
        });
    }
    for (what, dir, key) in generation.states {
        if what.starts_with("root ") {
            out.push(StateAccess {
                name: dir,
                key,
                workspace_key_prefix: "env:".into(),
            });
        }
    }
    Ok(out)
}

pub(super) fn cmd_iam_policy(a: &IamPolicyArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    use crate::backend::Store;
    let kind = project.store.kind().name();
    let format = match (&project.store, a.format) {
        (Store::S3(_), f) => f.unwrap_or(PolicyFormat::Json),
        (Store::Gcs(_) | Store::Azurerm(_), None | Some(PolicyFormat::Hcl)) => PolicyFormat::Hcl,
        (Store::Gcs(_) | Store::Azurerm(_), Some(PolicyFormat::Json)) => {
            return Err(Error::Usage(format!(
                "--format json: a {kind} store's access is roles and bindings, not a JSON policy document; use --format hcl (the Terraform resources that grant it)"
            )))
        }
        _ => {
            return Err(Error::Usage(format!(
                "{}: state.backend = {kind:?}: iam-policy writes access for s3 (IAM), gcs (Cloud IAM) and azurerm (Azure RBAC) stores; {kind} has its own ACLs (the bootstrap module writes them)",
                config.display(),
            )))
        }
    };
    if a.kms_key_arn.is_some() && !matches!(project.store, Store::S3(_)) {
        return Err(Error::Usage(format!(
            "--kms-key-arn is for s3 stores; this one is {kind}"
        )));
    }
    if let Some(Store::S3(store)) = Some(&project.store).filter(|_| a.kms_key_arn.is_some()) {
        let arn = a.kms_key_arn.as_deref().unwrap_or_default();
        let s = Sourced::flag("--kms-key-arn", arn);
        if let Err(rule) = crate::backend::s3::validate::kms_key_arn(arn, &store.region) {
            return Err(Error::Invalid(vec![s.invalid(rule)]));
        }
        if !arn.contains(":key/") {
            return Err(Error::Invalid(vec![s.invalid(
                "must be the key's ARN (…:key/<key id>), not an alias: the policy names the key itself",
            )]));
        }
        if !matches!(
            store.encryption,
            crate::model::StoreEncryption::CreatedKey { .. }
        ) {
            return Err(Error::Invalid(vec![s.invalid(
                "only for a store whose bootstrap module creates its KMS key (state.encryption = \"kms\" without kms_key_arn); this one names its key in tfboot.toml already, or uses no KMS key",
            )]));
        }
    }
    let key_arn = a.kms_key_arn.as_deref();
    let all = states_of(&project, &cfg)?;
    let names = || {
        all.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if all.is_empty() {
        return Err(Error::Usage(format!(
            "{} describes no environment and discovers no root module: add an [[env]] to write a policy for",
            config.display()
        )));
    }
    let chosen: Vec<StateAccess> = if a.all {
        all.clone()
    } else if a.env.is_empty() {
        match all.as_slice() {
            [one] => vec![one.clone()],
            _ => {
                return Err(Error::Usage(format!(
                    "{} has {} states: name one with --env ({}), or --all",
                    config.display(),
                    all.len(),
                    names()
                )))
            }
        }
    } else {
        let mut chosen = Vec::new();
        for name in &a.env {
            match all.iter().find(|s| &s.name == name) {
                Some(s) if !chosen.contains(s) => chosen.push(s.clone()),
                Some(_) => {}
                None => {
                    return Err(Error::Usage(format!(
                    "--env {name:?}: {} has no such environment or discovered root (it has: {})",
                    config.display(),
                    names()
                )))
                }
            }
        }
        chosen
    };
    // Names that would collide as HCL data source names.
    if format == PolicyFormat::Hcl {
        let mut seen = std::collections::BTreeMap::new();
        for s in &chosen {
            if let Some(other) = seen.insert(iam::hcl_name(&s.name), s.name.clone()) {
                return Err(Error::Usage(format!(
                    "{other:?} and {:?} both become the data source name tfboot_state_{}: ask for them one at a time",
                    s.name,
                    iam::hcl_name(&s.name)
                )));
            }
        }
    }
    let store = match &project.store {
        Store::S3(s3) => s3,
        Store::Gcs(g) => {
            out.write_all(iam::gcs_hcl(g, &chosen)?.as_bytes())
                .map_err(|e| Error::io("stdout", e))?;
            return Ok(0);
        }
        Store::Azurerm(az) => {
            out.write_all(iam::azure_hcl(az, &chosen)?.as_bytes())
                .map_err(|e| Error::io("stdout", e))?;
            return Ok(0);
        }
        _ => return Ok(2),
    };
    let text = match (format, a.all || chosen.len() > 1) {
        (PolicyFormat::Hcl, _) => iam::policy_hcl(store, &chosen, key_arn)?,
        (PolicyFormat::Json, false) => {
            let one = chosen.first().map(|s| iam::policy_json(store, s, key_arn));
            serde_json::to_string_pretty(&one).unwrap_or_default() + "\n"
        }
        (PolicyFormat::Json, true) => {
            let map: std::collections::BTreeMap<&str, iam::JsonPolicy> = chosen
                .iter()
                .map(|s| (s.name.as_str(), iam::policy_json(store, s, key_arn)))
                .collect();
            serde_json::to_string_pretty(&map).unwrap_or_default() + "\n"
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", e))?;
    if !ui.quiet {
        let mut err = std::io::stderr();
        for env in &project.envs {
            if !chosen.iter().any(|s| s.name == env.name) {
                continue;
            }
            for (name, v) in &env.attributes {
                if let (&"assume_role", crate::backend::BackendValue::AssumeRole(arn)) = (name, v) {
                    let _ = writeln!(
                        err,
                        "note: env {} reaches its state as {arn} (assume_role): attach the policy to that role",
                        env.name
                    );
                }
            }
        }
        if store.lock.mode.uses_lockfile() {
            let _ = writeln!(
                err,
                "note: use_lockfile deletes <key>.tflock on every unlock: without s3:DeleteObject on it, `terraform init -migrate-state` reports no error and leaves the lock behind"
            );
        }
    }
    Ok(0)
}
