//! The templates files are rendered from: tfboot's own (embedded), with any the user overrides by
//! name from `--templates DIR`. Every template is HCL-escaped by default; every HCL file rendered
//! from one is parsed back and laid out as `terraform fmt` would, whoever wrote the template.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::render::{escape_hcl, hcl_key, FileKind};

/// The built-in templates: name (what a user's override file is called) and text.
pub const BUILTIN: &[(&str, &str)] = &[
    // The S3 bootstrap module (names kept from before backends had directories of their own).
    (
        "bootstrap/versions.tf.tera",
        include_str!("../templates/s3/bootstrap/versions.tf.tera"),
    ),
    (
        "bootstrap/kms.tf.tera",
        include_str!("../templates/s3/bootstrap/kms.tf.tera"),
    ),
    (
        "bootstrap/s3.tf.tera",
        include_str!("../templates/s3/bootstrap/s3.tf.tera"),
    ),
    (
        "bootstrap/dynamodb.tf.tera",
        include_str!("../templates/s3/bootstrap/dynamodb.tf.tera"),
    ),
    (
        "bootstrap/outputs.tf.tera",
        include_str!("../templates/s3/bootstrap/outputs.tf.tera"),
    ),
    (
        "bootstrap/backend.tf.tera",
        include_str!("../templates/s3/bootstrap/backend.tf.tera"),
    ),
    (
        "bootstrap/README.md.tera",
        include_str!("../templates/s3/bootstrap/README.md.tera"),
    ),
    // `tfboot bootstrap --emit aws-cli`: the S3 store as an AWS CLI script.
    (
        "s3/aws-cli.sh.tera",
        include_str!("../templates/s3/aws-cli.sh.tera"),
    ),
    // The gcs bootstrap module.
    (
        "gcs/bootstrap/versions.tf.tera",
        include_str!("../templates/gcs/bootstrap/versions.tf.tera"),
    ),
    (
        "gcs/bootstrap/kms.tf.tera",
        include_str!("../templates/gcs/bootstrap/kms.tf.tera"),
    ),
    (
        "gcs/bootstrap/storage.tf.tera",
        include_str!("../templates/gcs/bootstrap/storage.tf.tera"),
    ),
    (
        "gcs/bootstrap/outputs.tf.tera",
        include_str!("../templates/gcs/bootstrap/outputs.tf.tera"),
    ),
    (
        "gcs/bootstrap/backend.tf.tera",
        include_str!("../templates/gcs/bootstrap/backend.tf.tera"),
    ),
    (
        "gcs/bootstrap/README.md.tera",
        include_str!("../templates/gcs/bootstrap/README.md.tera"),
    ),
    // The azurerm bootstrap module.
    (
        "azurerm/bootstrap/versions.tf.tera",
        include_str!("../templates/azurerm/bootstrap/versions.tf.tera"),
    ),
    (
        "azurerm/bootstrap/cmk.tf.tera",
        include_str!("../templates/azurerm/bootstrap/cmk.tf.tera"),
    ),
    (
        "azurerm/bootstrap/storage.tf.tera",
        include_str!("../templates/azurerm/bootstrap/storage.tf.tera"),
    ),
    (
        "azurerm/bootstrap/outputs.tf.tera",
        include_str!("../templates/azurerm/bootstrap/outputs.tf.tera"),
    ),
    (
        "azurerm/bootstrap/backend.tf.tera",
        include_str!("../templates/azurerm/bootstrap/backend.tf.tera"),
    ),
    (
        "azurerm/bootstrap/README.md.tera",
        include_str!("../templates/azurerm/bootstrap/README.md.tera"),
    ),
    // The HCP Terraform bootstrap module.
    (
        "cloud/bootstrap/versions.tf.tera",
        include_str!("../templates/cloud/bootstrap/versions.tf.tera"),
    ),
    (
        "cloud/bootstrap/workspaces.tf.tera",
        include_str!("../templates/cloud/bootstrap/workspaces.tf.tera"),
    ),
    (
        "cloud/bootstrap/outputs.tf.tera",
        include_str!("../templates/cloud/bootstrap/outputs.tf.tera"),
    ),
    (
        "cloud/bootstrap/backend.tf.tera",
        include_str!("../templates/cloud/bootstrap/backend.tf.tera"),
    ),
    (
        "cloud/bootstrap/README.md.tera",
        include_str!("../templates/cloud/bootstrap/README.md.tera"),
    ),
    // The consul bootstrap module.
    (
        "consul/bootstrap/versions.tf.tera",
        include_str!("../templates/consul/bootstrap/versions.tf.tera"),
    ),
    (
        "consul/bootstrap/acl.tf.tera",
        include_str!("../templates/consul/bootstrap/acl.tf.tera"),
    ),
    (
        "consul/bootstrap/outputs.tf.tera",
        include_str!("../templates/consul/bootstrap/outputs.tf.tera"),
    ),
    (
        "consul/bootstrap/backend.tf.tera",
        include_str!("../templates/consul/bootstrap/backend.tf.tera"),
    ),
    (
        "consul/bootstrap/README.md.tera",
        include_str!("../templates/consul/bootstrap/README.md.tera"),
    ),
    // Every backend's: the override that keeps a bootstrap module local, its .gitignore, and
    // the roots' backend files.
    (
        "bootstrap/bootstrap_override.tf.tera",
        include_str!("../templates/bootstrap/bootstrap_override.tf.tera"),
    ),
    (
        "bootstrap/gitignore.tera",
        include_str!("../templates/bootstrap/gitignore.tera"),
    ),
    (
        "env/backend.tf.tera",
        include_str!("../templates/env/backend.tf.tera"),
    ),
    (
        "env/env.s3.tfbackend.tera",
        include_str!("../templates/env/env.tfbackend.tera"),
    ),
    (
        "env/env.gcs.tfbackend.tera",
        include_str!("../templates/env/env.tfbackend.tera"),
    ),
    (
        "env/env.azurerm.tfbackend.tera",
        include_str!("../templates/env/env.tfbackend.tera"),
    ),
    (
        "env/env.consul.tfbackend.tera",
        include_str!("../templates/env/env.tfbackend.tera"),
    ),
    (
        "env/partial_backend.tf.tera",
        include_str!("../templates/env/partial_backend.tf.tera"),
    ),
];

/// The built-in text of a template.
pub fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(n, _)| *n)
}

/// `{{ value | hcl }}`: any value as an HCL expression (strings quoted and escaped, maps as
/// objects, lists as tuples). Its output is HCL already, so it is not escaped again.
struct HclFilter;

impl tera::Filter for HclFilter {
    fn filter(
        &self,
        value: &tera::Value,
        _: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        use hcl::format::Format as _;
        let v = json_to_hcl(value);
        let mut f = hcl::format::Formatter::builder()
            .prefer_ident_keys(true)
            .build_vec();
        let text = v
            .format_string(&mut f)
            .map_err(|e| tera::Error::msg(e.to_string()))?;
        Ok(tera::Value::String(text))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Build an expression, not an `hcl::Value`: hcl-rs writes a `Value::String` that contains `${`
/// unescaped (as a template), which would let data inject expressions. `Expression::String` is
/// always escaped.
fn json_to_hcl(v: &tera::Value) -> hcl::Expression {
    use hcl::{Expression, ObjectKey};
    match v {
        tera::Value::Null => Expression::Null,
        tera::Value::Bool(b) => Expression::Bool(*b),
        tera::Value::Number(n) => n
            .as_i64()
            .map(Expression::from)
            .or_else(|| n.as_u64().map(Expression::from))
            .or_else(|| n.as_f64().map(Expression::from))
            .unwrap_or(Expression::Null),
        tera::Value::String(s) => Expression::String(s.clone()),
        tera::Value::Array(items) => Expression::Array(items.iter().map(json_to_hcl).collect()),
        tera::Value::Object(map) => Expression::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        ObjectKey::Expression(Expression::String(k.clone())),
                        json_to_hcl(v),
                    )
                })
                .collect(),
        ),
    }
}

/// `{{ key | hcl_key }}`: an object key, bare when it is an identifier, quoted otherwise.
struct HclKeyFilter;

impl tera::Filter for HclKeyFilter {
    fn filter(
        &self,
        value: &tera::Value,
        _: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        match value {
            tera::Value::String(s) => Ok(tera::Value::String(hcl_key(s))),
            other => Err(tera::Error::msg(format!(
                "hcl_key expects a string, got {other}"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// An empty engine as every HCL template is rendered: HCL escaping on for `*.tera`, tfboot's
/// filters.
fn engine() -> Tera {
    engine_escaping(escape_hcl)
}

fn engine_escaping(escape: fn(&str) -> String) -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".tera"]);
    tera.set_escape_fn(escape);
    tera.register_filter("hcl", HclFilter);
    tera.register_filter("hcl_key", HclKeyFilter);
    tera
}

/// Escaping for Markdown and plain-text output (README.md, .gitignore): a value can neither break
/// the line it is on (line breaks and other control characters become spaces) nor end a table
/// cell (`|` → `\|`). Quotes, `$`, `%` and backslashes are text there, and stay as they are.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub struct Templates {
    /// HCL output: values escaped for HCL strings.
    tera: Tera,
    /// The same templates for Markdown and plain-text output, escaped with [`escape_text`].
    text: Tera,
    /// Built-in name → the user's file that replaces it.
    overridden: BTreeMap<String, PathBuf>,
    /// Every user file by template name (overrides and partials), for error messages.
    files: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// tfboot's own templates.
    pub fn builtin() -> Result<Self> {
        let mut tera = engine();
        tera.add_raw_templates(BUILTIN.iter().copied())
            .map_err(|e| template_error("(built-in)", &e))?;
        let mut text = engine_escaping(escape_text);
        text.add_raw_templates(BUILTIN.iter().copied())
            .map_err(|e| template_error("(built-in)", &e))?;
        Ok(Templates {
            tera,
            text,
            overridden: BTreeMap::new(),
            files: BTreeMap::new(),
        })
    }

    /// tfboot's templates with the `*.tera` files under `dir` replacing the built-ins of the same
    /// name (`bootstrap/s3.tf.tera`, `env/backend.tf.tera`, …). Files whose name starts with `_`
    /// are partials for `{% include %}` / `{% import %}`; any other unknown name is an error, so a
    /// misspelt override is never silently ignored.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let mut t = Self::builtin()?;
        let Some(dir) = dir else { return Ok(t) };
        let not_dir = |why: String| {
            Error::Usage(format!(
                "templates directory {}: {why}; it should hold *.tera files named like tfboot's templates (`tfboot templates --export DIR` writes them)",
                dir.display()
            ))
        };
        let meta = std::fs::metadata(dir).map_err(|e| not_dir(e.to_string()))?;
        if !meta.is_dir() {
            return Err(not_dir("not a directory".into()));
        }
        let mut found = Vec::new();
        collect(dir, dir, 0, &mut found)?;
        let mut sources = Vec::new();
        for (name, path) in found {
            let partial = name
                .rsplit('/')
                .next()
                .is_some_and(|base| base.starts_with('_'));
            if builtin_source(&name).is_none() && !partial {
                let suggestion = builtin_names()
                    .map(|n| (strsim::levenshtein(n, &name), n))
                    .min()
                    .filter(|(d, _)| *d <= 6)
                    .map(|(_, n)| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                return Err(Error::Template {
                    template: path.display().to_string(),
                    message: format!(
                        "{name:?} is not the name of a tfboot template{suggestion}; overridable: {}; names starting with `_` are partials for include/import",
                        builtin_names().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            if !partial {
                t.overridden.insert(name.clone(), path.clone());
            }
            t.files.insert(name.clone(), path);
            sources.push((name, text));
        }
        for (name, text) in &sources {
            // One at a time, so a syntax error names its file.
            if let Err(e) = engine().add_raw_template(name, text) {
                return Err(template_error(&t.describe(name), &e));
            }
        }
        for engine in [&mut t.tera, &mut t.text] {
            engine
                .add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
                .map_err(|e| template_error(&dir.display().to_string(), &e))?;
        }
        Ok(t)
    }

    /// How errors name a template: the user's file when it is overridden.
    fn describe(&self, name: &str) -> String {
        match (self.overridden.get(name), self.files.get(name)) {
            (Some(p), _) => format!("{} (overrides {name})", p.display()),
            (None, Some(p)) => p.display().to_string(),
            _ => name.to_string(),
        }
    }

    /// Render `name`; HCL output must parse and is laid out as `terraform fmt` would.
    pub fn render(&self, name: &str, ctx: &Context, kind: FileKind) -> Result<String> {
        let engine = if kind == FileKind::Hcl {
            &self.tera
        } else {
            &self.text
        };
        let mut out = engine
            .render(name, ctx)
            .map_err(|e| template_error(&self.describe(name), &e))?;
        if !out.ends_with('\n') {
            out.push('\n');
        }
        // tfboot's own templates are canonical by construction (aligned at render time, checked
        // against `terraform fmt` in tests) and parsed back before writing (write.rs); a user's
        // template is checked and laid out here.
        if kind != FileKind::Hcl || !self.overridden.contains_key(name) {
            return Ok(out);
        }
        if let Err(e) = hcl::edit::parser::parse_body(&out) {
            return Err(self.invalid_hcl(name, &out, &e));
        }
        crate::hclfmt::format(&out).map_err(|e| Error::Template {
            template: self.describe(name),
            message: format!("cannot lay out the rendered HCL: {e}"),
        })
    }

    /// A rendered file that does not parse: name the template, the line of the output and, when
    /// that line's text appears exactly once in the template, the template's line too.
    fn invalid_hcl(&self, name: &str, out: &str, e: &hcl::edit::parser::Error) -> Error {
        let loc = e.location();
        let line_text = out.lines().nth(loc.line().saturating_sub(1)).unwrap_or("");
        let template_line = self
            .overridden
            .get(name)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .or_else(|| builtin_source(name).map(str::to_string))
            .and_then(|src| template_line_of(&src, line_text));
        let at = match template_line {
            Some(l) => format!("line {l} (line {} of the rendered output)", loc.line()),
            None => format!("line {} of the rendered output", loc.line()),
        };
        Error::Template {
            template: self.describe(name),
            message: format!(
                "renders invalid HCL at {at}, column {}: {}\n    {line_text}",
                loc.column(),
                e.message()
            ),
        }
    }
}

/// The line of a template that produced `rendered`: the one line whose literal text (what is left
/// around its `{{ … }}` expressions) matches, if exactly one does.
fn template_line_of(template: &str, rendered: &str) -> Option<usize> {
    let rendered = rendered.trim();
    if rendered.is_empty() {
        return None;
    }
    let matches = |line: &str| {
        let line = line.trim();
        if line.contains("{%") {
            return false;
        }
        let mut parts = Vec::new();
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            parts.push(rest.get(..start).unwrap_or(""));
            rest = rest
                .get(start..)
                .and_then(|r| r.find("}}").and_then(|end| r.get(end + 2..)))
                .unwrap_or("");
        }
        parts.push(rest);
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return false;
        };
        if parts.len() == 1 {
            return line == rendered;
        }
        if !rendered.starts_with(first) || !rendered.ends_with(last) {
            return false;
        }
        let mut at = first.len();
        let end = rendered.len().saturating_sub(last.len());
        for middle in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
            match rendered.get(at..end).and_then(|r| r.find(middle)) {
                Some(i) => at += i + middle.len(),
                None => return false,
            }
        }
        at <= end
    };
    let mut hits = template.lines().enumerate().filter(|(_, l)| matches(l));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(i + 1),
        _ => None,
    }
}

pub(crate) fn template_error(name: &str, e: &tera::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Template {
        template: name.to_string(),
        message,
    }
}

/// `*.tera` files under `dir` as (name relative to `root` with `/`, path), two levels deep at
/// most (`bootstrap/…`, `env/…`, partials beside them). Hidden directories are skipped.
fn collect(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if depth < 2 && !hidden {
                collect(root, &p, depth + 1, out)?;
            }
        } else if p.extension().is_none_or(|e| e != "tera") {
            // `env/backend.tf` for `env/backend.tf.tera` would be silently ignored: say so.
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let wanted = format!("{rel}.tera");
            if builtin_source(&wanted).is_some() {
                return Err(Error::Template {
                    template: p.display().to_string(),
                    message: format!("template files end in .tera: rename it to {wanted} to override that template"),
                });
            }
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_filter_escapes_strings_keys_and_nested_values() {
        let mut t = Templates::builtin().unwrap();
        t.tera
            .add_raw_template("x.tf.tera", "x = {{ v | hcl }}\ny = {{ k | hcl_key }}\n")
            .unwrap();
        let mut ctx = Context::new();
        let v = serde_json::json!({"a${b}": "c${d}\"\n", "list": [1, "%{e}", true, null]});
        ctx.insert("v", &v);
        ctx.insert("k", "not an ident");
        let out = t.render("x.tf.tera", &ctx, FileKind::Hcl).unwrap();
        let body: hcl::Body = hcl::parse(&out).unwrap();
        let x = body.attributes().find(|a| a.key() == "x").unwrap();
        let hcl::Expression::Object(obj) = x.expr() else {
            panic!("not an object: {out}")
        };
        let (key, val) = obj.iter().next().unwrap();
        assert_eq!(
            key,
            &hcl::ObjectKey::Expression(hcl::Expression::String("a${b}".into()))
        );
        assert_eq!(val, &hcl::Expression::String("c${d}\"\n".into()));
        assert!(out.contains("\"%%{e}\""), "{out}");
        assert!(out.contains("y = \"not an ident\""), "{out}");
    }
}
