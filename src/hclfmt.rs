//! `terraform fmt`'s layout for HCL text.
//!
//! hcl-rs has a formatter, but it does not align `=` and imposes its own blank lines, so its output
//! is not what `terraform fmt` writes. This module follows the rules of HashiCorp's formatter
//! (hclwrite): it changes whitespace only. The text is split into tokens and lines; every line is
//! indented two spaces per open bracket, the space between two tokens is decided by the pair, and in
//! each run of consecutive `key = value` lines the `=` signs (and then trailing comments) line up.
//! Blank lines, comments, heredoc bodies and the text of strings are kept as written.
//!
//! Terraform's own rewrites on top of hclwrite are done too: `"${var.x}"` becomes `var.x` and bare
//! block labels are quoted. Not done: normalising legacy `variable` type strings (`"string"`,
//! `list`), which no backend or bootstrap file needs.
//!
//! Tested against the real `terraform fmt` over a corpus of untidy inputs (tests/fmt.rs).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Newline,
    Comment,
    Ident,
    Number,
    OQuote,
    CQuote,
    QuotedLit,
    OHeredoc,
    CHeredoc,
    StringLit,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Equal,
    Comma,
    Dot,
    Ellipsis,
    DoubleColon,
    Colon,
    Question,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Bang,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    FatArrow,
}

impl Kind {
    /// +1 for a token that opens a bracket (templates' `${` / `%{` included), -1 for one that closes.
    fn bracket_change(self) -> i32 {
        match self {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateInterp
            | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    /// Spaces written before the token (recomputed; the input's spacing is dropped).
    spaces: usize,
}

impl Token<'_> {
    /// Does this token end a line? A `#` / `//` comment carries its newline.
    fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }

    fn columns(&self) -> usize {
        self.spaces + self.text.chars().count()
    }
}

/// Text the tokenizer could not read (the caller has parsed it with hcl-edit first, so this means
/// syntax tfboot's formatter does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Lay out `src` as `terraform fmt` does.
pub fn format(src: &str) -> Result<String, FormatError> {
    let mut tokens = tokenize(src)?;
    unwrap_interpolations(&mut tokens);
    let lines = split_lines(&tokens);
    indent(&mut tokens, &lines);
    space(&mut tokens, &lines);
    align(&mut tokens, &lines);
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    for t in &tokens {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(t.text);
    }
    // Only spacing may differ from the (rewritten) tokens: anything else would be a bug here, and
    // must not reach a file.
    let again = tokenize(&out)?;
    let same = again.len() == tokens.len()
        && again
            .iter()
            .zip(&tokens)
            .all(|(a, b)| a.kind == b.kind && a.text == b.text);
    if !same {
        return Err(FormatError {
            line: 1,
            message: "internal: formatting changed more than whitespace".into(),
        });
    }
    Ok(out)
}

/// Terraform's own rewrites on top of the layout: an attribute whose whole value is one
/// interpolation, `a = "${x}"`, becomes `a = x` (a multi-line one is wrapped in parentheses; only
/// attributes of blocks, not object items; not when the string has literal text or a second
/// interpolation), and bare block labels are quoted.
fn unwrap_interpolations(tokens: &mut Vec<Token<'_>>) {
    // Is each open brace a block body (true) or an expression bracket (false)?
    let mut stack: Vec<bool> = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let in_body = stack.iter().all(|b| *b);
        let kind = tokens.get(i).map(|t| t.kind);
        if i == line_start && in_body && kind == Some(Kind::Ident) {
            let is_attr = tokens.get(i + 1).is_some_and(|t| t.kind == Kind::Equal);
            if is_attr {
                if let Some(end) = unwrappable(tokens, i + 2) {
                    rewrite(tokens, i + 2, end);
                }
            }
        }
        let Some(t) = tokens.get(i) else { break };
        let ends_line = t.ends_line();
        match t.kind {
            Kind::OBrace => {
                let header = tokens
                    .get(line_start..i)
                    .is_some_and(|h| is_block_header(h));
                stack.push(in_body && header);
                if in_body && header {
                    // Terraform writes block labels quoted: `resource aws_s3_bucket x {`.
                    let bare: Vec<usize> = (line_start + 1..i)
                        .filter(|&j| tokens.get(j).is_some_and(|t| t.kind == Kind::Ident))
                        .collect();
                    for &j in bare.iter().rev() {
                        let Some(label) = tokens.get(j).map(|t| t.text) else {
                            continue;
                        };
                        let quoted = [
                            Token {
                                kind: Kind::OQuote,
                                text: "\"",
                                spaces: 0,
                            },
                            Token {
                                kind: Kind::QuotedLit,
                                text: label,
                                spaces: 0,
                            },
                            Token {
                                kind: Kind::CQuote,
                                text: "\"",
                                spaces: 0,
                            },
                        ];
                        tokens.splice(j..=j, quoted);
                    }
                    i += 2 * bare.len();
                }
            }
            Kind::OBrack | Kind::OParen | Kind::TemplateInterp | Kind::TemplateControl => {
                stack.push(false)
            }
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => {
                stack.pop();
            }
            _ => {}
        }
        if ends_line {
            line_start = i + 1;
        }
        i += 1;
    }
}

/// `ident ident "label" … {`: the tokens before a block's opening brace.
fn is_block_header(tokens: &[Token<'_>]) -> bool {
    let mut it = tokens.iter().peekable();
    if !it.next().is_some_and(|t| t.kind == Kind::Ident) {
        return false;
    }
    while let Some(t) = it.next() {
        match t.kind {
            Kind::Ident => {}
            Kind::OQuote => {
                if it.peek().is_some_and(|t| t.kind == Kind::QuotedLit) {
                    it.next();
                }
                if !it.next().is_some_and(|t| t.kind == Kind::CQuote) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// When the value starting at `start` is exactly `"${ … }"` that Terraform unwraps, the index of
/// its closing quote.
fn unwrappable(tokens: &[Token<'_>], start: usize) -> Option<usize> {
    if tokens.get(start)?.kind != Kind::OQuote
        || tokens.get(start + 1)?.kind != Kind::TemplateInterp
    {
        return None;
    }
    // The matching closing quote, and the whole value must end there.
    let mut depth = 0;
    let mut end = None;
    for (j, t) in tokens.iter().enumerate().skip(start) {
        match t.kind {
            Kind::OQuote => depth += 1,
            Kind::CQuote => {
                depth -= 1;
                if depth == 0 {
                    end = Some(j);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let after = tokens.get(end + 1);
    if !after.is_none_or(|t| t.ends_line())
        || after.is_some_and(|t| t.kind == Kind::Comment && !t.text.ends_with('\n'))
    {
        return None;
    }
    if tokens.get(end - 1)?.kind != Kind::TemplateSeqEnd || end < start + 4 {
        return None;
    }
    let mut quotes = 0;
    for t in tokens.get(start + 2..end - 1)? {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp
            | Kind::TemplateSeqEnd
            | Kind::TemplateControl
            | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    Some(end)
}

fn rewrite(tokens: &mut Vec<Token<'_>>, start: usize, end: usize) {
    let mut inside: Vec<Token<'_>> = tokens.drain(start..=end).collect();
    // Drop the quote and the interpolation delimiters, then newlines at either end.
    inside.pop();
    inside.pop();
    inside.drain(..2);
    while inside.first().is_some_and(|t| t.kind == Kind::Newline) {
        inside.remove(0);
    }
    while inside.last().is_some_and(|t| t.kind == Kind::Newline) {
        inside.pop();
    }
    let multi_line = inside.iter().any(|t| t.kind == Kind::Newline);
    let parenthesised = inside.first().is_some_and(|t| t.kind == Kind::OParen)
        && inside.last().is_some_and(|t| t.kind == Kind::CParen);
    if multi_line && !parenthesised {
        let paren = |kind, text| Token {
            kind,
            text,
            spaces: 0,
        };
        inside.insert(0, paren(Kind::OParen, "("));
        inside.push(paren(Kind::CParen, ")"));
    }
    tokens.splice(start..start, inside);
}

// ---------------------------------------------------------------------------------------------
// Tokens

enum Ctx {
    /// Expressions: the top level, or inside `${ … }` / `%{ … }` (`template`), counting the braces
    /// opened inside so the closing `}` of the template sequence can be told apart.
    Expr {
        braces: usize,
        template: bool,
    },
    Quoted,
    Heredoc {
        marker: String,
        line_start: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    stack: Vec<Ctx>,
    tokens: Vec<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.src
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s))
    }

    fn push(&mut self, kind: Kind, len: usize) -> Result<(), FormatError> {
        let end = self.pos + len;
        let text = self
            .src
            .get(self.pos..end)
            .ok_or_else(|| self.error("token crosses a character boundary"))?;
        self.tokens.push(Token {
            kind,
            text,
            spaces: 0,
        });
        self.pos = end;
        Ok(())
    }

    fn error(&self, message: &str) -> FormatError {
        let line = self
            .src
            .get(..self.pos.min(self.src.len()))
            .map_or(1, |s| s.matches('\n').count() + 1);
        FormatError {
            line,
            message: message.to_string(),
        }
    }

    /// Length of the run of bytes from `pos` that `keep` accepts.
    fn run(&self, from: usize, keep: impl Fn(char) -> bool) -> usize {
        self.src.get(from..).map_or(0, |rest| {
            rest.char_indices()
                .find(|&(_, c)| !keep(c))
                .map_or(rest.len(), |(i, _)| i)
        })
    }

    fn lex(mut self) -> Result<Vec<Token<'a>>, FormatError> {
        while self.pos < self.src.len() {
            match self.stack.last_mut() {
                Some(Ctx::Quoted) => self.quoted()?,
                Some(Ctx::Heredoc { .. }) => self.heredoc()?,
                Some(Ctx::Expr { .. }) | None => self.expr()?,
            }
        }
        match self.stack.last() {
            Some(Ctx::Expr {
                template: false, ..
            })
            | None => Ok(self.tokens),
            Some(Ctx::Quoted) => Err(self.error("unterminated string")),
            Some(Ctx::Heredoc { marker, .. }) => {
                Err(self.error(&format!("heredoc without its closing {marker}")))
            }
            Some(Ctx::Expr { .. }) => Err(self.error("unterminated template interpolation")),
        }
    }

    /// Template sequence openers inside strings and heredocs: `${` / `%{` (not `$${` / `%%{`).
    fn template_open(&mut self) -> Result<bool, FormatError> {
        let kind = if self.starts_with("${") {
            Kind::TemplateInterp
        } else if self.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return Ok(false);
        };
        let len = if self.byte(self.pos + 2) == Some(b'~') {
            3
        } else {
            2
        };
        self.push(kind, len)?;
        self.stack.push(Ctx::Expr {
            braces: 0,
            template: true,
        });
        Ok(true)
    }

    fn quoted(&mut self) -> Result<(), FormatError> {
        if self.starts_with("\"") {
            self.stack.pop();
            return self.push(Kind::CQuote, 1);
        }
        if self.template_open()? {
            return Ok(());
        }
        let (end, _) = self.literal_end(true);
        if end == self.pos {
            return Err(self.error("newline in a quoted string"));
        }
        // An escape right before the end of input: clamp, the caller reports the open string.
        let end = end.min(self.src.len());
        let len = end - self.pos;
        self.push(Kind::QuotedLit, len)
    }

    /// Where the literal text from `pos` ends: before `${` / `%{` (not the escaped `$${` / `%%{`);
    /// in a quoted string before `"` or a newline (skipping `\` escapes), in a heredoc just after
    /// a newline (then `true`).
    fn literal_end(&self, quoted: bool) -> (usize, bool) {
        let bytes = self.src.as_bytes();
        let mut end = self.pos;
        while let Some(&b) = bytes.get(end) {
            let next = bytes.get(end + 1).copied();
            let next2 = bytes.get(end + 2).copied();
            match b {
                b'"' | b'\n' if quoted => break,
                b'\n' => return (end + 1, true),
                b'\\' if quoted => end += 2,
                b'$' | b'%' if next == Some(b) && next2 == Some(b'{') => end += 3,
                b'$' | b'%' if next == Some(b'{') => break,
                _ => end += 1,
            }
        }
        (end, false)
    }

    fn heredoc(&mut self) -> Result<(), FormatError> {
        let Some(Ctx::Heredoc { marker, line_start }) = self.stack.last_mut() else {
            return Err(self.error("internal: not in a heredoc"));
        };
        if *line_start {
            *line_start = false;
            let marker = marker.clone();
            let line_len = self.run(self.pos, |c| c != '\n');
            let line = self.src.get(self.pos..self.pos + line_len).unwrap_or("");
            if line.trim_start_matches([' ', '\t']).trim_end_matches('\r') == marker {
                self.stack.pop();
                let len = line.trim_end_matches('\r').len();
                return self.push(Kind::CHeredoc, len);
            }
        }
        if self.template_open()? {
            return Ok(());
        }
        let (end, newline) = self.literal_end(false);
        if newline {
            if let Some(Ctx::Heredoc { line_start, .. }) = self.stack.last_mut() {
                *line_start = true;
            }
        }
        let len = end.min(self.src.len()) - self.pos;
        self.push(Kind::StringLit, len)
    }

    fn expr(&mut self) -> Result<(), FormatError> {
        let Some(b) = self.byte(self.pos) else {
            return Ok(());
        };
        let next = self.byte(self.pos + 1);
        match b {
            b' ' | b'\t' => {
                self.pos += 1;
                Ok(())
            }
            b'\n' => self.push(Kind::Newline, 1),
            b'\r' if next == Some(b'\n') => self.push(Kind::Newline, 2),
            b'#' => self.line_comment(),
            b'/' if next == Some(b'/') => self.line_comment(),
            b'/' if next == Some(b'*') => {
                let body = self.src.get(self.pos + 2..).unwrap_or("");
                match body.find("*/") {
                    Some(i) => self.push(Kind::Comment, i + 4),
                    None => Err(self.error("unterminated /* comment")),
                }
            }
            b'"' => {
                self.stack.push(Ctx::Quoted);
                self.push(Kind::OQuote, 1)
            }
            b'<' if next == Some(b'<') => self.heredoc_open(),
            b'0'..=b'9' => {
                let mut len = self.run(self.pos, |c| c.is_ascii_digit());
                if self.byte(self.pos + len) == Some(b'.')
                    && self
                        .byte(self.pos + len + 1)
                        .is_some_and(|c| c.is_ascii_digit())
                {
                    len += 1 + self.run(self.pos + len + 1, |c| c.is_ascii_digit());
                }
                if matches!(self.byte(self.pos + len), Some(b'e' | b'E')) {
                    let mut at = self.pos + len + 1;
                    if matches!(self.byte(at), Some(b'+' | b'-')) {
                        at += 1;
                    }
                    let digits = self.run(at, |c| c.is_ascii_digit());
                    if digits > 0 {
                        len = at + digits - self.pos;
                    }
                }
                self.push(Kind::Number, len)
            }
            b'{' => {
                if let Some(Ctx::Expr { braces, .. }) = self.stack.last_mut() {
                    *braces += 1;
                }
                self.push(Kind::OBrace, 1)
            }
            b'}' => self.close_brace(1),
            b'~' if next == Some(b'}') => self.close_brace(2),
            b'[' => self.push(Kind::OBrack, 1),
            b']' => self.push(Kind::CBrack, 1),
            b'(' => self.push(Kind::OParen, 1),
            b')' => self.push(Kind::CParen, 1),
            b',' => self.push(Kind::Comma, 1),
            b'.' if self.starts_with("...") => self.push(Kind::Ellipsis, 3),
            b'.' => self.push(Kind::Dot, 1),
            b':' if next == Some(b':') => self.push(Kind::DoubleColon, 2),
            b':' => self.push(Kind::Colon, 1),
            b'?' => self.push(Kind::Question, 1),
            b'=' if next == Some(b'=') => self.push(Kind::EqualOp, 2),
            b'=' if next == Some(b'>') => self.push(Kind::FatArrow, 2),
            b'=' => self.push(Kind::Equal, 1),
            b'!' if next == Some(b'=') => self.push(Kind::NotEqual, 2),
            b'!' => self.push(Kind::Bang, 1),
            b'<' if next == Some(b'=') => self.push(Kind::Le, 2),
            b'<' => self.push(Kind::Lt, 1),
            b'>' if next == Some(b'=') => self.push(Kind::Ge, 2),
            b'>' => self.push(Kind::Gt, 1),
            b'&' if next == Some(b'&') => self.push(Kind::And, 2),
            b'|' if next == Some(b'|') => self.push(Kind::Or, 2),
            b'+' => self.push(Kind::Plus, 1),
            b'-' => self.push(Kind::Minus, 1),
            b'*' => self.push(Kind::Star, 1),
            b'/' => self.push(Kind::Slash, 1),
            b'%' => self.push(Kind::Percent, 1),
            _ => {
                let c = self
                    .src
                    .get(self.pos..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{fffd}');
                if c.is_alphabetic() || c == '_' {
                    let len = self.run(self.pos, |c| c.is_alphanumeric() || c == '_' || c == '-');
                    self.push(Kind::Ident, len)
                } else {
                    Err(self.error(&format!("unexpected character {c:?}")))
                }
            }
        }
    }

    fn close_brace(&mut self, len: usize) -> Result<(), FormatError> {
        match self.stack.last_mut() {
            Some(Ctx::Expr { braces, template }) if *braces == 0 && *template => {
                self.stack.pop();
                self.push(Kind::TemplateSeqEnd, len)
            }
            Some(Ctx::Expr { braces, .. }) if len == 1 => {
                *braces = braces.saturating_sub(1);
                self.push(Kind::CBrace, 1)
            }
            _ => Err(self.error("unexpected `~}`")),
        }
    }

    fn line_comment(&mut self) -> Result<(), FormatError> {
        let len = self.run(self.pos, |c| c != '\n');
        let with_newline = if self.byte(self.pos + len) == Some(b'\n') {
            len + 1
        } else {
            len
        };
        self.push(Kind::Comment, with_newline)
    }

    fn heredoc_open(&mut self) -> Result<(), FormatError> {
        let mut at = self.pos + 2;
        if self.byte(at) == Some(b'-') {
            at += 1;
        }
        let name_len = self.run(at, |c| c.is_alphanumeric() || c == '_' || c == '-');
        let marker = self.src.get(at..at + name_len).unwrap_or("").to_string();
        let mut end = at + name_len;
        if self.byte(end) == Some(b'\r') {
            end += 1;
        }
        if marker.is_empty() || self.byte(end) != Some(b'\n') {
            return Err(
                self.error("`<<` must start a heredoc: <<MARKER or <<-MARKER then a newline")
            );
        }
        let len = end + 1 - self.pos;
        self.push(Kind::OHeredoc, len)?;
        self.stack.push(Ctx::Heredoc {
            marker,
            line_start: true,
        });
        Ok(())
    }
}

fn tokenize(src: &str) -> Result<Vec<Token<'_>>, FormatError> {
    Lexer {
        src,
        pos: 0,
        stack: vec![Ctx::Expr {
            braces: 0,
            template: false,
        }],
        tokens: Vec::new(),
    }
    .lex()
}

// ---------------------------------------------------------------------------------------------
// Lines and cells

/// One line as token index ranges: what leads, the `= value` part (when the line is a one-line
/// assignment) and a trailing comment.
#[derive(Debug, Clone, Default)]
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<std::ops::Range<usize>>,
}

fn net_brackets(tokens: &[Token<'_>]) -> i32 {
    let mut net = 0;
    for t in tokens {
        net += t.kind.bracket_change();
        if t.kind == Kind::OHeredoc {
            break;
        }
    }
    net
}

fn slice<'t, 'a>(tokens: &'t [Token<'a>], r: &std::ops::Range<usize>) -> &'t [Token<'a>] {
    tokens.get(r.clone()).unwrap_or(&[])
}

fn split_lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.ends_line() {
            lines.push(Line {
                lead: start..i + 1,
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line {
            lead: start..tokens.len(),
            ..Line::default()
        });
    }
    for line in &mut lines {
        let len = line.lead.len();
        let last_is_comment = tokens
            .get(line.lead.end.wrapping_sub(1))
            .is_some_and(|t| t.kind == Kind::Comment);
        if len > 1 && last_is_comment {
            line.comment = Some(line.lead.end - 1..line.lead.end);
            line.lead.end -= 1;
        }
        let first_equal = (line.lead.start + 1..line.lead.end)
            .find(|&i| tokens.get(i).is_some_and(|t| t.kind == Kind::Equal));
        if let Some(i) = first_equal {
            let rest = i..line.lead.end;
            if net_brackets(slice(tokens, &rest)) == 0 {
                line.assign = Some(rest);
                line.lead.end = i;
            }
        }
    }
    lines
}

fn set_spaces(tokens: &mut [Token<'_>], i: usize, spaces: usize) {
    if let Some(t) = tokens.get_mut(i) {
        t.spaces = spaces;
    }
}

/// Two spaces per bracket left open by the lines above; a line that closes brackets is dedented
/// first. Brackets are counted per line, so a line opening two brackets indents the next by one
/// level and the line closing both returns to where it started.
fn indent(tokens: &mut [Token<'_>], lines: &[Line]) {
    let mut levels: Vec<i32> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        if tokens
            .get(line.lead.start)
            .is_some_and(|t| t.kind == Kind::Newline)
        {
            set_spaces(tokens, line.lead.start, 0);
            continue;
        }
        let mut net = net_brackets(slice(tokens, &line.lead));
        if let Some(assign) = &line.assign {
            net += net_brackets(slice(tokens, assign));
        }
        if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = levels.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    levels.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
        }
        set_spaces(tokens, line.lead.start, 2 * levels.len());
        if net > 0 {
            levels.push(net);
        }
    }
}

/// The space between two tokens of one line, decided by the pair (and, for `-`, the token before).
fn space_after(subject: &Token<'_>, before: Option<&Token<'_>>, after: &Token<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    let before = before.map(|t| t.kind);
    if a == Newline {
        return false;
    }
    if (s == Ident && matches!(a, OParen | DoubleColon)) || (s == DoubleColon && a == Ident) {
        return false;
    }
    if s == Dot || a == Dot {
        return false;
    }
    if a == Comma || a == Ellipsis {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
        || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if matches!(s, TemplateInterp | TemplateControl) && a == OBrace {
        return true;
    }
    if s == CBrace && a == TemplateSeqEnd {
        return true;
    }
    if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) {
        return false;
    }
    if s.bracket_change() > 0 || a.bracket_change() < 0 {
        return false;
    }
    if s == Minus {
        // Negation takes no space; subtraction does. It is a negation when what comes before
        // cannot end an operand.
        return !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Minus
                    | Star
                    | Slash
                    | Percent
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        );
    }
    if s == Bang {
        return false;
    }
    if a == OBrack && (matches!(s, Ident | Number) || s.bracket_change() < 0) {
        return false;
    }
    true
}

fn space_cell(tokens: &mut [Token<'_>], range: &std::ops::Range<usize>) {
    for i in range.clone() {
        let Some(next) = i.checked_add(1).filter(|n| *n < range.end) else {
            continue;
        };
        let before = i
            .checked_sub(1)
            .filter(|b| *b >= range.start)
            .and_then(|b| tokens.get(b));
        let (Some(subject), Some(after)) = (tokens.get(i), tokens.get(next)) else {
            continue;
        };
        let spaces = usize::from(space_after(subject, before, after));
        set_spaces(tokens, next, spaces);
    }
}

fn space(tokens: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        space_cell(tokens, &line.lead);
        if let Some(assign) = &line.assign {
            set_spaces(tokens, assign.start, 1);
            space_cell(tokens, assign);
        }
    }
}

fn columns(tokens: &[Token<'_>], r: Option<&std::ops::Range<usize>>) -> usize {
    r.map_or(0, |r| slice(tokens, r).iter().map(Token::columns).sum())
}

/// Line up the `=` of consecutive one-line assignments, then the trailing comments of consecutive
/// commented lines.
fn align(tokens: &mut [Token<'_>], lines: &[Line]) {
    align_cells(
        tokens,
        lines,
        |l| l.assign.as_ref(),
        |t, l| columns(t, Some(&l.lead)),
    );
    align_cells(
        tokens,
        lines,
        |l| l.comment.as_ref(),
        |t, l| columns(t, Some(&l.lead)) + columns(t, l.assign.as_ref()),
    );
}

/// In every run of consecutive lines that have the `cell`, pad it to one column past the widest
/// `before` it.
fn align_cells(
    tokens: &mut [Token<'_>],
    lines: &[Line],
    cell: fn(&Line) -> Option<&std::ops::Range<usize>>,
    before: fn(&[Token<'_>], &Line) -> usize,
) {
    let mut run: Vec<&Line> = Vec::new();
    let flush = |tokens: &mut [Token<'_>], run: &mut Vec<&Line>| {
        let width = run.iter().map(|l| before(tokens, l)).max().unwrap_or(0);
        for l in run.drain(..) {
            if let Some(c) = cell(l) {
                let pad = width - before(tokens, l) + 1;
                set_spaces(tokens, c.start, pad);
            }
        }
    };
    for line in lines {
        if cell(line).is_some() {
            run.push(line);
        } else {
            flush(tokens, &mut run);
        }
    }
    flush(tokens, &mut run);
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn aligns_and_indents() {
        let src = "terraform {\nbackend \"s3\" {\nbucket=\"b\"\n      key = \"k\" # the key\n  encrypt =true   # yes\n}\n}\n";
        let want = "terraform {\n  backend \"s3\" {\n    bucket  = \"b\"\n    key     = \"k\"  # the key\n    encrypt = true # yes\n  }\n}\n";
        assert_eq!(format(src).unwrap(), want);
    }

    #[test]
    fn keeps_strings_heredocs_and_blank_lines() {
        let src =
            "a = \"x  ${ var.y }  z\"\n\n\nb = <<-EOT\n   keep   ${x}\n    EOT\nc = [1,2 ,3]\n";
        let want =
            "a = \"x  ${var.y}  z\"\n\n\nb = <<-EOT\n   keep   ${x}\n    EOT\nc = [1, 2, 3]\n";
        assert_eq!(format(src).unwrap(), want);
    }

    #[test]
    fn rejects_unterminated() {
        assert!(format("a = \"open\n").is_err());
        assert!(format("a = <<EOT\nbody\n").is_err());
    }
}
