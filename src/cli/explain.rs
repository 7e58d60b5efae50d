//! `tfboot explain`: topics and rule documentation.

use super::*;

/// What `tfboot explain` takes: every topic and rule id (completed by the shell completions).
fn rules_and_topics() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        TOPICS
            .iter()
            .map(|(t, _)| *t)
            .chain(all_rules().map(|r| r.id)),
    )
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot explain                    # every topic and rule, one line each\n  tfboot explain no-state-locking   # what a rule checks, why, and the fix\n  tfboot explain locking            # state lock vs dependency lock, and force-unlock"
)]
pub struct ExplainArgs {
    /// A rule id (e.g. no-state-locking) or a topic: locking, bootstrap, migrate-lock.
    #[arg(value_parser = rules_and_topics(), hide_possible_values = true)]
    pub rule: Option<String>,
}

/// Check's rules and, with the live store, doctor's.
fn all_rules() -> impl Iterator<Item = &'static crate::check::rules::Rule> {
    let doctor: &'static [crate::check::rules::Rule] = {
        #[cfg(feature = "live")]
        {
            crate::live::doctor::ALL
        }
        #[cfg(not(feature = "live"))]
        {
            &[]
        }
    };
    crate::check::rules::ALL.iter().chain(doctor)
}

/// `tfboot explain <topic>`: the questions people search for, beside the rules.
const TOPICS: &[(&str, &str)] = &[
    ("locking", include_str!("../../docs/topics/locking.md")),
    ("bootstrap", include_str!("../../docs/topics/bootstrap.md")),
    (
        "migrate-lock",
        include_str!("../../docs/topics/migrate-lock.md"),
    ),
    ("severity", include_str!("../../docs/topics/severity.md")),
];

pub(super) fn cmd_explain(a: &ExplainArgs, out: &mut dyn Write) -> Result<i32> {
    use crate::check::rules;
    let text = match &a.rule {
        None => {
            let width = all_rules().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::from("Topics:\n");
            for (t, text) in TOPICS {
                let title = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("# ");
                s.push_str(&format!("  {t:<width$}  {title}\n"));
            }
            s.push_str(
                "\nRules (default severity; `tfboot explain severity` says what each means):\n",
            );
            for r in rules::ALL {
                s.push_str(&format!(
                    "  {:<width$}  {:<7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            let doctor: Vec<_> = all_rules().skip(rules::ALL.len()).collect();
            if !doctor.is_empty() {
                s.push_str(
                    "
Findings of `tfboot doctor` (the live store):
",
                );
                for r in doctor {
                    s.push_str(&format!(
                        "  {:<width$}  {:<7}  {}
",
                        r.id,
                        r.severity.as_str(),
                        r.summary
                    ));
                }
            }
            s
        }
        Some(id) => match (
            all_rules().find(|r| r.id == id),
            TOPICS.iter().find(|(t, _)| t == id),
        ) {
            (Some(r), _) => format!("{} ({})\n\n{}\n", r.id, r.severity.as_str(), r.doc()),
            (None, Some((_, text))) => text.to_string(),
            (None, None) => {
                return Err(Error::Usage(format!(
                    "unknown rule or topic {id:?}; topics: {}; rules: {}",
                    TOPICS
                        .iter()
                        .map(|(t, _)| *t)
                        .collect::<Vec<_>>()
                        .join(", "),
                    all_rules().map(|r| r.id).collect::<Vec<_>>().join(", ")
                )))
            }
        },
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}
