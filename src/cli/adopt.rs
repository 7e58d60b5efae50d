//! `tfboot adopt`: take over a state store made by hand. Reads the bucket, its settings, the lock
//! table and the KMS key; writes the bootstrap module with `import` blocks for what exists; says
//! what the first apply changes and what it keeps as found; `--apply` runs the bootstrap flow.

use super::*;
use crate::backend::s3::{Encryption, StoreEncryption, Unmanaged};
use crate::live::adopt::gcs::FoundGcs;
use crate::live::adopt::{self, FoundS3, FoundSse};
use crate::live::targets::{GcsTarget, S3Target};

#[derive(Debug, Args)]
#[command(
    group = clap::ArgGroup::new("store").args(["bucket", "storage_account"]),
    after_help = "Examples:\n  tfboot adopt --bucket acme-tfstate --region eu-west-1 --lock-table terraform-locks\n  tfboot adopt --backend gcs --bucket acme-tfstate --project acme-infra\n  tfboot adopt --backend azurerm --storage-account acmetfstate --resource-group acme-tfstate-rg --location westeurope\n  tfboot adopt --apply        # the store tfboot.toml names\nExit codes: 0 written (and applied), 1 a terraform step failed, 2 usage, a store that cannot be adopted, or tfboot.toml disagreeing with what must be kept"
)]
pub struct AdoptArgs {
    /// Backend of the store [default: s3; gcs with --project; azurerm with --storage-account].
    #[arg(long, value_enum, requires = "store")]
    pub backend: Option<BackendKind>,
    /// The existing state bucket (s3, gcs). Without it (or --storage-account), the store
    /// tfboot.toml names (see --config).
    #[arg(long)]
    pub bucket: Option<String>,
    /// s3: its region [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long, requires = "store")]
    pub region: Option<String>,
    /// gcs: the project ID the bucket is in [default: GOOGLE_CLOUD_PROJECT, else
    /// CLOUDSDK_CORE_PROJECT].
    #[arg(long, requires = "store")]
    pub project: Option<String>,
    /// gcs: the bucket's location [default: the one the bucket reports]. azurerm: the account's
    /// Azure region (required: the data plane does not report it).
    #[arg(long, requires = "store")]
    pub location: Option<String>,
    /// gcs: a label for the module's resources, KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE", requires = "store")]
    pub labels: Vec<String>,
    /// azurerm: the existing storage account that holds the state.
    #[arg(long)]
    pub storage_account: Option<String>,
    /// azurerm: its resource group [default: <storage-account>-rg].
    #[arg(long, requires = "store")]
    pub resource_group: Option<String>,
    /// azurerm: the blob container of the state [default: tfstate].
    #[arg(long, requires = "store")]
    pub container: Option<String>,
    /// azurerm: the subscription the account is in [default: ARM_SUBSCRIPTION_ID]; the import
    /// IDs name it.
    #[arg(long, requires = "store")]
    pub subscription_id: Option<String>,
    /// s3: the existing DynamoDB lock table [default: <bucket>-lock when it exists, else none].
    #[arg(long, requires = "store")]
    pub lock_table: Option<String>,
    /// s3: the lock the module sets up [default: dynamodb when a lock table exists, else s3].
    #[arg(long, value_enum, requires = "store")]
    pub lock: Option<LockMode>,
    /// s3, azurerm: a tag for every resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", requires = "store")]
    pub tags: Vec<String>,
    /// s3, azurerm: state key of the module itself [default: bootstrap/terraform.tfstate].
    #[arg(long, requires = "store")]
    pub key: Option<String>,
    /// gcs: state prefix of the module itself [default: bootstrap].
    #[arg(long, requires = "store")]
    pub prefix: Option<String>,
    /// Directory to write the module to [default: bootstrap].
    #[arg(long, requires = "store")]
    pub out: Option<PathBuf>,
    /// Config file [default: tfboot.toml here or in a parent directory].
    #[arg(long, conflicts_with = "store")]
    pub config: Option<PathBuf>,
    /// Use tfboot's defaults for what would otherwise be kept as found (a KMS key of the
    /// bucket's, its own policy and lifecycle rules, gcs: Google-managed keys): the first
    /// apply replaces them.
    #[arg(long)]
    pub defaults: bool,
    /// Overwrite files tfboot did not generate, or that were edited since.
    #[arg(long)]
    pub force: bool,
    /// Run terraform: init, plan with the imports, apply, move the module's state into the bucket.
    #[arg(long)]
    pub apply: bool,
    #[arg(long, requires = "apply")]
    pub auto_approve: bool,
    /// Partial backend configuration for the remote backend's `init` (with --apply).
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub backend_config: Option<PathBuf>,
    #[arg(
        long,
        env = "TFBOOT_TERRAFORM",
        default_value = "terraform",
        value_name = "BIN"
    )]
    pub terraform: String,
}

fn w(out: &mut dyn Write, s: impl AsRef<str>) -> Result<()> {
    writeln!(out, "{}", s.as_ref()).map_err(|e| Error::io("stdout", e))
}

/// The table a store names must be able to hold Terraform's locks.
fn check_table(found: &FoundS3, flag: &str) -> Result<()> {
    if let Some(t) = &found.table {
        if !t.lock_key {
            return Err(Error::Usage(format!(
                "the DynamoDB table {} ({flag}) cannot be a lock table: its key is {}, and Terraform reads and writes items keyed LockID (string) alone. Name another table, or use the S3 lockfile (lock = \"s3\")",
                t.name, t.key_desc
            )));
        }
    }
    Ok(())
}

/// The bucket's region must be the one the backends will name.
fn check_region(found: &FoundS3, region: &str, field: &str) -> Result<()> {
    match &found.region {
        Some(r) if r != region => Err(Error::Usage(format!(
            "{field} is {region}, but the bucket is in {r}: every backend block names the bucket's region"
        ))),
        _ => Ok(()),
    }
}

/// The key the bucket encrypts with, when it is a customer-managed key other than the one the
/// module would create.
fn own_key(found: &FoundS3) -> Option<String> {
    match &found.encryption {
        Some(FoundSse::Kms { key: Some(k), arn }) => {
            let arn = arn.clone().unwrap_or_else(|| k.clone());
            let modules = found.alias_key.as_ref().is_some_and(|(_, a)| *a == arn);
            (!modules).then_some(arn)
        }
        _ => None,
    }
}

/// What adopting one store comes to: the module to write and what its first apply does.
struct Adopting {
    /// The store in one word: `s3://acme-tfstate`.
    what: String,
    /// The directory paths in the project are relative to.
    root: PathBuf,
    project: Project,
    adoption: adopt::Adoption,
    /// The command the module's README shows.
    apply_command: String,
    /// The command to run next (adopt with --apply).
    next_command: String,
    templates: crate::templates::Templates,
    /// The `[state]` lines of a tfboot.toml for this module (from flags only).
    section: Vec<String>,
}

pub(super) fn cmd_adopt(
    a: &AdoptArgs,
    ui: Ui,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let from_flags = a.bucket.is_some() || a.storage_account.is_some();
    let ad = if from_flags {
        let backend = a.backend.unwrap_or(if a.storage_account.is_some() {
            BackendKind::Azurerm
        } else if a.project.is_some() {
            BackendKind::Gcs
        } else {
            BackendKind::S3
        });
        flags_belong_to(a, backend)?;
        match backend {
            BackendKind::S3 => s3_from_flags(a)?,
            BackendKind::Gcs => gcs_from_flags(a)?,
            BackendKind::Azurerm => azurerm_from_flags(a)?,
            other => return Err(nothing_to_adopt(other.name())),
        }
    } else {
        from_config(a)?
    };
    let Adopting {
        what,
        root,
        project,
        adoption,
        apply_command,
        next_command,
        templates,
        section,
    } = ad;
    let dir = project.bootstrap.dir.clone();
    let mut imports = format!(
        "# Resources that existed before this module: its first apply takes them over instead of\n# failing to create them (Terraform >= 1.5). {} once applied they change\n# nothing, and the file can be deleted.\n",
        crate::generate::ADOPT_IMPORTS_MARK
    );
    for (to, id) in &adoption.imports {
        imports.push_str(&format!(
            "\nimport {{\n  to = {to}\n  id = {}\n}}\n",
            crate::render::quote_hcl(id)
        ));
    }
    let imports = crate::hclfmt::format(&imports).map_err(|e| Error::Template {
        template: "imports.tf".into(),
        message: e.to_string(),
    })?;
    crate::render::check_hcl("imports.tf", &imports)?;
    let extra = vec![crate::render::RenderedFile {
        path: dir.join("imports.tf"),
        kind: crate::render::FileKind::Hcl,
        body: imports,
        transient: false,
    }];
    let generation = crate::generate::plan_bootstrap_with(
        &root,
        &project,
        &apply_command,
        a.force,
        &templates,
        extra,
    )?;

    w(
        out,
        format!(
            "adopting {what} ({}): {} existing resource(s) imported",
            project.store.place(),
            adoption.imports.len()
        ),
    )?;
    for (to, id) in &adoption.imports {
        w(out, format!("  import  {to}  (id {id})"))?;
    }
    for k in &adoption.kept {
        w(out, format!("  kept    {k}"))?;
    }
    if adoption.changes.is_empty() {
        w(out, "  the first apply changes no setting of the store")?;
    } else {
        w(out, "the first apply changes:")?;
        for c in &adoption.changes {
            w(out, format!("  change  {c}"))?;
        }
    }
    for n in &adoption.notes {
        w(out, format!("  note    {n}"))?;
    }
    execute_and_report(&generation.plan, ui, out)?;
    if !section.is_empty() && !ui.quiet {
        w(
            out,
            "to keep generating it from a tfboot.toml, its [state] section is:",
        )?;
        for line in &section {
            w(out, format!("  {line}"))?;
        }
    }
    let module_dir = root.join(&dir);
    if !a.apply {
        if !ui.quiet {
            w(
                out,
                "next, review the imports and changes with a plan, then apply:",
            )?;
            w(out, format!("  {next_command}"))?;
        }
        return Ok(0);
    }
    let _ = out.flush();
    super::bootstrap::apply_module(
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

fn nothing_to_adopt(backend: &str) -> Error {
    Error::Usage(nothing_to_adopt_because(backend))
}

fn nothing_to_adopt_because(backend: &str) -> String {
    format!(
        "adopt takes over s3, gcs and azurerm stores; a {backend} store has no bucket or account to import (`tfboot bootstrap --backend {backend}` writes its module)"
    )
}

/// Flags of another backend than the one adopted: exit 2 naming them.
fn flags_belong_to(a: &AdoptArgs, backend: BackendKind) -> Result<()> {
    use BackendKind::{Azurerm, Gcs, S3};
    let given: [(bool, &str, &[BackendKind]); 14] = [
        (a.bucket.is_some(), "--bucket", &[S3, Gcs]),
        (a.region.is_some(), "--region", &[S3]),
        (a.lock_table.is_some(), "--lock-table", &[S3]),
        (a.lock.is_some(), "--lock", &[S3]),
        (!a.tags.is_empty(), "--tag", &[S3, Azurerm]),
        (a.key.is_some(), "--key", &[S3, Azurerm]),
        (a.project.is_some(), "--project", &[Gcs]),
        (a.location.is_some(), "--location", &[Gcs, Azurerm]),
        (!a.labels.is_empty(), "--label", &[Gcs]),
        (a.prefix.is_some(), "--prefix", &[Gcs]),
        (a.storage_account.is_some(), "--storage-account", &[Azurerm]),
        (a.resource_group.is_some(), "--resource-group", &[Azurerm]),
        (a.container.is_some(), "--container", &[Azurerm]),
        (a.subscription_id.is_some(), "--subscription-id", &[Azurerm]),
    ];
    for (is_given, flag, backends) in given {
        if is_given && !backends.contains(&backend) {
            let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
            return Err(Error::Usage(format!(
                "{flag} is for {} stores, and this adopts a {} store",
                names.join(" and "),
                backend.name()
            )));
        }
    }
    Ok(())
}

/// The `[state]` lines of a tfboot.toml that describes the adopted module.
fn state_section(store: &crate::backend::s3::Store, project: &Project) -> Vec<String> {
    let mut lines = vec![
        "[state]".to_string(),
        format!("bucket = {}", toml_str(&store.bucket)),
        format!("region = {}", toml_str(&store.region)),
        format!("lock = {}", toml_str(store.lock.mode.as_str())),
    ];
    if let Some(t) = &store.lock.table {
        lines.push(format!("lock_table = {}", toml_str(t)));
    }
    match &store.encryption {
        StoreEncryption::Aes256 => lines.push("encryption = \"aes256\"".into()),
        StoreEncryption::ExistingKey { arn } => {
            lines.push(format!("kms_key_arn = {}", toml_str(arn)))
        }
        StoreEncryption::CreatedKey { .. } => {}
    }
    section_tail(
        &mut lines,
        project,
        ("bootstrap_key", crate::model::DEFAULT_BOOTSTRAP_KEY),
        store.unmanaged.iter().map(|u| u.as_str()),
        ("tags", &store.tags),
    );
    lines
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_str(k)
    }
}

fn s3_from_flags(a: &AdoptArgs) -> Result<Adopting> {
    let bucket = a.bucket.as_deref().unwrap_or_default();
    let region = match &a.region {
        Some(r) => Sourced::flag("--region", r.clone()),
        None => region_from_env().ok_or_else(|| {
            Error::Usage("--region is required with --bucket (or set AWS_REGION)".into())
        })?,
    };
    // Settings are checked before anything is read.
    let mut errors = Vec::new();
    Sourced::flag("--bucket", bucket).check(&mut errors, crate::backend::s3::validate::bucket_name);
    region.check(&mut errors, crate::backend::s3::validate::region);
    if let Some(t) = &a.lock_table {
        Sourced::flag("--lock-table", t.clone())
            .check(&mut errors, crate::backend::s3::validate::table_name);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let table = a
        .lock_table
        .clone()
        .unwrap_or_else(|| format!("{bucket}-lock"));
    let target = S3Target {
        bucket: bucket.to_string(),
        region: region.value.clone(),
        ..S3Target::default()
    };
    let alias = crate::backend::s3::kms_alias_for(bucket);
    let found = adopt::read(
        &target,
        &alias,
        (a.lock != Some(LockMode::S3)).then_some(table.as_str()),
    )?;
    check_region(&found, &region.value, "--region")?;
    check_table(
        &found,
        if a.lock_table.is_some() {
            "--lock-table"
        } else {
            "the default <bucket>-lock"
        },
    )?;
    let lock = a
        .lock
        .unwrap_or(if found.table.is_some() || a.lock_table.is_some() {
            LockMode::Dynamodb
        } else {
            LockMode::S3
        });
    let (encryption, kms_key_arn) = match (&found.encryption, own_key(&found)) {
        _ if a.defaults => (Encryption::Kms, None),
        (_, Some(arn)) => (
            Encryption::Kms,
            Some(Sourced::flag("the bucket's KMS key", arn)),
        ),
        (Some(FoundSse::Aes256), None) => (Encryption::Aes256, None),
        _ => (Encryption::Kms, None),
    };
    let mut unmanaged = Vec::new();
    if !a.defaults {
        if found.policy.is_some() && !found.policy_is_tls_only() {
            unmanaged.push(Unmanaged::BucketPolicy);
        }
        let tfboot_rule = found
            .lifecycle
            .as_ref()
            .is_some_and(|ids| ids.iter().all(|i| i == "expire-noncurrent-versions"));
        if found.lifecycle.is_some() && !tfboot_rule {
            unmanaged.push(Unmanaged::Lifecycle);
        }
    }
    let project = flags_project(
        a,
        crate::backend::StoreInput::S3(crate::backend::s3::StoreInput {
            bucket: Sourced::flag("--bucket", bucket),
            region,
            lock,
            lock_table: lock
                .uses_table()
                .then(|| Sourced::flag("--lock-table", table.clone())),
            encryption,
            encryption_field: "--defaults".into(),
            kms_key_arn,
            tags: super::bootstrap::parse_tags(&a.tags)?,
            unmanaged,
        }),
        a.key.clone().map(|k| Sourced::flag("--key", k)),
    )?;
    let mut cmd = format!(
        "tfboot adopt --bucket {} --region {}",
        shell_quote(bucket),
        shell_quote(project.store.place())
    );
    if let Some(t) = &a.lock_table {
        cmd.push_str(&format!(" --lock-table {}", shell_quote(t)));
    }
    if let Some(l) = a.lock {
        cmd.push_str(&format!(" --lock {}", l.as_str()));
    }
    if let Some(k) = &a.key {
        cmd.push_str(&format!(" --key {}", shell_quote(k)));
    }
    for t in &a.tags {
        cmd.push_str(&format!(" --tag {}", shell_quote(t)));
    }
    finish_command(a, &mut cmd);
    let crate::backend::Store::S3(store) = &project.store else {
        return Err(nothing_to_adopt(project.store.kind().name()));
    };
    let adoption = adopt::plan(store, &found);
    let section = state_section(store, &project);
    Ok(Adopting {
        what: format!("s3://{bucket}"),
        root: PathBuf::new(),
        project,
        adoption,
        apply_command: cmd.clone(),
        next_command: cmd,
        templates: load_templates(None, None)?,
        section,
    })
}

fn from_config(a: &AdoptArgs) -> Result<Adopting> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let store = match &project.store {
        crate::backend::Store::S3(store) => store,
        crate::backend::Store::Gcs(_) => return gcs_from_config(a, &config, &cfg, project),
        crate::backend::Store::Azurerm(_) => return azurerm_from_config(&config, &cfg, project),
        other => {
            return Err(Error::Usage(format!(
                "{}: state.backend = {:?}: {}",
                config.display(),
                other.kind().name(),
                nothing_to_adopt_because(other.kind().name())
            )))
        }
    };
    let target = S3Target {
        bucket: store.bucket.clone(),
        region: store.region.clone(),
        ..S3Target::default()
    };
    let alias = crate::backend::s3::kms_alias_for(&store.bucket);
    let found = adopt::read(&target, &alias, store.lock.table.as_deref())?;
    let at = config.display();
    check_region(&found, &store.region, &format!("{at}: state.region"))?;
    check_table(&found, &format!("{at}: state.lock_table"))?;
    // What must not change silently: tfboot.toml has to say so, or --defaults.
    let mut keep = Vec::new();
    if !a.defaults {
        if let Some(arn) = own_key(&found) {
            let same =
                matches!(&store.encryption, StoreEncryption::ExistingKey { arn: k } if *k == arn);
            if !same {
                keep.push(format!(
                    "the bucket encrypts with the KMS key {arn}: to keep it, set kms_key_arn = {} in [state]",
                    toml_str(&arn)
                ));
            }
        }
        let tfboot_rule = found
            .lifecycle
            .as_ref()
            .is_some_and(|ids| ids.iter().all(|i| i == "expire-noncurrent-versions"));
        if found.lifecycle.is_some() && !tfboot_rule && store.manages(Unmanaged::Lifecycle) {
            keep.push(format!(
                "the bucket has lifecycle rules of its own ({}): to keep them, add \"lifecycle\" to unmanaged in [state]",
                found.lifecycle.clone().unwrap_or_default().join(", ")
            ));
        }
        if found.policy.is_some()
            && !found.policy_is_tls_only()
            && store.manages(Unmanaged::BucketPolicy)
        {
            keep.push("the bucket has a policy of its own: to keep it, add \"bucket_policy\" to unmanaged in [state]".into());
        }
    }
    refuse_to_replace(&at.to_string(), &keep, true)?;
    let templates = load_templates(None, Some(&cfg))?;
    let adoption = adopt::plan(store, &found);
    Ok(Adopting {
        what: format!("s3://{}", store.bucket),
        root: cfg.base_dir(),
        project,
        adoption,
        // The README says what `generate` writes there: both run the same flow, imports
        // included.
        apply_command: README_APPLY_COMMAND.into(),
        next_command: config_apply_command(&config).replace("bootstrap --apply", "adopt --apply"),
        templates,
        section: Vec::new(),
    })
}

/// The location the module names for a gcs bucket: the one given, which must be the bucket's
/// (a bucket cannot move), else the one the bucket reports.
fn gcs_location(found: &FoundGcs, given: Option<&str>, field: &str) -> Result<String> {
    match (given, found.location.as_deref()) {
        (Some(g), Some(f)) if !g.eq_ignore_ascii_case(f) => Err(Error::Usage(format!(
            "{field} is {g}, but the bucket is in {f}: a bucket's location cannot change, and the module must name it"
        ))),
        (Some(g), _) => Ok(g.to_string()),
        (None, Some(f)) => {
            let lower = f.to_ascii_lowercase();
            let region = crate::backend::gcs::validate::location_kind(&lower)
                == Some(crate::backend::gcs::validate::LocationKind::Region);
            Ok(if region { lower } else { f.to_string() })
        }
        (None, None) => Err(Error::Usage(
            "the bucket's metadata names no location: pass --location".into(),
        )),
    }
}

fn gcs_from_flags(a: &AdoptArgs) -> Result<Adopting> {
    use crate::backend::gcs::{validate, Encryption, Unmanaged};
    let Some(bucket) = a.bucket.as_deref() else {
        return Err(Error::Usage(
            "--bucket names the Cloud Storage bucket to adopt".into(),
        ));
    };
    let project = match &a.project {
        Some(p) => Sourced::flag("--project", p.clone()),
        None => super::bootstrap::project_from_env().ok_or_else(|| {
            Error::Usage("--project is required with --backend gcs (or set GOOGLE_CLOUD_PROJECT): the import IDs name it, and the bucket's metadata gives only the project's number".into())
        })?,
    };
    let mut errors = Vec::new();
    Sourced::flag("--bucket", bucket).check(&mut errors, validate::bucket_name);
    project.check(&mut errors, validate::project_id);
    if let Some(l) = &a.location {
        Sourced::flag("--location", l.clone()).check(&mut errors, validate::location);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let found = adopt::gcs::read(&GcsTarget::new(bucket.to_string(), None, None))?;
    let location = gcs_location(&found, a.location.as_deref(), "--location")?;
    let created = crate::backend::gcs::created_key_name(&project.value, bucket, &location);
    let (encryption, kms_key) = match &found.default_kms_key {
        _ if a.defaults => (Encryption::Kms, None),
        Some(k) if *k == created => (Encryption::Kms, None),
        Some(k) => (
            Encryption::Kms,
            Some(Sourced::flag("the bucket's default key", k.clone())),
        ),
        None => (Encryption::Google, None),
    };
    let unmanaged = if !a.defaults && !found.own_lifecycle().is_empty() {
        vec![Unmanaged::Lifecycle]
    } else {
        Vec::new()
    };
    let project = flags_project(
        a,
        crate::backend::StoreInput::Gcs(crate::backend::gcs::StoreInput {
            bucket: Sourced::flag("--bucket", bucket),
            project,
            location: Sourced::flag("--location", location),
            encryption,
            encryption_field: "--defaults".into(),
            kms_key,
            labels: super::bootstrap::parse_pairs("--label", &a.labels)?,
            unmanaged,
        }),
        a.prefix.clone().map(|p| Sourced::flag("--prefix", p)),
    )?;
    let crate::backend::Store::Gcs(store) = &project.store else {
        return Err(nothing_to_adopt(project.store.kind().name()));
    };
    let mut cmd = format!(
        "tfboot adopt --backend gcs --bucket {} --project {} --location {}",
        shell_quote(bucket),
        shell_quote(&store.project),
        shell_quote(&store.location)
    );
    if let Some(p) = &a.prefix {
        cmd.push_str(&format!(" --prefix {}", shell_quote(p)));
    }
    for l in &a.labels {
        cmd.push_str(&format!(" --label {}", shell_quote(l)));
    }
    finish_command(a, &mut cmd);
    let mut section = vec![
        "[state]".to_string(),
        "backend = \"gcs\"".into(),
        format!("bucket = {}", toml_str(&store.bucket)),
        format!("project = {}", toml_str(&store.project)),
        format!("location = {}", toml_str(&store.location)),
    ];
    match &store.encryption {
        crate::backend::gcs::StoreEncryption::Google => {
            section.push("encryption = \"google\"".into())
        }
        crate::backend::gcs::StoreEncryption::ExistingKey { name } => {
            section.push(format!("kms_key = {}", toml_str(name)))
        }
        crate::backend::gcs::StoreEncryption::CreatedKey { .. } => {}
    }
    section_tail(
        &mut section,
        &project,
        (
            "bootstrap_prefix",
            crate::backend::gcs::DEFAULT_BOOTSTRAP_PREFIX,
        ),
        store.unmanaged.iter().map(|u| u.as_str()),
        ("labels", &store.labels),
    );
    let adoption = adopt::gcs::plan(store, &found);
    Ok(Adopting {
        what: format!("gs://{bucket}"),
        root: PathBuf::new(),
        project,
        adoption,
        apply_command: cmd.clone(),
        next_command: cmd,
        templates: load_templates(None, None)?,
        section,
    })
}

fn gcs_from_config(
    a: &AdoptArgs,
    config: &Path,
    cfg: &LoadedConfig,
    project: Project,
) -> Result<Adopting> {
    use crate::backend::gcs::{StoreEncryption, Unmanaged};
    let crate::backend::Store::Gcs(store) = &project.store else {
        return Err(nothing_to_adopt(project.store.kind().name()));
    };
    let at = config.display();
    let found = adopt::gcs::read(&GcsTarget::new(store.bucket.clone(), None, None))?;
    gcs_location(
        &found,
        Some(&store.location),
        &format!("{at}: state.location"),
    )?;
    let mut keep = Vec::new();
    if !a.defaults {
        if let Some(k) = &found.default_kms_key {
            let created = crate::backend::gcs::created_key_name(
                &store.project,
                &store.bucket,
                &store.location,
            );
            let same = *k == created
                || matches!(&store.encryption, StoreEncryption::ExistingKey { name } if name == k);
            if !same {
                keep.push(format!(
                    "the bucket's default key is {k}: to keep it, set kms_key = {} in [state]",
                    toml_str(k)
                ));
            }
        }
        let own = found.own_lifecycle();
        if !own.is_empty() && store.manages(Unmanaged::Lifecycle) {
            keep.push(format!(
                "the bucket has lifecycle rules of its own ({}): to keep them, set unmanaged = [\"lifecycle\"] in [state]",
                own.join("; ")
            ));
        }
    }
    refuse_to_replace(&at.to_string(), &keep, true)?;
    let adoption = adopt::gcs::plan(store, &found);
    Ok(Adopting {
        what: format!("gs://{}", store.bucket),
        root: cfg.base_dir(),
        adoption,
        apply_command: README_APPLY_COMMAND.into(),
        next_command: config_apply_command(config).replace("bootstrap --apply", "adopt --apply"),
        templates: load_templates(None, Some(cfg))?,
        section: Vec::new(),
        project,
    })
}

/// What tfboot.toml would replace that the store must keep: exit 2, nothing written.
/// `defaults`: whether `--defaults` may replace them instead.
fn refuse_to_replace(at: &str, keep: &[String], defaults: bool) -> Result<()> {
    if keep.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{at} would replace what the store has and must keep; nothing was written:\n  {}{}",
        keep.join("\n  "),
        if defaults {
            "\n(or pass --defaults to replace them with tfboot's settings)"
        } else {
            ""
        }
    )))
}

/// The module a flags adoption writes: the store, the module's own state address, and `--out`
/// instead of `bootstrap/`.
fn flags_project(
    a: &AdoptArgs,
    store: crate::backend::StoreInput,
    bootstrap_key: Option<Sourced>,
) -> Result<Project> {
    let mut project = ProjectInput {
        store,
        bootstrap_dir: None,
        bootstrap_key,
        envs: Vec::new(),
        layout: Default::default(),
        discover: None,
    }
    .build()?;
    if let Some(dir) = &a.out {
        if dir.as_os_str().is_empty() {
            return Err(Error::Usage("--out must name a directory".into()));
        }
        project.bootstrap.dir = dir.clone();
    }
    Ok(project)
}

/// The flags every backend's rerun command carries.
fn finish_command(a: &AdoptArgs, cmd: &mut String) {
    if let Some(d) = &a.out {
        cmd.push_str(&format!(" --out {}", shell_quote(&d.to_string_lossy())));
    }
    if a.defaults {
        cmd.push_str(" --defaults");
    }
    cmd.push_str(" --apply");
}

/// The lines every backend's `[state]` section ends with, where they are not the defaults: the
/// module's own state address (`(field, default)`), `bootstrap_dir`, `unmanaged`, and the
/// tags or labels (`(field, map)`).
fn section_tail<'a>(
    section: &mut Vec<String>,
    project: &Project,
    (key_field, default_key): (&str, &str),
    unmanaged: impl Iterator<Item = &'a str>,
    (map_field, map): (&str, &std::collections::BTreeMap<String, String>),
) {
    if project.bootstrap.key != default_key {
        section.push(format!(
            "{key_field} = {}",
            toml_str(&project.bootstrap.key)
        ));
    }
    let dir = dir_display(&project.bootstrap.dir);
    if dir != DEFAULT_BOOTSTRAP_DIR {
        section.push(format!("bootstrap_dir = {}", toml_str(&dir)));
    }
    let list: Vec<String> = unmanaged.map(toml_str).collect();
    if !list.is_empty() {
        section.push(format!("unmanaged = [{}]", list.join(", ")));
    }
    if !map.is_empty() {
        let items: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{} = {}", toml_key(k), toml_str(v)))
            .collect();
        section.push(format!("{map_field} = {{ {} }}", items.join(", ")));
    }
}

/// The subscription the import IDs name: the store's, else ARM_SUBSCRIPTION_ID.
fn azurerm_subscription(store: &crate::backend::azurerm::Store, field: &str) -> Result<String> {
    store
        .subscription_id
        .clone()
        .or_else(|| {
            std::env::var("ARM_SUBSCRIPTION_ID")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .ok_or_else(|| {
            Error::Usage(format!(
                "the import IDs of an azurerm store name its subscription: set {field} or ARM_SUBSCRIPTION_ID"
            ))
        })
}

/// Read an azurerm store and refuse what cannot be taken over.
fn azurerm_read(store: &crate::backend::azurerm::Store) -> Result<adopt::azurerm::FoundAzure> {
    let found = adopt::azurerm::read(&crate::live::targets::AzureTarget::of_store(store))?;
    if let Some(why) = adopt::azurerm::cannot_adopt(&found, &store.storage_account) {
        return Err(Error::Usage(format!("{why}; nothing was written")));
    }
    Ok(found)
}

fn azurerm_from_flags(a: &AdoptArgs) -> Result<Adopting> {
    use crate::backend::azurerm::{Encryption, StoreInput};
    let Some(account) = a.storage_account.as_deref() else {
        return Err(Error::Usage(
            "--storage-account names the storage account to adopt".into(),
        ));
    };
    let Some(location) = a.location.clone() else {
        return Err(Error::Usage("--location is required with --backend azurerm: the account's Azure region (westeurope, eastus2, ...), which the blob API does not report".into()));
    };
    let mut input = StoreInput {
        storage_account: Sourced::flag("--storage-account", account),
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
        encryption: Encryption::Microsoft,
        encryption_field: "--defaults".into(),
        key_vault_key_id: None,
        key_vault_id: None,
        allowed_ips: Vec::new(),
        tags: super::bootstrap::parse_tags(&a.tags)?,
        replication: Default::default(),
    };
    // Names are checked before anything is read.
    let mut errors = Vec::new();
    let probe = input.build(&mut errors);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let subscription = azurerm_subscription(&probe, "--subscription-id")?;
    let found = azurerm_read(&probe)?;
    // The account keeps the replication it has: Azure changes it to or from zone redundancy
    // only through a migration request.
    if let Some(r) = found.replication() {
        input.replication = r;
    }
    let project = flags_project(
        a,
        crate::backend::StoreInput::Azurerm(input),
        a.key.clone().map(|k| Sourced::flag("--key", k)),
    )?;
    let crate::backend::Store::Azurerm(store) = &project.store else {
        return Err(nothing_to_adopt(project.store.kind().name()));
    };
    let mut cmd = format!(
        "tfboot adopt --backend azurerm --storage-account {} --resource-group {} --location {}",
        shell_quote(account),
        shell_quote(&store.resource_group),
        shell_quote(&store.location)
    );
    if let Some(c) = &a.container {
        cmd.push_str(&format!(" --container {}", shell_quote(c)));
    }
    if let Some(s) = &a.subscription_id {
        cmd.push_str(&format!(" --subscription-id {}", shell_quote(s)));
    }
    if let Some(k) = &a.key {
        cmd.push_str(&format!(" --key {}", shell_quote(k)));
    }
    for t in &a.tags {
        cmd.push_str(&format!(" --tag {}", shell_quote(t)));
    }
    finish_command(a, &mut cmd);
    let mut section = vec![
        "[state]".to_string(),
        "backend = \"azurerm\"".into(),
        format!("storage_account = {}", toml_str(&store.storage_account)),
        format!("resource_group = {}", toml_str(&store.resource_group)),
        format!("location = {}", toml_str(&store.location)),
    ];
    if store.container != crate::backend::azurerm::DEFAULT_CONTAINER {
        section.push(format!("container = {}", toml_str(&store.container)));
    }
    if let Some(s) = &store.subscription_id {
        section.push(format!("subscription_id = {}", toml_str(s)));
    }
    if store.replication != crate::backend::azurerm::Replication::default() {
        section.push(format!(
            "replication = {}",
            toml_str(store.replication.as_str())
        ));
    }
    section_tail(
        &mut section,
        &project,
        (
            "bootstrap_key",
            crate::backend::azurerm::DEFAULT_BOOTSTRAP_KEY,
        ),
        std::iter::empty(),
        ("tags", &store.tags),
    );
    let adoption = adopt::azurerm::plan(store, &found, &subscription);
    Ok(Adopting {
        what: format!("azurerm://{}/{}", store.storage_account, store.container),
        root: PathBuf::new(),
        project,
        adoption,
        apply_command: cmd.clone(),
        next_command: cmd,
        templates: load_templates(None, None)?,
        section,
    })
}

fn azurerm_from_config(config: &Path, cfg: &LoadedConfig, project: Project) -> Result<Adopting> {
    let crate::backend::Store::Azurerm(store) = &project.store else {
        return Err(nothing_to_adopt(project.store.kind().name()));
    };
    let at = config.display();
    let subscription = azurerm_subscription(store, &format!("{at}: state.subscription_id"))?;
    let found = azurerm_read(store)?;
    let mut keep = Vec::new();
    if let Some(r) = found.replication() {
        if r != store.replication {
            keep.push(format!(
                "the account replicates {}, and tfboot.toml says {}: to keep it, set replication = {} in [state] (Azure changes replication to or from zone redundancy only through a migration request)",
                r.as_str(),
                store.replication.as_str(),
                toml_str(r.as_str())
            ));
        }
    }
    // --defaults cannot change replication: that is a migration request, not an apply.
    refuse_to_replace(&at.to_string(), &keep, false)?;
    let adoption = adopt::azurerm::plan(store, &found, &subscription);
    Ok(Adopting {
        what: format!("azurerm://{}/{}", store.storage_account, store.container),
        root: cfg.base_dir(),
        adoption,
        apply_command: README_APPLY_COMMAND.into(),
        next_command: config_apply_command(config).replace("bootstrap --apply", "adopt --apply"),
        templates: load_templates(None, Some(cfg))?,
        section: Vec::new(),
        project,
    })
}
