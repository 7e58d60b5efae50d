//! `tfboot adopt` for a Cloud Storage bucket made by hand: what the bucket's metadata says, and
//! what the gcs bootstrap module imports, keeps and changes when it takes the bucket over.

use std::collections::BTreeMap;

use super::Adoption;
use crate::backend::gcs::{key_ring_name, kms_key_name, Store, StoreEncryption, Unmanaged};
use crate::error::{Error, Result};
use crate::live::targets::GcsTarget;

/// Soft delete the module sets: Google's default, 7 days.
const SOFT_DELETE_SECONDS: u64 = 604_800;

/// One lifecycle rule of the bucket, in words, and whether it is the one the module writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRule {
    pub summary: String,
    pub tfboot: bool,
}

/// What `adopt` reads of a bucket. `None`: the API answer does not say (real Cloud Storage
/// always reports it; an emulator may not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundGcs {
    /// As the API reports it (`EUROPE-WEST1`, `EU`).
    pub location: Option<String>,
    /// The API reports the project's number, never its ID.
    pub project_number: Option<String>,
    pub storage_class: Option<String>,
    pub versioning: bool,
    pub uniform_access: Option<bool>,
    pub public_access_prevention: Option<String>,
    pub soft_delete_seconds: Option<u64>,
    pub default_kms_key: Option<String>,
    pub lifecycle: Vec<FoundRule>,
    pub labels: BTreeMap<String, String>,
}

impl FoundGcs {
    /// The settings from the bucket's JSON API metadata.
    pub fn from_metadata(b: &serde_json::Value) -> FoundGcs {
        let s = |p: &str| b.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
        let lifecycle = b
            .pointer("/lifecycle/rule")
            .and_then(|r| r.as_array())
            .map(|rules| rules.iter().map(rule_of).collect())
            .unwrap_or_default();
        let labels = b
            .get("labels")
            .and_then(|l| l.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        FoundGcs {
            location: s("/location"),
            project_number: s("/projectNumber"),
            storage_class: s("/storageClass"),
            versioning: b.pointer("/versioning/enabled").and_then(|v| v.as_bool()) == Some(true),
            uniform_access: b
                .pointer("/iamConfiguration/uniformBucketLevelAccess/enabled")
                .and_then(|v| v.as_bool()),
            public_access_prevention: s("/iamConfiguration/publicAccessPrevention"),
            // The JSON API writes 64-bit integers as strings.
            soft_delete_seconds: b
                .pointer("/softDeletePolicy/retentionDurationSeconds")
                .and_then(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                }),
            default_kms_key: s("/encryption/defaultKmsKeyName").filter(|k| !k.is_empty()),
            lifecycle,
            labels,
        }
    }

    /// The bucket's own lifecycle rules: any besides the one the module writes.
    pub fn own_lifecycle(&self) -> Vec<&str> {
        self.lifecycle
            .iter()
            .filter(|r| !r.tfboot)
            .map(|r| r.summary.as_str())
            .collect()
    }
}

/// A lifecycle rule in words (`Delete when age >= 30`), and whether it is the module's rule.
fn rule_of(r: &serde_json::Value) -> FoundRule {
    let action = r
        .pointer("/action/type")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    let class = r
        .pointer("/action/storageClass")
        .and_then(|v| v.as_str())
        .map(|c| format!(" to {c}"))
        .unwrap_or_default();
    let conditions: Vec<String> = r
        .get("condition")
        .and_then(|c| c.as_object())
        .map(|c| {
            c.iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let num = |k: &str| {
        r.pointer(&format!("/condition/{k}")).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let tfboot = action == "Delete"
        && r.pointer("/condition/isLive").and_then(|v| v.as_bool()) == Some(false)
        && num("daysSinceNoncurrentTime") == Some(u64::from(crate::backend::gcs::NONCURRENT_DAYS))
        && num("numNewerVersions") == Some(u64::from(crate::backend::gcs::KEEP_VERSIONS));
    FoundRule {
        summary: format!("{action}{class} when {}", conditions.join(", ")),
        tfboot,
    }
}

/// Read the bucket: exit 2 when it does not exist or cannot be read.
pub fn read(target: &GcsTarget) -> Result<FoundGcs> {
    match crate::live::gcs::read_bucket(target)? {
        Some(b) => Ok(FoundGcs::from_metadata(&b)),
        None => Err(Error::Usage(format!(
            "gs://{} does not exist: there is nothing to adopt (`tfboot bootstrap --backend gcs` creates the store)",
            target.bucket
        ))),
    }
}

/// Decide which resources the module imports and what its first apply changes; `store` is the
/// module as it will be written.
pub fn plan(store: &Store, found: &FoundGcs) -> Adoption {
    let b = &store.bucket;
    let mut a = Adoption::default();
    a.imports.push((
        "google_storage_bucket.state",
        format!("{}/{b}", store.project),
    ));
    a.notes.push(format!(
        "the bucket is taken to be in project {} (its metadata gives only the project's number{}): with a wrong project the plan wants to replace the bucket, and prevent_destroy stops it",
        store.project,
        found
            .project_number
            .as_deref()
            .map(|n| format!(", {n}"))
            .unwrap_or_default()
    ));
    if !found.versioning {
        a.changes
            .push("object versioning is off: the first apply turns it on".into());
    }
    match found.storage_class.as_deref() {
        Some("STANDARD") | None => {}
        Some(c) => a.changes.push(format!(
            "the default storage class is {c}: the first apply sets STANDARD (objects keep the class they have)"
        )),
    }
    match found.uniform_access {
        Some(true) => {}
        Some(false) => a.changes.push(
            "uniform bucket-level access is off: the first apply turns it on (object ACLs stop granting access; readers need IAM roles on the bucket)".into(),
        ),
        None => a.changes.push(
            "uniform bucket-level access: the API answer does not say; the first apply turns it on".into(),
        ),
    }
    match found.public_access_prevention.as_deref() {
        Some("enforced") => {}
        Some(p) => a.changes.push(format!(
            "public access prevention is {p:?}: the first apply enforces it"
        )),
        None => a.changes.push(
            "public access prevention: the API answer does not say; the first apply enforces it"
                .into(),
        ),
    }
    match found.soft_delete_seconds {
        Some(SOFT_DELETE_SECONDS) => {}
        Some(0) => a.changes.push(
            "soft delete is off: the first apply keeps deleted objects restorable for 7 days"
                .into(),
        ),
        Some(s) => a.changes.push(format!(
            "soft delete keeps deleted objects {s} s: the first apply sets 7 days (604800 s)"
        )),
        None => a
            .changes
            .push("soft delete: the API answer does not say; the first apply sets 7 days".into()),
    }
    let had = found
        .default_kms_key
        .as_deref()
        .map(|k| format!("the bucket's default key is {k}"))
        .unwrap_or_else(|| "the bucket has no default key (Google-managed encryption)".into());
    match &store.encryption {
        StoreEncryption::CreatedKey {
            ring,
            key,
            location,
        } => {
            let name = kms_key_name(&store.project, location, ring, key);
            if found.default_kms_key.as_deref() == Some(name.as_str()) {
                a.imports.push((
                    "google_kms_key_ring.state",
                    key_ring_name(&store.project, location, ring),
                ));
                a.imports.push(("google_kms_crypto_key.state", name));
            } else {
                a.changes.push(format!(
                    "{had}: the first apply creates the key ring {ring} and the key {key} in {location} (rotated every 90 days) and makes it the default key; objects written before keep their encryption"
                ));
            }
        }
        StoreEncryption::ExistingKey { name } => {
            if found.default_kms_key.as_deref() == Some(name.as_str()) {
                a.kept
                    .push(format!("the bucket's default key {name} (state.kms_key)"));
            } else {
                a.changes.push(format!(
                    "{had}: the first apply makes {name} the default key; objects written before keep their encryption"
                ));
            }
        }
        StoreEncryption::Google => match &found.default_kms_key {
            Some(k) => a.changes.push(format!(
                "the bucket's default key is {k}: the first apply removes it (new objects get Google-managed encryption; those written before still need the key)"
            )),
            None => a
                .kept
                .push("Google-managed encryption (no default key)".into()),
        },
    }
    if !matches!(store.encryption, StoreEncryption::Google) {
        a.changes.push(
            "Cloud Storage's service agent gets roles/cloudkms.cryptoKeyEncrypterDecrypter on the key (a member added to the key's policy; none removed)".into(),
        );
    }
    let own = found.own_lifecycle();
    match (own.is_empty(), store.manages(Unmanaged::Lifecycle)) {
        (false, true) => a.changes.push(format!(
            "the lifecycle rules ({}) are replaced by tfboot's rule (noncurrent versions deleted after 90 days once 5 newer exist)",
            own.join("; ")
        )),
        (true, true) => {
            if found.lifecycle.is_empty() {
                a.changes.push(
                    "no lifecycle rules: the first apply adds one (noncurrent versions deleted after 90 days once 5 newer exist)".into(),
                );
            }
        }
        (false, false) => a.kept.push(format!(
            "the lifecycle rules ({}) are the bucket's own and are not managed (state.unmanaged)",
            own.join("; ")
        )),
        (true, false) => a
            .kept
            .push("the lifecycle rules are not managed (state.unmanaged)".into()),
    }
    if !found.labels.is_empty() {
        let names: Vec<&str> = found.labels.keys().map(String::as_str).collect();
        a.kept.push(format!(
            "the bucket's labels ({}): the provider changes only the labels the module sets",
            names.join(", ")
        ));
    }
    let added: Vec<String> = store
        .labels
        .iter()
        .filter(|(k, v)| found.labels.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !added.is_empty() {
        a.changes.push(format!(
            "the first apply sets the labels {}",
            added.join(", ")
        ));
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(encryption: StoreEncryption) -> Store {
        Store {
            bucket: "acme-tfstate".into(),
            project: "acme-infra".into(),
            location: "EU".into(),
            encryption,
            labels: BTreeMap::new(),
            unmanaged: Default::default(),
        }
    }

    fn created() -> StoreEncryption {
        StoreEncryption::CreatedKey {
            ring: "acme-tfstate".into(),
            key: "state".into(),
            location: "europe".into(),
        }
    }

    #[test]
    fn metadata_of_a_hardened_bucket_changes_nothing_and_imports_the_key() {
        let meta = serde_json::json!({
            "location": "EU", "projectNumber": "123", "storageClass": "STANDARD",
            "versioning": {"enabled": true},
            "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": true}, "publicAccessPrevention": "enforced"},
            "softDeletePolicy": {"retentionDurationSeconds": "604800"},
            "encryption": {"defaultKmsKeyName": "projects/acme-infra/locations/europe/keyRings/acme-tfstate/cryptoKeys/state"},
            "lifecycle": {"rule": [{"action": {"type": "Delete"}, "condition": {"isLive": false, "daysSinceNoncurrentTime": 90, "numNewerVersions": 5}}]},
        });
        let found = FoundGcs::from_metadata(&meta);
        assert_eq!(found.soft_delete_seconds, Some(604_800));
        assert!(found.own_lifecycle().is_empty());
        let a = plan(&store(created()), &found);
        let addrs: Vec<&str> = a.imports.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            addrs,
            [
                "google_storage_bucket.state",
                "google_kms_key_ring.state",
                "google_kms_crypto_key.state"
            ]
        );
        assert_eq!(a.imports[0].1, "acme-infra/acme-tfstate");
        assert_eq!(
            a.imports[1].1,
            "projects/acme-infra/locations/europe/keyRings/acme-tfstate"
        );
        // Only the additive IAM member is left to do.
        assert_eq!(a.changes.len(), 1, "{:?}", a.changes);
    }

    #[test]
    fn a_bucket_made_by_hand_reports_each_setting_the_apply_changes() {
        let meta = serde_json::json!({
            "location": "EU", "storageClass": "NEARLINE", "versioning": {"enabled": false},
            "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": false}, "publicAccessPrevention": "inherited"},
            "softDeletePolicy": {"retentionDurationSeconds": "0"},
            "lifecycle": {"rule": [{"action": {"type": "Delete"}, "condition": {"age": 30}}]},
            "labels": {"team": "platform"},
        });
        let found = FoundGcs::from_metadata(&meta);
        assert_eq!(found.own_lifecycle(), ["Delete when age=30"]);
        let a = plan(&store(created()), &found);
        assert_eq!(a.imports.len(), 1);
        let all = a.changes.join("\n");
        for want in [
            "versioning is off",
            "storage class is NEARLINE",
            "uniform bucket-level access is off",
            "\"inherited\"",
            "soft delete is off",
            "creates the key ring acme-tfstate",
            "lifecycle rules (Delete when age=30) are replaced",
        ] {
            assert!(all.contains(want), "missing {want:?} in\n{all}");
        }
        let mut kept = store(created());
        kept.unmanaged.insert(Unmanaged::Lifecycle);
        let a = plan(&kept, &found);
        assert!(a
            .kept
            .iter()
            .any(|k| k.contains("(Delete when age=30) are the bucket's own")));
        assert!(!a.changes.iter().any(|c| c.contains("lifecycle")));
    }

    #[test]
    fn an_emulator_answer_without_settings_says_what_it_could_not_read() {
        let meta = serde_json::json!({"location": "US-CENTRAL1", "versioning": {"enabled": true}});
        let a = plan(
            &store(StoreEncryption::Google),
            &FoundGcs::from_metadata(&meta),
        );
        assert_eq!(
            a.changes
                .iter()
                .filter(|c| c.contains("does not say"))
                .count(),
            3
        );
        assert!(a.kept.iter().any(|k| k.contains("Google-managed")));
    }

    #[test]
    fn an_existing_key_is_kept_or_replaced() {
        let key = "projects/sec/locations/europe/keyRings/r/cryptoKeys/k";
        let meta = serde_json::json!({"encryption": {"defaultKmsKeyName": key}});
        let found = FoundGcs::from_metadata(&meta);
        let a = plan(
            &store(StoreEncryption::ExistingKey { name: key.into() }),
            &found,
        );
        assert!(a.kept.iter().any(|k| k.contains(key)));
        let a = plan(&store(StoreEncryption::Google), &found);
        assert!(a.changes.iter().any(|c| c.contains("removes it")));
    }
}
