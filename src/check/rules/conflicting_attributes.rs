//! ## What it does
//! Finds s3 backend arguments that exclude each other: `kms_key_id` + `sse_customer_key`,
//! `force_path_style` + `use_path_style`, `allowed_account_ids` + `forbidden_account_ids`,
//! `shared_credentials_file` + `shared_credentials_files`; gcs `encryption_key` +
//! `kms_encryption_key`; in the `workspaces` block, `name` + `tags` (`cloud`) and `name` + `prefix`
//! (`remote`).
//!
//! ## Why is this bad?
//! Terraform refuses the combination at `init`.
//!
//! ## Example
//! `kms_key_id = "alias/state"` together with `sse_customer_key = "…"`.
//!
//! ## Use instead
//! Keep one of the two.
use super::prelude::*;

pub const RULE: Rule = rule!(
    "conflicting-attributes",
    Error,
    "two backend arguments that exclude each other",
    "conflicting_attributes.rs"
);

const PAIRS: &[(&str, &str)] = &[
    ("kms_key_id", "sse_customer_key"),
    ("force_path_style", "use_path_style"),
    ("allowed_account_ids", "forbidden_account_ids"),
    ("shared_credentials_file", "shared_credentials_files"),
];

/// `workspaces { … }` arguments that exclude each other, per block kind.
fn workspaces_pair(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match kind {
        "cloud" => Some((
            "name",
            "tags",
            "a name picks one workspace, tags a set of them: keep one (tags with TF_WORKSPACE picks one of the set)",
        )),
        "remote" => Some((
            "name",
            "prefix",
            "a name picks one workspace, a prefix a set of them: keep one",
        )),
        _ => None,
    }
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if let Some((a, b, why)) = workspaces_pair(&cfg.kind) {
        use hcl::edit::Span as _;
        for ws in cfg
            .block
            .body
            .blocks()
            .filter(|w| w.ident.as_str() == "workspaces")
        {
            let attr = |n: &str| ws.body.attributes().find(|x| x.key.as_str() == n);
            if let (Some(_), Some(second)) = (attr(a), attr(b)) {
                out.push(cfg.block_file.diag(
                    RULE.id,
                    RULE.severity,
                    second.key.span().unwrap_or(0..0),
                    format!(
                        "`workspaces.{b}` conflicts with `workspaces.{a}`: Terraform rejects a {} with both",
                        if cfg.kind == "cloud" { "cloud block" } else { "remote backend" }
                    ),
                    Some(why.into()),
                ));
            }
        }
        return;
    }
    let pairs = match cfg.kind.as_str() {
        "s3" => PAIRS,
        "gcs" => crate::backend::gcs::check::CONFLICTS,
        _ => return,
    };
    for (a, b) in pairs {
        if let (Some(_), Some(second)) = (cfg.get(a), cfg.get(b)) {
            out.push(second.file.diag(
                RULE.id,
                RULE.severity,
                second.key_span.clone(),
                format!("`{b}` conflicts with `{a}`: Terraform accepts only one of them"),
                Some(format!("remove `{a}` or `{b}`")),
            ));
        }
    }
}
