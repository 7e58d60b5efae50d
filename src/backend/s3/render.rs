//! The S3 bootstrap module: bucket, encryption, lock table, backend block, outputs, README.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use super::{LockMode, Store, StoreEncryption};
use crate::error::Result;
use crate::model::BootstrapModule;
use crate::render::{
    align, backend_attributes, escape_heredoc, hcl_key, quote_hcl, settings, FileKind,
    RenderedFile, Setting, OVERRIDE_FILE,
};
use crate::templates::{template_error, Templates};

/// The AWS provider versions the bootstrap module admits: 5.x from 5.100 and all of 6.x.
pub const AWS_PROVIDER_CONSTRAINT: &str = ">= 5.100.0, < 7.0.0";

/// Days after which noncurrent state versions expire.
pub const NONCURRENT_DAYS: u32 = 90;

#[derive(Serialize)]
struct BootstrapContext {
    bucket: String,
    region: String,
    dir: String,
    key: String,
    table: Option<String>,
    encryption: &'static str,
    created_key: bool,
    kms_alias: String,
    kms_key_ref: String,
    required_version: &'static str,
    version_reason: &'static str,
    aws_version: &'static str,
    default_tags: String,
    backend_attrs: String,
    example_backend: String,
    backend_config_heredoc: String,
    override_file: &'static str,
    noncurrent_days: u32,
    apply_command: String,
    encryption_summary: String,
    lock_summary: &'static str,
    // Raw values for user templates (`--templates`), to be written with `| hcl` / `| hcl_key`.
    lock: &'static str,
    use_lockfile: bool,
    tags: BTreeMap<String, String>,
    backend: Vec<Setting>,
    manage_policy: bool,
    manage_lifecycle: bool,
}

/// Every file of the S3 bootstrap module, from the given templates.
pub(super) fn bootstrap_module(
    store: &Store,
    templates: &Templates,
    module: &BootstrapModule,
    apply_command: &str,
) -> Result<Vec<RenderedFile>> {
    use crate::backend::StateBackend as _;
    let (encryption, created_key, kms_alias, kms_key_ref, encryption_summary) =
        match &store.encryption {
            StoreEncryption::CreatedKey { alias } => (
                "kms",
                true,
                alias.clone(),
                "aws_kms_key.state.arn".to_string(),
                format!("SSE-KMS with the module's key `{alias}`, S3 bucket keys on"),
            ),
            StoreEncryption::ExistingKey { arn } => (
                "kms",
                false,
                String::new(),
                quote_hcl(arn),
                format!("SSE-KMS with the existing key `{arn}`, S3 bucket keys on"),
            ),
            StoreEncryption::Aes256 => (
                "aes256",
                false,
                String::new(),
                String::new(),
                "SSE-S3 (AES256)".to_string(),
            ),
        };
    let tags: Vec<(String, String)> = store
        .tags
        .iter()
        .map(|(k, v)| (hcl_key(k), quote_hcl(v)))
        .collect();
    let own = store.block(Some(&module.key));
    let shared = store.block(Some("<root module>/terraform.tfstate"));
    let config_only = store.block(None);
    let heredoc = escape_heredoc(&backend_attributes(&config_only, "    "));
    let (version_reason, lock_summary) = match store.lock.mode {
        LockMode::Dynamodb => (
            "The S3 backend as rewritten in Terraform 1.6 (endpoints, assume_role objects).",
            "a DynamoDB table (`dynamodb_table`), understood by every Terraform and OpenTofu release. Terraform 1.11 deprecates it in favour of `use_lockfile`; `lock = \"both\"` is the migration path.",
        ),
        LockMode::S3 => (
            "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later.",
            "S3-native lock objects (`use_lockfile = true`, `<key>.tflock` written with a conditional PUT); needs Terraform or OpenTofu >= 1.10. No DynamoDB table.",
        ),
        LockMode::Both => (
            "use_lockfile (S3-native state locking) needs Terraform or OpenTofu 1.10 or later.",
            "both the S3 lock object (`use_lockfile = true`) and the DynamoDB table, the documented path for migrating from DynamoDB to `use_lockfile`; needs Terraform or OpenTofu >= 1.10.",
        ),
    };
    let dir = module.dir.to_string_lossy().replace('\\', "/");
    let ctx = BootstrapContext {
        bucket: store.bucket.clone(),
        region: store.region.clone(),
        dir: dir.clone(),
        key: module.key.clone(),
        table: store.lock.table.clone(),
        encryption,
        created_key,
        kms_alias,
        kms_key_ref,
        required_version: store.lock.mode.required_version(),
        version_reason,
        aws_version: AWS_PROVIDER_CONSTRAINT,
        default_tags: align(&tags, "      "),
        backend_attrs: backend_attributes(&own, "    "),
        example_backend: backend_attributes(&shared, "    "),
        backend_config_heredoc: heredoc,
        override_file: OVERRIDE_FILE,
        noncurrent_days: NONCURRENT_DAYS,
        apply_command: apply_command.to_string(),
        encryption_summary,
        lock_summary,
        lock: store.lock.mode.as_str(),
        use_lockfile: store.lock.mode.uses_lockfile(),
        tags: store.tags.clone(),
        backend: settings(&own),
        manage_policy: store.manages(super::Unmanaged::BucketPolicy),
        manage_lifecycle: store.manages(super::Unmanaged::Lifecycle),
    };
    let ctx = Context::from_serialize(&ctx).map_err(|e| template_error("(context)", &e))?;

    let mut files = Vec::new();
    let mut add = |name: &str, out: &str, kind: FileKind, transient: bool| -> Result<()> {
        let body = templates.render(&format!("bootstrap/{name}"), &ctx, kind)?;
        files.push(RenderedFile {
            path: module.dir.join(out),
            kind,
            body,
            transient,
        });
        Ok(())
    };
    add("versions.tf.tera", "versions.tf", FileKind::Hcl, false)?;
    if created_key {
        add("kms.tf.tera", "kms.tf", FileKind::Hcl, false)?;
    }
    add("s3.tf.tera", "s3.tf", FileKind::Hcl, false)?;
    if store.lock.table.is_some() {
        add("dynamodb.tf.tera", "dynamodb.tf", FileKind::Hcl, false)?;
    }
    add("outputs.tf.tera", "outputs.tf", FileKind::Hcl, false)?;
    add("backend.tf.tera", "backend.tf", FileKind::Hcl, false)?;
    add(
        "bootstrap_override.tf.tera",
        OVERRIDE_FILE,
        FileKind::Hcl,
        true,
    )?;
    add("README.md.tera", "README.md", FileKind::Markdown, false)?;
    add("gitignore.tera", ".gitignore", FileKind::Plain, false)?;
    Ok(files)
}

/// `tfboot bootstrap --emit aws-cli`: the store as an idempotent AWS CLI script. Every value is
/// quoted for the shell here (the template writes them with `| safe`); JSON arguments are built
/// with serde_json first.
pub fn aws_cli_script(store: &Store, templates: &Templates) -> Result<String> {
    use crate::backend::StateBackend as _;
    use crate::render::shell_quote;
    let q = |s: &str| shell_quote(s);
    let json_q = |v: serde_json::Value| shell_quote(&v.to_string());
    let tags = &store.tags;
    let tag_list = |k: &str, v: &str| -> serde_json::Value {
        tags.iter()
            .map(|(key, value)| serde_json::json!({ k: key, v: value }))
            .collect()
    };
    let (kms, kms_alias, kms_key_arn) = match &store.encryption {
        StoreEncryption::CreatedKey { alias } => (true, Some(q(alias)), None),
        StoreEncryption::ExistingKey { arn } => (true, None, Some(q(arn))),
        StoreEncryption::Aes256 => (false, None, None),
    };
    let backend_lines: Vec<String> = backend_attributes(&store.block(None), "  ")
        .lines()
        .map(q)
        .collect();
    let mut ctx = Context::new();
    ctx.insert("bucket", &q(&store.bucket));
    ctx.insert("region", &q(&store.region));
    // For the comment at the top: no quoting, but nothing that could end the comment line.
    let comment = |s: &str| s.replace(['\n', '\r'], " ");
    ctx.insert("bucket_text", &comment(&store.bucket));
    ctx.insert("region_text", &comment(&store.region));
    ctx.insert("table", &store.lock.table.as_deref().map(q));
    ctx.insert("kms", &kms);
    ctx.insert("kms_alias", &kms_alias);
    ctx.insert("kms_key_arn", &kms_key_arn);
    ctx.insert(
        "partition",
        &q(super::validate::partition_of(&store.region).unwrap_or("aws")),
    );
    ctx.insert("noncurrent_days", &NONCURRENT_DAYS);
    let none = tags.is_empty();
    ctx.insert(
        "tagging",
        &(!none).then(|| json_q(serde_json::json!({ "TagSet": tag_list("Key", "Value") }))),
    );
    ctx.insert(
        "kms_tags",
        &(!none).then(|| json_q(tag_list("TagKey", "TagValue"))),
    );
    ctx.insert(
        "table_tags",
        &(!none).then(|| json_q(tag_list("Key", "Value"))),
    );
    ctx.insert("backend_lines", &backend_lines);
    ctx.insert(
        "manage_policy",
        &store.manages(super::Unmanaged::BucketPolicy),
    );
    ctx.insert(
        "manage_lifecycle",
        &store.manages(super::Unmanaged::Lifecycle),
    );
    templates.render("s3/aws-cli.sh.tera", &ctx, FileKind::Plain)
}
