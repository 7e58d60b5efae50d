//! ## What it does
//! Finds credentials written into a backend block or partial-configuration file, for every
//! backend: s3 `access_key`, `secret_key`, `token`; azurerm `access_key`, `client_secret`,
//! `sas_token`, `client_certificate_password`; gcs `access_token` and inline `credentials` JSON
//! (a path to a key file is fine); consul `access_token`, `http_auth`; remote and cloud `token`.
//! An empty string is no credential. Well-known emulator placeholders (`test`, `minioadmin`, …)
//! with only loopback endpoints are a `warning`: nothing secret leaks, but the habit does.
//!
//! ## Why is this bad?
//! Credentials in files end up in git history and CI logs; anyone with the repository can read
//! (and overwrite) every state.
//!
//! ## Example
//! `secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`
//!
//! ## Use instead
//! Environment variables (`AWS_*`, `ARM_*`, `GOOGLE_*`, `CONSUL_HTTP_TOKEN`, `TF_TOKEN_<host>`), a
//! profile, `assume_role`, workload identity or OIDC in CI.
use super::prelude::*;
use crate::check::model::{is_loopback_host, url_host};

pub const RULE: Rule = rule!(
    "hardcoded-credentials",
    Error,
    "a credential (key, secret, token, password) in a file",
    "hardcoded_credentials.rs"
);

/// The arguments of each backend that hold a secret.
fn secret_arguments(kind: &str) -> &'static [&'static str] {
    match kind {
        "s3" => &["access_key", "secret_key", "token"],
        "azurerm" => &[
            "access_key",
            "client_secret",
            "sas_token",
            "client_certificate_password",
        ],
        "gcs" => crate::backend::gcs::check::SECRET_ARGUMENTS,
        "consul" => &["access_token", "http_auth"],
        "remote" | "cloud" => &["token"],
        _ => &[],
    }
}

/// Values emulators and local test stores document as their fixed credentials.
const PLACEHOLDERS: &[&str] = &[
    "test",
    "testing",
    "minioadmin",
    "mock",
    "fake",
    "dummy",
    "localstack",
    "foobar",
];

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let secrets = secret_arguments(&cfg.kind);
    if secrets.is_empty() {
        return;
    }
    let local_endpoint = {
        let urls = cfg.endpoint_urls();
        !urls.is_empty() && urls.iter().all(|(_, u)| is_loopback_host(url_host(u)))
    };
    for s in &cfg.settings {
        if !secrets.contains(&s.name) {
            continue;
        }
        let value = s.str();
        if value.is_some_and(|v| v.trim().is_empty()) {
            continue;
        }
        // gcs `credentials` and `encryption_key` are usually paths to a file; only the inline
        // content (key JSON, a base64 key) is the secret itself.
        if cfg.kind == "gcs"
            && value.is_some_and(|v| !crate::backend::gcs::check::is_inline_secret(s.name, v))
        {
            continue;
        }
        let placeholder = local_endpoint
            && value.is_some_and(|v| PLACEHOLDERS.contains(&v.to_ascii_lowercase().as_str()));
        if placeholder {
            out.push(s.file.diag(
                RULE.id,
                Severity::Warning,
                s.span.clone(),
                format!(
                    "`{}` is set in the file: an emulator's placeholder for a local endpoint, no secret, but the same line with a real key would leak it",
                    s.name
                ),
                Some("pass emulator credentials through the environment too (AWS_ACCESS_KEY_ID=test …)".into()),
            ));
            continue;
        }
        out.push(s.file.diag(
            RULE.id,
            RULE.severity,
            s.span.clone(),
            format!(
                "`{}` is set in the file: credentials do not belong in the repository",
                s.name
            ),
            Some(if matches!(cfg.kind.as_str(), "cloud" | "remote") {
                "remove it: `terraform login <hostname>` stores a token outside the repository, and CI sets TF_TOKEN_<hostname> (dots as _) or TFE_TOKEN".into()
            } else {
                "use environment variables, a profile, assume_role, workload identity or OIDC instead"
                    .into()
            }),
        ));
    }
}
