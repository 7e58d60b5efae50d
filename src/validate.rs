//! Naming rules every backend shares (environment names, directories), and the "did you mean"
//! distance. Backend-specific rules live with their backend (`backend::<name>::validate`).

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// Environment names: `[A-Za-z0-9_-]+`.
pub fn env_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("environment names use only letters, digits, '_' and '-'".into());
    }
    Ok(())
}

/// A directory inside the repository: relative, no `..` that leaves it, no empty name.
pub fn relative_dir(dir: &str) -> Result<(), String> {
    if dir.is_empty() {
        return Err("a directory must not be empty".into());
    }
    if dir.starts_with('/') || dir.starts_with('\\') || dir.chars().nth(1) == Some(':') {
        return Err("a directory must be relative to the config file, not absolute".into());
    }
    if dir.chars().any(char::is_control) {
        return Err("a directory must not contain control characters".into());
    }
    let mut depth: i64 = 0;
    for part in dir.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err(
                        "a directory must stay inside the repository ('..' leaves it)".into(),
                    );
                }
            }
            _ => depth += 1,
        }
    }
    if depth == 0 {
        return Err("a directory must name a subdirectory, not the repository root".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs() {
        assert!(relative_dir("envs/dev").is_ok());
        for bad in ["/etc", "../x", "a/../../x", ".", "", "C:\\x"] {
            assert!(relative_dir(bad).is_err(), "{bad:?}");
        }
        assert!(env_name("dev-1").is_ok());
        assert!(env_name("dev/1").is_err());
    }
}
