//! `tfboot adopt`: read a state store made by hand (bucket, its settings, the lock table, the KMS
//! key) so the bootstrap module can take it over with `import` blocks instead of failing on
//! resources that exist already.

pub mod azurerm;
pub mod gcs;

use super::aws::{describe, Clients};
use super::doctor::{code_of, denies_plain_http, key_arn, xml_status};
use crate::error::{Error, Result};

/// The bucket's default encryption as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundSse {
    Aes256,
    /// `aws:kms` with this key (its ARN when KMS could resolve it); `None`: the AWS managed key.
    Kms {
        key: Option<String>,
        arn: Option<String>,
    },
}

/// The lock table as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTable {
    pub name: String,
    /// `LockID HASH (S)` alone: a table Terraform can lock with.
    pub lock_key: bool,
    /// The key schema in words, for the refusal.
    pub key_desc: String,
    pub billing: String,
    pub pitr: Option<bool>,
    /// The customer-managed key's ARN when the table uses one; `Some("")`: an AWS managed key.
    pub sse_key: Option<String>,
    pub deletion_protection: bool,
}

/// Everything `adopt` reads of an S3 store. `None` fields: not set on the bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundS3 {
    pub region: Option<String>,
    /// `Enabled` / `Suspended`; `None` when never enabled.
    pub versioning: Option<String>,
    pub encryption: Option<FoundSse>,
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub public_access_block: Option<[bool; 4]>,
    pub ownership: Option<String>,
    pub policy: Option<String>,
    /// The lifecycle rules' IDs.
    pub lifecycle: Option<Vec<String>>,
    pub table: Option<FoundTable>,
    /// The key `alias/<bucket>` (what the bootstrap module would create) names, if it exists:
    /// (key id, key ARN).
    pub alias_key: Option<(String, String)>,
}

impl FoundS3 {
    /// Whether the policy holds tfboot's TLS-only statement and nothing else.
    pub fn policy_is_tls_only(&self) -> bool {
        let Some(p) = &self.policy else { return false };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(p) else {
            return false;
        };
        let n = match doc.get("Statement") {
            Some(serde_json::Value::Array(a)) => a.len(),
            Some(serde_json::Value::Object(_)) => 1,
            _ => 0,
        };
        n == 1 && denies_plain_http(p)
    }
}

/// The service's error code of a failed call, with the line to show when it is not the
/// "not set" answer expected.
fn missing_or<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>, what: &str, codes: &[&str]) -> Result<()>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + super::aws::RawResponse,
{
    let why = describe(e);
    if codes.contains(&code_of(&why)) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "cannot read {what}: {why} (adopt reads every setting before it writes anything)"
        )))
    }
}

/// Read the store: exit 2 when the bucket does not exist or a setting cannot be read.
pub async fn read_s3(
    clients: &Clients,
    bucket: &str,
    alias: &str,
    table: Option<&str>,
) -> Result<FoundS3> {
    let mut f = FoundS3::default();
    let at = format!("s3://{bucket}");
    if let Err(e) = clients.s3.head_bucket().bucket(bucket).send().await {
        if e.as_service_error().is_some_and(|s| s.is_not_found()) {
            return Err(Error::Usage(format!(
                "{at} does not exist: there is nothing to adopt (`tfboot bootstrap` creates the store)"
            )));
        }
        return Err(Error::Usage(format!("cannot reach {at}: {}", describe(&e))));
    }
    match clients.s3.get_bucket_location().bucket(bucket).send().await {
        Ok(l) => {
            // An empty constraint is us-east-1; EU is eu-west-1's old name.
            let r = l
                .location_constraint()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default();
            f.region = Some(match r.as_str() {
                "" => "us-east-1".into(),
                "EU" => "eu-west-1".into(),
                _ => r,
            });
        }
        Err(e) => missing_or(&e, &format!("the region of {at}"), &[])?,
    }
    match clients
        .s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(v) => f.versioning = v.status().map(|s| s.as_str().to_string()),
        Err(e) => {
            // moto answers with a root element the SDK refuses; the status inside is the answer.
            let body = e
                .raw_response()
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body {
                Some(b) => f.versioning = xml_status(&b).filter(|s| !s.is_empty()),
                None => missing_or(&e, &format!("the versioning of {at}"), &[])?,
            }
        }
    }
    match clients
        .s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(enc) => {
            let d = enc
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            if let Some(d) = d {
                f.encryption = Some(if d.sse_algorithm().as_str().starts_with("aws:kms") {
                    let key = d
                        .kms_master_key_id()
                        .map(str::to_string)
                        .filter(|k| !k.is_empty() && k != "alias/aws/s3");
                    let arn = match &key {
                        Some(k) => key_arn(clients, k).await,
                        None => None,
                    };
                    FoundSse::Kms { key, arn }
                } else {
                    FoundSse::Aes256
                });
            }
        }
        Err(e) => missing_or(
            &e,
            &format!("the default encryption of {at}"),
            &["ServerSideEncryptionConfigurationNotFoundError"],
        )?,
    }
    match clients
        .s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(p) => {
            let c = p.public_access_block_configuration();
            let on = |v: Option<bool>| v == Some(true);
            f.public_access_block = Some([
                on(c.and_then(|c| c.block_public_acls())),
                on(c.and_then(|c| c.ignore_public_acls())),
                on(c.and_then(|c| c.block_public_policy())),
                on(c.and_then(|c| c.restrict_public_buckets())),
            ]);
        }
        Err(e) => missing_or(
            &e,
            &format!("the public-access block of {at}"),
            &["NoSuchPublicAccessBlockConfiguration"],
        )?,
    }
    match clients
        .s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => {
            f.ownership = o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string())
        }
        Err(e) => missing_or(
            &e,
            &format!("the ownership controls of {at}"),
            &["OwnershipControlsNotFoundError"],
        )?,
    }
    match clients.s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(p) => f.policy = p.policy().map(str::to_string),
        Err(e) => missing_or(
            &e,
            &format!("the bucket policy of {at}"),
            &["NoSuchBucketPolicy"],
        )?,
    }
    match clients
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(l) => {
            f.lifecycle = Some(
                l.rules()
                    .iter()
                    .map(|r| r.id().unwrap_or("(no id)").to_string())
                    .collect(),
            )
        }
        Err(e) => missing_or(
            &e,
            &format!("the lifecycle rules of {at}"),
            &["NoSuchLifecycleConfiguration"],
        )?,
    }
    if let Ok(k) = clients.kms.describe_key().key_id(alias).send().await {
        if let Some(m) = k.key_metadata() {
            f.alias_key = Some((
                m.key_id().to_string(),
                m.arn().unwrap_or_default().to_string(),
            ));
        }
    }
    if let Some(name) = table {
        f.table = read_table(clients, name).await?;
    }
    Ok(f)
}

async fn read_table(clients: &Clients, name: &str) -> Result<Option<FoundTable>> {
    use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType};
    let desc = match clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
    {
        Ok(d) => d,
        Err(e) => {
            let why = describe(&e);
            if code_of(&why) == "ResourceNotFoundException" {
                return Ok(None);
            }
            return Err(Error::Usage(format!("cannot read the table {name}: {why}")));
        }
    };
    let Some(t) = desc.table() else {
        return Ok(None);
    };
    let keys: Vec<String> = t
        .key_schema()
        .iter()
        .map(|k| {
            let ty = t
                .attribute_definitions()
                .iter()
                .find(|a| a.attribute_name() == k.attribute_name())
                .map(|a| a.attribute_type().as_str().to_string())
                .unwrap_or_else(|| "?".into());
            format!("{} {} ({ty})", k.attribute_name(), k.key_type().as_str())
        })
        .collect();
    let lock_key = t.key_schema().len() == 1
        && t.key_schema()
            .first()
            .is_some_and(|k| k.attribute_name() == "LockID" && k.key_type() == &KeyType::Hash)
        && t.attribute_definitions().iter().any(|a| {
            a.attribute_name() == "LockID" && a.attribute_type() == &ScalarAttributeType::S
        });
    let pitr = match clients
        .dynamodb
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
    {
        Ok(b) => b
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str() == "ENABLED"),
        Err(_) => None,
    };
    let sse_key = t.sse_description().and_then(|s| {
        (s.status().map(|st| st.as_str()) == Some("ENABLED"))
            .then(|| s.kms_master_key_arn().unwrap_or_default().to_string())
    });
    Ok(Some(FoundTable {
        name: name.to_string(),
        lock_key,
        key_desc: keys.join(", "),
        billing: t
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str().to_string())
            .unwrap_or_else(|| "PROVISIONED".into()),
        pitr,
        sse_key,
        deletion_protection: t.deletion_protection_enabled().unwrap_or(false),
    }))
}

/// Read an S3 store with the credential chain and `AWS_ENDPOINT_URL*` (blocking).
pub fn read(
    target: &super::targets::S3Target,
    alias: &str,
    table: Option<&str>,
) -> Result<FoundS3> {
    super::aws::runtime()?.block_on(async {
        let clients = super::aws::clients(target).await?;
        read_s3(&clients, &target.bucket, alias, table).await
    })
}

/// What adopting a store means for the module: the settings it keeps, the resources it imports
/// and what its first apply changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adoption {
    /// `(address, import id)` of every resource that exists already.
    pub imports: Vec<(&'static str, String)>,
    /// What the first apply changes, one line each.
    pub changes: Vec<String>,
    /// What is kept as found that tfboot would otherwise set, one line each.
    pub kept: Vec<String>,
    /// What the user should know before the first apply, one line each.
    pub notes: Vec<String>,
}

/// Decide, for the module `store` describes, which resources to import and what changes; `store`
/// is the module as it will be written (its settings already chosen).
pub fn plan(store: &crate::backend::s3::Store, found: &FoundS3) -> Adoption {
    use crate::backend::s3::{StoreEncryption, Unmanaged};
    let b = &store.bucket;
    let mut a = Adoption::default();
    let mut import = |addr: &'static str, id: &str| a.imports.push((addr, id.to_string()));
    import("aws_s3_bucket.state", b);
    match found.versioning.as_deref() {
        Some("Enabled") => import("aws_s3_bucket_versioning.state", b),
        Some(other) => {
            import("aws_s3_bucket_versioning.state", b);
            a.changes
                .push(format!("versioning is {other}: the first apply enables it"));
        }
        None => a
            .changes
            .push("versioning was never enabled: the first apply enables it".into()),
    }
    let want_sse = match &store.encryption {
        StoreEncryption::Aes256 => "SSE-S3 (AES256)".to_string(),
        StoreEncryption::ExistingKey { arn } => format!("SSE-KMS with {arn}"),
        StoreEncryption::CreatedKey { alias } => format!("SSE-KMS with the module's key {alias}"),
    };
    match &found.encryption {
        Some(sse) => {
            import(
                "aws_s3_bucket_server_side_encryption_configuration.state",
                b,
            );
            let same = match (sse, &store.encryption) {
                (FoundSse::Aes256, StoreEncryption::Aes256) => true,
                (FoundSse::Kms { key, arn }, StoreEncryption::ExistingKey { arn: want }) => {
                    arn.as_deref() == Some(want) || key.as_deref() == Some(want)
                }
                (FoundSse::Kms { arn: Some(arn), .. }, StoreEncryption::CreatedKey { .. }) => {
                    found.alias_key.as_ref().is_some_and(|(_, k)| k == arn)
                }
                _ => false,
            };
            if !same {
                let had = match sse {
                    FoundSse::Aes256 => "SSE-S3 (AES256)".to_string(),
                    FoundSse::Kms { key: None, .. } => "SSE-KMS with the AWS managed key".into(),
                    FoundSse::Kms { key: Some(k), arn } => {
                        format!("SSE-KMS with {}", arn.as_deref().unwrap_or(k))
                    }
                };
                a.changes.push(format!(
                    "default encryption is {had}: the first apply sets {want_sse} (objects written before keep theirs)"
                ));
            }
        }
        None => a.changes.push(format!(
            "no default encryption: the first apply sets {want_sse}"
        )),
    }
    if let StoreEncryption::CreatedKey { alias } = &store.encryption {
        match &found.alias_key {
            Some((id, _)) => {
                import("aws_kms_key.state", id);
                import("aws_kms_alias.state", alias);
            }
            None => a.changes.push(format!(
                "the first apply creates a KMS key ({alias}, rotation on)"
            )),
        }
    }
    match found.public_access_block {
        Some(p) => {
            import("aws_s3_bucket_public_access_block.state", b);
            if p != [true; 4] {
                a.changes.push(
                    "the public-access block is partly off: the first apply turns all four settings on"
                        .into(),
                );
            }
        }
        None => a.changes.push(
            "no public-access block: the first apply adds one with all four settings on".into(),
        ),
    }
    match found.ownership.as_deref() {
        Some(o) => {
            import("aws_s3_bucket_ownership_controls.state", b);
            if o != "BucketOwnerEnforced" {
                a.changes.push(format!(
                    "object ownership is {o}: the first apply sets BucketOwnerEnforced (ACLs disabled)"
                ));
            }
        }
        None => a.changes.push(
            "no ownership controls: the first apply sets BucketOwnerEnforced (ACLs disabled)"
                .into(),
        ),
    }
    match (&found.policy, store.manages(Unmanaged::BucketPolicy)) {
        (Some(_), true) => {
            import("aws_s3_bucket_policy.state", b);
            if !found.policy_is_tls_only() {
                a.changes.push(
                    "the bucket policy is replaced by tfboot's TLS-only policy (its statements are lost: copy what you need first)"
                        .into(),
                );
            }
        }
        (None, true) => a.changes.push(
            "no bucket policy: the first apply adds one denying requests without TLS".into(),
        ),
        (Some(p), false) => a.kept.push(format!(
            "the bucket policy is the bucket's own and is not managed (state.unmanaged){}",
            if denies_plain_http(p) {
                ""
            } else {
                "; it does not deny requests without TLS: add a DenyInsecureTransport statement to it"
            }
        )),
        (None, false) => a
            .kept
            .push("the bucket policy is not managed (state.unmanaged)".into()),
    }
    let tfboot_rule_only = found.lifecycle.as_ref().is_some_and(|ids| {
        ids.len() == 1
            && ids
                .first()
                .is_some_and(|i| i == "expire-noncurrent-versions")
    });
    match (&found.lifecycle, store.manages(Unmanaged::Lifecycle)) {
        (Some(ids), true) => {
            import("aws_s3_bucket_lifecycle_configuration.state", b);
            if !tfboot_rule_only {
                a.changes.push(format!(
                    "the lifecycle rules ({}) are replaced by tfboot's rule (noncurrent versions expire)",
                    ids.join(", ")
                ));
            }
        }
        (None, true) => a.changes.push(
            "no lifecycle rules: the first apply adds one (noncurrent versions expire)".into(),
        ),
        (Some(ids), false) => a.kept.push(format!(
            "the lifecycle rules ({}) are the bucket's own and are not managed (state.unmanaged)",
            ids.join(", ")
        )),
        (None, false) => a
            .kept
            .push("the lifecycle rules are not managed (state.unmanaged)".into()),
    }
    if let Some(name) = &store.lock.table {
        match &found.table {
            Some(t) if &t.name == name => {
                import("aws_dynamodb_table.lock", name);
                a.kept
                    .push(format!("the lock table {name} (keyed by LockID)"));
                if t.billing != "PAY_PER_REQUEST" {
                    a.changes.push(format!(
                        "the table {name} is billed {}: the first apply switches it to on-demand (PAY_PER_REQUEST)",
                        t.billing
                    ));
                }
                if t.pitr != Some(true) {
                    a.changes.push(format!(
                        "point-in-time recovery of {name} is off: the first apply turns it on"
                    ));
                }
                if !t.deletion_protection {
                    a.changes.push(format!(
                        "deletion protection of {name} is off: the first apply turns it on"
                    ));
                }
                let want_cmk = !matches!(store.encryption, StoreEncryption::Aes256);
                match (&t.sse_key, want_cmk) {
                    (Some(k), true) if !k.is_empty() => {}
                    (_, true) => a.changes.push(format!(
                        "{name} is encrypted with an AWS owned or managed key: the first apply encrypts it with the state's KMS key"
                    )),
                    (Some(_), false) => {}
                    (None, false) => a.changes.push(format!(
                        "{name} is encrypted with an AWS owned key: the first apply switches it to the AWS managed key"
                    )),
                }
            }
            _ => a.changes.push(format!(
                "the lock table {name} does not exist: the first apply creates it"
            )),
        }
    }
    if let Some(k) = store.encryption.backend_kms_key_id() {
        a.notes.push(format!(
            "root modules' backends need kms_key_id = \"{k}\": with only encrypt = true Terraform writes their state with SSE-S3 (`tfboot generate` writes it; `tfboot doctor PATH` checks hand-written ones)"
        ));
    }
    a
}
