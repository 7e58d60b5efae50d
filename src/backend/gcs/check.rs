//! What `tfboot check` knows of existing `backend "gcs"` blocks, beyond the schema: which
//! arguments hold secrets, which were removed, which exclude each other, and how Terraform turns a
//! `prefix` into object names.

/// Arguments whose value can be a secret itself (rather than a path to one).
pub const SECRET_ARGUMENTS: &[&str] = &["access_token", "credentials", "encryption_key"];

/// Arguments Terraform removed from the gcs backend, and what replaces them.
pub const REMOVED: &[(&str, &str)] = &[
    (
        "path",
        "was removed in Terraform 0.15 (deprecated since 0.11): use prefix, under which Terraform keeps <prefix>/<workspace>.tfstate",
    ),
    (
        "project",
        "was removed in Terraform 0.12: the backend no longer creates the bucket, so it needs no project",
    ),
    (
        "region",
        "was removed in Terraform 0.12: the backend no longer creates the bucket, so it needs no region",
    ),
];

/// Pairs Terraform refuses together ("cannot both be set", even when empty).
pub const CONFLICTS: &[(&str, &str)] = &[("encryption_key", "kms_encryption_key")];

/// Whether an inline value of `name` is the secret itself: `credentials` as JSON key content,
/// `encryption_key` as the base64 of a 32-byte customer-supplied key (both also take a file path).
pub fn is_inline_secret(name: &str, value: &str) -> bool {
    let v = value.trim();
    match name {
        "credentials" => v.starts_with('{'),
        "encryption_key" => {
            v.len() == 44
                && v.ends_with('=')
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        }
        _ => true,
    }
}

/// The object-name prefix Terraform uses for `prefix`: the backend trims a leading `/` and adds a
/// trailing one, and the state path is `path.Join(prefix, "<workspace>.tfstate")`, which cleans
/// `//`, `.` and `..` away.
pub fn effective_prefix(prefix: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in prefix.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// A prefix whose state path differs from what is written: `path.Join` cleans the state path but
/// Terraform lists a prefix's workspaces by the prefix as written, so `terraform workspace list`
/// misses them.
pub fn prefix_problem(prefix: &str) -> Option<String> {
    let trimmed = prefix.trim_start_matches('/');
    let written = trimmed.trim_end_matches('/');
    if written.contains("//") || written.split('/').any(|s| s == "." || s == "..") {
        let state = match effective_prefix(prefix).as_str() {
            "" => "default.tfstate".to_string(),
            p => format!("{p}/default.tfstate"),
        };
        return Some(format!(
            "Terraform writes this state to {state} (it cleans the path) but lists the prefix's workspaces under the prefix as written, so `terraform workspace list` misses them"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_as_terraform_uses_them() {
        assert_eq!(effective_prefix("/envs/dev/"), "envs/dev");
        assert_eq!(effective_prefix("envs//dev"), "envs/dev");
        assert_eq!(effective_prefix("envs/../dev"), "dev");
        assert_eq!(effective_prefix(""), "");
        assert!(prefix_problem("envs/dev/").is_none());
        assert!(prefix_problem("/envs/dev").is_none());
        assert!(prefix_problem("envs//dev").is_some());
        assert!(prefix_problem("envs/./dev").is_some());
        assert!(is_inline_secret(
            "credentials",
            "{\"type\": \"service_account\"}"
        ));
        assert!(!is_inline_secret("credentials", "/secrets/sa.json"));
        assert!(is_inline_secret(
            "encryption_key",
            "qDeO8NcIS5UO5Mn2tBx9ZqklHMW6TWnRz0Lxp1TGx8s="
        ));
        assert!(!is_inline_secret("encryption_key", "keys/state.key"));
    }
}
