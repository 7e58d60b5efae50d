//! Naming rules Google Cloud Storage, Resource Manager and Cloud KMS apply, checked before anything
//! is written. Each function returns `Err(rule)` where `rule` says what is allowed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::validate::edit_distance;

/// Where a bucket lives: a region, a predefined dual-region or a multi-region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationKind {
    Region,
    DualRegion,
    MultiRegion,
}

#[derive(Deserialize)]
struct DualRegion {
    regions: Vec<String>,
}

#[derive(Deserialize)]
struct LocationFacts {
    multi_regions: BTreeMap<String, String>,
    dual_regions: BTreeMap<String, DualRegion>,
    regions: BTreeMap<String, String>,
}

/// Bucket locations from Google's documentation (`data/gcs-locations.json`).
fn facts() -> &'static LocationFacts {
    static FACTS: OnceLock<LocationFacts> = OnceLock::new();
    FACTS.get_or_init(|| {
        serde_json::from_str(include_str!("../../../data/gcs-locations.json")).unwrap_or(
            LocationFacts {
                multi_regions: BTreeMap::new(),
                dual_regions: BTreeMap::new(),
                regions: BTreeMap::new(),
            },
        )
    })
}

/// What kind of location `name` is (any case, as Cloud Storage accepts it), if it is one.
pub fn location_kind(name: &str) -> Option<LocationKind> {
    let f = facts();
    let upper = name.to_ascii_uppercase();
    if f.multi_regions.contains_key(&upper) {
        Some(LocationKind::MultiRegion)
    } else if f.dual_regions.contains_key(&upper) {
        Some(LocationKind::DualRegion)
    } else if f.regions.contains_key(&name.to_ascii_lowercase()) {
        Some(LocationKind::Region)
    } else {
        None
    }
}

/// A bucket location: a region (`europe-west1`), a predefined dual-region (`EUR4`) or a
/// multi-region (`EU`, `US`, `ASIA`).
pub fn location(name: &str) -> Result<(), String> {
    if location_kind(name).is_some() {
        return Ok(());
    }
    let f = facts();
    let lower = name.to_ascii_lowercase();
    let candidates = f
        .regions
        .keys()
        .cloned()
        .chain(f.dual_regions.keys().cloned())
        .chain(f.multi_regions.keys().cloned());
    let suggestion = candidates
        .map(|c| (edit_distance(&c.to_ascii_lowercase(), &lower), c))
        // Nothing is close to an empty name; a short one is close to anything of its length.
        .filter(|(d, _)| *d <= 2 && *d < lower.chars().count())
        .min()
        .map(|(_, c)| format!("; did you mean {c:?}?"))
        .unwrap_or_default();
    Err(format!(
        "not a Cloud Storage bucket location{suggestion} (a region such as europe-west1 or us-central1, a dual-region such as EUR4 or NAM4, or a multi-region: EU, US, ASIA)"
    ))
}

/// The Cloud KMS location a key needs to be the default key of a bucket in `bucket_location`,
/// and the others Cloud KMS accepts for it. Cloud Storage requires the key to be in the bucket's
/// location ("Customer-managed encryption keys", Restrictions:
/// https://cloud.google.com/storage/docs/encryption/customer-managed-keys#restrictions): a region
/// bucket takes a key in that region; a multi-region bucket a key in the matching Cloud KMS
/// multi-region (`EU` → `europe`, `US` → `us`, `ASIA` → `asia`); a dual-region bucket a key in
/// the Cloud KMS location of the same name (`nam4`) or in the multi-region that contains both its
/// regions.
pub fn kms_locations_for(bucket_location: &str) -> Vec<String> {
    let upper = bucket_location.to_ascii_uppercase();
    let multi = |m: &str| match m {
        "EU" => "europe",
        "US" => "us",
        "ASIA" => "asia",
        _ => "",
    };
    match location_kind(bucket_location) {
        Some(LocationKind::MultiRegion) => vec![multi(&upper).to_string()],
        Some(LocationKind::DualRegion) => {
            let enclosing = if upper.starts_with("EUR") {
                "europe"
            } else if upper.starts_with("NAM") {
                "us"
            } else {
                "asia"
            };
            vec![enclosing.to_string(), upper.to_ascii_lowercase()]
        }
        _ => vec![bucket_location.to_ascii_lowercase()],
    }
}

/// The regions a dual-region is made of.
pub fn dual_region_members(name: &str) -> Vec<String> {
    facts()
        .dual_regions
        .get(&name.to_ascii_uppercase())
        .map(|d| d.regions.clone())
        .unwrap_or_default()
}

/// Cloud Storage bucket naming ("Bucket naming requirements",
/// https://cloud.google.com/storage/docs/buckets#naming).
pub fn bucket_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if name.contains('.') {
        if !(3..=222).contains(&len) {
            return Err(format!(
                "Cloud Storage bucket names with dots are 3 to 222 characters long (this one has {len})"
            ));
        }
        if let Some(part) = name.split('.').find(|p| p.len() > 63) {
            return Err(format!(
                "each dot-separated part of a Cloud Storage bucket name is at most 63 characters ({part:?} has {})",
                part.len()
            ));
        }
        if name.split('.').any(str::is_empty) {
            return Err(
                "Cloud Storage bucket names must not contain empty dot-separated parts ('..')"
                    .into(),
            );
        }
    } else if !(3..=63).contains(&len) {
        return Err(format!(
            "Cloud Storage bucket names are 3 to 63 characters long, or up to 222 with dots (this one has {len})"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "Cloud Storage bucket names use only lowercase letters, digits, '-', '_' and '.' (found {c:?})"
        ));
    }
    let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if !alnum(name.as_bytes().first()) || !alnum(name.as_bytes().last()) {
        return Err(
            "Cloud Storage bucket names begin and end with a lowercase letter or digit".into(),
        );
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("Cloud Storage bucket names must not be an IP address".into());
    }
    if name.starts_with("goog") {
        return Err("Cloud Storage bucket names must not start with \"goog\"".into());
    }
    if looks_like_google(name) {
        return Err(
            "Cloud Storage bucket names must not contain \"google\" or a close misspelling of it"
                .into(),
        );
    }
    Ok(())
}

/// "google" written with look-alike digits or a known misspelling (`g00gle`, `go0gle`, `googel`).
fn looks_like_google(name: &str) -> bool {
    let folded: String = name
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            '3' => 'e',
            '9' => 'g',
            c => c,
        })
        .collect();
    ["google", "gogle", "googel", "gooogle", "googie"]
        .iter()
        .any(|w| folded.contains(w))
}

/// A Google Cloud project ID: 6–30 characters of lowercase letters, digits and hyphens, starting
/// with a letter and not ending with a hyphen ("Creating a project",
/// https://cloud.google.com/resource-manager/docs/creating-managing-projects). Older domain-scoped
/// IDs (`example.com:my-project`) are accepted too.
pub fn project_id(id: &str) -> Result<(), String> {
    let bare = match id.rsplit_once(':') {
        Some((domain, p)) if !domain.is_empty() => p,
        _ => id,
    };
    let n = bare.len();
    if !(6..=30).contains(&n) {
        return Err(format!(
            "Google Cloud project IDs are 6 to 30 characters long (this one has {n}); the ID, not the project name or number"
        ));
    }
    if let Some(c) = bare
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "Google Cloud project IDs use only lowercase letters, digits and '-' (found {c:?})"
        ));
    }
    if !bare.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("Google Cloud project IDs start with a lowercase letter".into());
    }
    if bare.ends_with('-') {
        return Err("Google Cloud project IDs must not end with '-'".into());
    }
    Ok(())
}

/// A label key ("Requirements for labels", https://cloud.google.com/storage/docs/tags-and-labels):
/// 1–63 characters of lowercase letters, digits, `_` and `-` (international lowercase letters
/// allowed), starting with a lowercase letter.
pub fn label_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if !(1..=63).contains(&n) {
        return Err(format!(
            "label keys are 1 to 63 characters long (this one has {n})"
        ));
    }
    if !key.starts_with(|c: char| c.is_lowercase()) {
        return Err("label keys start with a lowercase letter".into());
    }
    label_chars(key, "label keys")
}

/// A label value: 0–63 characters of lowercase letters, digits, `_` and `-`.
pub fn label_value(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n > 63 {
        return Err(format!(
            "label values are at most 63 characters long (this one has {n})"
        ));
    }
    label_chars(value, "label values")
}

fn label_chars(s: &str, what: &str) -> Result<(), String> {
    match s
        .chars()
        .find(|c| !(c.is_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        Some(c) => Err(format!(
            "{what} use only lowercase letters, digits, '_' and '-' (found {c:?})"
        )),
        None => Ok(()),
    }
}

/// The parts of a Cloud KMS key's resource name,
/// `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`.
pub struct KmsKeyName<'a> {
    pub project: &'a str,
    pub location: &'a str,
    pub ring: &'a str,
    pub key: &'a str,
}

pub fn parse_kms_key(name: &str) -> Option<KmsKeyName<'_>> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["projects", project, "locations", location, "keyRings", ring, "cryptoKeys", key]
            if [project, location, ring, key].iter().all(|p| !p.is_empty()) =>
        {
            Some(KmsKeyName {
                project,
                location,
                ring,
                key,
            })
        }
        _ => None,
    }
}

/// An existing key for the bucket's default encryption: its full resource name, in a location
/// that can encrypt a bucket in `bucket_location`.
pub fn kms_key(name: &str, bucket_location: &str) -> Result<(), String> {
    let Some(k) = parse_kms_key(name) else {
        if name.contains("/cryptoKeyVersions/") {
            return Err("name the key, not one of its versions: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>".into());
        }
        return Err("a Cloud KMS key's full resource name: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>".into());
    };
    let ok_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !ok_name(k.ring) || !ok_name(k.key) {
        return Err(
            "key ring and key names are 1 to 63 characters of letters, digits, '_' and '-'".into(),
        );
    }
    let allowed = kms_locations_for(bucket_location);
    if location_kind(bucket_location).is_some()
        && !allowed.iter().any(|a| a.eq_ignore_ascii_case(k.location))
    {
        return Err(format!(
            "the key is in {}, but a bucket in {bucket_location} can only use a key in {} (Cloud Storage requires the key in the bucket's location)",
            k.location,
            allowed.join(" or ")
        ));
    }
    Ok(())
}

/// A `prefix` of the gcs backend. Terraform trims a leading `/` and adds a trailing one, then
/// stores `<prefix>/<workspace>.tfstate`; `//`, `.` and `..` segments would be cleaned away in the
/// state path but not in the workspace listing, so they are refused.
pub fn prefix(p: &str) -> Result<(), String> {
    let trimmed = p.trim_matches('/');
    if trimmed.is_empty() {
        return Err("a prefix must name a folder: without one every root's state is the bucket's top-level default.tfstate".into());
    }
    if trimmed.contains("//") {
        return Err("a prefix must not contain '//'".into());
    }
    if trimmed.split('/').any(|s| s == "." || s == "..") {
        return Err("a prefix must not contain '.' or '..' segments".into());
    }
    if p.chars().any(char::is_control) {
        return Err("a prefix must not contain control characters".into());
    }
    if trimmed.len() + "/default.tfstate".len() > 1024 {
        return Err("Cloud Storage object names are at most 1024 bytes long".into());
    }
    Ok(())
}

/// The prefix as Terraform uses it in object names (no leading or trailing `/`).
pub fn normalize_prefix(p: &str) -> String {
    p.trim_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for ok in [
            "acme-tfstate",
            "a_b",
            "abc",
            "123",
            "state.example.com",
            &format!("{}.{}", "a".repeat(63), "b".repeat(63)),
        ] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Acme",
            "-acme",
            "acme_",
            "192.168.1.1",
            "goog-state",
            "my-google-state",
            "my-g00gle-state",
            "acme state",
            &format!("{}.b", "a".repeat(64)),
            "a..b",
        ] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn project_rules() {
        assert!(project_id("acme-infra").is_ok());
        assert!(project_id("example.com:acme-infra").is_ok());
        for bad in [
            "acme",
            "Acme-infra",
            "1acme-infra",
            "acme-infra-",
            "acme_infra",
            &"a".repeat(31),
        ] {
            assert!(project_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locations_and_keys() {
        assert_eq!(location_kind("EU"), Some(LocationKind::MultiRegion));
        assert_eq!(location_kind("eu"), Some(LocationKind::MultiRegion));
        assert_eq!(location_kind("nam4"), Some(LocationKind::DualRegion));
        assert_eq!(location_kind("europe-west1"), Some(LocationKind::Region));
        assert!(location("europe-west9").is_ok());
        assert!(location("europe-west99")
            .unwrap_err()
            .contains("did you mean"));
        let key = |loc: &str| format!("projects/p/locations/{loc}/keyRings/r/cryptoKeys/k");
        assert!(kms_key(&key("europe"), "EU").is_ok());
        assert!(kms_key(&key("us"), "US").is_ok());
        assert!(kms_key(&key("asia"), "ASIA").is_ok());
        assert!(kms_key(&key("europe-west1"), "europe-west1").is_ok());
        assert!(kms_key(&key("us"), "NAM4").is_ok());
        assert!(kms_key(&key("europe-west1"), "EU")
            .unwrap_err()
            .contains("europe"));
        assert!(kms_key(&key("europe-west4"), "europe-west1").is_err());
        assert!(kms_key("projects/p/keyRings/r", "EU").is_err());
        assert!(kms_key(&format!("{}/cryptoKeyVersions/1", key("europe")), "EU").is_err());
    }

    #[test]
    fn labels_and_prefixes() {
        assert!(label_key("team").is_ok());
        assert!(label_key("Team").is_err());
        assert!(label_key("1team").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("platform-1_x").is_ok());
        assert!(label_value("Platform").is_err());
        assert!(prefix("envs/dev").is_ok());
        assert!(prefix("/envs/dev/").is_ok());
        for bad in ["", "/", "a//b", "a/../b", "a\nb"] {
            assert!(prefix(bad).is_err(), "{bad:?}");
        }
    }
}
