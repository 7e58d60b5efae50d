//! `tfboot adopt`: take over a state store made by hand. Reads the bucket, its settings, the lock
//! table and the KMS key; writes the bootstrap module with `import` blocks for what exists; says
//! what the first apply changes and what it keeps as found; `--apply` runs the bootstrap flow.

use super::*;
use crate::backend::s3::{Encryption, StoreEncryption, Unmanaged};
use crate::live::adopt::{self, FoundS3, FoundSse};
use crate::live::targets::S3Target;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot adopt --bucket acme-tfstate --region eu-west-1 --lock-table terraform-locks\n  tfboot adopt --apply        # the store tfboot.toml names\nExit codes: 0 written (and applied), 1 a terraform step failed, 2 usage, a store that cannot be adopted, or tfboot.toml disagreeing with what must be kept"
)]
pub struct AdoptArgs {
    /// The existing state bucket. Without it, the store tfboot.toml names (see --config).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Its region [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long, requires = "bucket")]
    pub region: Option<String>,
    /// The existing DynamoDB lock table [default: <bucket>-lock when it exists, else none].
    #[arg(long, requires = "bucket")]
    pub lock_table: Option<String>,
    /// The lock the module sets up [default: dynamodb when a lock table exists, else s3].
    #[arg(long, value_enum, requires = "bucket")]
    pub lock: Option<LockMode>,
    /// A tag for every resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", requires = "bucket")]
    pub tags: Vec<String>,
    /// State key of the module itself [default: bootstrap/terraform.tfstate].
    #[arg(long, requires = "bucket")]
    pub key: Option<String>,
    /// Directory to write the module to [default: bootstrap].
    #[arg(long, requires = "bucket")]
    pub out: Option<PathBuf>,
    /// Config file [default: tfboot.toml here or in a parent directory].
    #[arg(long, conflicts_with = "bucket")]
    pub config: Option<PathBuf>,
    /// Use tfboot's defaults for what would otherwise be kept as found (a KMS key of the
    /// bucket's, its own policy and lifecycle rules): the first apply replaces them.
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

pub(super) fn cmd_adopt(
    a: &AdoptArgs,
    ui: Ui,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let (root, project, found, apply_command, templates) = match &a.bucket {
        Some(bucket) => from_flags(a, bucket)?,
        None => from_config(a)?,
    };
    let crate::backend::Store::S3(store) = &project.store else {
        return Err(Error::Usage("adopt takes over s3 stores".into()));
    };
    let adoption = adopt::plan(store, &found);
    let dir = project.bootstrap.dir.clone();
    let mut imports = String::from(
        "# Resources that existed before this module: its first apply takes them over instead of\n# failing to create them (Terraform >= 1.5). Written by tfboot adopt; once applied they change\n# nothing, and the file can be deleted.\n",
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
            "adopting s3://{} ({}): {} existing resource(s) imported",
            store.bucket,
            store.region,
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
    if let Some(k) = store.encryption.backend_kms_key_id() {
        w(
            out,
            format!(
                "  note    root modules' backends need kms_key_id = \"{k}\": with only encrypt = true Terraform writes their state with SSE-S3 (`tfboot generate` writes it; `tfboot doctor PATH` checks hand-written ones)"
            ),
        )?;
    }
    execute_and_report(&generation.plan, ui, out)?;
    if a.bucket.is_some() && !ui.quiet {
        w(
            out,
            "to keep generating it from a tfboot.toml, its [state] section is:",
        )?;
        for line in state_section(store, &project) {
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
            w(out, format!("  {apply_command}"))?;
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
    if project.bootstrap.key != crate::model::DEFAULT_BOOTSTRAP_KEY {
        lines.push(format!(
            "bootstrap_key = {}",
            toml_str(&project.bootstrap.key)
        ));
    }
    let dir = dir_display(&project.bootstrap.dir);
    if dir != DEFAULT_BOOTSTRAP_DIR {
        lines.push(format!("bootstrap_dir = {}", toml_str(&dir)));
    }
    if !store.unmanaged.is_empty() {
        let list: Vec<String> = store
            .unmanaged
            .iter()
            .map(|u| toml_str(u.as_str()))
            .collect();
        lines.push(format!("unmanaged = [{}]", list.join(", ")));
    }
    if !store.tags.is_empty() {
        let tags: Vec<String> = store
            .tags
            .iter()
            .map(|(k, v)| format!("{} = {}", toml_key(k), toml_str(v)))
            .collect();
        lines.push(format!("tags = {{ {} }}", tags.join(", ")));
    }
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

type Adopting = (
    PathBuf,
    Project,
    FoundS3,
    String,
    crate::templates::Templates,
);

fn from_flags(a: &AdoptArgs, bucket: &str) -> Result<Adopting> {
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
    let input = ProjectInput {
        store: crate::backend::StoreInput::S3(crate::backend::s3::StoreInput {
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
        bootstrap_dir: None,
        bootstrap_key: a.key.clone().map(|k| Sourced::flag("--key", k)),
        envs: Vec::new(),
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
    if let Some(d) = &a.out {
        cmd.push_str(&format!(" --out {}", shell_quote(&d.to_string_lossy())));
    }
    if a.defaults {
        cmd.push_str(" --defaults");
    }
    cmd.push_str(" --apply");
    Ok((
        PathBuf::new(),
        project,
        found,
        cmd,
        load_templates(None, None)?,
    ))
}

fn from_config(a: &AdoptArgs) -> Result<Adopting> {
    let config = crate::config::locate(a.config.as_deref())?;
    let cfg = LoadedConfig::load(&config)?;
    let project = ProjectInput::from_config(&cfg).build()?;
    let crate::backend::Store::S3(store) = &project.store else {
        return Err(Error::Usage(format!(
            "{}: state.backend = {:?}: adopt takes over s3 stores in this version",
            config.display(),
            project.store.kind().name()
        )));
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
    if !keep.is_empty() {
        return Err(Error::Usage(format!(
            "{at} would replace what the store has and must keep; nothing was written:\n  {}\n(or pass --defaults to replace them with tfboot's settings)",
            keep.join("\n  ")
        )));
    }
    let templates = load_templates(None, Some(&cfg))?;
    Ok((
        cfg.base_dir(),
        project,
        found,
        config_apply_command(&config).replace("bootstrap --apply", "adopt --apply"),
        templates,
    ))
}
