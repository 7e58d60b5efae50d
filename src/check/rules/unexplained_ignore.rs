//! ## What it does
//! Finds a suppression comment (`# tfboot:ignore <rule>`) without a reason after `--`.
//!
//! ## Why is this bad?
//! A silenced finding with no reason cannot be reviewed: nobody knows whether it is still true.
//!
//! ## Example
//! `# tfboot:ignore no-state-locking`
//!
//! ## Use instead
//! `# tfboot:ignore no-state-locking -- sandbox account, single operator`
use super::prelude::*;

pub const RULE: Rule = rule!(
    "unexplained-ignore",
    Warning,
    "a tfboot:ignore comment without a reason",
    "unexplained_ignore.rs"
);
