//! A progress indicator for long runs (thousands of roots): on stderr, and only when stderr is a
//! terminal, `CI` is unset, `TERM` is not `dumb` and `--quiet` was not given, so pipes and CI logs
//! never see it. It appears only when a run lasts longer than a moment, and is erased before any
//! output is printed.
//!
//! Library code reports through free functions that do nothing unless the command line switched
//! the indicator on, so embedding and tests need no plumbing.

use std::sync::RwLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static BAR: RwLock<Option<ProgressBar>> = RwLock::new(None);

/// How long a run must last before the indicator is drawn (`TFBOOT_PROGRESS_DELAY_MS` changes
/// it, for demonstrations and tests).
fn delay() -> Duration {
    std::env::var("TFBOOT_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_millis(300), Duration::from_millis)
}

/// Should a process whose stderr is `stderr_is_terminal` show progress?
pub fn wanted(stderr_is_terminal: bool, quiet: bool) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    stderr_is_terminal
        && !quiet
        && !set("CI")
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Switch the indicator on for this process (drawn after a short delay).
pub fn enable() {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(style(false));
    if let Ok(mut slot) = BAR.write() {
        *slot = Some(bar.clone());
    }
    let _ = std::thread::Builder::new()
        .name("tfboot-progress".into())
        .spawn(move || {
            std::thread::sleep(delay());
            if !bar.is_finished() {
                bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        });
}

fn style(counted: bool) -> ProgressStyle {
    let template = if counted {
        "{spinner} {msg} {pos}/{len} [{elapsed}]"
    } else {
        "{spinner} {msg} [{elapsed}]"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn with(f: impl FnOnce(&ProgressBar)) {
    if let Ok(slot) = BAR.read() {
        if let Some(bar) = slot.as_ref() {
            f(bar);
        }
    }
}

/// Start a phase: what is being done and, when known, how many items it has.
pub fn phase(message: &str, total: Option<usize>) {
    with(|bar| {
        bar.set_style(style(total.is_some()));
        bar.set_length(total.map_or(0, |t| t as u64));
        bar.set_position(0);
        bar.set_message(message.to_string());
    });
}

/// One more item of the current phase done.
pub fn inc() {
    with(|bar| bar.inc(1));
}

/// Erase the indicator (before output is printed, and at the end).
pub fn finish() {
    if let Ok(mut slot) = BAR.write() {
        if let Some(bar) = slot.take() {
            bar.finish_and_clear();
        }
    }
}
