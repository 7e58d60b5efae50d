//! GCS stores: held locks and the bucket's settings, through the JSON API with a small HTTPS
//! client. The gcs backend keeps the state of workspace W under prefix P at `P/W.tfstate` and its
//! lock at `P/W.tflock`, created with `ifGenerationMatch=0`; the lock ID `terraform force-unlock`
//! takes is that object's *generation*, and unlocking deletes it with `ifGenerationMatch=<ID>`,
//! so a lock re-created by another run (a new generation) cannot be removed by an old ID.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::locks::{HeldLock, LockInfo, Report, Shown, Unlocked};
use super::targets::{GcsTarget, Group, KnownState};
use crate::error::{Error, Result};

/// A client for one store: the API base (`…/storage/v1/`) and the bearer token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    pub requests: usize,
}

/// The token Terraform's gcs backend would use, as far as tfboot can get one without a Google
/// SDK: the block's `access_token`, `GOOGLE_OAUTH_ACCESS_TOKEN`, else (real GCS only)
/// `gcloud auth print-access-token`. An emulator takes none.
fn token_for(target: &GcsTarget) -> Result<Option<String>> {
    if let Some(t) = &target.access_token {
        return Ok(Some(t.clone()));
    }
    if let Some(t) = std::env::var("GOOGLE_OAUTH_ACCESS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(t));
    }
    if target.emulator {
        return Ok(None);
    }
    let out = std::process::Command::new("gcloud")
        .args(["auth", "print-access-token"])
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(Some(
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
        )),
        _ => Err(Error::Usage(format!(
            "no credentials for gs://{}: set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. $(gcloud auth print-access-token)) or access_token in the backend; tfboot does not read service-account key files",
            target.bucket
        ))),
    }
}

impl Client {
    pub fn new(target: &GcsTarget) -> Result<Client> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        Ok(Client {
            agent,
            base: target.endpoint.clone(),
            token: token_for(target)?,
            requests: 0,
        })
    }

    fn object_url(&self, bucket: &str, name: &str) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        format!(
            "{}b/{}/o/{}",
            self.base,
            utf8_percent_encode(bucket, NON_ALPHANUMERIC),
            utf8_percent_encode(name, NON_ALPHANUMERIC)
        )
    }

    /// One request: the status and the body.
    fn send(&mut self, method: &str, url: &str, query: &[(&str, &str)]) -> Result<(u16, String)> {
        self.requests += 1;
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let result = match method {
            "DELETE" => {
                let mut r = self.agent.delete(url);
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            _ => {
                let mut r = self.agent.get(url);
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
        };
        let mut resp = result.map_err(|e| Error::Usage(format!("cannot reach {url}: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        Ok((status, body))
    }
}

fn api_error(what: &str, status: u16, body: &str) -> Error {
    let msg = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    Error::Usage(format!("{what}: HTTP {status}: {msg}"))
}

#[derive(Deserialize)]
struct Listing {
    #[serde(default)]
    items: Vec<Object>,
    #[serde(rename = "nextPageToken")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Object {
    name: String,
    #[serde(default)]
    generation: String,
}

/// The known state an object name belongs to: `<prefix>/<workspace>.tfstate` (or `.tflock`).
fn known_of<'a>(name: &str, group: &'a Group) -> Option<(&'a KnownState, Option<String>)> {
    let stem = name
        .strip_suffix(".tflock")
        .or_else(|| name.strip_suffix(".tfstate"))?;
    let (prefix, ws) = stem.rsplit_once('/').unwrap_or(("", stem));
    let state = group.states.iter().find(|s| s.key == prefix)?;
    Some((state, (ws != "default").then(|| ws.to_string())))
}

fn lock_of(
    bucket: &str,
    lock_name: &str,
    generation: &str,
    info: LockInfo,
    group: &Group,
    objects: &BTreeSet<String>,
    now: std::time::SystemTime,
) -> HeldLock {
    let state = format!("{}.tfstate", lock_name.trim_end_matches(".tflock"));
    HeldLock::new(
        format!("gs://{bucket}/{state}"),
        "gcs",
        "object",
        generation.to_string(),
        info,
        known_of(lock_name, group),
        objects.contains(&state),
        now,
    )
}

/// Every object name of the bucket, and the generation of each.
fn list_objects(c: &mut Client, bucket: &str) -> Result<Vec<Object>> {
    let url = format!("{}b/{bucket}/o", c.base);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut q = vec![("fields", "items(name,generation),nextPageToken")];
        if let Some(t) = &token {
            q.push(("pageToken", t.as_str()));
        }
        let (status, body) = c.send("GET", &url, &q)?;
        if status != 200 {
            return Err(api_error(
                &format!("cannot list gs://{bucket}"),
                status,
                &body,
            ));
        }
        let page: Listing = serde_json::from_str(&body)
            .map_err(|e| Error::Usage(format!("gs://{bucket}: unexpected listing ({e})")))?;
        out.extend(page.items);
        match page.next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// The body of a lock object, if it is still there.
fn read_lock(c: &mut Client, bucket: &str, name: &str) -> Result<Option<LockInfo>> {
    let url = c.object_url(bucket, name);
    let (status, body) = c.send("GET", &url, &[("alt", "media")])?;
    match status {
        200 => Ok(Some(serde_json::from_str(&body).unwrap_or_default())),
        404 => Ok(None),
        _ => Err(api_error(
            &format!("cannot read gs://{bucket}/{name}"),
            status,
            &body,
        )),
    }
}

/// The generation of an object, if it exists.
fn generation_of(c: &mut Client, bucket: &str, name: &str) -> Result<Option<String>> {
    let url = c.object_url(bucket, name);
    let (status, body) = c.send("GET", &url, &[("fields", "name,generation")])?;
    match status {
        200 => Ok(serde_json::from_str::<Object>(&body)
            .ok()
            .map(|o| o.generation)),
        404 => Ok(None),
        _ => Err(api_error(
            &format!("cannot read gs://{bucket}/{name}"),
            status,
            &body,
        )),
    }
}

/// Every held lock of the store: one listing of the bucket, one read per lock object.
pub fn list(target: &GcsTarget, group: &Group) -> Result<Report> {
    let mut c = Client::new(target)?;
    let bucket = &target.bucket;
    let now = std::time::SystemTime::now();
    let objects = list_objects(&mut c, bucket)?;
    let names: BTreeSet<String> = objects.iter().map(|o| o.name.clone()).collect();
    let mut report = Report::default();
    for o in objects.iter().filter(|o| o.name.ends_with(".tflock")) {
        let Some(info) = read_lock(&mut c, bucket, &o.name)? else {
            continue;
        };
        report.locks.push(lock_of(
            bucket,
            &o.name,
            &o.generation,
            info,
            group,
            &names,
            now,
        ));
    }
    report.locks.sort_by(|a, b| a.state.cmp(&b.state));
    report.requests = c.requests;
    Ok(report)
}

/// `state` is the state object's name (`envs/dev/default.tfstate`).
pub fn show(target: &GcsTarget, group: &Group, state: &str) -> Result<Shown> {
    let mut c = Client::new(target)?;
    let bucket = &target.bucket;
    let lock_name = format!("{}.tflock", state.trim_end_matches(".tfstate"));
    let exists = generation_of(&mut c, bucket, state)?.is_some();
    let mut names = BTreeSet::new();
    if exists {
        names.insert(state.to_string());
    }
    let mut locks = Vec::new();
    if let Some(generation) = generation_of(&mut c, bucket, &lock_name)? {
        if let Some(info) = read_lock(&mut c, bucket, &lock_name)? {
            locks.push(lock_of(
                bucket,
                &lock_name,
                &generation,
                info,
                group,
                &names,
                std::time::SystemTime::now(),
            ));
        }
    }
    Ok(Shown {
        state: format!("gs://{bucket}/{state}"),
        state_exists: exists,
        state_size: None,
        state_modified: None,
        locks,
        digests: Vec::new(),
    })
}

/// Delete the lock object of `state` only if its generation is still `id`.
pub fn unlock(target: &GcsTarget, state: &str, id: &str) -> Result<Unlocked> {
    if id.parse::<u64>().is_err() {
        return Err(Error::Usage(format!(
            "--id {id:?}: a gcs lock ID is the lock object's generation, a number (as `tfboot locks` and Terraform print it)"
        )));
    }
    let mut c = Client::new(target)?;
    let bucket = &target.bucket;
    let lock_name = format!("{}.tflock", state.trim_end_matches(".tfstate"));
    let mut out = Unlocked {
        removed: Vec::new(),
        kept: Vec::new(),
    };
    let url = c.object_url(bucket, &lock_name);
    let (status, body) = c.send("DELETE", &url, &[("ifGenerationMatch", id)])?;
    match status {
        200 | 204 => out.removed.push("object"),
        404 => {}
        412 => {
            let now = generation_of(&mut c, bucket, &lock_name)?;
            if let Some(g) = now {
                out.kept.push(("object", g));
            }
        }
        _ => {
            return Err(api_error(
                &format!("cannot delete gs://{bucket}/{lock_name}"),
                status,
                &body,
            ))
        }
    }
    Ok(out)
}

/// The bucket's metadata as the JSON API gives it (`None`: no such bucket).
pub fn read_bucket(target: &GcsTarget) -> Result<Option<serde_json::Value>> {
    let mut c = Client::new(target)?;
    let bucket = &target.bucket;
    let url = format!("{}b/{bucket}", c.base);
    let (status, body) = c.send("GET", &url, &[])?;
    match status {
        200 => serde_json::from_str(&body)
            .map(Some)
            .map_err(|e| Error::Usage(format!("gs://{bucket}: unexpected bucket metadata ({e})"))),
        404 => Ok(None),
        _ => Err(api_error(
            &format!("cannot read gs://{bucket}"),
            status,
            &body,
        )),
    }
}

/// The bucket's settings against what the gcs bootstrap module promises.
pub fn doctor(target: &GcsTarget, group: &Group) -> Result<super::doctor::Checked> {
    use super::doctor::*;
    let mut c = Client::new(target)?;
    let bucket = &target.bucket;
    let at = format!("gs://{bucket}");
    let mut out = Checked::default();
    let url = format!("{}b/{bucket}", c.base);
    let (status, body) = c.send("GET", &url, &[])?;
    if status == 404 {
        out.findings.push(finding(
            &STORE_MISSING,
            &at,
            format!(
                "the bucket {bucket} does not exist ({} root(s) keep their state in it)",
                group.states.len()
            ),
            Some("bootstrap the store: tfboot bootstrap --apply".into()),
        ));
        return Ok(out);
    }
    if status != 200 {
        return Err(api_error(&format!("cannot read {at}"), status, &body));
    }
    let b: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    out.passed.push(format!("{at} exists"));
    if b.pointer("/versioning/enabled").and_then(|v| v.as_bool()) == Some(true) {
        out.passed.push("versioning enabled".into());
    } else {
        out.findings.push(finding(
            &STORE_VERSIONING,
            &at,
            format!("object versioning of {bucket} is off: an overwritten or deleted state cannot be recovered"),
            Some(format!("gcloud storage buckets update gs://{bucket} --versioning")),
        ));
    }
    let unknown = |out: &mut Checked, what: &str| {
        out.findings.push(finding(
            &NOT_CHECKED,
            &at,
            format!("{what} of {at}: unknown (the API answer does not say; an emulator may not report it)"),
            None,
        ))
    };
    match b
        .pointer("/iamConfiguration/uniformBucketLevelAccess/enabled")
        .and_then(|v| v.as_bool())
    {
        Some(true) => out.passed.push("uniform bucket-level access".into()),
        Some(false) => out.findings.push(finding(
            &STORE_UNIFORM_ACCESS,
            &at,
            format!("uniform bucket-level access of {bucket} is off: object ACLs can grant access to single states"),
            Some(format!("gcloud storage buckets update gs://{bucket} --uniform-bucket-level-access")),
        )),
        None => unknown(&mut out, "uniform bucket-level access"),
    }
    match b
        .pointer("/iamConfiguration/publicAccessPrevention")
        .and_then(|v| v.as_str())
    {
        Some("enforced") => out.passed.push("public access prevention enforced".into()),
        Some(other) => out.findings.push(finding(
            &STORE_PUBLIC_ACCESS,
            &at,
            format!("public access prevention of {bucket} is {other:?}, not \"enforced\""),
            Some(format!(
                "gcloud storage buckets update gs://{bucket} --public-access-prevention"
            )),
        )),
        None => unknown(&mut out, "public access prevention"),
    }
    let default_key = b
        .pointer("/encryption/defaultKmsKeyName")
        .and_then(|v| v.as_str());
    for s in &group.states {
        match (s.kms_key_id.as_deref(), default_key) {
            (Some(k), Some(d)) if k != d => out.findings.push(finding(
                &STORE_KMS_KEY,
                &at,
                format!(
                    "kms_encryption_key {k} (in {}), but the bucket's default key is {d}",
                    s.what
                ),
                None,
            )),
            (Some(k), None) => out.findings.push(finding(
                &STORE_KMS_KEY,
                &at,
                format!(
                    "kms_encryption_key {k} (in {}), but the bucket has no default KMS key",
                    s.what
                ),
                None,
            )),
            _ => {}
        }
    }
    if let Some(d) = default_key {
        out.passed.push(format!("default KMS key {d}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::targets::Target;

    #[test]
    fn lock_objects_belong_to_their_prefix_and_workspace() {
        let state = |key: &str| KnownState {
            what: format!("root {key}"),
            dir: key.into(),
            key: key.into(),
            table: None,
            lockfile: true,
            workspace_key_prefix: String::new(),
            kms_key_id: None,
            backend_config: None,
        };
        let group = Group {
            target: Target::Gcs(GcsTarget::new(
                "b".into(),
                Some("http://x/storage/v1".into()),
                None,
            )),
            states: vec![state("envs/dev"), state("")],
        };
        let Target::Gcs(t) = &group.target else {
            unreachable!()
        };
        assert_eq!(t.endpoint, "http://x/storage/v1/");
        assert!(t.emulator);
        let (k, ws) = known_of("envs/dev/default.tflock", &group).unwrap();
        assert_eq!((k.dir.as_str(), ws), ("envs/dev", None));
        let (k, ws) = known_of("envs/dev/staging.tflock", &group).unwrap();
        assert_eq!(
            (k.dir.as_str(), ws.as_deref()),
            ("envs/dev", Some("staging"))
        );
        let (k, ws) = known_of("default.tflock", &group).unwrap();
        assert_eq!((k.dir.as_str(), ws), ("", None));
        assert!(known_of("envs/prod/default.tflock", &group).is_none());
    }
}
