//! ## What it does
//! Checks every `required_version` in a `terraform` block: a comma-separated list of an optional
//! operator (`=`, `!=`, `>`, `>=`, `<`, `<=`, `~>`) and a version of dot-separated numbers.
//!
//! ## Why is this bad?
//! Terraform refuses to start on a constraint it cannot parse ("Invalid required_version
//! constraint"): a CI placeholder left in (`"__VERSION__"`), `1.x`, an empty string or an empty
//! list item, or a pre-release (`~> 1.6.0-beta1`) stops every command, not only `init` (checked
//! against Terraform 1.11.4).
//!
//! ## Example
//! `required_version = "__TERRAFORM_VERSION__"`
//!
//! ## Use instead
//! `required_version = ">= 1.10.0, < 2.0.0"`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-required-version",
    Error,
    "required_version is not a version constraint Terraform can read",
    "invalid_required_version.rs"
);

/// Why Terraform would not read `s` as a version constraint, if it would not.
pub fn problem(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some("the constraint is empty".into());
    }
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Some("an item of the comma-separated list is empty".into());
        }
        let rest = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op))
            .unwrap_or(part)
            .trim_start();
        let version = rest.strip_prefix('v').unwrap_or(rest);
        if version.contains(['-', '+']) {
            return Some(format!(
                "{part:?}: pre-release and build suffixes are not allowed in required_version"
            ));
        }
        let numeric = !version.is_empty()
            && version
                .split('.')
                .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()));
        if !numeric {
            return Some(format!(
                "{part:?} is not an operator followed by a version such as 1.10.0"
            ));
        }
    }
    None
}

pub fn check(module: &Module, out: &mut Vec<Diagnostic>) {
    for f in &module.tf {
        let Some(body) = &f.body else { continue };
        for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
            let Some(attr) = tb.body.get_attribute("required_version") else {
                continue;
            };
            let Expression::String(s) = &attr.value else {
                continue;
            };
            if let Some(why) = problem(s.value()) {
                out.push(f.diag(
                    RULE.id,
                    RULE.severity,
                    attr.value.span().unwrap_or(0..0),
                    format!(
                        "required_version {:?} is not a version constraint: {why}; Terraform stops with \"Invalid required_version constraint\"",
                        s.value().as_str()
                    ),
                    Some("write a constraint such as \">= 1.10.0, < 2.0.0\"".into()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn what_terraform_reads() {
        for ok in [
            ">= 1.10.0",
            ">=1.0",
            "~> 1.6",
            "1.9.8",
            ">= 1.2.3.4",
            "= 1.11.4, != 1.11.2",
            "v1.5.0",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "__VERSION__",
            "1.x",
            "",
            ">= 1.0, , < 2",
            "~> 1.6.0-beta1",
            ">= ",
        ] {
            assert!(problem(bad).is_some(), "{bad}");
        }
    }
}
