//! `tfboot bootstrap`: the bootstrap module from flags or tfboot.toml, and `--apply`.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot bootstrap --bucket acme-tfstate --region eu-west-1                    # write bootstrap/\n  tfboot bootstrap --backend gcs --bucket acme-tfstate --project acme-infra --location europe-west1\n  tfboot bootstrap --backend consul --address consul.internal:8501 --path-prefix tfstate/acme\n  tfboot bootstrap --backend cloud --organization acme --workspace acme-dev --workspace acme-prod\n  tfboot bootstrap --bucket acme-tfstate --region eu-west-1 --apply            # and run terraform\n  tfboot bootstrap --apply                                                     # from tfboot.toml\nA rerun never overwrites state in the bucket: it copies the local state only into an empty key."
)]
pub struct BootstrapArgs {
    /// Backend of the state store [default: s3, or the one tfboot.toml names].
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// State bucket name. Without it, settings come from tfboot.toml (see --config).
    #[arg(long)]
    pub bucket: Option<String>,
    /// s3: region of the state bucket [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long)]
    pub region: Option<String>,
    /// gcs: the Google Cloud project ID [default: GOOGLE_CLOUD_PROJECT, else CLOUDSDK_CORE_PROJECT].
    /// cloud: the HCP Terraform project the workspaces belong to [default: the default project].
    #[arg(long)]
    pub project: Option<String>,
    /// gcs: the bucket's location: a region (europe-west1), a dual-region (EUR4) or a
    /// multi-region (EU, US, ASIA). azurerm: the account's Azure region (westeurope).
    #[arg(long)]
    pub location: Option<String>,
    /// azurerm: the storage account that holds the state (3–24 lowercase letters and digits).
    #[arg(long)]
    pub storage_account: Option<String>,
    /// azurerm: its resource group [default: <storage-account>-rg].
    #[arg(long)]
    pub resource_group: Option<String>,
    /// azurerm: the blob container of the state [default: tfstate].
    #[arg(long)]
    pub container: Option<String>,
    /// azurerm: the subscription for the provider block [default: ARM_SUBSCRIPTION_ID at apply].
    #[arg(long)]
    pub subscription_id: Option<String>,
    /// azurerm: an existing Key Vault key for --encryption cmk
    /// (https://<vault>.vault.azure.net/keys/<name>).
    #[arg(long)]
    pub key_vault_key_id: Option<String>,
    /// azurerm: the resource ID of that key's vault.
    #[arg(long)]
    pub key_vault_id: Option<String>,
    /// azurerm: a public IPv4 address or range allowed through the storage firewall (repeatable;
    /// without any, the firewall stays open to Azure AD-authenticated requests).
    #[arg(long = "allowed-ip", value_name = "IP[/PREFIX]")]
    pub allowed_ips: Vec<String>,
    /// consul: the Consul agent or server, host:port (consul.example.com:8501).
    #[arg(long)]
    pub address: Option<String>,
    /// consul: https (default) or http (only for an agent on this machine).
    #[arg(long, value_enum)]
    pub scheme: Option<crate::backend::consul::Scheme>,
    /// consul: the KV path every state is kept under (tfstate).
    #[arg(long)]
    pub path_prefix: Option<String>,
    /// consul: the datacenter whose KV store holds the state [default: the agent's].
    #[arg(long)]
    pub datacenter: Option<String>,
    /// consul: KV path of the bootstrap module's own state [default: none, the state stays local].
    #[arg(long)]
    pub path: Option<String>,
    /// cloud: the HCP Terraform / Terraform Enterprise organization.
    #[arg(long)]
    pub organization: Option<String>,
    /// cloud: the platform's host [default: app.terraform.io].
    #[arg(long)]
    pub hostname: Option<String>,
    /// cloud: a workspace to create (repeatable), named as given.
    #[arg(long = "workspace", value_name = "NAME")]
    pub workspaces: Vec<String>,
    /// cloud: where runs execute [default: remote].
    #[arg(long, value_enum)]
    pub execution_mode: Option<crate::backend::cloud::ExecutionMode>,
    /// cloud: the Terraform version the workspaces run [default: ~> 1.11.0].
    #[arg(long)]
    pub terraform_version: Option<String>,
    /// cloud: a team given write access to every workspace.
    #[arg(long)]
    pub team: Option<String>,
    /// cloud: a workspace for the bootstrap module's own state [default: none, the state stays
    /// local].
    #[arg(long)]
    pub state_workspace: Option<String>,
    /// State lock [default: dynamodb].
    #[arg(long, value_enum)]
    pub lock: Option<LockMode>,
    /// DynamoDB lock table [default: <bucket>-lock].
    #[arg(long)]
    pub lock_table: Option<String>,
    /// Encryption [default: kms, a key the module creates; azurerm: microsoft]; aes256 is s3's,
    /// google gcs's, microsoft azurerm's.
    #[arg(long, value_enum)]
    pub encryption: Option<EncryptionArg>,
    /// s3: use an existing KMS key (its ARN) instead of creating one.
    #[arg(long)]
    pub kms_key_arn: Option<String>,
    /// gcs: use an existing Cloud KMS key
    /// (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>) instead of creating one.
    #[arg(long)]
    pub kms_key: Option<String>,
    /// s3, azurerm: state key of the bootstrap module itself [default: bootstrap/terraform.tfstate].
    #[arg(long)]
    pub key: Option<String>,
    /// gcs: state prefix of the bootstrap module itself [default: bootstrap].
    #[arg(long)]
    pub prefix: Option<String>,
    /// s3, azurerm: a tag for every resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// gcs: a label for every resource, KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Directory to write the module to [default: bootstrap].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Config file [default: tfboot.toml here, else the nearest one in a parent directory up to the
    /// repository root]. Without --bucket the settings come from it; with --bucket, flags that
    /// would rewrite the module it describes must agree with it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Delete stale files in the module: files tfboot generated earlier that the settings no
    /// longer produce (`dynamodb.tf` after `--lock s3`, `kms.tf` after `--encryption aes256`),
    /// only while they carry tfboot's unedited marker.
    #[arg(long)]
    pub prune: bool,
    /// Overwrite files tfboot did not generate, or that were edited since.
    #[arg(long)]
    pub force: bool,
    /// Run terraform: init, apply, then move the module's own state into the bucket.
    #[arg(long)]
    pub apply: bool,
    /// Instead of the module, print a script that builds the same store with another tool
    /// (`aws-cli`: an idempotent AWS CLI script for s3 stores). Writes no file.
    #[arg(long, value_enum, value_name = "TOOL", conflicts_with_all = ["apply", "prune", "force"])]
    pub emit: Option<Emit>,
    /// Apply without asking for approval (with --apply).
    #[arg(long, requires = "apply")]
    pub auto_approve: bool,
    /// Partial backend configuration for every `terraform init` of the remote backend (with
    /// --apply), e.g. an emulator's endpoint.
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub backend_config: Option<PathBuf>,
    /// Directory of template overrides (`*.tera` named like the built-ins; see `tfboot templates`)
    /// [default: `templates` in tfboot.toml, else the built-in templates].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Terraform binary (`terraform`, `tofu`, or a path).
    #[arg(
        long,
        env = "TFBOOT_TERRAFORM",
        default_value = "terraform",
        value_name = "BIN"
    )]
    pub terraform: String,
}

/// What `--emit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// A bash script of AWS CLI calls: each step reads the setting first and changes only what
    /// differs, so it can be rerun.
    AwsCli,
}

/// Which encryption `--encryption` asks for; which values a backend takes is its business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncryptionArg {
    /// A customer-managed key (s3: KMS; gcs: Cloud KMS).
    Kms,
    /// s3: SSE-S3.
    Aes256,
    /// gcs: Google-managed keys.
    Google,
    /// azurerm: Microsoft-managed keys with infrastructure encryption.
    Microsoft,
    /// azurerm: a customer-managed key in a Key Vault the module creates (or --key-vault-key-id).
    Cmk,
}

impl EncryptionArg {
    fn as_str(self) -> &'static str {
        match self {
            EncryptionArg::Kms => "kms",
            EncryptionArg::Aes256 => "aes256",
            EncryptionArg::Google => "google",
            EncryptionArg::Microsoft => "microsoft",
            EncryptionArg::Cmk => "cmk",
        }
    }
}

pub(super) fn parse_pairs(flag: &str, items: &[String]) -> Result<Vec<(Sourced, Sourced)>> {
    items
        .iter()
        .map(|t| {
            let (k, v) = t.split_once('=').ok_or_else(|| {
                Error::Invalid(vec![crate::error::InvalidValue {
                    file: None,
                    line: None,
                    field: flag.into(),
                    value: t.clone(),
                    rule: "expected KEY=VALUE".into(),
                }])
            })?;
            Ok((
                Sourced::flag(&format!("{flag} key"), k),
                Sourced::flag(&format!("{flag} {k}"), v),
            ))
        })
        .collect()
}

pub(super) fn parse_tags(tags: &[String]) -> Result<Vec<(Sourced, Sourced)>> {
    parse_pairs("--tag", tags)
}

/// The flags that belong to some backends only, for "that flag is gcs's" messages.
fn backend_only_flags(a: &BootstrapArgs) -> Vec<(&'static str, &'static [BackendKind])> {
    use BackendKind::{Azurerm, Cloud, Consul, Gcs, S3};
    let mut out = Vec::new();
    let mut given = |set: bool, flag: &'static str, kinds: &'static [BackendKind]| {
        if set {
            out.push((flag, kinds));
        }
    };
    given(a.region.is_some(), "--region", &[S3]);
    given(a.lock.is_some(), "--lock", &[S3]);
    given(a.lock_table.is_some(), "--lock-table", &[S3]);
    given(a.kms_key_arn.is_some(), "--kms-key-arn", &[S3]);
    given(a.key.is_some(), "--key", &[S3, Azurerm]);
    given(!a.tags.is_empty(), "--tag", &[S3, Azurerm]);
    given(
        a.encryption == Some(EncryptionArg::Aes256),
        "--encryption aes256",
        &[S3],
    );
    given(
        a.encryption == Some(EncryptionArg::Kms),
        "--encryption kms",
        &[S3, Gcs],
    );
    given(a.bucket.is_some(), "--bucket", &[S3, Gcs]);
    given(a.project.is_some(), "--project", &[Gcs, Cloud]);
    given(a.location.is_some(), "--location", &[Gcs, Azurerm]);
    given(a.kms_key.is_some(), "--kms-key", &[Gcs]);
    given(a.prefix.is_some(), "--prefix", &[Gcs]);
    given(!a.labels.is_empty(), "--label", &[Gcs]);
    given(
        a.encryption == Some(EncryptionArg::Google),
        "--encryption google",
        &[Gcs],
    );
    given(a.storage_account.is_some(), "--storage-account", &[Azurerm]);
    given(a.resource_group.is_some(), "--resource-group", &[Azurerm]);
    given(a.container.is_some(), "--container", &[Azurerm]);
    given(a.subscription_id.is_some(), "--subscription-id", &[Azurerm]);
    given(!a.allowed_ips.is_empty(), "--allowed-ip", &[Azurerm]);
    given(
        a.encryption == Some(EncryptionArg::Microsoft),
        "--encryption microsoft",
        &[Azurerm],
    );
    given(
        a.encryption == Some(EncryptionArg::Cmk),
        "--encryption cmk",
        &[Azurerm],
    );
    given(
        a.key_vault_key_id.is_some(),
        "--key-vault-key-id",
        &[Azurerm],
    );
    given(a.key_vault_id.is_some(), "--key-vault-id", &[Azurerm]);
    given(a.address.is_some(), "--address", &[Consul]);
    given(a.scheme.is_some(), "--scheme", &[Consul]);
    given(a.path_prefix.is_some(), "--path-prefix", &[Consul]);
    given(a.datacenter.is_some(), "--datacenter", &[Consul]);
    given(a.path.is_some(), "--path", &[Consul]);
    given(a.organization.is_some(), "--organization", &[Cloud]);
    given(a.hostname.is_some(), "--hostname", &[Cloud]);
    given(!a.workspaces.is_empty(), "--workspace", &[Cloud]);
    given(a.execution_mode.is_some(), "--execution-mode", &[Cloud]);
    given(
        a.terraform_version.is_some(),
        "--terraform-version",
        &[Cloud],
    );
    given(a.team.is_some(), "--team", &[Cloud]);
    given(a.state_workspace.is_some(), "--state-workspace", &[Cloud]);
    out
}

/// Flags of another backend than `kind` are a usage error naming the backend they belong to.
fn check_flags_fit(a: &BootstrapArgs, kind: BackendKind, why: &str) -> Result<()> {
    let wrong: Vec<String> = backend_only_flags(a)
        .into_iter()
        .filter(|(_, kinds)| !kinds.contains(&kind))
        .map(|(f, kinds)| {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            format!("{f} (a {} flag)", names.join("/"))
        })
        .collect();
    if wrong.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} do not apply to the {} backend{why}; pass --backend for the backend they belong to, or drop them",
        wrong.join(", "),
        kind.name()
    )))
}

/// The store settings the flags give, and the bootstrap module's own state address.
fn store_from_flags(
    a: &BootstrapArgs,
    kind: BackendKind,
    bucket: &str,
) -> Result<(crate::backend::StoreInput, Option<Sourced>)> {
    check_flags_fit(a, kind, "")?;
    let encryption_field = "--encryption".to_string();
    Ok(match kind {
        BackendKind::S3 => {
            let region = match &a.region {
                Some(r) => Sourced::flag("--region", r.clone()),
                None => region_from_env().ok_or_else(|| {
                    Error::Usage("--region is required with --bucket (or set AWS_REGION): the bucket's region goes into every backend block".into())
                })?,
            };
            (
                crate::backend::StoreInput::S3(crate::backend::s3::StoreInput {
                    bucket: Sourced::flag("--bucket", bucket),
                    region,
                    lock: a.lock.unwrap_or_default(),
                    lock_table: a
                        .lock_table
                        .clone()
                        .map(|t| Sourced::flag("--lock-table", t)),
                    encryption: match a.encryption {
                        Some(EncryptionArg::Aes256) => crate::backend::s3::Encryption::Aes256,
                        _ => crate::backend::s3::Encryption::Kms,
                    },
                    encryption_field,
                    kms_key_arn: a
                        .kms_key_arn
                        .clone()
                        .map(|k| Sourced::flag("--kms-key-arn", k)),
                    tags: parse_tags(&a.tags)?,
                    unmanaged: Vec::new(),
                }),
                a.key.clone().map(|k| Sourced::flag("--key", k)),
            )
        }
        BackendKind::Gcs => {
            let project = match &a.project {
                Some(p) => Sourced::flag("--project", p.clone()),
                None => project_from_env().ok_or_else(|| {
                    Error::Usage("--project is required with --backend gcs (or set GOOGLE_CLOUD_PROJECT): the bucket and its key are created in it".into())
                })?,
            };
            let location = a.location.clone().ok_or_else(|| {
                Error::Usage("--location is required with --backend gcs: a region (europe-west1), a dual-region (EUR4) or a multi-region (EU, US, ASIA); it cannot be changed once the bucket exists".into())
            })?;
            (
                crate::backend::StoreInput::Gcs(crate::backend::gcs::StoreInput {
                    bucket: Sourced::flag("--bucket", bucket),
                    project,
                    location: Sourced::flag("--location", location),
                    encryption: match a.encryption {
                        Some(EncryptionArg::Google) => crate::backend::gcs::Encryption::Google,
                        _ => crate::backend::gcs::Encryption::Kms,
                    },
                    encryption_field,
                    kms_key: a.kms_key.clone().map(|k| Sourced::flag("--kms-key", k)),
                    labels: parse_pairs("--label", &a.labels)?,
                    unmanaged: Vec::new(),
                }),
                a.prefix.clone().map(|p| Sourced::flag("--prefix", p)),
            )
        }
        BackendKind::Azurerm => {
            let location = a.location.clone().ok_or_else(|| {
                Error::Usage("--location is required with --backend azurerm: the Azure region of the storage account (westeurope, eastus2, ...)".into())
            })?;
            (
                crate::backend::StoreInput::Azurerm(crate::backend::azurerm::StoreInput {
                    storage_account: Sourced::flag("--storage-account", bucket),
                    resource_group: a
                        .resource_group
                        .clone()
                        .map(|r| Sourced::flag("--resource-group", r)),
                    container: a.container.clone().map(|c| Sourced::flag("--container", c)),
                    location: Sourced::flag("--location", location),
                    subscription_id: a
                        .subscription_id
                        .clone()
                        .map(|s| Sourced::flag("--subscription-id", s)),
                    encryption: match a.encryption {
                        Some(EncryptionArg::Cmk) => crate::backend::azurerm::Encryption::Cmk,
                        _ => crate::backend::azurerm::Encryption::Microsoft,
                    },
                    encryption_field: "--encryption".into(),
                    key_vault_key_id: a
                        .key_vault_key_id
                        .clone()
                        .map(|k| Sourced::flag("--key-vault-key-id", k)),
                    key_vault_id: a
                        .key_vault_id
                        .clone()
                        .map(|k| Sourced::flag("--key-vault-id", k)),
                    allowed_ips: a
                        .allowed_ips
                        .iter()
                        .map(|ip| Sourced::flag("--allowed-ip", ip.clone()))
                        .collect(),
                    tags: parse_tags(&a.tags)?,
                    replication: Default::default(),
                }),
                a.key.clone().map(|k| Sourced::flag("--key", k)),
            )
        }
        BackendKind::Consul => {
            let path_prefix = a.path_prefix.clone().ok_or_else(|| {
                Error::Usage("--path-prefix is required with --backend consul: the KV path every state is kept under (tfstate)".into())
            })?;
            (
                crate::backend::StoreInput::Consul(crate::backend::consul::StoreInput {
                    address: Sourced::flag("--address", bucket),
                    scheme: a.scheme.unwrap_or_default(),
                    scheme_at: a.scheme.map(|s| Sourced::flag("--scheme", s.as_str())),
                    path_prefix: Sourced::flag("--path-prefix", path_prefix),
                    datacenter: a
                        .datacenter
                        .clone()
                        .map(|d| Sourced::flag("--datacenter", d)),
                    gzip: None,
                }),
                a.path.clone().map(|p| Sourced::flag("--path", p)),
            )
        }
        BackendKind::Cloud => {
            let flag = |name: &str, v: &Option<String>| v.clone().map(|v| Sourced::flag(name, v));
            (
                crate::backend::StoreInput::Cloud(crate::backend::cloud::StoreInput {
                    organization: Sourced::flag("--organization", bucket),
                    hostname: flag("--hostname", &a.hostname),
                    project: flag("--project", &a.project),
                    workspace_prefix: None,
                    execution_mode: a.execution_mode.unwrap_or_default(),
                    terraform_version: flag("--terraform-version", &a.terraform_version),
                    team: flag("--team", &a.team),
                    tfbackend_layout: None,
                }),
                flag("--state-workspace", &a.state_workspace),
            )
        }
    })
}

pub(super) fn cmd_bootstrap(
    a: &BootstrapArgs,
    ui: Ui,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let config = match &a.config {
        Some(p) => Some(crate::config::locate(Some(p))?),
        None => crate::config::locate(None).ok(),
    };
    let loaded = match &config {
        Some(p) => Some(LoadedConfig::load(p)?),
        None => None,
    };
    let from_config = match &loaded {
        Some(cfg) => Some((cfg, ProjectInput::from_config(cfg).build()?)),
        None => None,
    };
    let flags_dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BOOTSTRAP_DIR));
    // Flags that would rewrite the module a tfboot.toml describes must agree with it: the file
    // is what `generate` and the next person use.
    let same_module = from_config.as_ref().is_some_and(|(cfg, project)| {
        lexical_abs(&flags_dir) == lexical_abs(&cfg.base_dir().join(&project.bootstrap.dir))
    });
    // The store's name: --bucket (s3, gcs), --storage-account (azurerm), --address (consul) or
    // --organization (cloud).
    let store_name = a
        .bucket
        .as_ref()
        .or(a.storage_account.as_ref())
        .or(a.address.as_ref())
        .or(a.organization.as_ref());
    let flags_bucket = store_name.filter(|_| !same_module);
    let (root, project, apply_command, templates) = match (flags_bucket, from_config) {
        (Some(bucket), _) => {
            let (store, bootstrap_key) =
                store_from_flags(a, a.backend.unwrap_or_default(), bucket)?;
            let input = ProjectInput {
                store,
                bootstrap_dir: None,
                bootstrap_key,
                // cloud: the workspaces to create, each an env of its own name.
                envs: a
                    .workspaces
                    .iter()
                    .map(|w| crate::model::EnvInput {
                        key: Some(Sourced::flag("--workspace", w.clone())),
                        ..crate::model::EnvInput::named(Sourced::flag("--workspace", w.clone()))
                    })
                    .collect(),
                layout: Default::default(),
                discover: None,
            };
            let mut project = input.build()?;
            if let Some(dir) = &a.out {
                if dir.as_os_str().is_empty() {
                    return Err(Error::Usage("--out must name a directory".into()));
                }
                project.bootstrap.dir = dir.clone();
            }
            let cmd = bootstrap_command_line(a);
            (
                PathBuf::new(),
                project,
                cmd,
                load_templates(a.templates.as_deref(), None)?,
            )
        }
        (None, Some((cfg, mut project))) => {
            let config = config
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
            let out_elsewhere = a.out.is_some() && !same_module;
            if !out_elsewhere {
                flags_agree_with_config(a, cfg, &project, &config)?;
            } else if store_name.is_none() && any_setting_flag(a) {
                return Err(Error::Usage(
                    "--bucket is required when settings are given as flags for a module tfboot.toml does not describe".into(),
                ));
            }
            if let Some(dir) = &a.out {
                if dir.as_os_str().is_empty() {
                    return Err(Error::Usage("--out must name a directory".into()));
                }
                // --out is relative to the working directory, like every path on the command line.
                project.bootstrap.dir =
                    relative_to(&lexical_abs(dir), &lexical_abs(&cfg.base_dir()));
            }
            let templates = load_templates(a.templates.as_deref(), Some(cfg))?;
            (
                cfg.base_dir(),
                project,
                config_apply_command(&config),
                templates,
            )
        }
        (None, None) => {
            let needed = match a.backend.unwrap_or_default() {
                BackendKind::S3 => "--bucket and --region are required",
                BackendKind::Gcs => {
                    "--bucket, --project and --location are required with --backend gcs"
                }
                BackendKind::Azurerm => {
                    "--storage-account and --location are required with --backend azurerm"
                }
                BackendKind::Consul => {
                    "--address and --path-prefix are required with --backend consul"
                }
                BackendKind::Cloud => "--organization is required with --backend cloud",
            };
            return Err(Error::Usage(format!(
                "{needed}, or a tfboot.toml (none here or in a parent directory up to the repository root; `tfboot init` writes one, --config names another)"
            )));
        }
    };
    if a.backend_config.is_some() && project.store.kind() == BackendKind::Cloud {
        return Err(Error::Usage(
            "--backend-config does not apply to the cloud backend: the cloud block takes no -backend-config (set TF_CLOUD_ORGANIZATION, TF_CLOUD_HOSTNAME or TF_WORKSPACE instead, or state.* in tfboot.toml)".into(),
        ));
    }
    if let Some(Emit::AwsCli) = a.emit {
        let crate::backend::Store::S3(store) = &project.store else {
            return Err(Error::Usage(format!(
                "--emit aws-cli builds s3 stores; this one is {} (its bootstrap module is the way to build it)",
                project.store.kind().name()
            )));
        };
        let script = crate::backend::s3::aws_cli_script(store, &templates)?;
        out.write_all(script.as_bytes())
            .map_err(|e| Error::io("stdout", e))?;
        return Ok(0);
    }
    let readme_command = if store_name.is_some() && !same_module {
        apply_command.as_str()
    } else {
        README_APPLY_COMMAND
    };
    let generation =
        crate::generate::plan_bootstrap(&root, &project, readme_command, a.force, &templates)?;
    execute_and_report(&generation.plan, ui, out)?;
    let deleted = if a.prune {
        crate::generate::prune(&root, &generation.stale)?
    } else {
        Vec::new()
    };
    let source = config.clone().unwrap_or_else(|| PathBuf::from("the flags"));
    let remaining = report_stale(
        out,
        &generation.stale,
        &deleted,
        &source,
        "rerunning the command with --prune deletes it",
    )?;
    let module_dir = root.join(&project.bootstrap.dir);
    if !a.apply {
        if !remaining.is_empty() {
            writeln!(out, "note: `--prune` deletes the stale files (unedited ones only); `terraform apply` would still create what they declare").map_err(|e| Error::io("stdout", e))?;
        }
        if !ui.quiet {
            print_next_steps(out, &project, &module_dir, &apply_command)?;
        }
        return Ok(0);
    }
    if !remaining.is_empty() {
        return Err(Error::StepFailed {
            step: "0/5 check the module".into(),
            message: format!(
                "{} stale file(s) in {} declare resources the settings no longer ask for, and `terraform apply` would create them: rerun with --prune (deletes unedited ones) or delete them by hand",
                remaining.len(),
                module_dir.display()
            ),
        });
    }
    let _ = out.flush();
    apply_module(
        &project,
        &module_dir,
        &a.terraform,
        a.auto_approve,
        a.backend_config.clone(),
        ui,
        out,
        err,
    )
}

/// `--apply`: run Terraform on the written module (init, apply, move its state into the store)
/// and say where its state ended up.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_module(
    project: &Project,
    module_dir: &Path,
    terraform: &str,
    auto_approve: bool,
    backend_config: Option<PathBuf>,
    ui: Ui,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let opts = ApplyOptions {
        terraform: terraform_bin(terraform),
        auto_approve,
        backend_config,
        color: {
            use std::io::IsTerminal as _;
            std::io::stdout().is_terminal()
        },
        state_url: project.store.state_url(&project.bootstrap.key),
        store: project.store.clone(),
    };
    if let Some(bc) = &opts.backend_config {
        if !bc.is_file() {
            return Err(Error::io(
                bc,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "backend config file not found",
                ),
            ));
        }
    }
    let outcome = apply::bootstrap(module_dir, &opts, err)?;
    if ui.quiet {
        return Ok(0);
    }
    let lock = project.store.lock_summary();
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    let (how, moved) = match &outcome {
        apply::Outcome::Migrated { moved_aside } => ("copied the local state there", moved_aside),
        apply::Outcome::AlreadyRemote { moved_aside } => {
            ("it was there already, nothing was copied", moved_aside)
        }
        apply::Outcome::Applied => {
            w(
                out,
                format!(
                    "applied: {} grants access to {}, locked by {lock}; the module's own state is at {}",
                    module_dir.display(),
                    project.store.access_scope(),
                    opts.state_url,
                ),
            )?;
            return Ok(0);
        }
    };
    w(
        out,
        format!(
            "bootstrapped: the state of {} is at {} ({}), locked by {lock}; {how}",
            module_dir.display(),
            opts.state_url,
            project.store.place(),
        ),
    )?;
    for m in moved {
        w(
            out,
            format!(
                "note: moved the local state aside to {}: Terraform never reads it again (.gitignore keeps it out of git); delete it once you have checked the state in the bucket",
                module_dir.join(m).display()
            ),
        )?;
    }
    Ok(0)
}

/// `path` relative to `base` (both absolute and lexically normal).
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in p.iter().skip(common) {
        out.push(c);
    }
    out
}

fn any_setting_flag(a: &BootstrapArgs) -> bool {
    a.backend.is_some() || a.encryption.is_some() || !backend_only_flags(a).is_empty()
}

/// The Google Cloud project from the environment, as the gcloud CLI and client libraries read it.
pub(super) fn project_from_env() -> Option<Sourced> {
    ["GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"]
        .iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| Sourced::flag(&format!("{var} (environment)"), v))
        })
}

/// Every setting flag given must say what the config says; exit 2 naming both values otherwise.
fn flags_agree_with_config(
    a: &BootstrapArgs,
    cfg: &LoadedConfig,
    project: &Project,
    config: &Path,
) -> Result<()> {
    use crate::backend::{azurerm, gcs, s3, Sections, Store};
    let kind = cfg.file.sections.kind();
    if let Some(b) = a.backend.filter(|b| *b != kind) {
        return Err(Error::Usage(format!(
            "--backend {} but {} uses the {} backend (state.backend); drop --backend, change {}, or write a separate module with --out DIR",
            b.name(),
            config.display(),
            kind.name(),
            config.display()
        )));
    }
    check_flags_fit(a, kind, &format!(", which {} uses", config.display()))?;
    let at = |span: Option<std::ops::Range<usize>>| {
        span.map_or_else(String::new, |sp| {
            format!(" (line {})", cfg.line_of(sp.start))
        })
    };
    let mut clashes: Vec<String> = Vec::new();
    let mut check =
        |flag: &str, given: Option<String>, field: &str, value: String, line: String| {
            if let Some(g) = given {
                if g != value {
                    clashes.push(format!(
                        "{flag} {} but {field} = {}{line} in {}",
                        shell_quote(&g),
                        toml_str(&value),
                        config.display()
                    ));
                }
            }
        };
    let show = |m: &std::collections::BTreeMap<String, String>| {
        let inner: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{k} = {}", toml_str(v)))
            .collect();
        format!("{{ {} }}", inner.join(", "))
    };
    let mut map_clash: Option<String> = None;
    match (&cfg.file.sections, &project.store) {
        (Sections::S3(s, _), Store::S3(store)) => {
            check(
                "--bucket",
                a.bucket.clone(),
                "state.bucket",
                store.bucket.clone(),
                at(Some(s.bucket.span())),
            );
            check(
                "--region",
                a.region.clone(),
                "state.region",
                store.region.clone(),
                at(Some(s.region.span())),
            );
            check(
                "--lock",
                a.lock.map(|l| l.as_str().to_string()),
                "state.lock",
                store.lock.mode.as_str().to_string(),
                String::new(),
            );
            check(
                "--lock-table",
                a.lock_table.clone(),
                "state.lock_table",
                store
                    .lock
                    .table
                    .clone()
                    .unwrap_or_else(|| "(none: lock = \"s3\")".into()),
                at(s.lock_table.as_ref().map(|t| t.span())),
            );
            let enc = match store.encryption {
                s3::StoreEncryption::Aes256 => "aes256",
                _ => "kms",
            };
            check(
                "--encryption",
                a.encryption.map(|e| e.as_str().to_string()),
                "state.encryption",
                enc.to_string(),
                String::new(),
            );
            let arn = match &store.encryption {
                s3::StoreEncryption::ExistingKey { arn } => arn.clone(),
                _ => "(none: the module creates a key)".into(),
            };
            check(
                "--kms-key-arn",
                a.kms_key_arn.clone(),
                "state.kms_key_arn",
                arn,
                at(s.kms_key_arn.as_ref().map(|t| t.span())),
            );
            check(
                "--key",
                a.key.clone(),
                "state.bootstrap_key",
                project.bootstrap.key.clone(),
                at(s.bootstrap_key.as_ref().map(|t| t.span())),
            );
            if !a.tags.is_empty() {
                let given: std::collections::BTreeMap<String, String> = parse_tags(&a.tags)?
                    .into_iter()
                    .map(|(k, v)| (k.value, v.value))
                    .collect();
                if given != store.tags {
                    map_clash = Some(format!(
                        "--tag gives {} but state.tags = {}{} in {}",
                        show(&given),
                        show(&store.tags),
                        at(s.tags.as_ref().map(|t| t.span())),
                        config.display()
                    ));
                }
            }
        }
        (Sections::Gcs(s, _), Store::Gcs(store)) => {
            check(
                "--bucket",
                a.bucket.clone(),
                "state.bucket",
                store.bucket.clone(),
                at(Some(s.bucket.span())),
            );
            check(
                "--project",
                a.project.clone(),
                "state.project",
                store.project.clone(),
                at(Some(s.project.span())),
            );
            check(
                "--location",
                a.location.clone(),
                "state.location",
                store.location.clone(),
                at(Some(s.location.span())),
            );
            let enc = match store.encryption {
                gcs::StoreEncryption::Google => "google",
                _ => "kms",
            };
            check(
                "--encryption",
                a.encryption.map(|e| e.as_str().to_string()),
                "state.encryption",
                enc.to_string(),
                String::new(),
            );
            let key = match &store.encryption {
                gcs::StoreEncryption::ExistingKey { name } => name.clone(),
                _ => "(none: the module creates a key)".into(),
            };
            check(
                "--kms-key",
                a.kms_key.clone(),
                "state.kms_key",
                key,
                at(s.kms_key.as_ref().map(|t| t.span())),
            );
            check(
                "--prefix",
                a.prefix.clone(),
                "state.bootstrap_prefix",
                project.bootstrap.key.clone(),
                at(s.bootstrap_prefix.as_ref().map(|t| t.span())),
            );
            if !a.labels.is_empty() {
                let given: std::collections::BTreeMap<String, String> =
                    parse_pairs("--label", &a.labels)?
                        .into_iter()
                        .map(|(k, v)| (k.value, v.value))
                        .collect();
                if given != store.labels {
                    map_clash = Some(format!(
                        "--label gives {} but state.labels = {}{} in {}",
                        show(&given),
                        show(&store.labels),
                        at(s.labels.as_ref().map(|t| t.span())),
                        config.display()
                    ));
                }
            }
        }
        (Sections::Azurerm(s, _), Store::Azurerm(store)) => {
            check(
                "--storage-account",
                a.storage_account.clone(),
                "state.storage_account",
                store.storage_account.clone(),
                at(Some(s.storage_account.span())),
            );
            check(
                "--resource-group",
                a.resource_group.clone(),
                "state.resource_group",
                store.resource_group.clone(),
                at(s.resource_group.as_ref().map(|t| t.span())),
            );
            check(
                "--container",
                a.container.clone(),
                "state.container",
                store.container.clone(),
                at(s.container.as_ref().map(|t| t.span())),
            );
            check(
                "--location",
                a.location.clone(),
                "state.location",
                store.location.clone(),
                at(Some(s.location.span())),
            );
            let (enc, key, vault) = match &store.encryption {
                azurerm::StoreEncryption::Microsoft => ("microsoft", None, None),
                azurerm::StoreEncryption::CreatedKey { .. } => ("cmk", None, None),
                azurerm::StoreEncryption::ExistingKey { key_id, vault_id } => {
                    ("cmk", Some(key_id.clone()), Some(vault_id.clone()))
                }
            };
            check(
                "--encryption",
                a.encryption.map(|e| e.as_str().to_string()),
                "state.encryption",
                enc.to_string(),
                String::new(),
            );
            check(
                "--key-vault-key-id",
                a.key_vault_key_id
                    .as_deref()
                    .map(azurerm::validate::versionless_key_id),
                "state.key_vault_key_id",
                key.unwrap_or_else(|| "(none)".into()),
                at(s.key_vault_key_id.as_ref().map(|t| t.span())),
            );
            check(
                "--key-vault-id",
                a.key_vault_id.clone(),
                "state.key_vault_id",
                vault.unwrap_or_else(|| "(none)".into()),
                at(s.key_vault_id.as_ref().map(|t| t.span())),
            );
            check(
                "--subscription-id",
                a.subscription_id.clone(),
                "state.subscription_id",
                store
                    .subscription_id
                    .clone()
                    .unwrap_or_else(|| "(none: ARM_SUBSCRIPTION_ID)".into()),
                at(s.subscription_id.as_ref().map(|t| t.span())),
            );
            check(
                "--key",
                a.key.clone(),
                "state.bootstrap_key",
                project.bootstrap.key.clone(),
                at(s.bootstrap_key.as_ref().map(|t| t.span())),
            );
            if !a.allowed_ips.is_empty() && a.allowed_ips != store.allowed_ips {
                clashes.push(format!(
                    "--allowed-ip gives {} but state.allowed_ips = [{}] in {}",
                    a.allowed_ips.join(", "),
                    store.allowed_ips.join(", "),
                    config.display()
                ));
            }
            if !a.tags.is_empty() {
                let given: std::collections::BTreeMap<String, String> = parse_tags(&a.tags)?
                    .into_iter()
                    .map(|(k, v)| (k.value, v.value))
                    .collect();
                if given != store.tags {
                    map_clash = Some(format!(
                        "--tag gives {} but state.tags = {}{} in {}",
                        show(&given),
                        show(&store.tags),
                        at(s.tags.as_ref().map(|t| t.span())),
                        config.display()
                    ));
                }
            }
        }
        (Sections::Consul(s, _), Store::Consul(store)) => {
            check(
                "--address",
                a.address.clone(),
                "state.address",
                store.address.clone(),
                at(Some(s.address.span())),
            );
            check(
                "--scheme",
                a.scheme.map(|v| v.as_str().to_string()),
                "state.scheme",
                store.scheme.as_str().to_string(),
                at(s.scheme.as_ref().map(|t| t.span())),
            );
            check(
                "--path-prefix",
                a.path_prefix.clone(),
                "state.path_prefix",
                store.path_prefix.clone(),
                at(Some(s.path_prefix.span())),
            );
            check(
                "--datacenter",
                a.datacenter.clone(),
                "state.datacenter",
                store
                    .datacenter
                    .clone()
                    .unwrap_or_else(|| "(none: the agent's)".into()),
                at(s.datacenter.as_ref().map(|t| t.span())),
            );
            check(
                "--path",
                a.path.clone(),
                "state.bootstrap_path",
                if project.bootstrap.key.is_empty() {
                    "(none: local state)".into()
                } else {
                    project.bootstrap.key.clone()
                },
                at(s.bootstrap_path.as_ref().map(|t| t.span())),
            );
        }
        (Sections::Cloud(s, _), Store::Cloud(store)) => {
            check(
                "--organization",
                a.organization.clone(),
                "state.organization",
                store.organization.clone(),
                at(Some(s.organization.span())),
            );
            check(
                "--hostname",
                a.hostname.clone(),
                "state.hostname",
                store.hostname.clone(),
                at(s.hostname.as_ref().map(|t| t.span())),
            );
            check(
                "--project",
                a.project.clone(),
                "state.project",
                store
                    .project
                    .clone()
                    .unwrap_or_else(|| "(none: the default project)".into()),
                at(s.project.as_ref().map(|t| t.span())),
            );
            if !a.workspaces.is_empty() {
                clashes.push(format!(
                    "--workspace: {} lists the workspaces as [[env]] entries; add them there",
                    config.display()
                ));
            }
        }
        _ => {}
    }
    clashes.extend(map_clash);
    if clashes.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the flags disagree with {config} about the module it describes ({dir}/):\n  {}\nEither drop the flags to use {config} as it is (`tfboot bootstrap{cfgflag}`), change {config}, or write a separate module with --out DIR",
        clashes.join("\n  "),
        config = config.display(),
        dir = cfg.base_dir().join(&project.bootstrap.dir).display(),
        cfgflag = if config == Path::new(DEFAULT_FILE) {
            String::new()
        } else {
            format!(" --config {}", shell_quote(&config.to_string_lossy()))
        }
    )))
}

/// The command a user reruns to bootstrap with the same settings (shown in the module README).
fn bootstrap_command_line(a: &BootstrapArgs) -> String {
    let mut parts = vec!["tfboot bootstrap".to_string()];
    let mut push = |flag: &str, v: &str| parts.push(format!("--{flag} {}", shell_quote(v)));
    if let Some(b) = a.backend {
        push("backend", b.name());
    }
    if let Some(b) = &a.bucket {
        push("bucket", b);
    }
    if let Some(r) = &a.region {
        push("region", r);
    }
    if let Some(p) = &a.project {
        push("project", p);
    }
    if let Some(l) = &a.location {
        push("location", l);
    }
    if let Some(v) = &a.storage_account {
        push("storage-account", v);
    }
    if let Some(v) = &a.resource_group {
        push("resource-group", v);
    }
    if let Some(v) = &a.container {
        push("container", v);
    }
    if let Some(v) = &a.subscription_id {
        push("subscription-id", v);
    }
    if let Some(v) = &a.key_vault_key_id {
        push("key-vault-key-id", v);
    }
    if let Some(v) = &a.key_vault_id {
        push("key-vault-id", v);
    }
    for ip in &a.allowed_ips {
        push("allowed-ip", ip);
    }
    if let Some(v) = &a.address {
        push("address", v);
    }
    if let Some(v) = a.scheme {
        push("scheme", v.as_str());
    }
    if let Some(v) = &a.path_prefix {
        push("path-prefix", v);
    }
    if let Some(v) = &a.datacenter {
        push("datacenter", v);
    }
    if let Some(v) = &a.path {
        push("path", v);
    }
    if let Some(v) = &a.organization {
        push("organization", v);
    }
    if let Some(v) = &a.hostname {
        push("hostname", v);
    }
    for w in &a.workspaces {
        push("workspace", w);
    }
    if let Some(v) = a.execution_mode {
        push("execution-mode", v.as_str());
    }
    if let Some(v) = &a.terraform_version {
        push("terraform-version", v);
    }
    if let Some(v) = &a.team {
        push("team", v);
    }
    if let Some(v) = &a.state_workspace {
        push("state-workspace", v);
    }
    if let Some(l) = a.lock {
        push("lock", l.as_str());
    }
    if let Some(t) = &a.lock_table {
        push("lock-table", t);
    }
    if let Some(e) = a.encryption {
        push("encryption", e.as_str());
    }
    if let Some(k) = &a.kms_key_arn {
        push("kms-key-arn", k);
    }
    if let Some(k) = &a.kms_key {
        push("kms-key", k);
    }
    if let Some(k) = &a.key {
        push("key", k);
    }
    if let Some(p) = &a.prefix {
        push("prefix", p);
    }
    for t in &a.tags {
        push("tag", t);
    }
    for l in &a.labels {
        push("label", l);
    }
    if let Some(o) = &a.out {
        push("out", &o.to_string_lossy());
    }
    if let Some(t) = &a.templates {
        push("templates", &t.to_string_lossy());
    }
    parts.push("--apply".into());
    parts.join(" ")
}

/// The Terraform binary as given, with a relative path (`./bin/terraform`) made absolute: it runs
/// in the module's directory, not where the user typed it. A bare name is looked up on PATH.
fn terraform_bin(bin: &str) -> String {
    let path = std::path::Path::new(bin);
    if path.is_relative() && path.components().count() > 1 {
        if let Ok(cwd) = std::env::current_dir() {
            return cwd.join(path).to_string_lossy().into_owned();
        }
    }
    bin.to_string()
}
