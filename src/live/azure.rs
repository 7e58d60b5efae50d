//! Azure Blob stores (azurerm backend): held locks and the container, through the Blob REST API
//! with Shared Key (or SAS) authentication on a small HTTPS client. The azurerm backend locks a
//! state by taking an infinite *lease* on its blob with the lock ID as the proposed lease ID, and
//! writes the lock details (base64 JSON) into the blob's metadata `terraformlockid`; unlocking
//! checks that ID, clears the metadata under the lease and releases the lease with that ID. So
//! `unlock` can only end the lease the given ID holds: Azure refuses a release with another ID.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::locks::{HeldLock, LockInfo, Report, Shown, Unlocked};
use super::targets::{AzureTarget, Group, KnownState};
use crate::error::{Error, Result};

const VERSION: &str = "2023-11-03";
const LOCK_META: &str = "terraformlockid";

enum Auth {
    SharedKey(Vec<u8>),
    Sas(String),
}

pub struct Client {
    agent: ureq::Agent,
    /// `https://<account>.blob.<suffix>`.
    base: String,
    account: String,
    auth: Auth,
    pub requests: usize,
}

/// Trust what Terraform trusts: SSL_CERT_FILE alone when set, else the public roots.
fn agent() -> Result<ureq::Agent> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let pem = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::Usage(format!(
                "SSL_CERT_FILE={}: no PEM certificate in it",
                std::path::Path::new(&file).display()
            )));
        }
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .tls_config(tls.build())
        .build()
        .into())
}

/// The storage DNS suffix: from the metadata host's endpoint list (what the backend reads), else
/// the environment's.
fn storage_suffix(agent: &ureq::Agent, target: &AzureTarget) -> Result<String> {
    if let Some(host) = &target.metadata_host {
        let url = format!("https://{host}/metadata/endpoints?api-version=2022-09-01");
        // The metadata host is reached directly, as the backend does (NO_PROXY).
        let direct: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .tls_config(agent.config().tls_config().clone())
            .build()
            .into();
        let mut resp = direct
            .get(&url)
            .call()
            .map_err(|e| Error::Usage(format!("cannot reach the metadata host {host}: {e}")))?;
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        return doc
            .pointer("/suffixes/storage")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "the metadata host {host} names no storage suffix (suffixes.storage)"
                ))
            });
    }
    Ok(match target.environment.as_deref() {
        Some("usgovernment") => "core.usgovcloudapi.net",
        Some("china") => "core.chinacloudapi.cn",
        _ => "core.windows.net",
    }
    .to_string())
}

impl Client {
    pub fn new(target: &AzureTarget) -> Result<Client> {
        let env = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
        let auth = if let Some(k) = target.access_key.clone().or_else(|| env("ARM_ACCESS_KEY")) {
            let key = base64::engine::general_purpose::STANDARD
                .decode(k.trim())
                .map_err(|_| {
                    Error::Usage(format!(
                        "the access key of storage account {} is not base64 (ARM_ACCESS_KEY or access_key)",
                        target.account
                    ))
                })?;
            Auth::SharedKey(key)
        } else if let Some(s) = target.sas_token.clone().or_else(|| env("ARM_SAS_TOKEN")) {
            Auth::Sas(s.trim_start_matches('?').to_string())
        } else {
            return Err(Error::Usage(format!(
                "no credentials for storage account {}: tfboot reads azurerm stores with the account's shared key (ARM_ACCESS_KEY or access_key) or a SAS token (ARM_SAS_TOKEN or sas_token); Azure AD sign-in is not supported in this version",
                target.account
            )));
        };
        let agent = agent()?;
        let suffix = storage_suffix(&agent, target)?;
        Ok(Client {
            base: format!("https://{}.blob.{suffix}", target.account),
            agent,
            account: target.account.clone(),
            auth,
            requests: 0,
        })
    }

    /// One signed request: status, response headers (lowercased) and body.
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, String)],
    ) -> Result<(u16, BTreeMap<String, String>, String)> {
        use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
        const PATH: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'/')
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        self.requests += 1;
        let enc_path = utf8_percent_encode(path, PATH).to_string();
        let mut url = format!("{}{enc_path}", self.base);
        let q = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let mut parts: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", q(v))).collect();
        let mut all_headers: Vec<(String, String)> = vec![
            (
                "x-ms-date".into(),
                httpdate::fmt_http_date(std::time::SystemTime::now()),
            ),
            ("x-ms-version".into(), VERSION.into()),
        ];
        all_headers.extend(
            headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
        );
        match &self.auth {
            Auth::Sas(sas) => parts.push(sas.clone()),
            Auth::SharedKey(key) => {
                let mut canon_headers: Vec<&(String, String)> = all_headers
                    .iter()
                    .filter(|(k, _)| k.starts_with("x-ms-"))
                    .collect();
                canon_headers.sort();
                let mut canon_query: Vec<(String, &str)> = query
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), *v))
                    .collect();
                canon_query.sort();
                let mut to_sign = format!("{method}\n\n\n\n\n\n\n\n\n\n\n\n");
                for (k, v) in canon_headers {
                    to_sign.push_str(&format!("{k}:{}\n", v.trim()));
                }
                to_sign.push_str(&format!("/{}{enc_path}", self.account));
                for (k, v) in canon_query {
                    to_sign.push_str(&format!("\n{k}:{v}"));
                }
                use hmac::Mac as _;
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
                    .map_err(|e| Error::Usage(format!("shared key: {e}")))?;
                mac.update(to_sign.as_bytes());
                let sig =
                    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
                all_headers.push((
                    "authorization".into(),
                    format!("SharedKey {}:{sig}", self.account),
                ));
            }
        }
        if !parts.is_empty() {
            url.push('?');
            url.push_str(&parts.join("&"));
        }
        let result = match method {
            "PUT" => {
                let mut r = self.agent.put(&url);
                for (k, v) in &all_headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                r.send_empty()
            }
            "HEAD" => {
                let mut r = self.agent.head(&url);
                for (k, v) in &all_headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                r.call()
            }
            _ => {
                let mut r = self.agent.get(&url);
                for (k, v) in &all_headers {
                    r = r.header(k.as_str(), v.as_str());
                }
                r.call()
            }
        };
        let mut resp =
            result.map_err(|e| Error::Usage(format!("cannot reach {}{path}: {e}", self.base)))?;
        let status = resp.status().as_u16();
        let hdrs = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let body = if method == "HEAD" {
            String::new()
        } else {
            resp.body_mut().read_to_string().unwrap_or_default()
        };
        Ok((status, hdrs, body))
    }
}

fn api_error(what: &str, status: u16, headers: &BTreeMap<String, String>, body: &str) -> Error {
    let code = headers
        .get("x-ms-error-code")
        .cloned()
        .or_else(|| {
            roxmltree::Document::parse(body).ok().and_then(|d| {
                d.descendants()
                    .find(|n| n.has_tag_name("Code"))
                    .and_then(|n| n.text().map(str::to_string))
            })
        })
        .unwrap_or_default();
    Error::Usage(format!("{what}: HTTP {status} {code}"))
}

/// The lock details in a blob's metadata.
fn decode_info(value: &str) -> LockInfo {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// A blob of the listing: name, whether it is leased, its lock details.
struct Blob {
    name: String,
    leased: bool,
    lock: Option<String>,
}

fn list_blobs(c: &mut Client, container: &str) -> Result<Vec<Blob>> {
    let mut out = Vec::new();
    let mut marker = String::new();
    loop {
        let mut q = vec![
            ("restype", "container"),
            ("comp", "list"),
            ("include", "metadata"),
            ("maxresults", "5000"),
        ];
        if !marker.is_empty() {
            q.push(("marker", marker.as_str()));
        }
        let (status, hdrs, body) = c.send("GET", &format!("/{container}"), &q, &[])?;
        if status != 200 {
            return Err(api_error(
                &format!("cannot list the container {container}"),
                status,
                &hdrs,
                &body,
            ));
        }
        let doc = roxmltree::Document::parse(&body).map_err(|e| {
            Error::Usage(format!("container {container}: unexpected listing ({e})"))
        })?;
        for b in doc.descendants().filter(|n| n.has_tag_name("Blob")) {
            let text = |tag: &str| {
                b.descendants()
                    .find(|n| n.has_tag_name(tag))
                    .and_then(|n| n.text())
                    .unwrap_or_default()
                    .to_string()
            };
            out.push(Blob {
                name: text("Name"),
                leased: text("LeaseState") == "leased",
                lock: b
                    .descendants()
                    .find(|n| n.has_tag_name("Metadata"))
                    .and_then(|m| {
                        m.children()
                            .find(|n| n.tag_name().name().eq_ignore_ascii_case(LOCK_META))
                    })
                    .and_then(|n| n.text().map(str::to_string)),
            });
        }
        marker = doc
            .descendants()
            .find(|n| n.has_tag_name("NextMarker"))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string();
        if marker.is_empty() {
            return Ok(out);
        }
    }
}

/// The known state a blob is: the key itself, or the key of another workspace (`<key>env:<ws>`).
fn known_of<'a>(name: &str, group: &'a Group) -> Option<(&'a KnownState, Option<String>)> {
    if let Some(k) = group.states.iter().find(|s| s.key == name) {
        return Some((k, None));
    }
    group.states.iter().find_map(|s| {
        let ws = name.strip_prefix(&s.key)?.strip_prefix("env:")?;
        (!ws.is_empty()).then(|| (s, Some(ws.to_string())))
    })
}

fn lock_of(
    target: &AzureTarget,
    name: &str,
    info: LockInfo,
    group: &Group,
    now: std::time::SystemTime,
) -> HeldLock {
    let id = info.id.clone();
    // The backend creates an empty blob to lease when the state does not exist yet.
    HeldLock::new(
        format!("azurerm://{}/{}/{name}", target.account, target.container),
        "azurerm",
        "lease",
        id,
        info,
        known_of(name, group),
        true,
        now,
    )
}

/// Every leased state blob of the container: one listing (with metadata), no read per lock.
pub fn list(target: &AzureTarget, group: &Group) -> Result<Report> {
    let mut c = Client::new(target)?;
    let now = std::time::SystemTime::now();
    let blobs = list_blobs(&mut c, &target.container)?;
    let mut report = Report::default();
    for b in blobs.into_iter().filter(|b| b.leased) {
        let info = b.lock.as_deref().map(decode_info).unwrap_or_default();
        report
            .locks
            .push(lock_of(target, &b.name, info, group, now));
    }
    report.locks.sort_by(|a, b| a.state.cmp(&b.state));
    report.requests = c.requests;
    Ok(report)
}

/// A blob's lease state, lock details and response headers.
struct Props {
    leased: bool,
    lock: Option<String>,
    headers: BTreeMap<String, String>,
}

/// A blob's properties (`None`: no such blob).
fn properties(c: &mut Client, container: &str, blob: &str) -> Result<Option<Props>> {
    let (status, hdrs, body) = c.send("HEAD", &format!("/{container}/{blob}"), &[], &[])?;
    match status {
        200 => {
            let leased = hdrs.get("x-ms-lease-state").map(String::as_str) == Some("leased");
            let lock = hdrs.get(&format!("x-ms-meta-{LOCK_META}")).cloned();
            Ok(Some(Props {
                leased,
                lock,
                headers: hdrs,
            }))
        }
        404 => Ok(None),
        _ => Err(api_error(
            &format!("cannot read {container}/{blob}"),
            status,
            &hdrs,
            &body,
        )),
    }
}

pub fn show(target: &AzureTarget, group: &Group, blob: &str) -> Result<Shown> {
    let mut c = Client::new(target)?;
    let props = properties(&mut c, &target.container, blob)?;
    let mut shown = Shown {
        state: format!("azurerm://{}/{}/{blob}", target.account, target.container),
        state_exists: props.is_some(),
        state_size: props
            .as_ref()
            .and_then(|p| p.headers.get("content-length").and_then(|l| l.parse().ok())),
        state_modified: props
            .as_ref()
            .and_then(|p| p.headers.get("last-modified").cloned()),
        locks: Vec::new(),
        digests: Vec::new(),
    };
    if let Some(Props {
        leased: true, lock, ..
    }) = props
    {
        let info = lock.as_deref().map(decode_info).unwrap_or_default();
        shown.locks.push(lock_of(
            target,
            blob,
            info,
            group,
            std::time::SystemTime::now(),
        ));
    }
    Ok(shown)
}

/// End the lease on `blob` only if its lock details hold `id`: clear them under the lease, then
/// release the lease with that ID (Azure refuses a release with any other ID).
pub fn unlock(target: &AzureTarget, blob: &str, id: &str) -> Result<Unlocked> {
    let mut c = Client::new(target)?;
    let container = &target.container;
    let mut out = Unlocked {
        removed: Vec::new(),
        kept: Vec::new(),
    };
    let Some(Props {
        leased,
        lock,
        headers: hdrs,
    }) = properties(&mut c, container, blob)?
    else {
        return Ok(out);
    };
    if !leased {
        return Ok(out);
    }
    let held = lock.as_deref().map(decode_info).unwrap_or_default();
    if held.id != id {
        out.kept.push((
            "lease",
            if held.id.is_empty() {
                "(no lock details: not a Terraform lock)".into()
            } else {
                held.id
            },
        ));
        return Ok(out);
    }
    // Every other metadata entry is written back as it was.
    let mut headers: Vec<(&str, String)> = vec![("x-ms-lease-id", id.to_string())];
    let keep: Vec<(String, String)> = hdrs
        .iter()
        .filter(|(k, _)| k.starts_with("x-ms-meta-") && *k != &format!("x-ms-meta-{LOCK_META}"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.extend(keep.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let path = format!("/{container}/{blob}");
    let (status, h, body) = c.send("PUT", &path, &[("comp", "metadata")], &headers)?;
    if status == 412 || status == 409 {
        out.kept
            .push(("lease", "(the lease holds another ID)".into()));
        return Ok(out);
    }
    if status != 200 {
        return Err(api_error(
            &format!("cannot clear the lock details of {container}/{blob}"),
            status,
            &h,
            &body,
        ));
    }
    let (status, h, body) = c.send(
        "PUT",
        &path,
        &[("comp", "lease")],
        &[
            ("x-ms-lease-action", "release".into()),
            ("x-ms-lease-id", id.to_string()),
        ],
    )?;
    match status {
        200 => out.removed.push("lease"),
        409 | 412 => out
            .kept
            .push(("lease", "(the lease holds another ID)".into())),
        _ => {
            return Err(api_error(
                &format!("cannot release the lease on {container}/{blob}"),
                status,
                &h,
                &body,
            ))
        }
    }
    Ok(out)
}

/// The container, and the blob service's soft delete, against what the bootstrap module promises.
/// Versioning is a setting of the ARM plane (the storage account), which the data plane does not
/// show: reported as not checked.
pub fn doctor(target: &AzureTarget, group: &Group) -> Result<super::doctor::Checked> {
    use super::doctor::*;
    let mut c = Client::new(target)?;
    let at = format!("azurerm://{}/{}", target.account, target.container);
    let mut out = Checked::default();
    let (status, hdrs, body) = c.send(
        "GET",
        &format!("/{}", target.container),
        &[("restype", "container")],
        &[],
    )?;
    if status == 404 {
        out.findings.push(finding(
            &STORE_MISSING,
            &at,
            format!(
                "the container {} of storage account {} does not exist ({} root(s) keep their state in it)",
                target.container,
                target.account,
                group.states.len()
            ),
            Some("bootstrap the store (tfboot bootstrap --apply), or create the container".into()),
        ));
        return Ok(out);
    }
    if status != 200 {
        return Err(api_error(
            &format!("cannot read {at}"),
            status,
            &hdrs,
            &body,
        ));
    }
    out.passed.push(format!("{at} exists"));
    if hdrs
        .get("x-ms-blob-public-access")
        .is_some_and(|v| !v.is_empty())
    {
        out.findings.push(finding(
            &STORE_PUBLIC_ACCESS,
            &at,
            format!(
                "the container {} allows anonymous read access ({})",
                target.container,
                hdrs.get("x-ms-blob-public-access")
                    .cloned()
                    .unwrap_or_default()
            ),
            Some("az storage container set-permission --public-access off".into()),
        ));
    } else {
        out.passed.push("no anonymous access".into());
    }
    let (status, _, body) = c.send(
        "GET",
        "/",
        &[("restype", "service"), ("comp", "properties")],
        &[],
    )?;
    let soft_delete = (status == 200)
        .then(|| roxmltree::Document::parse(&body).ok())
        .flatten()
        .and_then(|d| {
            d.descendants()
                .find(|n| n.has_tag_name("DeleteRetentionPolicy"))
                .and_then(|p| p.children().find(|n| n.has_tag_name("Enabled")))
                .and_then(|n| n.text().map(|t| t.trim() == "true"))
        });
    match soft_delete {
        Some(true) => out.passed.push("blob soft delete on".into()),
        Some(false) => out.findings.push(finding(
            &STORE_SOFT_DELETE,
            &at,
            format!("blob soft delete of storage account {} is off: a deleted state blob is gone", target.account),
            Some("az storage account blob-service-properties update --enable-delete-retention true --delete-retention-days 30".into()),
        )),
        None => out.findings.push(finding(
            &NOT_CHECKED,
            &at,
            format!("blob soft delete of {}: unknown (the service properties do not say)", target.account),
            None,
        )),
    }
    out.findings.push(finding(
        &NOT_CHECKED,
        &at,
        format!(
            "blob versioning of storage account {}: unknown (a setting of the account in Azure Resource Manager, not visible through the blob API: az storage account blob-service-properties show --account-name {})",
            target.account, target.account
        ),
        None,
    ));
    Ok(out)
}
