//! ## What it does
//! Finds a backend or `.tfbackend` value that is not a literal: a variable, a local,
//! `terraform.workspace`, a function call, a `${…}` interpolation or a conditional.
//!
//! ## Why is this bad?
//! Terraform evaluates backend settings before anything else exists, so it cannot use variables,
//! locals or functions there ("Variables not allowed"). OpenTofu 1.8+ accepts some of these;
//! Terraform does not.
//!
//! ## Example
//! ```hcl
//! backend "s3" {
//!   bucket = "acme-${var.env}-tfstate"
//! }
//! ```
//!
//! ## Use instead
//! A literal per environment, from a generated `backend.tf` or a `-backend-config` file
//! (`tfboot generate` writes both).
use super::prelude::*;

pub const RULE: Rule = rule!(
    "dynamic-backend-value",
    Error,
    "a backend value is not a literal",
    "dynamic_backend_value.rs"
);

fn what(e: &Expression) -> Option<&'static str> {
    match e {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => None,
        Expression::Array(a) => a.iter().find_map(what),
        Expression::Object(o) => o.iter().find_map(|(k, v)| {
            let key = match k {
                hcl::edit::expr::ObjectKey::Ident(_) => None,
                hcl::edit::expr::ObjectKey::Expression(e) => what(e),
            };
            key.or_else(|| what(v.expr()))
        }),
        Expression::StringTemplate(_) => Some("a string with `${…}` or `%{…}`"),
        Expression::HeredocTemplate(h) => {
            if h.template
                .iter()
                .all(|e| matches!(e, hcl::edit::template::Element::Literal(_)))
            {
                None
            } else {
                Some("a heredoc with `${…}` or `%{…}`")
            }
        }
        Expression::Variable(_) => Some("a variable reference"),
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(v) if v.as_str() == "var" => Some("a variable (var.…)"),
            Expression::Variable(v) if v.as_str() == "local" => Some("a local value (local.…)"),
            Expression::Variable(v) if v.as_str() == "terraform" => Some("terraform.workspace"),
            _ => Some("a reference"),
        },
        Expression::FuncCall(_) => Some("a function call"),
        Expression::Conditional(_) => Some("a conditional"),
        Expression::Parenthesis(p) => what(p.inner()),
        _ => Some("an expression"),
    }
}

pub fn check(cfg: &BackendConfig, out: &mut Vec<Diagnostic>) {
    let cloud = cfg.kind == "cloud";
    for s in &cfg.settings {
        if let Some(kind) = what(s.value) {
            out.push(report(s.file, s.span.clone(), s.name, kind, cloud));
        }
    }
    // Nested blocks too: `workspaces { name = var.ws }` in `cloud` / `remote`.
    nested(cfg.block_file, &cfg.block.body, "", cloud, out);
}

fn nested(
    file: &SourceFile,
    body: &hcl::edit::structure::Body,
    path: &str,
    cloud: bool,
    out: &mut Vec<Diagnostic>,
) {
    for b in body.blocks() {
        let here = format!("{path}{}.", b.ident.as_str());
        for a in b.body.attributes() {
            if let Some(kind) = what(&a.value) {
                let name = format!("{here}{}", a.key.as_str());
                out.push(report(file, a.span().unwrap_or(0..0), &name, kind, cloud));
            }
        }
        nested(file, &b.body, &here, cloud, out);
    }
}

fn report(
    file: &SourceFile,
    span: std::ops::Range<usize>,
    name: &str,
    kind: &str,
    cloud: bool,
) -> Diagnostic {
    // A `cloud` block takes no -backend-config: its values come from the environment instead.
    let help = if cloud {
        "write the literal value, or leave it out and set TF_CLOUD_ORGANIZATION / TF_CLOUD_HOSTNAME / TF_CLOUD_PROJECT / TF_WORKSPACE where Terraform runs"
    } else {
        "write the literal value, or pass it with `terraform init -backend-config=…` (tfboot generate writes such files)"
    };
    file.diag(
        RULE.id,
        RULE.severity,
        span,
        format!("`{name}` is {kind}: backend settings must be literals (Terraform evaluates them before variables, locals or functions exist)"),
        Some(help.into()),
    )
}
