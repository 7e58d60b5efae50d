//! Naming rules Azure applies to what the azurerm bootstrap module creates, checked before anything
//! is written ("Naming rules and restrictions for Azure resources",
//! https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules). Each
//! function returns `Err(rule)` where `rule` says what is allowed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::validate::edit_distance;

#[derive(Deserialize)]
struct LocationFacts {
    regions: BTreeMap<String, String>,
}

/// Azure regions (`data/azure-locations.json`): programmatic name → display name.
fn regions() -> &'static BTreeMap<String, String> {
    static FACTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    FACTS.get_or_init(|| {
        serde_json::from_str::<LocationFacts>(include_str!("../../../data/azure-locations.json"))
            .map(|f| f.regions)
            .unwrap_or_default()
    })
}

/// A location as the azurerm provider normalises it: lowercase, no spaces (`West Europe` →
/// `westeurope`).
pub fn normalize_location(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// An Azure region, by programmatic name (`westeurope`) or display name (`West Europe`).
pub fn location(name: &str) -> Result<(), String> {
    let normal = normalize_location(name);
    if regions().contains_key(&normal) {
        return Ok(());
    }
    let suggestion = regions()
        .keys()
        .map(|r| (edit_distance(r, &normal), r))
        // Nothing is close to an empty name; a short one is close to anything of its length.
        .filter(|(d, _)| *d <= 2 && *d < normal.chars().count())
        .min()
        .map(|(_, r)| format!("; did you mean {r:?}?"))
        .unwrap_or_default();
    Err(format!(
        "not an Azure region{suggestion} (a programmatic name such as westeurope or eastus2, or its display name)"
    ))
}

/// Storage account names: 3–24 lowercase letters and digits, unique across Azure.
pub fn storage_account(name: &str) -> Result<(), String> {
    let n = name.len();
    if !(3..=24).contains(&n) {
        return Err(format!(
            "storage account names are 3 to 24 characters long (this one has {})",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        return Err(format!(
            "storage account names use only lowercase letters and digits (found {c:?})"
        ));
    }
    Ok(())
}

/// Resource group names: 1–90 characters of letters, digits, `_`, `-`, `.`, `(` and `)`, not
/// ending in `.`.
pub fn resource_group(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if !(1..=90).contains(&n) {
        return Err(format!(
            "resource group names are 1 to 90 characters long (this one has {n})"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
    {
        return Err(format!(
            "resource group names use only letters, digits, '_', '-', '.', '(' and ')' (found {c:?})"
        ));
    }
    if name.ends_with('.') {
        return Err("resource group names must not end with '.'".into());
    }
    Ok(())
}

/// Blob container names: 3–63 lowercase letters, digits and `-`, starting and ending with a
/// letter or digit, no `--`.
pub fn container(name: &str) -> Result<(), String> {
    // Azure's two reserved containers (the account root, static websites) have names of their own.
    if matches!(name, "$root" | "$web") {
        return Ok(());
    }
    let n = name.len();
    if !(3..=63).contains(&n) {
        return Err(format!(
            "container names are 3 to 63 characters long (this one has {})",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "container names use only lowercase letters, digits and '-' (found {c:?})"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("container names begin and end with a letter or digit".into());
    }
    if name.contains("--") {
        return Err("container names must not contain '--'".into());
    }
    Ok(())
}

/// A subscription ID: a GUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn subscription_id(id: &str) -> Result<(), String> {
    let parts: Vec<&str> = id.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err("a subscription ID is a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not the subscription's name".into())
    }
}

/// Azure tag names: 1–512 characters, none of `< > % & \ ? /`.
pub fn tag_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if !(1..=512).contains(&n) {
        return Err(format!(
            "Azure tag names are 1 to 512 characters long (this one has {n})"
        ));
    }
    if let Some(c) = key
        .chars()
        .find(|c| "<>%&\\?/".contains(*c) || c.is_control())
    {
        return Err(format!(
            "Azure tag names must not contain < > % & \\ ? / (found {c:?})"
        ));
    }
    Ok(())
}

/// Azure tag values: at most 256 characters.
pub fn tag_value(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n > 256 {
        return Err(format!(
            "Azure tag values are at most 256 characters long (this one has {n})"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("Azure tag values must not contain control characters".into());
    }
    Ok(())
}

/// An existing Key Vault key for the account's customer-managed key:
/// `https://<vault>.vault.azure.net/keys/<name>` (versionless, so the account follows rotation),
/// optionally with a version.
pub fn key_vault_key_id(id: &str) -> Result<(), String> {
    let shape = "a Key Vault key ID: https://<vault>.vault.azure.net/keys/<name> (versionless, so the account follows the key's rotation)";
    let Some(rest) = id.strip_prefix("https://") else {
        return Err(shape.into());
    };
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [host, "keys", name] | [host, "keys", name, _] if host.contains(".vault.") => {
            let ok = (1..=127).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Ok(())
            } else {
                Err("Key Vault key names are 1 to 127 letters, digits and '-'".into())
            }
        }
        _ => Err(shape.into()),
    }
}

/// The key ID without its version, so the account follows the key's rotation.
pub fn versionless_key_id(id: &str) -> String {
    let trimmed = id.trim_end_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    // https: "" host keys name [version]
    match parts.get(..5) {
        Some(head) if parts.len() == 6 => head.join("/"),
        _ => trimmed.to_string(),
    }
}

/// A Key Vault's resource ID:
/// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`.
pub fn key_vault_id(id: &str) -> Result<(), String> {
    let parts: Vec<&str> = id.split('/').collect();
    let ok = matches!(
        parts.as_slice(),
        ["", s, sub, r, rg, p, ns, v, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && subscription_id(sub).is_ok()
                && r.eq_ignore_ascii_case("resourceGroups")
                && !rg.is_empty()
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.KeyVault")
                && v.eq_ignore_ascii_case("vaults")
                && !name.is_empty()
    );
    if ok {
        Ok(())
    } else {
        Err("a Key Vault resource ID: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>".into())
    }
}

/// An entry of the storage firewall's IP rules: a public IPv4 address or a CIDR range of prefix
/// /30 or shorter ("Grant access from an internet IP range",
/// https://learn.microsoft.com/azure/storage/common/storage-network-security): /31 and /32 are
/// written as single addresses, and private or reserved ranges are not allowed.
pub fn allowed_ip(rule: &str) -> Result<(), String> {
    let (addr, prefix) = match rule.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rule, None),
    };
    let Ok(ip) = addr.parse::<std::net::Ipv4Addr>() else {
        return Err("an IPv4 address (203.0.113.7) or CIDR range (203.0.113.0/24); the storage firewall takes no IPv6 or host names".into());
    };
    if let Some(p) = prefix {
        let Ok(bits) = p.parse::<u8>() else {
            return Err("a CIDR prefix is a number from 0 to 30".into());
        };
        if bits > 32 {
            return Err("a CIDR prefix is a number from 0 to 30".into());
        }
        if bits >= 31 {
            return Err(format!(
                "the storage firewall does not take /31 or /32 ranges: write the address itself ({ip})"
            ));
        }
    }
    if ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified() {
        return Err("the storage firewall takes only public internet addresses; private, loopback and link-local ranges are refused".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(storage_account("acmetfstate").is_ok());
        for bad in ["ab", "acme-tfstate", "AcmeTfstate", &"a".repeat(25)] {
            assert!(storage_account(bad).is_err(), "{bad}");
        }
        assert!(resource_group("acme-tfstate-rg").is_ok());
        assert!(resource_group("rg(prod)_1.a").is_ok());
        for bad in ["", "rg.", "rg/prod", &"a".repeat(91)] {
            assert!(resource_group(bad).is_err(), "{bad}");
        }
        assert!(container("tfstate").is_ok());
        assert!(container("$root").is_ok());
        for bad in [
            "tf",
            "TFstate",
            "-tfstate",
            "tfstate-",
            "tf--state",
            "tf_state",
        ] {
            assert!(container(bad).is_err(), "{bad}");
        }
        assert!(subscription_id("00000000-1111-2222-3333-444444444444").is_ok());
        assert!(subscription_id("my-subscription").is_err());
    }

    #[test]
    fn locations_tags_keys_ips() {
        assert!(location("westeurope").is_ok());
        assert!(location("West Europe").is_ok());
        assert!(location("westeurop").unwrap_err().contains("westeurope"));
        assert!(tag_key("team").is_ok());
        assert!(tag_key("a/b").is_err());
        assert!(tag_value(&"v".repeat(257)).is_err());
        assert!(key_vault_key_id("https://acme-kv.vault.azure.net/keys/state").is_ok());
        assert!(key_vault_key_id("https://acme-kv.vault.azure.net/keys/state/0123abcd").is_ok());
        assert!(key_vault_key_id("acme-kv/state").is_err());
        assert_eq!(
            versionless_key_id("https://acme-kv.vault.azure.net/keys/state/0123abcd"),
            "https://acme-kv.vault.azure.net/keys/state"
        );
        assert_eq!(
            versionless_key_id("https://acme-kv.vault.azure.net/keys/state"),
            "https://acme-kv.vault.azure.net/keys/state"
        );
        assert!(key_vault_id("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/acme-kv").is_ok());
        assert!(key_vault_id("acme-kv").is_err());
        assert!(allowed_ip("203.0.113.7").is_ok());
        assert!(allowed_ip("203.0.113.0/24").is_ok());
        assert!(allowed_ip("203.0.113.7/32")
            .unwrap_err()
            .contains("203.0.113.7"));
        assert!(allowed_ip("10.0.0.0/8").is_err());
        assert!(allowed_ip("2001:db8::1").is_err());
    }
}
