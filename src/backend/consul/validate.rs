//! What the consul backend and Consul itself accept, checked before anything is written. Each
//! function returns `Err(rule)` where `rule` says what is allowed.

use crate::check::model::is_loopback_host;

/// The agent's address: `host:port`, as Terraform's consul backend passes it to the Consul API
/// client (a DNS name, an IPv4 address or a bracketed IPv6 address, and a port).
pub fn address(a: &str) -> Result<(), String> {
    if let Some((scheme, _)) = a.split_once("://") {
        return Err(format!(
            "the address is host:port without a scheme: put {scheme:?} in state.scheme (https, or http for a local agent) and write the rest here"
        ));
    }
    if a.contains('/') || a.contains('?') || a.contains('#') {
        return Err(
            "the address is host:port (consul.example.com:8501), with no path: Terraform reaches the KV store under /v1/kv itself"
                .into(),
        );
    }
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.is_empty() => (h, p),
        _ => {
            return Err(
                "expected host:port, e.g. consul.example.com:8501 (Consul's HTTPS port) or 127.0.0.1:8500 for a local agent"
                    .into(),
            )
        }
    };
    match port.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => {}
        _ => return Err(format!("the port {port:?} is not a number from 1 to 65535")),
    }
    if let Some(v6) = host.strip_prefix('[') {
        let inner = v6.strip_suffix(']').unwrap_or("");
        return inner
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("{host:?} is not an IPv6 address in brackets"));
    }
    if host.contains(':') {
        return Err("an IPv6 address goes in brackets: [2001:db8::1]:8501".into());
    }
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return host
            .parse::<std::net::Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| format!("{host:?} is not an IPv4 address"));
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    for label in host.trim_end_matches('.').split('.') {
        let ok = (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "{host:?} is not a host name: labels of 1–63 letters, digits and '-' (not at either end), separated by '.'"
            ));
        }
    }
    Ok(())
}

/// The host part of a valid `host:port`.
pub fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// `scheme = "http"` only to this machine: anywhere else the state and the token would cross the
/// network in clear text.
pub fn http_allowed(address: &str) -> Result<(), String> {
    if is_loopback_host(host_of(address)) {
        Ok(())
    } else {
        Err(format!(
            "http to {} sends every state and the ACL token across the network in clear text; use scheme = \"https\" (Consul's HTTPS port is 8501 by default; ca_file or CONSUL_CACERT for a private CA). http is accepted only for an agent on this machine (localhost, 127.0.0.1, [::1])",
            host_of(address)
        ))
    }
}

/// A Consul KV path Terraform keeps a state at (or, for `path_prefix`, every state under).
pub fn path(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("the path must not be empty: Consul has no key without a name".into());
    }
    if p.starts_with('/') {
        return Err(format!(
            "a Consul key does not start with '/': write {:?}",
            p.trim_start_matches('/')
        ));
    }
    if p.ends_with('/') {
        return Err(format!(
            "a state path does not end with '/': Consul shows such a key as a folder, and Terraform keeps the lock at <path>/.lock either way; write {:?}",
            p.trim_end_matches('/')
        ));
    }
    if p.contains("//") {
        return Err("the path has an empty segment ('//')".into());
    }
    if p.split('/').any(|s| s == "." || s == "..") {
        return Err(
            "the path has a '.' or '..' segment: the HTTP API cleans it to another key".into(),
        );
    }
    if p.contains("-env:") {
        return Err(
            "the path contains \"-env:\", which Terraform's consul backend puts between a path and a workspace name (<path>-env:<workspace>): this state would be mistaken for a workspace of another path"
                .into(),
        );
    }
    if let Some(c) = p
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | '%' | '\\'))
    {
        return Err(format!(
            "the path holds {c:?}: use letters, digits and . _ - / : (no spaces, control characters, or ? # % \\, which URLs treat specially)"
        ));
    }
    if p.len() > 512 {
        return Err("the path is longer than 512 characters".into());
    }
    Ok(())
}

/// Consul datacenter names: letters, digits, '-' and '_'.
pub fn datacenter(dc: &str) -> Result<(), String> {
    if !dc.is_empty()
        && dc.len() <= 64
        && dc
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err("a Consul datacenter name: 1–64 letters, digits, '-' and '_' (dc1)".into())
    }
}

/// ACL policy names allow `[A-Za-z0-9_-]{1,128}`: the state policy's name, from the prefix.
pub fn policy_name_for(path_prefix: &str) -> String {
    let mut name: String = format!("terraform-state-{path_prefix}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(128);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for ok in [
            "consul.example.com:8501",
            "127.0.0.1:8500",
            "[::1]:8500",
            "localhost:8500",
            "consul:8501",
        ] {
            assert!(address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://consul:8501",
            "consul",
            "consul:",
            ":8500",
            "consul:0",
            "consul:70000",
            "consul:85a",
            "consul/v1:8500",
            "::1:8500",
            "[zz]:8500",
            "300.1.1.1:8500",
            "-bad.example:8500",
            "a_b.example:8500",
        ] {
            assert!(address(bad).is_err(), "{bad}");
        }
        assert!(address("https://consul:8501")
            .unwrap_err()
            .contains("state.scheme"));
        assert_eq!(host_of("[::1]:8500"), "::1");
        assert_eq!(host_of("consul.example.com:8501"), "consul.example.com");
    }

    #[test]
    fn http_only_locally() {
        assert!(http_allowed("127.0.0.1:8500").is_ok());
        assert!(http_allowed("localhost:8500").is_ok());
        assert!(http_allowed("[::1]:8500").is_ok());
        assert!(http_allowed("consul.example.com:8500").is_err());
        assert!(http_allowed("10.0.0.5:8500").is_err());
    }

    #[test]
    fn paths() {
        for ok in ["tfstate", "tfstate/envs/dev", "a.b_c-d/e:f"] {
            assert!(path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/tfstate",
            "tfstate/",
            "a//b",
            "a/./b",
            "a/../b",
            "app-env:prod",
            "a b",
            "a?b",
            "a%2f",
            "a\\b",
        ] {
            assert!(path(bad).is_err(), "{bad:?}");
        }
        assert!(path("app-env:prod").unwrap_err().contains("workspace"));
    }

    #[test]
    fn datacenters_and_policy_names() {
        assert!(datacenter("dc1").is_ok());
        assert!(datacenter("eu_west-1").is_ok());
        assert!(datacenter("").is_err());
        assert!(datacenter("dc 1").is_err());
        assert_eq!(
            policy_name_for("tfstate/acme"),
            "terraform-state-tfstate-acme"
        );
        assert_eq!(policy_name_for(&"x".repeat(300)).len(), 128);
    }
}
