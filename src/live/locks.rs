//! Held state locks of an S3 store: every DynamoDB lock item (`LockID = <bucket>/<key>`, lock
//! details in `Info`) and every `<key>.tflock` object, found with O(store) listing calls — a
//! paginated `Scan` of the table and a paginated `ListObjectsV2` of the bucket — plus one read
//! per lock object. Digest items (`<bucket>/<key>-md5`) are Terraform's checksum of the state,
//! never a lock: they are reported apart and never deleted. Unlock is conditional, so it can
//! only remove the lock it was told about.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::aws::{describe, Clients};
use crate::backend::s3::{LockMode, Store};
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

/// A state tfboot knows: its key and the root module it belongs to.
#[derive(Debug, Clone)]
pub struct KnownState {
    pub what: String,
    pub dir: String,
    pub key: String,
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
    /// Whether the state object exists (a first apply holds the lock before it writes one).
    pub state_exists: bool,
}

/// A record in the lock table or the bucket that looks like lock machinery but holds no lock.
#[derive(Debug, Clone, Serialize)]
pub struct Stray {
    /// `digest-without-state`: a `<key>-md5` item whose state object is gone.
    pub kind: &'static str,
    /// The item's `LockID`.
    pub item: String,
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

fn lock_of(
    store: &Store,
    key: &str,
    kind: &'static str,
    info: LockInfo,
    known: &BTreeMap<&str, &KnownState>,
    objects: &BTreeSet<String>,
    now: std::time::SystemTime,
) -> HeldLock {
    let k = known.get(key);
    HeldLock {
        state: state_url(&store.bucket, key),
        backend: "s3",
        lock: kind,
        age_seconds: age_of(&info.created, now),
        id: info.id,
        operation: info.operation,
        who: info.who,
        version: info.version,
        created: info.created,
        root: k.map(|k| k.dir.clone()),
        what: k.map(|k| k.what.clone()),
        state_exists: objects.contains(key),
    }
}

/// Every held lock of the store, and the strays.
pub async fn list(clients: &Clients, store: &Store, known: &[KnownState]) -> Result<Report> {
    let mut report = Report::default();
    let by_key: BTreeMap<&str, &KnownState> = known.iter().map(|k| (k.key.as_str(), k)).collect();
    let now = std::time::SystemTime::now();

    // Every object of the bucket: the states (to tell a lock on a state that does not exist yet)
    // and the `.tflock` objects.
    let mut objects: BTreeSet<String> = BTreeSet::new();
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(&store.bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        report.requests += 1;
        let page = page.map_err(|e| {
            Error::Usage(format!(
                "cannot list s3://{}: {}",
                store.bucket,
                describe(&e)
            ))
        })?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                objects.insert(k.to_string());
            }
        }
    }

    if matches!(store.lock.mode, LockMode::S3 | LockMode::Both) {
        for lockfile in objects.iter().filter(|k| k.ends_with(".tflock")) {
            let key = lockfile.trim_end_matches(".tflock");
            report.requests += 1;
            let got = clients
                .s3
                .get_object()
                .bucket(&store.bucket)
                .key(lockfile)
                .send()
                .await;
            // Released between the listing and the read: no lock any more.
            let Ok(got) = got else { continue };
            let body = got
                .body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .unwrap_or_default();
            let info: LockInfo = serde_json::from_slice(&body).unwrap_or_default();
            report.locks.push(lock_of(
                store, key, "lockfile", info, &by_key, &objects, now,
            ));
        }
    }

    if let (Some(table), true) = (
        &store.lock.table,
        matches!(store.lock.mode, LockMode::Dynamodb | LockMode::Both),
    ) {
        let prefix = format!("{}/", store.bucket);
        let mut pages = clients
            .dynamodb
            .scan()
            .table_name(table)
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
                    report.locks.push(lock_of(
                        store, path, "dynamodb", info, &by_key, &objects, now,
                    ));
                } else if let Some(state) = path.strip_suffix("-md5") {
                    if item.contains_key("Digest") && !objects.contains(state) {
                        report.strays.push(Stray {
                            kind: "digest-without-state",
                            item: lock_id.clone(),
                            detail: format!(
                                "Terraform's checksum of {}, which does not exist: not a lock; harmless, but a new state at that key must match it or Terraform reports a checksum mismatch",
                                state_url(&store.bucket, state)
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

/// What `unlock` did.
#[derive(Debug, Clone, Serialize)]
pub struct Unlocked {
    /// The locks removed (`dynamodb`, `lockfile`).
    pub removed: Vec<&'static str>,
    /// Locks on this state that hold another ID (re-acquired by another run): left alone.
    pub kept: Vec<(&'static str, String)>,
}

/// Remove the lock on `key` whose ID is `id`, only if it still holds that ID: the DynamoDB item
/// is deleted on the condition that `Info` is exactly what was read, the `.tflock` object on the
/// condition that its ETag is (`If-Match`). The digest item is never touched.
pub async fn unlock(clients: &Clients, store: &Store, key: &str, id: &str) -> Result<Unlocked> {
    let mut out = Unlocked {
        removed: Vec::new(),
        kept: Vec::new(),
    };
    if let (Some(table), true) = (
        &store.lock.table,
        matches!(store.lock.mode, LockMode::Dynamodb | LockMode::Both),
    ) {
        let lock_id = format!("{}/{key}", store.bucket);
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
    if matches!(store.lock.mode, LockMode::S3 | LockMode::Both) {
        let lockfile = format!("{key}.tflock");
        if let Ok(got) = clients
            .s3
            .get_object()
            .bucket(&store.bucket)
            .key(&lockfile)
            .send()
            .await
        {
            let etag = got.e_tag().map(str::to_string);
            let body = got
                .body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .unwrap_or_default();
            let parsed: LockInfo = serde_json::from_slice(&body).unwrap_or_default();
            if parsed.id == id {
                let mut req = clients
                    .s3
                    .delete_object()
                    .bucket(&store.bucket)
                    .key(&lockfile);
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
                            "cannot delete s3://{}/{lockfile}: {}",
                            store.bucket,
                            describe(&e)
                        )))
                    }
                }
            } else {
                out.kept.push(("lockfile", parsed.id));
            }
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
