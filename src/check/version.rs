//! Terraform version constraints (`>= 1.10, < 2.0`, `~> 1.6`, `!= 1.7.0`, `= 1.11.4`), enough to
//! answer "could this module run on a Terraform older than X?".

/// major, minor, patch.
pub type Version = (u64, u64, u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: the rightmost given segment may grow.
    Pessimistic(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    terms: Vec<(Op, Version)>,
}

fn parse_version(s: &str) -> Option<(Version, usize)> {
    let s = s.trim().trim_start_matches('v');
    let core = s.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut v = [0u64; 3];
    for (slot, p) in v.iter_mut().zip(&parts) {
        *slot = p.parse().ok()?;
    }
    let [major, minor, patch] = v;
    Some(((major, minor, patch), parts.len()))
}

/// An exact version such as `5.100.0`.
pub fn parse_exact(s: &str) -> Option<Version> {
    parse_version(s).map(|(v, _)| v)
}

impl Constraint {
    /// Parse a comma-separated constraint list; `None` when any part is not understood.
    pub fn parse(s: &str) -> Option<Self> {
        let mut terms = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            let (op, rest) = [
                ("~>", None),
                (">=", Some(Op::Ge)),
                ("<=", Some(Op::Le)),
                ("!=", Some(Op::Ne)),
                (">", Some(Op::Gt)),
                ("<", Some(Op::Lt)),
                ("=", Some(Op::Eq)),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Some(Op::Eq), part));
            let (v, segments) = parse_version(rest)?;
            let op = op.unwrap_or(Op::Pessimistic(segments));
            terms.push((op, v));
        }
        Some(Constraint { terms })
    }

    pub fn admits(&self, v: Version) -> bool {
        self.terms.iter().all(|(op, c)| match op {
            Op::Eq => v == *c,
            Op::Ne => v != *c,
            Op::Gt => v > *c,
            Op::Ge => v >= *c,
            Op::Lt => v < *c,
            Op::Le => v <= *c,
            Op::Pessimistic(segments) => {
                let upper = match segments {
                    1 | 2 => (c.0 + 1, 0, 0),
                    _ => (c.0, c.1 + 1, 0),
                };
                v >= *c && v < upper
            }
        })
    }

    fn candidates(&self) -> Vec<Version> {
        let mut out = Vec::new();
        for major in 0..=2 {
            for minor in 0..=40 {
                for patch in [0, 1, 2, 5, 9, 20] {
                    out.push((major, minor, patch));
                }
            }
        }
        for (_, (a, b, c)) in &self.terms {
            out.extend([(*a, *b, *c), (*a, *b, c + 1), (*a, b + 1, 0), (a + 1, 0, 0)]);
            if *c > 0 {
                out.push((*a, *b, c - 1));
            }
        }
        out
    }

    /// True when `v` or some later version satisfies every constraint.
    pub fn admits_from(&self, v: Version) -> bool {
        let mut c = self.candidates();
        c.extend([v, (v.0, v.1, v.2 + 1), (v.0, v.1 + 1, 0), (v.0 + 1, 0, 0)]);
        c.into_iter().any(|c| c >= v && self.admits(c))
    }

    /// True when some version below `v` satisfies every constraint.
    pub fn admits_below(&self, v: Version) -> bool {
        self.candidates()
            .into_iter()
            .any(|c| c < v && self.admits(c))
    }
}

/// All of a module's `required_version` strings together; `None` when none is declared or one
/// cannot be parsed.
pub fn combined(required: &[String]) -> Option<Constraint> {
    if required.is_empty() {
        return None;
    }
    let mut terms = Vec::new();
    for r in required {
        terms.extend(Constraint::parse(r)?.terms);
    }
    Some(Constraint { terms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn below(s: &str, v: Version) -> bool {
        Constraint::parse(s).unwrap().admits_below(v)
    }

    #[test]
    fn constraints() {
        assert!(below(">= 1.5", (1, 10, 0)));
        assert!(!below(">= 1.10", (1, 10, 0)));
        assert!(!below(">= 1.10.0, < 2.0.0", (1, 10, 0)));
        assert!(below("~> 1.9", (1, 10, 0)));
        assert!(!below("~> 1.11.0", (1, 11, 0)));
        assert!(below("~> 1.9.0", (1, 10, 0)));
        assert!(!below("= 1.11.4", (1, 11, 0)));
        assert!(below("1.9.8", (1, 10, 0)));
        assert!(below("!= 1.10.0", (1, 10, 0)));
        assert!(below("> 1.10.5", (1, 11, 0)));
        assert!(Constraint::parse(">= banana").is_none());
        assert!(combined(&[">= 1.0".into(), ">= 1.11".into()])
            .is_some_and(|c| !c.admits_below((1, 11, 0))));
    }
}
