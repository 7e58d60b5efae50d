//! ## What it does
//! Finds a backend that talks to its store without protecting the connection: an `http://`
//! endpoint (s3 `endpoints`/`endpoint`, gcs `storage_custom_endpoint`, any `*_endpoint`, the
//! `http` backend's `address`) or consul over http to a host that is not this machine
//! (`scheme = "http"`, or no `scheme` at all: Terraform's consul backend then uses http unless
//! `CONSUL_HTTP_SSL=true` where it runs; an `https://` address counts as https), and s3
//! `insecure = true` (TLS certificates not verified). Loopback addresses (emulators, a local
//! agent) are fine.
//!
//! ## Why is this bad?
//! State holds secrets. Over plain HTTP anyone on the network path reads it, and without
//! certificate checks anyone on the path can pose as the store and read or replace it.
//!
//! ## Example
//! `endpoints = { s3 = "http://minio.internal:9000" }`
//!
//! ## Use instead
//! `https://` with a certificate the client trusts (`custom_ca_bundle` for a private CA).
use super::prelude::*;
use crate::check::model::{is_loopback_host, url_host};

pub const RULE: Rule = rule!(
    "insecure-transport",
    Warning,
    "state travels unencrypted or to an unverified endpoint",
    "insecure_transport.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let mut urls = cfg.endpoint_urls();
    if cfg.kind == "http" {
        for name in ["address", "lock_address", "unlock_address"] {
            if let (Some(s), Some(v)) = (cfg.get(name), cfg.str(name)) {
                urls.push((s, v.to_string()));
            }
        }
    }
    for (s, url) in urls {
        // The instance metadata service is plain HTTP on a link-local address by design.
        if s.name.starts_with("ec2_metadata") || url_host(&url).starts_with("169.254.") {
            continue;
        }
        let plain = url
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://"));
        if plain && !is_loopback_host(url_host(&url)) {
            out.push(s.file.diag(
                RULE.id,
                RULE.severity,
                s.value_span(),
                format!("`{}` sends state over plain HTTP to {url}: anyone on the network path can read it", s.name),
                Some("use https:// (custom_ca_bundle or the system store for a private CA)".into()),
            ));
        }
    }
    if cfg.kind == "consul" {
        consul(cfg, out);
    }
    if cfg.kind == "s3" && cfg.is_true("insecure") {
        if let Some(s) = cfg.get("insecure") {
            out.push(s.file.diag(
                RULE.id,
                RULE.severity,
                s.span.clone(),
                "`insecure = true`: TLS certificates are not verified, so anyone on the path can pose as the store",
                Some("trust the store's CA instead (custom_ca_bundle / AWS_CA_BUNDLE) and drop insecure".into()),
            ));
        }
    }
}

/// consul: the Consul API client's scheme is `scheme`, else https when `address` starts with
/// `https://`, else http (unless CONSUL_HTTP_SSL=true in the environment).
fn consul(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    // Without a literal address it comes from CONSUL_HTTP_ADDR: nothing to judge.
    let (Some(addr_setting), Some(address)) = (cfg.get("address"), cfg.str("address")) else {
        return;
    };
    let scheme = cfg.get("scheme");
    let https_address = address
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"));
    let host = url_host(address);
    if is_loopback_host(host) || https_address {
        return;
    }
    match (scheme, cfg.str("scheme")) {
        (Some(s), Some("http")) => out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.span.clone(),
            format!("`scheme = \"http\"` to {host}: state and the ACL token travel in clear text"),
            Some("use scheme = \"https\" (ca_file for a private CA)".into()),
        )),
        (None, _) => out.push(addr_setting.file.diag(
            RULE.id,
            RULE.severity,
            addr_setting.value_span(),
            format!(
                "no `scheme`: Terraform's consul backend talks plain http to {host} unless CONSUL_HTTP_SSL=true where it runs, so state and the ACL token may travel in clear text"
            ),
            Some("set scheme = \"https\" (ca_file for a private CA)".into()),
        )),
        _ => {}
    }
}
