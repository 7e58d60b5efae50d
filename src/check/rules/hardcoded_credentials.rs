//! ## What it does
//! Finds `access_key`, `secret_key` or `token` set in a backend block or `.tfbackend` file.
//!
//! ## Why is this bad?
//! Credentials in files end up in git history and CI logs; anyone with the repository can read
//! (and overwrite) every state.
//!
//! ## Example
//! `secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`
//!
//! ## Use instead
//! Environment variables, a profile (`profile = "…"`), `assume_role`, or OIDC in CI.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "hardcoded-credentials",
    Error,
    "access_key, secret_key or token in a file",
    "hardcoded_credentials.rs"
);

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    for s in &cfg.settings {
        if matches!(s.name, "access_key" | "secret_key" | "token") && cfg.kind != "cloud" {
            out.push(s.file.diag(
                RULE.id,
                RULE.severity,
                s.span.clone(),
                format!(
                    "`{}` is set in the file: credentials do not belong in the repository",
                    s.name
                ),
                Some("use environment variables, a profile, assume_role or OIDC instead".into()),
            ));
        }
    }
}
