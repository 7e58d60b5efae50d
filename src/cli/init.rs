//! `tfboot init`: write a tfboot.toml (and its JSON Schema) to start from.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot init --name acme --region eu-west-1 --env dev --env prod   # then: tfboot generate\n  tfboot init --backend gcs --name acme --project acme-infra --location EU --env dev --env prod\n  tfboot init --backend consul --name acme --address consul.internal:8501 --env dev --env prod\n  tfboot init --backend cloud --name acme --organization acme-corp --env dev --env prod"
)]
pub struct InitArgs {
    /// Project name; the bucket becomes `<name>-tfstate` [default: the current directory's name,
    /// lowercased, other characters as `-`].
    #[arg(long)]
    pub name: Option<String>,
    /// Backend of the state store.
    #[arg(long, value_enum, default_value_t = BackendKind::S3)]
    pub backend: BackendKind,
    /// s3: region of the state bucket [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long)]
    pub region: Option<String>,
    /// gcs: the Google Cloud project ID [default: GOOGLE_CLOUD_PROJECT, else CLOUDSDK_CORE_PROJECT].
    /// cloud: the HCP Terraform project the workspaces belong to [default: the default project].
    #[arg(long)]
    pub project: Option<String>,
    /// gcs: the bucket's location: a region (europe-west1), a dual-region (EUR4) or a
    /// multi-region (EU, US, ASIA). azurerm: the storage account's Azure region (westeurope).
    #[arg(long)]
    pub location: Option<String>,
    /// consul: the Consul agent or server, host:port (consul.example.com:8501).
    #[arg(long)]
    pub address: Option<String>,
    /// consul: the KV path every state is kept under [default: tfstate/<name>].
    #[arg(long)]
    pub path_prefix: Option<String>,
    /// cloud: the HCP Terraform / Terraform Enterprise organization (workspaces are named
    /// `<name>-<env>`).
    #[arg(long)]
    pub organization: Option<String>,
    /// cloud: the platform's host [default: app.terraform.io].
    #[arg(long)]
    pub hostname: Option<String>,
    /// An environment to add (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    /// s3: state lock [default: dynamodb]. (gcs always locks with a .tflock object.)
    #[arg(long, value_enum)]
    pub lock: Option<LockMode>,
    /// Where to write the file.
    #[arg(long, default_value = DEFAULT_FILE)]
    pub config: PathBuf,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
}

pub(super) fn cmd_init(a: &InitArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    if a.config.is_dir() {
        return Err(Error::Usage(format!(
            "--config {} is a directory; name the file to write (e.g. --config {})",
            a.config.display(),
            a.config.join(DEFAULT_FILE).display()
        )));
    }
    if a.config.exists() && !a.force {
        return Err(Error::Refused(vec![a.config.clone()]));
    }
    let name = match &a.name {
        Some(n) => {
            // A name that makes no valid bucket gets the clean-up a directory name gets, as a
            // suggestion (a name given explicitly is never changed behind the user's back).
            let cleaned = clean_name(n);
            let bucket_rule = match a.backend {
                BackendKind::S3 => crate::backend::s3::validate::bucket_name,
                BackendKind::Gcs => crate::backend::gcs::validate::bucket_name,
                BackendKind::Azurerm => crate::backend::azurerm::validate::storage_account,
                BackendKind::Consul => crate::backend::consul::validate::path,
                BackendKind::Cloud => crate::backend::cloud::validate::workspace_prefix,
            };
            let bucket_ok = |n: &str| bucket_rule(&store_name(a.backend, n)).is_ok();
            if !bucket_ok(n) && cleaned != *n && bucket_ok(&cleaned) {
                let (kind, what) = match a.backend {
                    BackendKind::Azurerm => (
                        "storage account",
                        "storage account names use only lowercase letters and digits",
                    ),
                    BackendKind::Consul => (
                        "path prefix",
                        "a KV path takes no spaces, control characters or ? # % \\",
                    ),
                    BackendKind::Cloud => (
                        "workspace prefix",
                        "workspace names use only letters, digits, '-' and '_'",
                    ),
                    _ => (
                        "bucket",
                        "bucket names use only lowercase letters, digits, '.' and '-'",
                    ),
                };
                return Err(Error::Invalid(vec![crate::error::InvalidValue {
                    file: None,
                    line: None,
                    field: "--name".into(),
                    value: n.clone(),
                    rule: format!(
                        "the state {kind} would be {}, and {what}; did you mean --name {cleaned} ({kind} {})?",
                        store_name(a.backend, n),
                        store_name(a.backend, &cleaned)
                    ),
                }]));
            }
            Sourced::flag("--name", n.clone())
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
            let base = cwd
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Sourced::flag("--name (from the directory name)", clean_name(&base))
        }
    };
    use BackendKind::{Azurerm, Cloud, Consul, Gcs, S3};
    let given: [(&str, bool, &[BackendKind]); 8] = [
        ("--region", a.region.is_some(), &[S3]),
        ("--lock", a.lock.is_some(), &[S3]),
        ("--project", a.project.is_some(), &[Gcs, Cloud]),
        ("--organization", a.organization.is_some(), &[Cloud]),
        ("--hostname", a.hostname.is_some(), &[Cloud]),
        ("--location", a.location.is_some(), &[Gcs, Azurerm]),
        ("--address", a.address.is_some(), &[Consul]),
        ("--path-prefix", a.path_prefix.is_some(), &[Consul]),
    ];
    let wrong: Vec<&str> = given
        .iter()
        .filter(|(_, set, kinds)| *set && !kinds.contains(&a.backend))
        .map(|(f, _, _)| *f)
        .collect();

    if !wrong.is_empty() {
        return Err(Error::Usage(format!(
            "{} do not apply to the {} backend; pass --backend for the backend they belong to, or drop them",
            wrong.join(", "),
            a.backend.name()
        )));
    }
    let bucket = Sourced {
        value: store_name(a.backend, &name.value),
        ..name.clone()
    };
    let envs: Vec<crate::model::EnvInput> = a
        .envs
        .iter()
        .map(|e| crate::model::EnvInput::named(Sourced::flag("--env", e.clone())))
        .collect();
    let (store, state_text) = match a.backend {
        BackendKind::S3 => {
            let region = match &a.region {
                Some(r) => Sourced::flag("--region", r.clone()),
                None => match region_from_env() {
                    Some(r) => r,
                    None => {
                        return Err(Error::Usage(
                            "--region is required (or set AWS_REGION): the state bucket's region is written into every backend block".into(),
                        ))
                    }
                },
            };
            let lock = a.lock.unwrap_or_default();
            let mut text = String::from("[state]\n");
            text.push_str(&format!("bucket     = {}\n", toml_str(&bucket.value)));
            text.push_str(&format!("region     = {}\n", toml_str(&region.value)));
            text.push_str(&format!(
                "lock       = {}  # dynamodb | s3 (use_lockfile, Terraform >= 1.10) | both\n",
                toml_str(lock.as_str())
            ));
            text.push_str("encryption = \"kms\"       # kms (the module creates a key) | aes256\n");
            text.push_str("# lock_table    = \"<bucket>-lock\"\n");
            text.push_str(
                "# kms_key_arn   = \"arn:aws:kms:<region>:<account>:key/<id>\"  # use an existing key\n",
            );
            text.push_str("# bootstrap_dir = \"bootstrap\"\n");
            text.push_str("# tags          = { team = \"platform\" }\n");
            (
                crate::backend::StoreInput::S3(crate::backend::s3::StoreInput {
                    bucket: bucket.clone(),
                    region,
                    lock,
                    lock_table: None,
                    encryption: crate::backend::s3::Encryption::Kms,
                    encryption_field: "encryption".into(),
                    kms_key_arn: None,
                    tags: Vec::new(),
                    unmanaged: Vec::new(),
                }),
                text,
            )
        }
        BackendKind::Gcs => {
            let project = match &a.project {
                Some(p) => Sourced::flag("--project", p.clone()),
                None => match ["GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|p| !p.is_empty()))
                {
                    Some(p) => Sourced::flag("GOOGLE_CLOUD_PROJECT (environment)", p),
                    None => {
                        return Err(Error::Usage(
                            "--project is required with --backend gcs (or set GOOGLE_CLOUD_PROJECT): the Google Cloud project the bucket is created in".into(),
                        ))
                    }
                },
            };
            let Some(location) = a.location.clone() else {
                return Err(Error::Usage(
                    "--location is required with --backend gcs: a region (europe-west1), a dual-region (EUR4) or a multi-region (EU, US, ASIA)".into(),
                ));
            };
            let location = Sourced::flag("--location", location);
            let mut text = String::from("[state]\n");
            text.push_str("backend    = \"gcs\"\n");
            text.push_str(&format!("bucket     = {}\n", toml_str(&bucket.value)));
            text.push_str(&format!("project    = {}\n", toml_str(&project.value)));
            text.push_str(&format!(
                "location   = {}  # a region, a dual-region (EUR4) or EU | US | ASIA\n",
                toml_str(&location.value)
            ));
            text.push_str(
                "encryption = \"kms\"  # kms (the module creates a Cloud KMS key) | google\n",
            );
            text.push_str("# kms_key          = \"projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>\"  # use an existing key\n");
            text.push_str("# bootstrap_dir    = \"bootstrap\"\n");
            text.push_str("# bootstrap_prefix = \"bootstrap\"\n");
            text.push_str("# labels           = { team = \"platform\" }\n");
            (
                crate::backend::StoreInput::Gcs(crate::backend::gcs::StoreInput {
                    bucket: bucket.clone(),
                    project,
                    location,
                    encryption: crate::backend::gcs::Encryption::Kms,
                    encryption_field: "encryption".into(),
                    kms_key: None,
                    labels: Vec::new(),
                    unmanaged: Vec::new(),
                }),
                text,
            )
        }
        BackendKind::Azurerm => {
            let Some(location) = a.location.clone() else {
                return Err(Error::Usage(
                    "--location is required with --backend azurerm: the Azure region of the storage account (westeurope, eastus2, ...)".into(),
                ));
            };
            let location = Sourced::flag("--location", location);
            let mut text = String::from("[state]\n");
            text.push_str("backend         = \"azurerm\"\n");
            text.push_str(&format!("storage_account = {}\n", toml_str(&bucket.value)));
            text.push_str(&format!(
                "location        = {}\n",
                toml_str(&location.value)
            ));
            text.push_str(&format!(
                "# resource_group  = {}   # the default\n",
                toml_str(&format!("{}-rg", bucket.value))
            ));
            text.push_str("# container       = \"tfstate\"\n");
            text.push_str("# encryption      = \"microsoft\"   # microsoft | cmk (the module creates a Key Vault and key)\n");
            text.push_str("# subscription_id = \"00000000-0000-0000-0000-000000000000\"  # else ARM_SUBSCRIPTION_ID\n");
            text.push_str(
                "# allowed_ips     = [\"203.0.113.0/24\"]   # turns the storage firewall on\n",
            );
            text.push_str("# tags            = { team = \"platform\" }\n");
            (
                crate::backend::StoreInput::Azurerm(crate::backend::azurerm::StoreInput {
                    storage_account: bucket.clone(),
                    resource_group: None,
                    container: None,
                    location,
                    subscription_id: None,
                    encryption: Default::default(),
                    encryption_field: "encryption".into(),
                    key_vault_key_id: None,
                    key_vault_id: None,
                    allowed_ips: Vec::new(),
                    tags: Vec::new(),
                    replication: Default::default(),
                }),
                text,
            )
        }
        BackendKind::Consul => {
            let Some(address) = a.address.clone() else {
                return Err(Error::Usage(
                    "--address is required with --backend consul: the Consul agent or server, host:port (consul.example.com:8501)".into(),
                ));
            };
            let address = Sourced::flag("--address", address);
            let path_prefix = match &a.path_prefix {
                Some(p) => Sourced::flag("--path-prefix", p.clone()),
                None => Sourced {
                    value: bucket.value.clone(),
                    ..name.clone()
                },
            };
            let mut text = String::from("[state]\n");
            text.push_str("backend     = \"consul\"\n");
            text.push_str(&format!("address     = {}\n", toml_str(&address.value)));
            text.push_str(
                "scheme      = \"https\"  # https | http (only for an agent on this machine)\n",
            );
            text.push_str(&format!(
                "path_prefix = {}  # every state is kept under <path_prefix>/\n",
                toml_str(&path_prefix.value)
            ));
            text.push_str("# datacenter     = \"dc1\"              # default: the agent's\n");
            text.push_str("# gzip           = true\n");
            text.push_str("# bootstrap_dir  = \"bootstrap\"\n");
            text.push_str("# bootstrap_path = \"tfstate-bootstrap\"  # default: the bootstrap module's state stays local\n");
            text.push_str("# The token comes from CONSUL_HTTP_TOKEN where Terraform runs, never from a file.\n");
            (
                crate::backend::StoreInput::Consul(crate::backend::consul::StoreInput {
                    address,
                    scheme: Default::default(),
                    scheme_at: None,
                    path_prefix,
                    datacenter: None,
                    gzip: None,
                }),
                text,
            )
        }
        BackendKind::Cloud => {
            let Some(organization) = a.organization.clone() else {
                return Err(Error::Usage(
                    "--organization is required with --backend cloud: the HCP Terraform / Terraform Enterprise organization whose workspaces hold the state".into(),
                ));
            };
            let organization = Sourced::flag("--organization", organization);
            let hostname = a.hostname.clone().map(|h| Sourced::flag("--hostname", h));
            let project = a.project.clone().map(|p| Sourced::flag("--project", p));
            let mut text = String::from("[state]\n");
            text.push_str("backend           = \"cloud\"\n");
            text.push_str(&format!(
                "organization      = {}\n",
                toml_str(&organization.value)
            ));
            match &hostname {
                Some(h) => text.push_str(&format!("hostname          = {}\n", toml_str(&h.value))),
                None => text.push_str("# hostname          = \"tfe.example.com\"  # default: app.terraform.io (HCP Terraform)\n"),
            }
            match &project {
                Some(p) => text.push_str(&format!("project           = {}\n", toml_str(&p.value))),
                None => text.push_str("# project           = \"platform\"  # default: the organization's default project\n"),
            }
            text.push_str(&format!(
                "workspace_prefix  = {}  # workspaces are <workspace_prefix>-<env>\n",
                toml_str(&bucket.value)
            ));
            text.push_str("# execution_mode    = \"local\"   # default remote: CLI-driven runs execute on the platform\n");
            text.push_str(&format!(
                "# terraform_version = \"1.11.4\"  # default: {}\n",
                crate::backend::cloud::DEFAULT_TERRAFORM_VERSION
            ));
            text.push_str(
                "# team              = \"platform\"  # gets write access to every workspace\n",
            );
            text.push_str("# bootstrap_workspace = \"platform-bootstrap\"  # default: the bootstrap module's state stays local\n");
            text.push_str(
                "# The token comes from `terraform login` or TFE_TOKEN, never from a file.\n",
            );
            (
                crate::backend::StoreInput::Cloud(crate::backend::cloud::StoreInput {
                    organization,
                    hostname,
                    project,
                    workspace_prefix: Some(bucket.clone()),
                    execution_mode: Default::default(),
                    terraform_version: None,
                    team: None,
                    tfbackend_layout: None,
                }),
                text,
            )
        }
    };
    // Validate through the same model the config will go through.
    let input = ProjectInput {
        store,
        bootstrap_dir: None,
        bootstrap_key: None,
        envs,
        layout: Default::default(),
        discover: None,
    };
    input.build()?;
    // Editors with TOML schema support (taplo / Even Better TOML) read the directive on line 1.
    let schema_path = a
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from(SCHEMA_FILE), |p| p.join(SCHEMA_FILE));
    let schema = crate::config::json_schema();
    if let Ok(existing) = std::fs::read_to_string(&schema_path) {
        if existing != schema && !a.force {
            return Err(Error::Refused(vec![schema_path]));
        }
    }
    let mut text = format!("#:schema ./{SCHEMA_FILE}\n");
    text.push_str("# tfboot configuration: `tfboot generate` writes what this file describes.\n");
    text.push_str(&state_text);
    for e in &a.envs {
        text.push_str(&format!("\n[[env]]\nname = {}\n", toml_str(e)));
    }
    crate::write::atomic_write(&schema_path, schema.as_bytes())?;
    crate::write::atomic_write(&a.config, text.as_bytes())?;
    if ui.quiet {
        return Ok(0);
    }
    writeln!(out, "wrote {}", a.config.display()).map_err(|e| Error::io("stdout", e))?;
    writeln!(
        out,
        "wrote {} (editor completion and validation)",
        schema_path.display()
    )
    .map_err(|e| Error::io("stdout", e))?;
    let generate = if a.config == Path::new(DEFAULT_FILE) {
        "tfboot generate".to_string()
    } else {
        format!(
            "tfboot generate --config {}",
            shell_quote(&a.config.to_string_lossy())
        )
    };
    writeln!(
        out,
        "next: {generate}   (writes the bootstrap module to {DEFAULT_BOOTSTRAP_DIR}/)"
    )
    .map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

/// A project name as bucket names allow it: lowercase, every other character a `-`, no `-` at
/// either end or twice in a row (`Acme_Corp` → `acme-corp`).
fn clean_name(n: &str) -> String {
    let mapped: String = n
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    mapped
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The state store `init` names after the project: the bucket `<name>-tfstate`, or for azurerm the
/// storage account `<name>tfstate` (account names take no `-`).
fn store_name(backend: BackendKind, name: &str) -> String {
    match backend {
        BackendKind::Azurerm => format!("{}tfstate", name.replace('-', "")),
        BackendKind::Consul => format!("tfstate/{name}"),
        BackendKind::Cloud => name.to_string(),
        _ => format!("{name}-tfstate"),
    }
}
