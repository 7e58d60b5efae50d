//! What `tfboot check` knows of existing `backend "consul"` blocks, beyond the schema: where
//! Terraform puts a state, its workspaces and its lock, and which paths work against that.

/// Terraform's consul backend keeps workspace `w` of a state at `<path>-env:<w>`.
pub const WORKSPACE_SEPARATOR: &str = "-env:";

/// The agent Terraform talks to when `address` is not set (CONSUL_HTTP_ADDR, else this).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8500";

/// A path Terraform accepts but that does not work as written, and why. `None` for a sound path.
pub fn path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some(
            "an empty path: Consul has no key without a name, so the first state write fails"
                .into(),
        );
    }
    if path.starts_with('/') {
        return Some(format!(
            "a leading '/': Consul's API client drops it, so this state is the key {:?}, the same state as a path written without the '/'",
            path.trim_start_matches('/')
        ));
    }
    if path.ends_with('/') {
        return Some(
            "a trailing '/': Consul shows the key as a folder, and Terraform trims the '/' for the lock (<path>/.lock), so this state shares its lock with the path without it".into(),
        );
    }
    if path.contains(WORKSPACE_SEPARATOR) {
        return Some(format!(
            "\"{WORKSPACE_SEPARATOR}\" in the path: it is where Terraform separates a path from a workspace name, so this state is also workspace {:?} of the path {:?}",
            path.rsplit_once(WORKSPACE_SEPARATOR).map_or("", |(_, w)| w),
            path.rsplit_once(WORKSPACE_SEPARATOR).map_or("", |(p, _)| p)
        ));
    }
    if path.contains("//") || path.split('/').any(|s| s == "." || s == "..") {
        return Some(
            "an empty, '.' or '..' segment: the HTTP API cleans the URL, so the state lands at another key than written".into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_terraform_uses_them() {
        assert!(path_problem("tfstate/app").is_none());
        assert!(path_problem("").is_some());
        assert!(path_problem("/tfstate/app").is_some());
        assert!(path_problem("tfstate/app/").unwrap().contains("lock"));
        let ws = path_problem("tfstate/app-env:prod").unwrap();
        assert!(
            ws.contains("\"prod\"") && ws.contains("\"tfstate/app\""),
            "{ws}"
        );
        assert!(path_problem("a//b").is_some());
        assert!(path_problem("a/../b").is_some());
    }
}
