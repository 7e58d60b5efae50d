//! What HCP Terraform / Terraform Enterprise and the `cloud` block accept, checked before
//! anything is written. Each function returns `Err(rule)` where `rule` says what is allowed.

/// Organization names: letters, digits, `-` and `_`.
pub fn organization(o: &str) -> Result<(), String> {
    if o.is_empty()
        || o.len() > 255
        || !o
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(
            "an HCP Terraform organization name uses only letters, digits, '-' and '_' (acme-platform)"
                .into(),
        );
    }
    Ok(())
}

/// The platform's host name (`app.terraform.io`, `tfe.example.com`, optionally `:port`), with no
/// scheme or path: Terraform reaches `https://<hostname>/` itself.
pub fn hostname(h: &str) -> Result<(), String> {
    if h.contains("://") {
        return Err(format!(
            "the hostname has no scheme (Terraform always uses https): write {:?}",
            h.split_once("://")
                .map_or(h, |(_, r)| r)
                .trim_end_matches('/')
        ));
    }
    if h.contains('/') || h.contains('?') || h.contains('#') {
        return Err("a hostname has no path: app.terraform.io or tfe.example.com".into());
    }
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (h, None),
    };
    if let Some(p) = port {
        if !matches!(p.parse::<u32>(), Ok(1..=65535)) {
            return Err(format!("the port {p:?} is not a number from 1 to 65535"));
        }
    }
    let labels_ok = !host.is_empty()
        && host.len() <= 253
        && host.trim_end_matches('.').split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !labels_ok {
        return Err(
            "not a host name: labels of 1–63 letters, digits and '-' separated by '.' (app.terraform.io)"
                .into(),
        );
    }
    Ok(())
}

/// Project names: 3–40 letters, digits, spaces, `-` and `_`.
pub fn project(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if !(3..=40).contains(&n)
        || !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        || p.starts_with(' ')
        || p.ends_with(' ')
    {
        return Err(
            "an HCP Terraform project name is 3–40 letters, digits, spaces, '-' and '_' (not starting or ending with a space)"
                .into(),
        );
    }
    Ok(())
}

/// Workspace names: up to 90 letters, digits, `-` and `_`.
pub fn workspace(w: &str) -> Result<(), String> {
    if w.is_empty()
        || w.len() > 90
        || !w
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a workspace name is 1–90 letters, digits, '-' and '_' (acme-prod)".into());
    }
    Ok(())
}

/// A workspace-name prefix: a workspace name that leaves room for `-<env>`.
pub fn workspace_prefix(p: &str) -> Result<(), String> {
    workspace(p).map_err(|_| {
        "a workspace prefix is letters, digits, '-' and '_', at most 80 of them (workspaces are named <prefix>-<env>)".to_string()
    })?;
    if p.len() > 80 {
        return Err("a workspace prefix is at most 80 characters: workspaces are named <prefix>-<env>, at most 90".into());
    }
    Ok(())
}

/// Workspace tag names: letters, digits, `:`, `-` and `_`, starting and ending with a letter or
/// digit, up to 255 characters.
pub fn tag(t: &str) -> Result<(), String> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if t.is_empty()
        || t.len() > 255
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
        || !edge_ok(t.chars().next())
        || !edge_ok(t.chars().last())
    {
        return Err(
            "a workspace tag is letters, digits, ':', '-' and '_', starting and ending with a letter or digit (app, env:prod)"
                .into(),
        );
    }
    Ok(())
}

/// A Terraform version for the workspaces: an exact release (`1.11.4`) or a constraint
/// (`~> 1.11.0`), as HCP Terraform accepts them.
pub fn terraform_version(v: &str) -> Result<(), String> {
    let ok = !v.trim().is_empty()
        && v.split(',').all(|part| {
            let part = part.trim();
            let digits = part.trim_start_matches(['~', '>', '<', '=', '!', ' ']);
            let nums: Vec<&str> = digits.split('.').collect();
            !digits.is_empty()
                && (1..=3).contains(&nums.len())
                && nums
                    .iter()
                    .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        });
    if !ok {
        return Err(
            "a Terraform release (1.11.4) or a version constraint (~> 1.11.0, >= 1.10.0, < 2.0.0)"
                .into(),
        );
    }
    Ok(())
}

/// Team names: letters, digits, `-` and `_`.
pub fn team(t: &str) -> Result<(), String> {
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a team name uses only letters, digits, '-' and '_' (platform)".into());
    }
    Ok(())
}

/// A workspace name for a root directory: `<prefix>-<dir with '/' as '-'>`, other characters
/// replaced by `-`.
pub fn workspace_for_dir(prefix: &str, dir: &str) -> String {
    let tail: String = dir
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let tail = tail.trim_matches('-');
    if tail.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}-{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_the_platform_takes_them() {
        assert!(organization("acme-platform").is_ok());
        assert!(organization("acme platform").is_err());
        assert!(hostname("app.terraform.io").is_ok());
        assert!(hostname("tfe.example.com:8443").is_ok());
        assert!(hostname("https://app.terraform.io/")
            .unwrap_err()
            .contains("\"app.terraform.io\""));
        assert!(project("Platform infra").is_ok());
        assert!(project("ab").is_err());
        assert!(workspace("acme-prod").is_ok());
        assert!(workspace(&"a".repeat(91)).is_err());
        assert!(tag("env:prod").is_ok());
        assert!(tag("-x").is_err());
        assert!(terraform_version("1.11.4").is_ok());
        assert!(terraform_version("~> 1.11.0").is_ok());
        assert!(terraform_version(">= 1.10.0, < 2.0.0").is_ok());
        assert!(terraform_version("latest").is_err());
        assert_eq!(
            workspace_for_dir("acme", "live/prod/app"),
            "acme-live-prod-app"
        );
    }
}
