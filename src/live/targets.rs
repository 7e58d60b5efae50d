//! Which states to read, grouped by the store that holds them: the states a tfboot.toml
//! describes (bootstrap module, envs, discovered roots) and the backends found under paths
//! (each block merged with its partial-configuration files, as `check` reads them). A backend
//! whose address tfboot cannot tell (a value computed at init, a partial configuration given only
//! on the command line) is reported as skipped with the reason.

use std::path::{Path, PathBuf};

use hcl::edit::expr::Expression;
use serde::Serialize;

use crate::check::model::{object_key_name, BackendConfig};
use crate::error::{Error, Result};

/// How to reach an S3 store: what Terraform's S3 backend would use for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct S3Target {
    pub bucket: String,
    pub region: String,
    /// `endpoints.s3` (or the deprecated `endpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_s3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_dynamodb: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_sts: Option<String>,
    pub path_style: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// `assume_role.role_arn` (or the deprecated `role_arn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
}

/// How to reach a GCS store.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct GcsTarget {
    pub bucket: String,
    /// The JSON API base, ending in `/storage/v1/`: `storage_custom_endpoint`, else
    /// `http://$STORAGE_EMULATOR_HOST/storage/v1/`, else Google's.
    pub endpoint: String,
    /// An emulator (a custom endpoint or STORAGE_EMULATOR_HOST): no credentials needed.
    pub emulator: bool,
    /// The backend's `access_token`.
    pub access_token: Option<String>,
}

impl GcsTarget {
    pub fn new(
        bucket: String,
        custom_endpoint: Option<String>,
        access_token: Option<String>,
    ) -> Self {
        let emulator_host = std::env::var("STORAGE_EMULATOR_HOST")
            .ok()
            .filter(|h| !h.is_empty());
        let (endpoint, emulator) = match (custom_endpoint, emulator_host) {
            (Some(e), _) => {
                let e = if e.ends_with('/') { e } else { format!("{e}/") };
                (e, true)
            }
            (None, Some(h)) => {
                let h = h.trim_end_matches('/');
                let base = if h.contains("://") {
                    h.to_string()
                } else {
                    format!("http://{h}")
                };
                (format!("{base}/storage/v1/"), true)
            }
            (None, None) => ("https://storage.googleapis.com/storage/v1/".into(), false),
        };
        GcsTarget {
            bucket,
            endpoint,
            emulator,
            access_token,
        }
    }
}

/// How to reach an Azure Blob container.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct AzureTarget {
    pub account: String,
    pub container: String,
    /// `metadata_host` (or ARM_METADATA_HOSTNAME): where the storage suffix comes from.
    pub metadata_host: Option<String>,
    /// `environment`: public (default), usgovernment, china.
    pub environment: Option<String>,
    pub access_key: Option<String>,
    pub sas_token: Option<String>,
}

impl AzureTarget {
    /// The container a tfboot.toml store names; the storage suffix from ARM_METADATA_HOSTNAME
    /// when set, credentials from the environment.
    pub fn of_store(store: &crate::backend::azurerm::Store) -> AzureTarget {
        AzureTarget {
            account: store.storage_account.clone(),
            container: store.container.clone(),
            metadata_host: std::env::var("ARM_METADATA_HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty()),
            ..AzureTarget::default()
        }
    }
}

/// A store: where its states sit and how their locks are kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    S3(S3Target),
    Gcs(GcsTarget),
    Azure(AzureTarget),
}

impl Target {
    /// `s3://bucket`.
    pub fn url(&self) -> String {
        match self {
            Target::S3(t) => format!("s3://{}", t.bucket),
            Target::Gcs(t) => format!("gs://{}", t.bucket),
            Target::Azure(t) => format!("azurerm://{}/{}", t.account, t.container),
        }
    }

    /// One store: the same bucket at the same S3 endpoint (roots may differ in how they reach
    /// the lock table or which role they assume).
    pub fn same_store(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::S3(a), Target::S3(b)) => {
                a.bucket == b.bucket && a.endpoint_s3 == b.endpoint_s3
            }
            (Target::Gcs(a), Target::Gcs(b)) => a.bucket == b.bucket && a.endpoint == b.endpoint,
            (Target::Azure(a), Target::Azure(b)) => {
                a.account == b.account
                    && a.container == b.container
                    && a.metadata_host == b.metadata_host
            }
            _ => false,
        }
    }

    /// Take what this store's first root left unset from another root of it (a DynamoDB
    /// endpoint, a role, a profile).
    fn complete_from(&mut self, other: &Target) {
        match (self, other) {
            (Target::S3(a), Target::S3(b)) => {
                for (mine, theirs) in [
                    (&mut a.endpoint_dynamodb, &b.endpoint_dynamodb),
                    (&mut a.endpoint_sts, &b.endpoint_sts),
                    (&mut a.profile, &b.profile),
                    (&mut a.role_arn, &b.role_arn),
                    (&mut a.external_id, &b.external_id),
                    (&mut a.session_name, &b.session_name),
                ] {
                    if mine.is_none() {
                        mine.clone_from(theirs);
                    }
                }
                a.path_style |= b.path_style;
            }
            (Target::Gcs(a), Target::Gcs(b)) if a.access_token.is_none() => {
                a.access_token.clone_from(&b.access_token);
            }
            (Target::Azure(a), Target::Azure(b)) => {
                if a.access_key.is_none() {
                    a.access_key.clone_from(&b.access_key);
                }
                if a.sas_token.is_none() {
                    a.sas_token.clone_from(&b.sas_token);
                }
            }
            _ => {}
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Target::S3(_) => "s3",
            Target::Gcs(_) => "gcs",
            Target::Azure(_) => "azurerm",
        }
    }
}

/// A state tfboot knows: its key, the root module it belongs to, and how it is locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownState {
    /// `env "dev"`, `root live/app`, `root live/app with prod.s3.tfbackend`, `bootstrap module`.
    pub what: String,
    /// The root module's directory, where `terraform force-unlock` runs.
    pub dir: String,
    pub key: String,
    /// The DynamoDB lock table this root names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// `use_lockfile = true`.
    pub lockfile: bool,
    /// Where other workspaces' states sit (`<prefix>/<workspace>/<key>`); Terraform's default `env:`.
    pub workspace_key_prefix: String,
    /// `kms_key_id` of the backend, for `doctor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The partial configuration `terraform init` needs (`-backend-config=<file>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_config: Option<String>,
}

/// One store and the states tfboot knows in it.
#[derive(Debug, Clone)]
pub struct Group {
    pub target: Target,
    pub states: Vec<KnownState>,
}

impl Group {
    /// Every lock table the states of this store name.
    pub fn tables(&self) -> Vec<String> {
        let mut t: Vec<String> = self.states.iter().filter_map(|s| s.table.clone()).collect();
        t.sort();
        t.dedup();
        t
    }
}

/// A backend whose state tfboot does not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file of the backend block (and the partial configuration merged with it).
    pub file: String,
    pub reason: String,
}

/// Every store and state, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub groups: Vec<Group>,
    pub skipped: Vec<Skipped>,
    /// Where the states came from, for messages (`tfboot.toml`, `backend blocks under live/`).
    pub sources: Vec<String>,
}

impl Targets {
    fn add(&mut self, target: Target, state: KnownState) {
        match self
            .groups
            .iter_mut()
            .find(|g| g.target.same_store(&target))
        {
            Some(g) => {
                g.target.complete_from(&target);
                // The same state from tfboot.toml and from a path: keep the first (the config's
                // names its env).
                if !g
                    .states
                    .iter()
                    .any(|s| s.key == state.key && s.dir == state.dir)
                    && !g
                        .states
                        .iter()
                        .any(|s| s.key == state.key && s.what.starts_with("env "))
                {
                    g.states.push(state);
                }
            }
            None => self.groups.push(Group {
                target,
                states: vec![state],
            }),
        }
    }

    /// Every known state with its store.
    pub fn states(&self) -> impl Iterator<Item = (&Group, &KnownState)> {
        self.groups
            .iter()
            .flat_map(|g| g.states.iter().map(move |s| (g, s)))
    }
}

/// The states of the project a tfboot.toml describes: its store and the `(what, dir, key)` of
/// every state its generation writes a backend for.
pub fn add_project(
    out: &mut Targets,
    path: &Path,
    project: &crate::model::Project,
    states: Vec<(String, String, String)>,
) {
    use crate::backend::Store;
    out.sources.push(path.display().to_string());
    match &project.store {
        Store::S3(store) => {
            use crate::backend::s3::LockMode;
            let target = Target::S3(S3Target {
                bucket: store.bucket.clone(),
                region: store.region.clone(),
                ..S3Target::default()
            });
            let table = match store.lock.mode {
                LockMode::Dynamodb | LockMode::Both => store.lock.table.clone(),
                LockMode::S3 => None,
            };
            let kms = store.encryption.backend_kms_key_id().map(str::to_string);
            for (what, dir, key) in states {
                // An env's own workspace_key_prefix, else Terraform's default.
                let workspace_key_prefix = project
                    .envs
                    .iter()
                    .find(|e| format!("env {}", e.name) == what)
                    .and_then(|e| {
                        e.attributes.iter().find_map(|(n, v)| match (n, v) {
                            (&"workspace_key_prefix", crate::backend::BackendValue::String(p)) => {
                                Some(p.clone())
                            }
                            _ => None,
                        })
                    })
                    .unwrap_or_else(|| "env:".into());
                out.add(
                    target.clone(),
                    KnownState {
                        what,
                        dir,
                        key,
                        table: table.clone(),
                        lockfile: matches!(store.lock.mode, LockMode::S3 | LockMode::Both),
                        workspace_key_prefix,
                        kms_key_id: kms.clone(),
                        backend_config: None,
                    },
                );
            }
        }
        Store::Gcs(store) => {
            let target = Target::Gcs(GcsTarget::new(store.bucket.clone(), None, None));
            let kms = match &store.encryption {
                crate::backend::gcs::StoreEncryption::ExistingKey { name } => Some(name.clone()),
                crate::backend::gcs::StoreEncryption::CreatedKey { .. } => None,
                crate::backend::gcs::StoreEncryption::Google => None,
            };
            for (what, dir, key) in states {
                out.add(
                    target.clone(),
                    KnownState {
                        what,
                        dir,
                        key: crate::backend::gcs::check::effective_prefix(&key),
                        table: None,
                        lockfile: true,
                        workspace_key_prefix: String::new(),
                        kms_key_id: kms.clone(),
                        backend_config: None,
                    },
                );
            }
        }
        Store::Azurerm(store) => {
            let target = Target::Azure(AzureTarget::of_store(store));
            for (what, dir, key) in states {
                out.add(
                    target.clone(),
                    KnownState {
                        what,
                        dir,
                        key,
                        table: None,
                        lockfile: true,
                        workspace_key_prefix: String::new(),
                        kms_key_id: None,
                        backend_config: None,
                    },
                );
            }
        }
        other => out.skipped.push(Skipped {
            file: path.display().to_string(),
            reason: format!(
                "state.backend = {:?}: tfboot reads the locks of s3, gcs and azurerm stores in this version; use `terraform force-unlock` in the root",
                other.kind().name()
            ),
        }),
    }
}

/// The backends of every root module under `paths`.
pub fn from_paths(paths: &[PathBuf], out: &mut Targets) -> Result<()> {
    let opts = crate::check::CheckOptions::default();
    let (modules, unreadable) = crate::check::load_modules(paths, &opts)?;
    out.sources.push(format!(
        "backend blocks under {}",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for u in unreadable {
        out.skipped.push(Skipped {
            file: u,
            reason: "cannot be read".into(),
        });
    }
    for m in &modules {
        for cfg in crate::check::rules::configs(m) {
            match resolve(&cfg) {
                Ok(Some((target, state))) => out.add(target, state),
                Ok(None) => {}
                Err(reason) => out.skipped.push(Skipped {
                    file: match cfg.tfbackend {
                        Some(tb) => format!("{} with {}", cfg.block_file.display, tb.display),
                        None => cfg.block_file.display.clone(),
                    },
                    reason,
                }),
            }
        }
    }
    Ok(())
}

/// A literal string setting; `Err` naming it when it is there but not a literal.
fn literal(cfg: &BackendConfig, name: &str) -> std::result::Result<Option<String>, String> {
    match cfg.get(name) {
        None => Ok(None),
        Some(s) => match s.str() {
            Some(v) if crate::check::rules::state_key_collision::is_placeholder(v) => Err(format!(
                "{name} = {v:?} is a placeholder, no address yet"
            )),
            Some(v) => Ok(Some(v.to_string())),
            None => Err(format!(
                "{name} is not a literal string (a value Terraform computes is not allowed in a backend block; tfboot cannot read it)"
            )),
        },
    }
}

/// A literal string field of an object attribute (`endpoints = { s3 = "…" }`).
fn object_field(cfg: &BackendConfig, attr: &str, field: &str) -> Option<String> {
    let s = cfg.get(attr)?;
    let Expression::Object(o) = s.value else {
        return None;
    };
    o.iter().find_map(|(k, v)| {
        (object_key_name(k) == field)
            .then(|| match v.expr() {
                Expression::String(u) => Some(u.value().to_string()),
                _ => None,
            })
            .flatten()
    })
}

/// The store and state a backend configuration names; `Ok(None)` for backends that hold no
/// state tfboot reads (local); `Err(reason)` when the address cannot be told.
fn resolve(cfg: &BackendConfig) -> std::result::Result<Option<(Target, KnownState)>, String> {
    match cfg.kind.as_str() {
        "s3" => {}
        "gcs" => return resolve_gcs(cfg).map(Some),
        "azurerm" => return resolve_azurerm(cfg).map(Some),
        "local" => return Ok(None),
        "" => return Err("a backend block without a type label".into()),
        other => {
            return Err(format!(
                "backend {other:?}: tfboot reads the locks of s3, gcs and azurerm stores in this version; use `terraform force-unlock` in the root"
            ))
        }
    }
    let at_init = if cfg.completed_at_init() {
        " (it may come from -backend-config at terraform init, which tfboot cannot see; a *.s3.tfbackend file beside the block is read)"
    } else {
        ""
    };
    let bucket = literal(cfg, "bucket")?.ok_or(format!("bucket is not set{at_init}"))?;
    let key = literal(cfg, "key")?.ok_or(format!("key is not set{at_init}"))?;
    let region = match literal(cfg, "region")? {
        Some(r) => r,
        None => ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .ok_or(format!(
                "region is not set and neither AWS_REGION nor AWS_DEFAULT_REGION is{at_init}"
            ))?,
    };
    let table = literal(cfg, "dynamodb_table")?;
    let lockfile = cfg.is_true("use_lockfile");
    let endpoint_s3 = object_field(cfg, "endpoints", "s3").or(literal(cfg, "endpoint")?);
    let endpoint_dynamodb =
        object_field(cfg, "endpoints", "dynamodb").or(literal(cfg, "dynamodb_endpoint")?);
    let endpoint_sts = object_field(cfg, "endpoints", "sts").or(literal(cfg, "sts_endpoint")?);
    let role_arn = object_field(cfg, "assume_role", "role_arn").or(literal(cfg, "role_arn")?);
    let external_id =
        object_field(cfg, "assume_role", "external_id").or(literal(cfg, "external_id")?);
    let session_name =
        object_field(cfg, "assume_role", "session_name").or(literal(cfg, "session_name")?);
    let target = Target::S3(S3Target {
        bucket,
        region,
        path_style: cfg.is_true("use_path_style") || cfg.is_true("force_path_style"),
        endpoint_s3,
        endpoint_dynamodb,
        endpoint_sts,
        profile: literal(cfg, "profile")?,
        role_arn,
        external_id,
        session_name,
    });
    let dir = cfg
        .block_file
        .display
        .rsplit_once('/')
        .map_or(".".to_string(), |(d, _)| d.to_string());
    let file_name = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let state = KnownState {
        what: match cfg.tfbackend {
            Some(tb) => format!("root {dir} with {}", file_name(&tb.display)),
            None => format!("root {dir}"),
        },
        backend_config: cfg.tfbackend.map(|tb| file_name(&tb.display)),
        dir,
        key,
        table,
        lockfile,
        workspace_key_prefix: literal(cfg, "workspace_key_prefix")?.unwrap_or("env:".into()),
        kms_key_id: literal(cfg, "kms_key_id")?,
    };
    Ok(Some((target, state)))
}

/// The root directory of a backend block's file, and the partial configuration's file name.
fn root_of(cfg: &BackendConfig) -> (String, String, Option<String>) {
    let dir = cfg
        .block_file
        .display
        .rsplit_once('/')
        .map_or(".".to_string(), |(d, _)| d.to_string());
    let file_name = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let what = match cfg.tfbackend {
        Some(tb) => format!("root {dir} with {}", file_name(&tb.display)),
        None => format!("root {dir}"),
    };
    (dir, what, cfg.tfbackend.map(|tb| file_name(&tb.display)))
}

/// A gcs backend: the bucket, the prefix as Terraform uses it, the emulator settings.
fn resolve_gcs(cfg: &BackendConfig) -> std::result::Result<(Target, KnownState), String> {
    let at_init = if cfg.completed_at_init() {
        " (it may come from -backend-config at terraform init, which tfboot cannot see; a *.gcs.tfbackend file beside the block is read)"
    } else {
        ""
    };
    let bucket = literal(cfg, "bucket")?.ok_or(format!("bucket is not set{at_init}"))?;
    let prefix = literal(cfg, "prefix")?.unwrap_or_default();
    let target = Target::Gcs(GcsTarget::new(
        bucket,
        literal(cfg, "storage_custom_endpoint")?,
        literal(cfg, "access_token")?,
    ));
    let (dir, what, backend_config) = root_of(cfg);
    Ok((
        target,
        KnownState {
            what,
            dir,
            key: crate::backend::gcs::check::effective_prefix(&prefix),
            table: None,
            lockfile: true,
            workspace_key_prefix: String::new(),
            kms_key_id: literal(cfg, "kms_encryption_key")?,
            backend_config,
        },
    ))
}

/// An azurerm backend: account, container, key, and how the backend reaches and signs in.
fn resolve_azurerm(cfg: &BackendConfig) -> std::result::Result<(Target, KnownState), String> {
    let at_init = if cfg.completed_at_init() {
        " (it may come from -backend-config at terraform init, which tfboot cannot see; a *.azurerm.tfbackend file beside the block is read)"
    } else {
        ""
    };
    let need = |name: &str| -> std::result::Result<String, String> {
        literal(cfg, name)?.ok_or(format!("{name} is not set{at_init}"))
    };
    let target = Target::Azure(AzureTarget {
        account: need("storage_account_name")?,
        container: need("container_name")?,
        metadata_host: literal(cfg, "metadata_host")?.or_else(|| {
            std::env::var("ARM_METADATA_HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
        }),
        environment: literal(cfg, "environment")?,
        access_key: literal(cfg, "access_key")?,
        sas_token: literal(cfg, "sas_token")?,
    });
    let key = need("key")?;
    let (dir, what, backend_config) = root_of(cfg);
    Ok((
        target,
        KnownState {
            what,
            dir,
            key,
            table: None,
            lockfile: true,
            workspace_key_prefix: String::new(),
            kms_key_id: None,
            backend_config,
        },
    ))
}

/// The states to read: `--config` when given; PATHs when given; neither: the tfboot.toml found
/// from the working directory, else the backend blocks under `.`.
/// `load_project` reads a tfboot.toml into `out` (the CLI's loader, with its templates).
pub fn collect(
    config: Option<&Path>,
    paths: &[PathBuf],
    load_project: &dyn Fn(&Path, &mut Targets) -> Result<()>,
) -> Result<Targets> {
    let mut out = Targets::default();
    if let Some(c) = config {
        load_project(&crate::config::locate(Some(c))?, &mut out)?;
    } else if paths.is_empty() {
        match crate::config::locate(None) {
            Ok(found) => load_project(&found, &mut out)?,
            Err(_) => from_paths(&[PathBuf::from(".")], &mut out)?,
        }
    }
    if !paths.is_empty() {
        for p in paths {
            if !p.exists() {
                return Err(Error::Usage(format!(
                    "{}: no such file or directory",
                    p.display()
                )));
            }
        }
        from_paths(paths, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envs_own_workspace_key_prefix_is_where_its_workspaces_are() {
        let text = "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nworkspace_key_prefix = \"workspaces\"\n";
        let cfg =
            crate::config::LoadedConfig::parse(Path::new("tfboot.toml"), text.into()).unwrap();
        let project = crate::model::ProjectInput::from_config(&cfg)
            .build()
            .unwrap();
        let mut t = Targets {
            groups: Vec::new(),
            skipped: Vec::new(),
            sources: Vec::new(),
        };
        let states = project
            .envs
            .iter()
            .map(|e| (format!("env {}", e.name), e.name.clone(), e.key.clone()))
            .collect();
        add_project(&mut t, Path::new("tfboot.toml"), &project, states);
        let prefixes: Vec<(&str, &str)> = t.groups[0]
            .states
            .iter()
            .map(|s| (s.what.as_str(), s.workspace_key_prefix.as_str()))
            .collect();
        assert_eq!(prefixes, [("env dev", "env:"), ("env prod", "workspaces")]);
    }
}
