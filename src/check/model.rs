//! What the rules see: parsed files with spans, modules, and backend configurations (a backend
//! block, alone or merged with one `*.tfbackend` partial configuration).

use std::ops::Range;

use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Body};
use hcl::edit::Span as _;

use super::diagnostic::{line_col, Diagnostic, Severity};

/// One file: its text, and its body when it parsed.
pub struct SourceFile {
    /// Path relative to the current directory, `/` separators.
    pub display: String,
    pub text: String,
    pub body: Option<Body>,
    /// Where and why parsing failed.
    pub parse_error: Option<(Range<usize>, String)>,
    /// Keys given twice inside one object expression (`{ a = 1, a = 2 }`): legal HCL (the last
    /// value wins) that hcl-edit refuses to parse; see [`parse_tolerating_duplicate_keys`].
    pub duplicate_keys: Vec<Range<usize>>,
}

/// hcl-edit 0.10 rejects an object *expression* with a repeated key ("redefined object key"),
/// although HCL allows it (the last value wins; only a repeated argument in a block is an error).
/// Workaround until the parser accepts it: replace the repeated key in a copy of the text by a
/// unique key of the same byte length, so every span still points into the original text, parse
/// again, and remember where the repeats were.
pub fn parse_tolerating_duplicate_keys(
    text: &str,
) -> (Result<Body, hcl::edit::parser::Error>, Vec<Range<usize>>) {
    const MAX_REPEATS: usize = 64;
    let mut duplicates: Vec<Range<usize>> = Vec::new();
    let mut current = std::borrow::Cow::Borrowed(text);
    let mut result = hcl::edit::parser::parse_body(&current);
    while let Err(err) = &result {
        let offset = err.location().offset();
        if !err.message().contains("redefined object key") || duplicates.len() >= MAX_REPEATS {
            break;
        }
        // An empty quoted key (`""`) has no same-length replacement.
        let Some(range) = key_at(&current, offset)
            .filter(|r| r.len() > 2 || !current[r.clone()].starts_with('"'))
        else {
            break;
        };
        // A replacement that clashes with another key of the same object fails at the same
        // place: try the next one.
        let mut replaced = None;
        for candidate in key_candidates(&current[range.clone()]).take(64) {
            let mut next = current.to_string();
            next.replace_range(range.clone(), &candidate);
            let r = hcl::edit::parser::parse_body(&next);
            let same_place = r.as_ref().err().is_some_and(|e| {
                e.location().offset() == offset && e.message().contains("redefined object key")
            });
            if !same_place {
                replaced = Some((next, r));
                break;
            }
        }
        let Some((next, r)) = replaced else { break };
        duplicates.push(range);
        current = std::borrow::Cow::Owned(next);
        result = r;
    }
    (result, duplicates)
}

/// The byte range of the object key (a quoted string or an identifier) starting at `offset`.
fn key_at(text: &str, offset: usize) -> Option<Range<usize>> {
    let rest = text.get(offset..)?;
    let len = if let Some(inner) = rest.strip_prefix('"') {
        let mut escaped = false;
        let (end, _) = inner.char_indices().find(|(_, c)| {
            let stop = *c == '"' && !escaped;
            escaped = *c == '\\' && !escaped;
            stop
        })?;
        end + 2
    } else {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len())
    };
    (len > 0).then_some(offset..offset + len)
}

/// Keys of the same byte length as `key` (quoted if it is), different from it.
fn key_candidates(key: &str) -> impl Iterator<Item = String> + '_ {
    const ALPHABET: &[u8] = b"zqxjkvwyZQXJKVWY";
    let quoted = key.starts_with('"') && key.len() >= 2;
    let inner_len = if quoted { key.len() - 2 } else { key.len() };
    (0..usize::MAX)
        .map(move |n| {
            let mut k = n;
            let mut inner = String::with_capacity(inner_len);
            // Letters only: an identifier may not start with a digit or `-`.
            for _ in 0..inner_len {
                inner.push(char::from(
                    ALPHABET.get(k % ALPHABET.len()).copied().unwrap_or(b'z'),
                ));
                k /= ALPHABET.len();
            }
            if quoted {
                format!("\"{inner}\"")
            } else {
                inner
            }
        })
        .filter(move |c| c != key)
}

impl SourceFile {
    pub fn parse(display: String, text: String) -> Self {
        let (result, duplicate_keys) = parse_tolerating_duplicate_keys(&text);
        match result {
            Ok(body) => SourceFile {
                display,
                text,
                body: Some(body),
                parse_error: None,
                duplicate_keys,
            },
            Err(e) => {
                let offset = e.location().offset().min(text.len());
                let message = e.message().to_string();
                SourceFile {
                    display,
                    text,
                    body: None,
                    parse_error: Some((offset..offset, message)),
                    duplicate_keys,
                }
            }
        }
    }

    pub fn unparsable(display: String, why: &str) -> Self {
        SourceFile {
            display,
            text: String::new(),
            body: None,
            parse_error: Some((0..0, why.to_string())),
            duplicate_keys: Vec::new(),
        }
    }

    /// Terraform override files (`override.tf`, `*_override.tf`) replace parts of the module
    /// instead of adding to it: their backend block replaces the one in the other files.
    pub fn is_override(&self) -> bool {
        let name = self.display.rsplit('/').next().unwrap_or_default();
        name == "override.tf" || name.ends_with("_override.tf")
    }

    /// A diagnostic at `span` of this file.
    pub fn diag(
        &self,
        rule: &'static str,
        severity: Severity,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Diagnostic {
        let (line, column) = line_col(&self.text, span.start);
        let (end_line, end_column) = line_col(&self.text, span.end.max(span.start));
        Diagnostic {
            rule,
            severity,
            file: self.display.clone(),
            line,
            column,
            end_line,
            end_column,
            message: message.into(),
            help,
            related: Vec::new(),
            span,
            engine_only: None,
        }
    }

    fn line(&self, n: usize) -> Option<&str> {
        n.checked_sub(1).and_then(|i| self.text.lines().nth(i))
    }

    /// The rule ids a `# tfboot:ignore a,b -- reason` comment on `line` names.
    fn ignored_on(line: &str) -> Option<(Vec<&str>, bool)> {
        let at = line.find("tfboot:ignore")?;
        let before = line[..at].trim_end();
        if !(before.ends_with('#') || before.ends_with("//")) {
            return None;
        }
        let rest = &line[at + "tfboot:ignore".len()..];
        let (ids, reason) = match rest.split_once("--") {
            Some((ids, reason)) => (ids, !reason.trim().is_empty()),
            None => (rest, false),
        };
        let ids = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        Some((ids, reason))
    }

    /// True when a suppression comment directly above the finding's line, or at the end of it,
    /// names its rule.
    pub fn suppresses(&self, d: &Diagnostic) -> bool {
        [d.line.checked_sub(1), Some(d.line)]
            .into_iter()
            .flatten()
            .filter_map(|n| self.line(n))
            .filter_map(Self::ignored_on)
            .any(|(ids, _)| ids.contains(&d.rule))
    }

    /// `unexplained-ignore` for every suppression comment without a reason.
    pub fn unexplained_ignores(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            if let Some((_, false)) = Self::ignored_on(line) {
                let at = offset + line.find("tfboot:ignore").unwrap_or(0);
                out.push(self.diag(
                    "unexplained-ignore",
                    Severity::Warning,
                    at..at + "tfboot:ignore".len(),
                    "suppression without a reason",
                    Some("write the reason after `--`: `# tfboot:ignore <rule> -- <why>`".into()),
                ));
            }
            offset += line.len();
        }
        out
    }
}

/// One directory: its `.tf` files, `*.tfbackend` files and `.terraform.lock.hcl`.
pub struct Module {
    pub dir: String,
    pub tf: Vec<SourceFile>,
    pub tfbackend: Vec<SourceFile>,
    pub lock: Option<SourceFile>,
}

impl Module {
    pub fn all_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.tf.iter().chain(&self.tfbackend).chain(&self.lock)
    }

    /// Every `backend` / `cloud` block inside a `terraform` block, in file order.
    pub fn backend_blocks(&self) -> Vec<(&SourceFile, &Block)> {
        let mut out = Vec::new();
        for f in &self.tf {
            let Some(body) = &f.body else { continue };
            for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
                for b in tb.body.blocks() {
                    if matches!(b.ident.as_str(), "backend" | "cloud") {
                        out.push((f, b));
                    }
                }
            }
        }
        out
    }

    /// `required_version` strings of the module's `terraform` blocks.
    pub fn required_versions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.tf {
            let Some(body) = &f.body else { continue };
            for tb in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
                if let Some(v) = tb
                    .body
                    .get_attribute("required_version")
                    .and_then(|a| a.value.as_str())
                {
                    out.push(v.to_string());
                }
            }
        }
        out
    }
}

/// An attribute of a backend configuration, with the file it is written in.
pub struct Setting<'a> {
    pub name: &'a str,
    pub file: &'a SourceFile,
    /// The whole `name = value`.
    pub span: Range<usize>,
    pub key_span: Range<usize>,
    pub value: &'a Expression,
}

impl Setting<'_> {
    /// The value when it is a literal string.
    pub fn str(&self) -> Option<&str> {
        match self.value {
            Expression::String(s) => Some(s.value().as_str()),
            _ => None,
        }
    }

    /// The value when it is a literal bool.
    pub fn bool(&self) -> Option<bool> {
        match self.value {
            Expression::Bool(b) => Some(*b.value()),
            _ => None,
        }
    }

    pub fn value_span(&self) -> Range<usize> {
        self.value.span().unwrap_or_else(|| self.span.clone())
    }
}

/// A backend block, alone or merged with one `*.tfbackend` file (whose settings win).
pub struct BackendConfig<'a> {
    /// `s3`, `gcs`, … or `cloud` for a `cloud` block.
    pub kind: String,
    pub block_file: &'a SourceFile,
    pub block: &'a Block,
    pub tfbackend: Option<&'a SourceFile>,
    pub settings: Vec<Setting<'a>>,
    /// `required_version` constraints of the module.
    pub required_versions: Vec<String>,
}

impl<'a> BackendConfig<'a> {
    pub fn new(
        block_file: &'a SourceFile,
        block: &'a Block,
        tfbackend: Option<&'a SourceFile>,
        required_versions: Vec<String>,
    ) -> Self {
        let kind = if block.ident.as_str() == "cloud" {
            "cloud".to_string()
        } else {
            block
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default()
        };
        let mut settings: Vec<Setting<'a>> = settings_of(block_file, &block.body);
        if let Some(tb) = tfbackend {
            if let Some(body) = &tb.body {
                let partial = settings_of(tb, body);
                settings.retain(|s| !partial.iter().any(|p| p.name == s.name));
                settings.extend(partial);
            }
        }
        BackendConfig {
            kind,
            block_file,
            block,
            tfbackend,
            settings,
            required_versions,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Setting<'a>> {
        self.settings.iter().find(|s| s.name == name)
    }

    /// A literal string value, `None` when absent or not a literal.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Setting::str)
    }

    /// Where block-level findings go: the `.tfbackend` file when merged (its first line), else the
    /// block header.
    pub fn anchor(&self) -> (&'a SourceFile, Range<usize>) {
        match self.tfbackend {
            Some(f) => (f, 0..f.text.lines().next().map_or(0, str::len)),
            None => {
                let start = self.block.span().map_or(0, |s| s.start);
                let header_end = self.block_file.text[start..]
                    .find('{')
                    .map_or(start, |i| start + i + 1);
                (self.block_file, start..header_end)
            }
        }
    }

    /// A block-level diagnostic, naming the partial configuration when there is one.
    pub fn diag_block(
        &self,
        rule: &'static str,
        severity: Severity,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Diagnostic {
        let (file, span) = self.anchor();
        let mut message = message.into();
        if self.tfbackend.is_some() {
            message = format!(
                "{message} (backend block in {} merged with this file)",
                self.block_file.display
            );
        }
        file.diag(rule, severity, span, message, help)
    }

    /// Run `validate` on the literal string value of `name` (when there is one) and report its
    /// complaint at the value: the shape shared by the naming rules.
    pub fn check_literal(
        &self,
        name: &str,
        rule: &super::rules::Rule,
        validate: fn(&str) -> Result<(), String>,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(s) = self.get(name) else { return };
        let Some(v) = s.str() else { return };
        if let Err(why) = validate(v) {
            out.push(s.file.diag(
                rule.id,
                rule.severity,
                s.value_span(),
                format!("{name} {v:?}: {why}"),
                None,
            ));
        }
    }

    /// An empty block with no `.tfbackend`: everything comes from `-backend-config` at init.
    pub fn is_unconfigured_partial(&self) -> bool {
        self.tfbackend.is_none() && self.block.body.is_empty()
    }

    /// No partial-configuration file is merged: whatever the block lacks may still come from
    /// `-backend-config` (files or `key=value`) or the environment at `init`, which tfboot cannot
    /// see. Partial configuration may be any subset of the arguments, not only an empty block.
    pub fn completed_at_init(&self) -> bool {
        self.tfbackend.is_none() && self.kind != "cloud"
    }

    /// A literal `true`.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name).and_then(Setting::bool) == Some(true)
    }

    /// An S3-compatible store rather than AWS S3 (MinIO, Ceph, R2, an emulator): a custom S3
    /// endpoint (`endpoints = { s3 = … }`, the deprecated `endpoint`) or path-style addressing.
    /// AWS-only advice (KMS, `encrypt`, region names) does not apply there.
    pub fn s3_compatible(&self) -> bool {
        self.kind == "s3"
            && (self.get("endpoint").is_some()
                || self
                    .get("endpoints")
                    .is_some_and(|s| object_keys(s.value).iter().any(|k| k == "s3"))
                || self.is_true("use_path_style")
                || self.is_true("force_path_style"))
    }

    /// Every endpoint URL the configuration names (`endpoint`, `*_endpoint`, `endpoints = {…}`,
    /// consul's `address` with its `scheme`), as literal strings.
    pub fn endpoint_urls(&self) -> Vec<(&Setting<'a>, String)> {
        let mut out = Vec::new();
        for s in &self.settings {
            if s.name == "endpoint" || s.name.ends_with("_endpoint") {
                if let Some(v) = s.str() {
                    out.push((s, v.to_string()));
                }
            } else if s.name == "endpoints" {
                if let Expression::Object(o) = s.value {
                    for (_, v) in o.iter() {
                        if let Expression::String(u) = v.expr() {
                            out.push((s, u.value().to_string()));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The keys of an object expression (`{ s3 = "…", "sts" = "…" }`).
pub fn object_keys(e: &Expression) -> Vec<String> {
    let Expression::Object(o) = e else {
        return Vec::new();
    };
    o.iter().map(|(k, _)| object_key_name(k)).collect()
}

/// An object key as a name: `s3` for both `s3 = …` and `"s3" = …`; other key expressions as
/// written.
pub fn object_key_name(k: &hcl::edit::expr::ObjectKey) -> String {
    use hcl::edit::expr::ObjectKey;
    match k {
        ObjectKey::Ident(i) => i.as_str().to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
        ObjectKey::Expression(other) => other.to_string().trim().to_string(),
    }
}

/// True for a host that is this machine: `localhost`, `127.0.0.0/8`, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "::1"
}

/// The host of a URL or `host:port` (no scheme needed).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn settings_of<'a>(file: &'a SourceFile, body: &'a Body) -> Vec<Setting<'a>> {
    body.attributes()
        .map(|a| Setting {
            name: a.key.as_str(),
            file,
            span: a.span().unwrap_or(0..0),
            key_span: a.key.span().unwrap_or(0..0),
            value: &a.value,
        })
        .collect()
}
