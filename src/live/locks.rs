//! Held state locks of an S3 store: every DynamoDB lock item (`LockID = <bucket>/<key>`, lock
//! details in `Info`) and every `<key>.tflock` object, found with O(store) listing calls — a
//! paginated `Scan` of the table and a paginated `ListObjectsV2` of the bucket — plus one read
//! per lock object. Digest items (`<bucket>/<key>-md5`) are Terraform's checksum of the state,
//! never a lock: they are reported apart and never deleted. Unlock is conditional, so it can
//! only remove the lock it was told about.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::aws::{describe, Clients};
use super::targets::{Group, KnownState, S3Target};
use crate::error::{Error, Result};

/// Terraform's lock information, as it writes it into `Info` and into `.tflock` objects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Path")]
    pub path: String,
}

/// One held lock.
#[derive(Debug, Clone, Serialize)]
pub struct HeldLock {
    /// `s3://<bucket>/<key>`.
    pub state: String,
    pub backend: &'static str,
    /// `dynamodb` (an item in the lock table) or `lockfile` (a `<key>.tflock` object).
    pub lock: &'static str,
    /// The ID exactly as `terraform force-unlock` takes it.
    pub id: String,
    pub operation: String,
    pub who: String,
    pub version: String,
    pub created: String,
    /// Seconds since `created`, when it parses.
    pub age_seconds: Option<u64>,
    /// Where `terraform force-unlock` runs: the root module of this state, when tfboot knows it.
    pub root: Option<String>,
    /// `env "dev"`, `root live/app`, …
    pub what: Option<String>,
    /// The workspace whose state this is, when not the default one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The partial configuration `terraform init` in the root needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_config: Option<String>,
    /// Whether the state object exists (a first apply holds the lock before it writes one).
    pub state_exists: bool,
    /// The lock table of a `dynamodb` lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

impl HeldLock {
    /// A lock as every backend reports it: the lock details Terraform wrote, the ID
    /// `force-unlock` takes (`id`), and the root (and workspace) the state belongs to.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: String,
        backend: &'static str,
        lock: &'static str,
        id: String,
        info: LockInfo,
        known: Option<(&KnownState, Option<String>)>,
        state_exists: bool,
        now: std::time::SystemTime,
    ) -> HeldLock {
        HeldLock {
            state,
            backend,
            lock,
            age_seconds: age_of(&info.created, now),
            id,
            operation: info.operation,
            who: info.who,
            version: info.version,
            created: info.created,
            root: known.as_ref().map(|(k, _)| k.dir.clone()),
            what: known.as_ref().map(|(k, _)| k.what.clone()),
            backend_config: known.as_ref().and_then(|(k, _)| k.backend_config.clone()),
            workspace: known.and_then(|(_, ws)| ws),
            state_exists,
            table: None,
        }
    }
}

/// A record in the lock table or the bucket that looks like lock machinery but holds no lock.
#[derive(Debug, Clone, Serialize)]
pub struct Stray {
    /// `digest-without-state`: a `<key>-md5` item whose state object is gone.
    pub kind: &'static str,
    /// The item's `LockID`.
    pub item: String,
    /// The lock table it sits in.
    pub table: String,
    pub detail: String,
}

/// What `list` found, and how many requests it took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub locks: Vec<HeldLock>,
    pub strays: Vec<Stray>,
    /// Requests sent: `Scan` pages, `ListObjectsV2` pages, `GetObject` of lock objects.
    pub requests: usize,
}

fn state_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Seconds since an RFC 3339 time as Terraform writes it (`2026-12-03T10:00:00.123456Z`).
pub fn age_of(created: &str, now: std::time::SystemTime) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(created.trim_end_matches('Z'))
        .ok()
        .or_else(|| humantime::parse_rfc3339(created).ok())
        .or_else(|| parse_with_offset(created))?;
    now.duration_since(t).ok().map(|d| d.as_secs())
}

/// `2026-12-03T10:00:00.5+01:00`: the same instant in UTC.
fn parse_with_offset(s: &str) -> Option<std::time::SystemTime> {
    let (body, sign, off) = match s.rfind(['+', '-']) {
        Some(i) if i > 10 => (&s[..i], &s[i..i + 1], &s[i + 1..]),
        _ => return None,
    };
    let (h, m) = off.split_once(':')?;
    let secs = h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60;
    let t = humantime::parse_rfc3339_weak(body).ok()?;
    let d = std::time::Duration::from_secs(secs);
    if sign == "+" {
        t.checked_sub(d)
    } else {
        t.checked_add(d)
    }
}

/// The known state a key belongs to: the state itself, or another workspace's state of that
/// root (`<workspace_key_prefix>/<workspace>/<key>`).
fn known_of<'a>(key: &str, group: &'a Group) -> Option<(&'a KnownState, Option<String>)> {
    if let Some(k) = group.states.iter().find(|s| s.key == key) {
        return Some((k, None));
    }
    group.states.iter().find_map(|s| {
        let rest = key
            .strip_prefix(&s.workspace_key_prefix)?
            .strip_prefix('/')?;
        let (ws, k) = rest.split_once('/')?;
        (k == s.key && !ws.is_empty()).then(|| (s, Some(ws.to_string())))
    })
}

fn lock_of(
    bucket: &str,
    key: &str,
    kind: &'static str,
    info: LockInfo,
    group: &Group,
    state_exists: bool,
    now: std::time::SystemTime,
) -> HeldLock {
    let id = info.id.clone();
    HeldLock::new(
        state_url(bucket, key),
        "s3",
        kind,
        id,
        info,
        known_of(key, group),
        state_exists,
        now,
    )
}

/// Read one object's body; `None` when it is gone (released between listing and reading).
async fn read_object(
    clients: &Clients,
    bucket: &str,
    key: &str,
) -> Result<Option<(Vec<u8>, Option<String>)>> {
    match clients.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(got) => {
            let etag = got.e_tag().map(str::to_string);
            let body = got.body.collect().await.map(|b| b.into_bytes().to_vec());
            Ok(Some((body.unwrap_or_default(), etag)))
        }
        Err(e) => {
            let why = describe(&e);
            if why.starts_with("NoSuchKey") || why.starts_with("NotFound") {
                Ok(None)
            } else {
                Err(Error::Usage(format!(
                    "cannot read s3://{bucket}/{key}: {why}"
                )))
            }
        }
    }
}

/// Every held lock of the store, and the strays.
pub async fn list(clients: &Clients, target: &S3Target, group: &Group) -> Result<Report> {
    let mut report = Report::default();
    let now = std::time::SystemTime::now();
    let bucket = &target.bucket;

    // Every object of the bucket: the states (to tell a lock on a state that does not exist yet)
    // and the `.tflock` objects, whatever lock the roots are configured with (a lock object is a
    // lock Terraform will honour).
    let mut objects: BTreeSet<String> = BTreeSet::new();
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        report.requests += 1;
        let page =
            page.map_err(|e| Error::Usage(format!("cannot list s3://{bucket}: {}", describe(&e))))?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                objects.insert(k.to_string());
            }
        }
    }

    for lockfile in objects.iter().filter(|k| k.ends_with(".tflock")) {
        let key = lockfile.trim_end_matches(".tflock");
        report.requests += 1;
        let Some((body, _)) = read_object(clients, bucket, lockfile).await? else {
            continue;
        };
        let info: LockInfo = serde_json::from_slice(&body).unwrap_or_default();
        report.locks.push(lock_of(
            bucket,
            key,
            "lockfile",
            info,
            group,
            objects.contains(key),
            now,
        ));
    }

    let prefix = format!("{bucket}/");
    for table in group.tables() {
        let mut pages = clients
            .dynamodb
            .scan()
            .table_name(&table)
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            report.requests += 1;
            let page = page.map_err(|e| {
                Error::Usage(format!(
                    "cannot scan the lock table {table}: {}",
                    describe(&e)
                ))
            })?;
            for item in page.items() {
                let Some(AttributeValue::S(lock_id)) = item.get("LockID") else {
                    continue;
                };
                // Another bucket's states may share the table.
                let Some(path) = lock_id.strip_prefix(&prefix) else {
                    continue;
                };
                if let Some(AttributeValue::S(info)) = item.get("Info") {
                    let info: LockInfo = serde_json::from_str(info).unwrap_or_default();
                    let mut lock = lock_of(
                        bucket,
                        path,
                        "dynamodb",
                        info,
                        group,
                        objects.contains(path),
                        now,
                    );
                    lock.table = Some(table.clone());
                    report.locks.push(lock);
                } else if let Some(state) = path.strip_suffix("-md5") {
                    if item.contains_key("Digest") && !objects.contains(state) {
                        report.strays.push(Stray {
                            kind: "digest-without-state",
                            item: lock_id.clone(),
                            table: table.clone(),
                            detail: format!(
                                "Terraform's checksum of {}, which does not exist: not a lock; harmless, but a new state at that key must match it or Terraform reports a checksum mismatch",
                                state_url(bucket, state)
                            ),
                        });
                    }
                }
            }
        }
    }
    report
        .locks
        .sort_by(|a, b| (&a.state, a.lock).cmp(&(&b.state, b.lock)));
    Ok(report)
}

/// One state in detail: the state object, every lock on it, and its digest items.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub state: String,
    pub state_exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_modified: Option<String>,
    pub locks: Vec<HeldLock>,
    /// `(table, digest)`: Terraform's checksum of the state in each lock table (never a lock).
    pub digests: Vec<(String, String)>,
}

/// Read one state's object, lock object and lock items (`key` in `group`'s store).
pub async fn show(clients: &Clients, target: &S3Target, group: &Group, key: &str) -> Result<Shown> {
    let bucket = &target.bucket;
    let now = std::time::SystemTime::now();
    let head = clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    let (state_exists, state_size, state_modified) = match head {
        Ok(h) => (
            true,
            h.content_length(),
            h.last_modified().map(|t| t.to_string()),
        ),
        Err(e) => {
            let why = describe(&e);
            if !(why.starts_with("NotFound") || why.starts_with("NoSuchKey")) {
                return Err(Error::Usage(format!(
                    "cannot read s3://{bucket}/{key}: {why}"
                )));
            }
            (false, None, None)
        }
    };
    let mut out = Shown {
        state: state_url(bucket, key),
        state_exists,
        state_size,
        state_modified,
        locks: Vec::new(),
        digests: Vec::new(),
    };
    if let Some((body, _)) = read_object(clients, bucket, &format!("{key}.tflock")).await? {
        let info: LockInfo = serde_json::from_slice(&body).unwrap_or_default();
        out.locks.push(lock_of(
            bucket,
            key,
            "lockfile",
            info,
            group,
            state_exists,
            now,
        ));
    }
    let mut tables = group.tables();
    if let Some(k) = known_of(key, group).and_then(|(k, _)| k.table.clone()) {
        if !tables.contains(&k) {
            tables.push(k);
        }
    }
    for table in tables {
        for (id, digest) in [
            (format!("{bucket}/{key}"), false),
            (format!("{bucket}/{key}-md5"), true),
        ] {
            let got = clients
                .dynamodb
                .get_item()
                .table_name(&table)
                .key("LockID", AttributeValue::S(id.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| {
                    Error::Usage(format!("cannot read {id} in {table}: {}", describe(&e)))
                })?;
            let Some(item) = got.item() else { continue };
            match (digest, item.get("Info"), item.get("Digest")) {
                (false, Some(AttributeValue::S(info)), _) => {
                    let info: LockInfo = serde_json::from_str(info).unwrap_or_default();
                    let mut lock = lock_of(bucket, key, "dynamodb", info, group, state_exists, now);
                    lock.table = Some(table.clone());
                    out.locks.push(lock);
                }
                (true, _, Some(AttributeValue::S(d))) => {
                    out.digests.push((table.clone(), d.clone()))
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// What `unlock` did.
#[derive(Debug, Clone, Serialize)]
pub struct Unlocked {
    /// The locks removed (`dynamodb`, `lockfile`).
    pub removed: Vec<&'static str>,
    /// Locks on this state that hold another ID (re-acquired by another run): left alone.
    pub kept: Vec<(&'static str, String)>,
}

/// Remove the lock on `key` whose ID is `id`, only if it still holds that ID: the DynamoDB item
/// (in each lock table of the store) is deleted on the condition that `Info` is exactly what was
/// read, the `.tflock` object on the condition that its ETag is (`If-Match`). The digest item is
/// never touched.
pub async fn unlock(
    clients: &Clients,
    target: &S3Target,
    group: &Group,
    key: &str,
    id: &str,
) -> Result<Unlocked> {
    let bucket = &target.bucket;
    let mut out = Unlocked {
        removed: Vec::new(),
        kept: Vec::new(),
    };
    let mut tables = group.tables();
    if let Some(k) = known_of(key, group).and_then(|(k, _)| k.table.clone()) {
        if !tables.contains(&k) {
            tables.push(k);
        }
    }
    for table in &tables {
        let lock_id = format!("{bucket}/{key}");
        let got = clients
            .dynamodb
            .get_item()
            .table_name(table)
            .key("LockID", AttributeValue::S(lock_id.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                Error::Usage(format!(
                    "cannot read {lock_id} in {table}: {}",
                    describe(&e)
                ))
            })?;
        if let Some(AttributeValue::S(info)) = got.item().and_then(|i| i.get("Info")) {
            let parsed: LockInfo = serde_json::from_str(info).unwrap_or_default();
            if parsed.id == id {
                let deleted = clients
                    .dynamodb
                    .delete_item()
                    .table_name(table)
                    .key("LockID", AttributeValue::S(lock_id.clone()))
                    .condition_expression("#info = :info")
                    .expression_attribute_names("#info", "Info")
                    .expression_attribute_values(":info", AttributeValue::S(info.clone()))
                    .send()
                    .await;
                match deleted {
                    Ok(_) => out.removed.push("dynamodb"),
                    Err(e) if is_conditional_failure(&describe(&e)) => out
                        .kept
                        .push(("dynamodb", "(changed while unlocking)".into())),
                    Err(e) => {
                        return Err(Error::Usage(format!(
                            "cannot delete {lock_id} in {table}: {}",
                            describe(&e)
                        )))
                    }
                }
            } else {
                out.kept.push(("dynamodb", parsed.id));
            }
        }
    }
    let lockfile = format!("{key}.tflock");
    if let Some((body, etag)) = read_object(clients, bucket, &lockfile).await? {
        let parsed: LockInfo = serde_json::from_slice(&body).unwrap_or_default();
        if parsed.id == id {
            let mut req = clients.s3.delete_object().bucket(bucket).key(&lockfile);
            if let Some(etag) = etag {
                req = req.if_match(etag);
            }
            match req.send().await {
                Ok(_) => out.removed.push("lockfile"),
                Err(e) if is_conditional_failure(&describe(&e)) => out
                    .kept
                    .push(("lockfile", "(changed while unlocking)".into())),
                Err(e) => {
                    return Err(Error::Usage(format!(
                        "cannot delete s3://{bucket}/{lockfile}: {}",
                        describe(&e)
                    )))
                }
            }
        } else {
            out.kept.push(("lockfile", parsed.id));
        }
    }
    Ok(out)
}

fn is_conditional_failure(msg: &str) -> bool {
    msg.contains("ConditionalCheckFailed") || msg.contains("PreconditionFailed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_of_terraform_timestamps() {
        let now = humantime::parse_rfc3339("2026-12-03T12:00:00Z").unwrap();
        assert_eq!(age_of("2026-12-03T11:00:00.123456789Z", now), Some(3599));
        assert_eq!(age_of("2026-12-03T11:30:00Z", now), Some(1800));
        assert_eq!(age_of("2026-12-03T12:30:00+01:00", now), Some(1800));
        assert_eq!(age_of("not a time", now), None);
        let info: LockInfo = serde_json::from_str(
            r#"{"ID":"a1","Operation":"OperationTypeApply","Info":"","Who":"ci@runner","Version":"1.11.4","Created":"2026-12-03T11:00:00Z","Path":"b/k"}"#,
        )
        .unwrap();
        assert_eq!(info.id, "a1");
        assert_eq!(info.who, "ci@runner");
    }
}

/// What a lock table still holds for one bucket once no root uses it: the `<bucket>/<key>-md5`
/// digest items, and any lock item (a run still taking the table's lock).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableContents {
    pub digests: Vec<String>,
    pub locks: Vec<String>,
}

/// Scan `table` for the items of `bucket` (consistent reads, every page).
pub async fn table_contents(clients: &Clients, bucket: &str, table: &str) -> Result<TableContents> {
    let prefix = format!("{bucket}/");
    let mut out = TableContents::default();
    let mut pages = clients
        .dynamodb
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            Error::Usage(format!(
                "cannot scan the lock table {table}: {}",
                describe(&e)
            ))
        })?;
        for item in page.items() {
            let Some(AttributeValue::S(lock_id)) = item.get("LockID") else {
                continue;
            };
            if !lock_id.starts_with(&prefix) {
                continue;
            }
            if item.contains_key("Info") {
                out.locks.push(lock_id.clone());
            } else if lock_id.ends_with("-md5") && item.contains_key("Digest") {
                out.digests.push(lock_id.clone());
            }
        }
    }
    out.digests.sort();
    out.locks.sort();
    Ok(out)
}

/// Delete one digest item, only while it is one (a `Digest` and no lock `Info`).
pub async fn delete_digest(clients: &Clients, table: &str, lock_id: &str) -> Result<bool> {
    let res = clients
        .dynamodb
        .delete_item()
        .table_name(table)
        .key("LockID", AttributeValue::S(lock_id.to_string()))
        .condition_expression("attribute_exists(Digest) AND attribute_not_exists(Info)")
        .send()
        .await;
    match res {
        Ok(_) => Ok(true),
        Err(e) => {
            let why = describe(&e);
            if why.starts_with("ConditionalCheckFailedException") {
                Ok(false)
            } else {
                Err(Error::Usage(format!(
                    "cannot delete {lock_id} from {table}: {why}"
                )))
            }
        }
    }
}
