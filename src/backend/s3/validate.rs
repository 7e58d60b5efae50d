//! Naming rules AWS and Terraform's S3 backend apply, checked before anything is written. Each function returns
//! `Err(rule)` where `rule` says what is allowed, phrased for an error message.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::validate::edit_distance;

/// S3 general-purpose bucket naming rules (AWS "Bucket naming rules").
pub fn bucket_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Err(format!(
            "S3 bucket names are 3 to 63 characters long (this one has {len})"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "S3 bucket names use only lowercase letters, digits, '.' and '-' (found {c:?})"
        ));
    }
    let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if !alnum(name.as_bytes().first()) || !alnum(name.as_bytes().last()) {
        return Err("S3 bucket names begin and end with a lowercase letter or digit".into());
    }
    if name.contains("..") {
        return Err("S3 bucket names must not contain two adjacent periods".into());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("S3 bucket names must not be formatted as an IP address".into());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!(
                "S3 bucket names must not start with the reserved prefix {prefix:?}"
            ));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!(
                "S3 bucket names must not end with the reserved suffix {suffix:?}"
            ));
        }
    }
    Ok(())
}

/// DynamoDB table names: 3–255 characters of `[A-Za-z0-9_.-]`.
pub fn table_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if !(3..=255).contains(&len) {
        return Err(format!(
            "DynamoDB table names are 3 to 255 characters long (this one has {})",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "DynamoDB table names use only letters, digits, '_', '.' and '-' (found {c:?})"
        ));
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct RegionFacts {
    partitions: BTreeMap<String, PartitionFacts>,
}

#[derive(serde::Deserialize)]
struct PartitionFacts {
    regions: BTreeMap<String, String>,
}

/// Region → partition, from botocore's endpoint data (`data/aws-regions.json`).
fn regions() -> &'static BTreeMap<String, String> {
    static REGIONS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    REGIONS.get_or_init(|| {
        // Compiled in; `regions_cover_all_partitions` proves it parses.
        let partitions =
            serde_json::from_str::<RegionFacts>(include_str!("../../../data/aws-regions.json"))
                .map(|f| f.partitions)
                .unwrap_or_default();
        let mut out = BTreeMap::new();
        for (partition, p) in partitions {
            for region in p.regions.into_keys() {
                out.insert(region, partition.clone());
            }
        }
        out
    })
}

/// The AWS partition (`aws`, `aws-cn`, `aws-us-gov`, …) of a known region.
pub fn partition_of(region: &str) -> Option<&'static str> {
    regions().get(region).map(String::as_str)
}

/// A region name AWS knows (commercial, China, GovCloud and the isolated partitions).
pub fn region(name: &str) -> Result<(), String> {
    if partition_of(name).is_some() {
        return Ok(());
    }
    // Case and surrounding whitespace first: `EU-WEST-1` and `"eu-west-1 "` have one answer.
    let normal = name.trim().to_ascii_lowercase();
    if partition_of(&normal).is_some() {
        let what = match (normal != name.trim(), name.trim() != name) {
            (true, true) => "region names are lowercase and take no surrounding whitespace",
            (true, false) => "region names are lowercase",
            _ => "remove the surrounding whitespace",
        };
        return Err(format!(
            "not an AWS region as written; did you mean {normal:?}? ({what})"
        ));
    }
    let mut close: Vec<(usize, &str)> = regions()
        .keys()
        .map(|r| (edit_distance(r, &normal), r.as_str()))
        .filter(|(d, _)| *d <= 2)
        .collect();
    close.sort();
    let best = close.first().map_or(0, |(d, _)| *d);
    let close: Vec<&str> = close
        .iter()
        .filter(|(d, _)| *d == best)
        .map(|(_, r)| *r)
        .collect();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(" or "))
    };
    Err(format!(
        "not an AWS region; expected a region name such as eu-west-1, us-gov-west-1 or cn-north-1{hint}"
    ))
}

/// Every region name tfboot knows, sorted.
pub fn known_regions() -> impl Iterator<Item = &'static str> {
    regions().keys().map(String::as_str)
}

/// A UUID in RFC 4122 form as Terraform's S3 backend checks it: version digit 1–5, variant 8/9/a/b.
fn rfc4122_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [a, b, c, d, e] = parts.as_slice() else {
        return false;
    };
    let hex = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit());
    hex(a, 8)
        && hex(b, 4)
        && hex(c, 4)
        && hex(d, 4)
        && hex(e, 12)
        && c.starts_with(['1', '2', '3', '4', '5'])
        && d.starts_with(['8', '9', 'a', 'b', 'A', 'B'])
}

fn mrk_id(s: &str) -> bool {
    s.strip_prefix("mrk-")
        .is_some_and(|h| h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn alias_name(s: &str) -> bool {
    s.strip_prefix("alias/").is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
    })
}

/// A KMS key ARN as `kms_key_arn`: `arn:<partition>:kms:<region>:<account>:key/<id>` or
/// `…:alias/<name>`, in the partition of `state_region` and in that region (S3 only uses keys from
/// the bucket's own region).
pub fn kms_key_arn(arn: &str, state_region: &str) -> Result<(), String> {
    const SHAPE: &str = "expected arn:<partition>:kms:<region>:<12-digit account>:key/<key id> or …:alias/<name>, where the key id is an RFC 4122 UUID or mrk-<32 hex>";
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "kms", region, account, resource] = parts.as_slice() else {
        return Err(format!("not a KMS key ARN; {SHAPE}"));
    };
    let (partition, region, account, resource) = (*partition, *region, *account, *resource);
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "the account id {account:?} is not 12 digits; {SHAPE}"
        ));
    }
    let resource_ok = match resource.strip_prefix("key/") {
        Some(id) => rfc4122_uuid(id) || mrk_id(id),
        None => alias_name(resource),
    };
    if !resource_ok {
        return Err(format!(
            "the resource {resource:?} is not a key id Terraform accepts; {SHAPE}"
        ));
    }
    let Some(region_partition) = partition_of(region) else {
        return Err(format!("{region:?} is not an AWS region; {SHAPE}"));
    };
    if region != state_region {
        return Err(format!(
            "the key is in {region} but the state bucket is in {state_region}; S3 only encrypts with keys from the bucket's region"
        ));
    }
    if partition != region_partition {
        return Err(format!(
            "the partition {partition:?} does not match region {region} (partition {region_partition:?})"
        ));
    }
    Ok(())
}

/// `kms_key_id` as Terraform's S3 backend validates it: a key id (RFC 4122 UUID or `mrk-` + 32
/// hex), an alias name, or an ARN whose resource is `key/<id>` or `alias/<name>`.
pub fn kms_key_id(v: &str) -> Result<(), String> {
    const SHAPE: &str = "expected a key id (RFC 4122 UUID or mrk-<32 hex>), alias/<name>, or an ARN ending in key/<id> or alias/<name>";
    if rfc4122_uuid(v) || mrk_id(v) || alias_name(v) {
        return Ok(());
    }
    if let Some(rest) = v.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if let [_, "kms", _, _, resource] = parts.as_slice() {
            let ok = match resource.strip_prefix("key/") {
                Some(id) => rfc4122_uuid(id) || mrk_id(id),
                None => alias_name(resource),
            };
            if ok {
                return Ok(());
            }
        }
        return Err(format!(
            "not a KMS key or alias ARN Terraform accepts; {SHAPE}"
        ));
    }
    if v.len() == 36 && v.matches('-').count() == 4 {
        return Err(format!(
            "not an RFC 4122 UUID (version digit 1-5, variant 8, 9, a or b); {SHAPE}"
        ));
    }
    Err(SHAPE.to_string())
}

/// An IAM role ARN (`arn:<partition>:iam::<account>:role/<path/name>`).
pub fn role_arn(arn: &str) -> Result<(), String> {
    const SHAPE: &str = "expected arn:<partition>:iam::<12-digit account>:role/<name>";
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts.as_slice() else {
        return Err(format!("not an IAM role ARN; {SHAPE}"));
    };
    if !matches!(
        *partition,
        "aws"
            | "aws-cn"
            | "aws-us-gov"
            | "aws-iso"
            | "aws-iso-b"
            | "aws-iso-e"
            | "aws-iso-f"
            | "aws-eusc"
    ) {
        return Err(format!("unknown partition {partition:?}; {SHAPE}"));
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "the account id {account:?} is not 12 digits; {SHAPE}"
        ));
    }
    let Some(name) = resource.strip_prefix("role/") else {
        return Err(format!("the resource is not role/<name>; {SHAPE}"));
    };
    let name_ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    if !name_ok {
        return Err(format!(
            "role names use letters, digits and +=,.@_-/ ; {SHAPE}"
        ));
    }
    Ok(())
}

/// A state object key: what Terraform's S3 backend accepts (not empty, no leading or trailing `/`,
/// no `//`) and what S3 stores (at most 1024 bytes, no control characters).
pub fn state_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a state key must not be empty".into());
    }
    if key.starts_with('/') || key.ends_with('/') {
        return Err("a state key must not start or end with '/'".into());
    }
    if key.contains("//") {
        return Err("a state key must not contain '//'".into());
    }
    if key.len() > 1024 {
        return Err("S3 object keys are at most 1024 bytes long".into());
    }
    if key.chars().any(char::is_control) {
        return Err("a state key must not contain control characters".into());
    }
    Ok(())
}

/// `workspace_key_prefix`: like a key segment, must not start or end with `/`.
pub fn workspace_key_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Err("workspace_key_prefix must not be empty (leave it out for Terraform's default \"env:\")".into());
    }
    if prefix.starts_with('/') || prefix.ends_with('/') {
        return Err("workspace_key_prefix must not start or end with '/'".into());
    }
    if prefix.chars().any(char::is_control) {
        return Err("workspace_key_prefix must not contain control characters".into());
    }
    Ok(())
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// AWS tag key: 1–128 characters of letters, digits, spaces and `_ . : / = + - @`, not `aws:`.
pub fn tag_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if !(1..=128).contains(&n) {
        return Err(format!(
            "AWS tag keys are 1 to 128 characters long (this one has {n})"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("AWS reserves tag keys starting with \"aws:\"".into());
    }
    if let Some(c) = key.chars().find(|c| !tag_char(*c)) {
        return Err(format!(
            "AWS tag keys use letters, digits, spaces and _ . : / = + - @ (found {c:?})"
        ));
    }
    Ok(())
}

/// AWS tag value: 0–256 characters of letters, digits, spaces and `_ . : / = + - @`.
pub fn tag_value(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n > 256 {
        return Err(format!(
            "AWS tag values are at most 256 characters long (this one has {n})"
        ));
    }
    if let Some(c) = value.chars().find(|c| !tag_char(*c)) {
        return Err(format!(
            "AWS tag values use letters, digits, spaces and _ . : / = + - @ (found {c:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for ok in ["acme-tfstate", "a.b-c", "abc", "123"] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Acme",
            "acme_state",
            "-acme",
            "acme-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "sthree-abc",
            "amzn-s3-demo-abc",
            "abc-s3alias",
            "abc--ol-s3",
            "abc.mrap",
            "abc--x-s3",
            "abc--table-s3",
        ] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn table_rules() {
        assert!(table_name("acme-tfstate-lock").is_ok());
        assert!(table_name("A_b.c-1").is_ok());
        assert!(table_name("ab").is_err());
        assert!(table_name("lock table").is_err());
        assert!(table_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn regions_cover_all_partitions() {
        for r in ["eu-west-1", "us-gov-west-1", "cn-north-1", "us-east-1"] {
            assert!(region(r).is_ok(), "{r}");
        }
        assert_eq!(partition_of("cn-north-1"), Some("aws-cn"));
        let err = region("eu-west-9").unwrap_err();
        assert!(err.contains("did you mean"), "{err}");
        assert!(region("mars-1").is_err());
    }

    #[test]
    fn kms_arns() {
        let ok = "arn:aws:kms:eu-west-1:111122223333:key/0b6b2b5e-4d4f-4c8e-9a7d-3f2e1d0c9b8a";
        assert_eq!(kms_key_arn(ok, "eu-west-1"), Ok(()));
        assert!(kms_key_arn(
            "arn:aws:kms:eu-west-1:111122223333:alias/state",
            "eu-west-1"
        )
        .is_ok());
        assert!(kms_key_arn(
            "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            "eu-west-1"
        )
        .is_ok());
        // The AWS docs' example id is not RFC 4122 (version digit 3 ok, variant 5 not).
        assert!(kms_key_arn(
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "eu-west-1"
        )
        .is_err());
        assert!(kms_key_arn(ok, "us-east-1")
            .unwrap_err()
            .contains("bucket is in us-east-1"));
        assert!(kms_key_arn("alias/state", "eu-west-1").is_err());
        assert!(kms_key_arn(
            "arn:aws-cn:kms:eu-west-1:111122223333:alias/state",
            "eu-west-1"
        )
        .is_err());
    }

    #[test]
    fn keys_tags_dirs() {
        assert!(state_key("envs/dev/terraform.tfstate").is_ok());
        assert!(state_key("a/${x}/\"q\"/é").is_ok());
        for bad in ["", "/a", "a/", "a//b", "a\nb"] {
            assert!(state_key(bad).is_err(), "{bad:?}");
        }
        assert!(tag_key("team").is_ok());
        assert!(tag_key("kostenstelle:büro").is_ok());
        assert!(tag_key("aws:foo").is_err());
        assert!(tag_value("a${b}").is_err());
        assert!(tag_value("").is_ok());
        assert!(role_arn("arn:aws:iam::111111111111:role/state").is_ok());
        assert!(role_arn("arn:aws:iam::111:role/state").is_err());
    }
}
