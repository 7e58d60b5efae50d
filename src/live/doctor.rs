//! `tfboot doctor`: the live store compared with what the bootstrap module promises and what the
//! backends assume. Each finding is a diagnostic like `check`'s, located at the store
//! (`s3://bucket`) or the lock table (`dynamodb://table`).
//!
//! Severities follow DESIGN.md: `error` only when Terraform fails against the store (the bucket or
//! the lock table is missing, the table's key is not what the S3 backend writes); `warning` for
//! what puts state at risk of loss or exposure (no versioning, no default encryption, public access
//! not blocked, no TLS-only policy, a KMS key other than the one backends name); `info` for the
//! rest of the hardening and for what could not be read.

use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType};

use super::aws::{describe, Clients};
use super::targets::{Group, S3Target};
use crate::check::rules::Rule;
use crate::check::{Diagnostic, Severity};
use crate::error::Result;

macro_rules! doctor_rule {
    ($id:literal, $sev:ident, $summary:literal, $doc:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            summary: $summary,
            source: $doc,
        }
    };
}

pub const STORE_MISSING: Rule = doctor_rule!(
    "store-missing",
    Error,
    "the state bucket does not exist",
    "//! `terraform init` fails with `NoSuchBucket` for every root of this store.\n//!\n//! Fix: bootstrap it (`tfboot bootstrap --apply`) or correct `bucket` in tfboot.toml or the backend block."
);
pub const STORE_VERSIONING: Rule = doctor_rule!(
    "store-versioning",
    Warning,
    "versioning of the state bucket is not Enabled",
    "//! Without versioning an overwritten or deleted state object is gone: a bad apply, a\n//! `terraform state push` or a mistaken `aws s3 rm` cannot be rolled back.\n//!\n//! Fix: `aws s3api put-bucket-versioning --bucket B --versioning-configuration Status=Enabled`, or\n//! apply the bootstrap module (it sets `aws_s3_bucket_versioning` to Enabled)."
);
pub const STORE_ENCRYPTION: Rule = doctor_rule!(
    "store-encryption",
    Warning,
    "the state bucket has no default encryption",
    "//! State holds secrets in plain text (passwords, keys, tokens of every resource). Objects written\n//! without an encryption header are stored unencrypted where the bucket has no default.\n//!\n//! Fix: a default encryption rule (`aws:kms` with the store's key, or AES256)."
);
pub const STORE_KMS_KEY: Rule = doctor_rule!(
    "store-kms-key",
    Warning,
    "backends and the bucket disagree on the KMS key",
    "//! The S3 backend encrypts what it writes with `kms_key_id` when set, else (with `encrypt =\n//! true`) with SSE-S3, whatever the bucket's default says. A root whose `kms_key_id` is not the\n//! bucket's key, or that has none while the bucket's default is a KMS key, writes state that the\n//! key policy of the bucket's key does not protect.\n//!\n//! Fix: the same key in every backend's `kms_key_id` as in the bucket's default rule\n//! (`tfboot generate` writes it from tfboot.toml)."
);
pub const STORE_PUBLIC_ACCESS: Rule = doctor_rule!(
    "store-public-access",
    Warning,
    "public access to the state bucket is not fully blocked",
    "//! All four public-access-block settings (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,\n//! RestrictPublicBuckets) keep a stray ACL or policy from exposing every state.\n//!\n//! Fix: `aws s3api put-public-access-block` with all four true, or apply the bootstrap module."
);
pub const STORE_TLS_ONLY: Rule = doctor_rule!(
    "store-tls-only",
    Warning,
    "the state bucket's policy does not deny plain HTTP",
    "//! Terraform talks HTTPS, but other clients of the bucket may not: a bucket policy statement that\n//! denies `s3:*` when `aws:SecureTransport` is `false` makes that impossible.\n//!\n//! Fix: add that Deny statement (the bootstrap module's bucket policy has it)."
);
pub const STORE_UNIFORM_ACCESS: Rule = doctor_rule!(
    "store-uniform-access",
    Warning,
    "uniform bucket-level access of the gcs state bucket is off",
    "//! Without uniform bucket-level access, object ACLs can grant someone one state outside the\n//! bucket's IAM policy. The gcs bootstrap module turns it on.\n//!\n//! Fix: `gcloud storage buckets update gs://B --uniform-bucket-level-access`."
);
pub const STORE_SOFT_DELETE: Rule = doctor_rule!(
    "store-soft-delete",
    Warning,
    "blob soft delete of the azurerm storage account is off",
    "//! Without soft delete (the blob service's delete retention policy) a deleted state blob is gone\n//! at once. The azurerm bootstrap module keeps deleted blobs for a retention period.\n//!\n//! Fix: `az storage account blob-service-properties update --enable-delete-retention true --delete-retention-days 30`."
);
pub const STORE_OWNERSHIP: Rule = doctor_rule!(
    "store-ownership",
    Info,
    "object ownership of the state bucket is not BucketOwnerEnforced",
    "//! With ACLs enabled an object written by another account's principal can stay owned by it.\n//! `BucketOwnerEnforced` disables ACLs: the bucket owner owns every state.\n//!\n//! Fix: `aws s3api put-bucket-ownership-controls` with `ObjectOwnership=BucketOwnerEnforced`."
);
pub const TABLE_MISSING: Rule = doctor_rule!(
    "lock-table-missing",
    Error,
    "the DynamoDB lock table does not exist",
    "//! Every plan and apply of a root with `dynamodb_table` fails to take the lock\n//! (`ResourceNotFoundException`).\n//!\n//! Fix: bootstrap it, or correct `dynamodb_table` / `lock_table`."
);
pub const TABLE_KEY_SCHEMA: Rule = doctor_rule!(
    "lock-table-key-schema",
    Error,
    "the lock table's key is not LockID (string)",
    "//! Terraform writes items keyed by a string attribute `LockID` and nothing else; a table with\n//! another hash key, a number type or a sort key rejects every lock (`ValidationException`).\n//!\n//! Fix: a table with `hash_key = \"LockID\"` of type `S` and no range key (the key schema of a\n//! table cannot change: create a new one and point the backends at it)."
);
pub const TABLE_PITR: Rule = doctor_rule!(
    "lock-table-pitr",
    Info,
    "point-in-time recovery of the lock table is off",
    "//! The table holds the state digests Terraform checks on every read; with PITR a table deleted or\n//! overwritten by mistake can be restored. The bootstrap module turns it on.\n//!\n//! Fix: `aws dynamodb update-continuous-backups --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`."
);
pub const TABLE_ENCRYPTION: Rule = doctor_rule!(
    "lock-table-encryption",
    Info,
    "the lock table is encrypted with an AWS owned key only",
    "//! DynamoDB always encrypts at rest; the bootstrap module asks for a KMS key (AWS managed or the\n//! store's) so that access to lock details is in the key's policy and CloudTrail.\n//!\n//! Fix: `server_side_encryption { enabled = true }` on the table."
);
pub const TABLE_DELETION_PROTECTION: Rule = doctor_rule!(
    "lock-table-deletion-protection",
    Info,
    "deletion protection of the lock table is off",
    "//! A deleted lock table stops every run of every root until it is recreated, and loses the\n//! digests. The bootstrap module sets `deletion_protection_enabled = true`.\n//!\n//! Fix: `aws dynamodb update-table --deletion-protection-enabled`."
);
pub const NOT_CHECKED: Rule = doctor_rule!(
    "doctor-not-checked",
    Info,
    "a setting of the store could not be read",
    "//! The credentials doctor runs with may not read every setting (AccessDenied), or the store (an\n//! emulator, an S3-compatible service) does not implement the API. The setting is unknown, not\n//! wrong.\n//!\n//! Fix: run doctor with a principal that may read the bucket's and table's configuration."
);

/// Every doctor rule, for `explain` and SARIF.
pub const ALL: &[Rule] = &[
    STORE_MISSING,
    STORE_VERSIONING,
    STORE_ENCRYPTION,
    STORE_KMS_KEY,
    STORE_PUBLIC_ACCESS,
    STORE_TLS_ONLY,
    STORE_UNIFORM_ACCESS,
    STORE_SOFT_DELETE,
    STORE_OWNERSHIP,
    TABLE_MISSING,
    TABLE_KEY_SCHEMA,
    TABLE_PITR,
    TABLE_ENCRYPTION,
    TABLE_DELETION_PROTECTION,
    NOT_CHECKED,
];

pub(super) fn finding(rule: &Rule, at: &str, message: String, help: Option<String>) -> Diagnostic {
    Diagnostic {
        rule: rule.id,
        severity: rule.severity,
        file: at.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        message,
        help,
        related: Vec::new(),
        span: 0..0,
        engine_only: None,
    }
}

/// What one store's check found, and the settings that passed (for the text report).
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Vec<Diagnostic>,
    pub passed: Vec<String>,
}

/// An error code the service answered with.
pub(crate) fn code_of(msg: &str) -> &str {
    msg.split(':').next().unwrap_or_default()
}

/// The key ARN a KMS key id, ARN, alias name or alias ARN names; `None` when it cannot be read.
pub(crate) async fn key_arn(clients: &Clients, id: &str) -> Option<String> {
    let got = clients.kms.describe_key().key_id(id).send().await.ok()?;
    got.key_metadata().and_then(|m| m.arn()).map(str::to_string)
}

/// Check one S3 store and its lock tables.
pub async fn check_s3(clients: &Clients, target: &S3Target, group: &Group) -> Result<Checked> {
    let mut out = Checked::default();
    let bucket = &target.bucket;
    let at = format!("s3://{bucket}");
    let not_checked = |out: &mut Checked, what: &str, why: String| {
        out.findings.push(finding(
            &NOT_CHECKED,
            &at,
            format!("{what} of {at}: unknown ({why})"),
            None,
        ));
    };

    match clients.s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => out.passed.push(format!("{at} exists")),
        Err(e) => {
            if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                out.findings.push(finding(
                    &STORE_MISSING,
                    &at,
                    format!(
                        "the bucket {bucket} does not exist ({} root(s) keep their state in it)",
                        group.states.len()
                    ),
                    Some("bootstrap the store: tfboot bootstrap --apply".into()),
                ));
                // Nothing more to read without the bucket; the tables may still exist.
                check_tables(clients, group, &mut out).await;
                return Ok(out);
            }
            return Err(crate::error::Error::Usage(format!(
                "cannot reach {at}: {}",
                describe(&e)
            )));
        }
    }

    match clients.s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => match v.status().map(|s| s.as_str()) {
            Some("Enabled") => out.passed.push("versioning Enabled".into()),
            other => out.findings.push(finding(
                &STORE_VERSIONING,
                &at,
                format!(
                    "versioning of {bucket} is {}: an overwritten or deleted state cannot be recovered",
                    other.unwrap_or("off (never enabled)")
                ),
                Some(format!("aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled")),
            )),
        },
        Err(e) => {
            // Some S3-compatible stores (moto among them) answer with a root element the SDK's
            // strict parser refuses; the status inside is still the answer.
            let body = e
                .raw_response()
                .filter(|r| r.status().as_u16() == 200)
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned());
            match body.as_deref().map(xml_status) {
                Some(Some(status)) if status == "Enabled" => {
                    out.passed.push("versioning Enabled".into())
                }
                Some(status) => out.findings.push(finding(
                    &STORE_VERSIONING,
                    &at,
                    format!(
                        "versioning of {bucket} is {}: an overwritten or deleted state cannot be recovered",
                        status.as_deref().unwrap_or("off (never enabled)")
                    ),
                    Some(format!("aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled")),
                )),
                None => not_checked(&mut out, "versioning", describe(&e)),
            }
        }
    }

    // Default encryption, and the KMS key it names.
    let mut bucket_key: Option<String> = None;
    match clients
        .s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(enc) => {
            let default = enc
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            match default {
                Some(d) => {
                    let algo = d.sse_algorithm().as_str().to_string();
                    out.passed.push(format!("default encryption {algo}"));
                    if algo.starts_with("aws:kms") {
                        bucket_key = d.kms_master_key_id().map(str::to_string);
                        if bucket_key.is_none() {
                            bucket_key = Some("alias/aws/s3".into());
                        }
                    }
                }
                None => out.findings.push(finding(
                    &STORE_ENCRYPTION,
                    &at,
                    format!("{bucket} has no default encryption rule"),
                    None,
                )),
            }
        }
        Err(e) => {
            let why = describe(&e);
            if code_of(&why) == "ServerSideEncryptionConfigurationNotFoundError" {
                out.findings.push(finding(
                    &STORE_ENCRYPTION,
                    &at,
                    format!("{bucket} has no default encryption: objects written without an encryption header are stored in the clear"),
                    Some("a default rule: aws s3api put-bucket-encryption (aws:kms with the store's key, or AES256)".into()),
                ));
            } else {
                not_checked(&mut out, "default encryption", why);
            }
        }
    }
    check_kms(clients, group, &at, bucket_key.as_deref(), &mut out).await;

    match clients
        .s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(p) => {
            let c = p.public_access_block_configuration();
            let settings = [
                ("BlockPublicAcls", c.and_then(|c| c.block_public_acls())),
                ("IgnorePublicAcls", c.and_then(|c| c.ignore_public_acls())),
                ("BlockPublicPolicy", c.and_then(|c| c.block_public_policy())),
                (
                    "RestrictPublicBuckets",
                    c.and_then(|c| c.restrict_public_buckets()),
                ),
            ];
            let off: Vec<&str> = settings
                .iter()
                .filter(|(_, v)| *v != Some(true))
                .map(|(n, _)| *n)
                .collect();
            if off.is_empty() {
                out.passed.push("public access blocked (all four)".into());
            } else {
                out.findings.push(finding(
                    &STORE_PUBLIC_ACCESS,
                    &at,
                    format!("public-access block of {bucket}: {} not set", off.join(", ")),
                    Some(format!("aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")),
                ));
            }
        }
        Err(e) => {
            let why = describe(&e);
            if code_of(&why) == "NoSuchPublicAccessBlockConfiguration" {
                out.findings.push(finding(
                    &STORE_PUBLIC_ACCESS,
                    &at,
                    format!("{bucket} has no public-access block: an ACL or bucket policy could expose every state"),
                    Some(format!("aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")),
                ));
            } else {
                not_checked(&mut out, "public-access block", why);
            }
        }
    }

    match clients.s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(p) => {
            if p.policy().is_some_and(denies_plain_http) {
                out.passed.push("TLS-only bucket policy".into());
            } else {
                out.findings.push(finding(
                    &STORE_TLS_ONLY,
                    &at,
                    format!("the bucket policy of {bucket} has no statement denying requests without TLS (aws:SecureTransport = false)"),
                    None,
                ));
            }
        }
        Err(e) => {
            let why = describe(&e);
            if code_of(&why) == "NoSuchBucketPolicy" {
                out.findings.push(finding(
                    &STORE_TLS_ONLY,
                    &at,
                    format!("{bucket} has no bucket policy, so nothing denies requests without TLS"),
                    Some("a Deny of s3:* on the bucket and its objects with Condition Bool aws:SecureTransport = false".into()),
                ));
            } else {
                not_checked(&mut out, "bucket policy", why);
            }
        }
    }

    match clients
        .s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => {
            let mode = o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string());
            if mode.as_deref() == Some("BucketOwnerEnforced") {
                out.passed.push("ownership BucketOwnerEnforced".into());
            } else {
                out.findings.push(finding(
                    &STORE_OWNERSHIP,
                    &at,
                    format!(
                        "object ownership of {bucket} is {} (ACLs enabled)",
                        mode.unwrap_or("unset".into())
                    ),
                    None,
                ));
            }
        }
        Err(e) => {
            let why = describe(&e);
            if code_of(&why) == "OwnershipControlsNotFoundError" {
                out.findings.push(finding(
                    &STORE_OWNERSHIP,
                    &at,
                    format!("{bucket} has no ownership controls (ACLs enabled)"),
                    None,
                ));
            } else {
                not_checked(&mut out, "ownership controls", why);
            }
        }
    }

    check_tables(clients, group, &mut out).await;
    Ok(out)
}

/// `<Status>Enabled</Status>` of a versioning answer.
pub(crate) fn xml_status(body: &str) -> Option<String> {
    let start = body.find("<Status>")? + "<Status>".len();
    let len = body[start..].find("</Status>")?;
    Some(body[start..start + len].trim().to_string())
}

/// Whether a bucket policy denies requests made without TLS.
pub(crate) fn denies_plain_http(policy: &str) -> bool {
    use serde_json::Value;
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let is_false = |v: &Value| match v {
        Value::String(s) => s.eq_ignore_ascii_case("false"),
        Value::Bool(b) => !b,
        Value::Array(a) => a.first().is_some_and(|x| {
            x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false")) || x == &Value::Bool(false)
        }),
        _ => false,
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.pointer("/Condition/Bool/aws:SecureTransport")
                .is_some_and(is_false)
    })
}

/// The backends' `kms_key_id` against the bucket's default key.
async fn check_kms(
    clients: &Clients,
    group: &Group,
    at: &str,
    bucket_key: Option<&str>,
    out: &mut Checked,
) {
    let mut named: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in &group.states {
        let k = s.kms_key_id.as_deref().unwrap_or("");
        match named.iter_mut().find(|(n, _)| *n == k) {
            Some((_, roots)) => roots.push(&s.what),
            None => named.push((k, vec![&s.what])),
        }
    }
    let bucket_arn = match bucket_key {
        Some(k) => key_arn(clients, k).await,
        None => None,
    };
    for (key, roots) in named {
        let few = |roots: &[&str]| {
            let mut s = roots.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            if roots.len() > 3 {
                s.push_str(&format!(" and {} more", roots.len() - 3));
            }
            s
        };
        match (key.is_empty(), bucket_key) {
            (true, None) | (true, Some("alias/aws/s3")) => {}
            (true, Some(bk)) => out.findings.push(finding(
                &STORE_KMS_KEY,
                at,
                format!(
                    "the bucket's default key is {bk}, but no kms_key_id is set in {}: with encrypt = true the S3 backend writes that state with SSE-S3, not this key",
                    few(&roots)
                ),
                Some(format!("kms_key_id = \"{bk}\" in those backends")),
            )),
            (false, None) => out.findings.push(finding(
                &STORE_KMS_KEY,
                at,
                format!(
                    "kms_key_id {key} (in {}), but the bucket's default encryption is not that key",
                    few(&roots)
                ),
                None,
            )),
            (false, Some(bk)) => {
                if key == bk {
                    out.passed.push(format!("backends use the bucket's key {bk}"));
                    continue;
                }
                match (key_arn(clients, key).await, &bucket_arn) {
                    (Some(a), Some(b)) if a == *b => {
                        out.passed.push(format!("backends use the bucket's key {b}"))
                    }
                    (Some(a), Some(b)) => out.findings.push(finding(
                        &STORE_KMS_KEY,
                        at,
                        format!(
                            "kms_key_id {key} ({a}, in {}), but the bucket's default key is {b}",
                            few(&roots)
                        ),
                        None,
                    )),
                    _ => out.findings.push(finding(
                        &NOT_CHECKED,
                        at,
                        format!("whether kms_key_id {key} of {} is the bucket's key {bk}: unknown (the keys cannot be described with these credentials)", few(&roots)),
                        None,
                    )),
                }
            }
        }
    }
}

/// Every lock table the store's roots name.
async fn check_tables(clients: &Clients, group: &Group, out: &mut Checked) {
    for table in group.tables() {
        let at = format!("dynamodb://{table}");
        let desc = match clients
            .dynamodb
            .describe_table()
            .table_name(&table)
            .send()
            .await
        {
            Ok(d) => d,
            Err(e) => {
                let why = describe(&e);
                if code_of(&why) == "ResourceNotFoundException" {
                    let roots = group
                        .states
                        .iter()
                        .filter(|s| s.table.as_deref() == Some(table.as_str()))
                        .count();
                    out.findings.push(finding(
                        &TABLE_MISSING,
                        &at,
                        format!("the lock table {table} does not exist: {roots} root(s) that name it cannot take a lock"),
                        None,
                    ));
                } else {
                    out.findings.push(finding(
                        &NOT_CHECKED,
                        &at,
                        format!("the lock table {table}: unknown ({why})"),
                        None,
                    ));
                }
                continue;
            }
        };
        let Some(t) = desc.table() else { continue };
        let keys: Vec<(String, String)> = t
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_string(),
                    k.key_type().as_str().to_string(),
                )
            })
            .collect();
        let type_of = |name: &str| {
            t.attribute_definitions()
                .iter()
                .find(|a| a.attribute_name() == name)
                .map(|a| a.attribute_type().clone())
        };
        let hash = keys
            .iter()
            .find(|(_, k)| k == KeyType::Hash.as_str())
            .map(|(n, _)| n.as_str());
        let range = keys.iter().find(|(_, k)| k == KeyType::Range.as_str());
        let problem = match (hash, range) {
            (Some("LockID"), None) => match type_of("LockID") {
                Some(ScalarAttributeType::S) => None,
                other => Some(format!(
                    "its hash key LockID is of type {}, not S (string)",
                    other.map_or("unknown".into(), |t| t.as_str().to_string())
                )),
            },
            (Some("LockID"), Some((r, _))) => Some(format!(
                "it has a sort key {r}; Terraform writes LockID alone"
            )),
            (Some(h), _) => Some(format!("its hash key is {h}, not LockID")),
            (None, _) => Some("it has no hash key".into()),
        };
        match problem {
            Some(why) => out.findings.push(finding(
                &TABLE_KEY_SCHEMA,
                &at,
                format!("{table} cannot hold Terraform's locks: {why}"),
                Some("create a table with hash key LockID of type S (a key schema cannot change) and point dynamodb_table at it".into()),
            )),
            None => out.passed.push(format!("{table} keyed by LockID (S)")),
        }
        let sse = t
            .sse_description()
            .and_then(|d| d.status())
            .map(|s| s.as_str().to_string());
        if sse.as_deref() == Some("ENABLED") {
            out.passed.push(format!("{table} encrypted with KMS"));
        } else {
            out.findings.push(finding(
                &TABLE_ENCRYPTION,
                &at,
                format!("{table} is encrypted with an AWS owned key only (no KMS key)"),
                None,
            ));
        }
        if t.deletion_protection_enabled() == Some(true) {
            out.passed.push(format!("{table} deletion protection on"));
        } else {
            out.findings.push(finding(
                &TABLE_DELETION_PROTECTION,
                &at,
                format!("deletion protection of {table} is off"),
                Some(format!(
                    "aws dynamodb update-table --table-name {table} --deletion-protection-enabled"
                )),
            ));
        }
        match clients
            .dynamodb
            .describe_continuous_backups()
            .table_name(&table)
            .send()
            .await
        {
            Ok(b) => {
                let on = b
                    .continuous_backups_description()
                    .and_then(|d| d.point_in_time_recovery_description())
                    .and_then(|p| p.point_in_time_recovery_status())
                    .is_some_and(|s| s.as_str() == "ENABLED");
                if on {
                    out.passed
                        .push(format!("{table} point-in-time recovery on"));
                } else {
                    out.findings.push(finding(
                        &TABLE_PITR,
                        &at,
                        format!("point-in-time recovery of {table} is off"),
                        Some(format!("aws dynamodb update-continuous-backups --table-name {table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true")),
                    ));
                }
            }
            Err(e) => out.findings.push(finding(
                &NOT_CHECKED,
                &at,
                format!(
                    "point-in-time recovery of {table}: unknown ({})",
                    describe(&e)
                ),
                None,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_only_policies() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(denies_plain_http(p));
        let p = r#"{"Statement":{"Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":["false"]}}}}"#;
        assert!(denies_plain_http(p));
        let p = r#"{"Statement":[{"Effect":"Allow","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(!denies_plain_http(p));
        assert!(!denies_plain_http("not json"));
        assert_eq!(
            xml_status("<GetBucketVersioningResponse><Status>Suspended</Status></GetBucketVersioningResponse>").as_deref(),
            Some("Suspended")
        );
        assert_eq!(xml_status("<VersioningConfiguration/>"), None);
        for r in ALL {
            assert!(r.doc().contains("Fix:"), "{}", r.id);
        }
    }
}
