//! ## What it does
//! Checks the ARNs inside an s3 backend's `assume_role = { … }` and
//! `assume_role_with_web_identity = { … }`: `role_arn` must be an ARN whose resource is
//! `role/<name>`, and each of `policy_arns` an ARN whose resource is `policy/<name>`. These are
//! exactly the checks Terraform 1.11 makes before it talks to AWS (verified against 1.11.4:
//! `arn:aws:iam::123456789012:user/x` is "Invalid IAM Role ARN", `arn:aws:s3:::bucket` in
//! `policy_arns` is "Invalid IAM Policy ARN", `not-an-arn` is "Invalid ARN").
//!
//! ## Why is this bad?
//! `terraform init` stops with the error; in CI that is a red pipeline with a message about an
//! ARN nobody looked at since it was pasted.
//!
//! ## Example
//! `assume_role = { role_arn = "arn:aws:iam::123456789012:user/ci" }`
//!
//! ## Use instead
//! `assume_role = { role_arn = "arn:aws:iam::123456789012:role/ci" }`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "invalid-arn",
    Error,
    "an ARN in assume_role that Terraform rejects",
    "invalid_arn.rs"
);

/// The resource part of an ARN as the AWS SDK parses it (`arn:` prefix, six `:`-separated
/// sections), or why it does not parse.
fn arn_resource(s: &str) -> Result<&str, &'static str> {
    if !s.starts_with("arn:") {
        return Err("invalid prefix");
    }
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    match parts.get(5) {
        Some(r) if parts.len() == 6 => Ok(r),
        _ => Err("not enough sections"),
    }
}

fn check_one(
    file: &SourceFile,
    span: std::ops::Range<usize>,
    what: &str,
    value: &str,
    resource_prefix: &str,
    out: &mut Vec<Diagnostic>,
) {
    let problem = match arn_resource(value) {
        Err(why) => Some(format!(
            "{what} {value:?} is not an ARN ({why}); Terraform stops with \"Invalid ARN\""
        )),
        Ok(r) if !r.starts_with(resource_prefix) => Some(format!(
            "{what} {value:?} is an ARN, but its resource is not {resource_prefix}<name>; Terraform stops with \"Invalid IAM {} ARN\"",
            if resource_prefix == "role/" { "Role" } else { "Policy" }
        )),
        Ok(_) => None,
    };
    if let Some(message) = problem {
        out.push(file.diag(
            RULE.id,
            RULE.severity,
            span,
            message,
            Some(format!(
                "expected arn:<partition>:iam::<account>:{resource_prefix}<name>"
            )),
        ));
    }
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    if cfg.kind != "s3" {
        return;
    }
    for name in ["assume_role", "assume_role_with_web_identity"] {
        let Some(s) = cfg.get(name) else { continue };
        let Expression::Object(o) = s.value else {
            continue;
        };
        for (k, v) in o.iter() {
            let key = crate::check::model::object_key_name(k);
            let e = v.expr();
            match (key.as_str(), e) {
                ("role_arn", Expression::String(st)) => check_one(
                    s.file,
                    e.span().unwrap_or_else(|| s.span.clone()),
                    &format!("{name}.role_arn"),
                    st.value(),
                    "role/",
                    out,
                ),
                ("policy_arns", Expression::Array(items)) => {
                    for item in items.iter() {
                        if let Expression::String(st) = item {
                            check_one(
                                s.file,
                                item.span().unwrap_or_else(|| s.span.clone()),
                                &format!("{name}.policy_arns item"),
                                st.value(),
                                "policy/",
                                out,
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::arn_resource;

    #[test]
    fn parses_like_the_sdk() {
        assert_eq!(arn_resource("arn:aws:iam::1:role/x"), Ok("role/x"));
        assert_eq!(
            arn_resource("arn:aws:iam::aws:policy/a/b:c"),
            Ok("policy/a/b:c")
        );
        assert!(arn_resource("not-an-arn").is_err());
        assert!(arn_resource("arn:aws:iam:role/x").is_err());
    }
}
