//! Map a function over many inputs on all cores, giving up on any single input that takes too
//! long. HCL parsing backtracks exponentially on some malformed inputs (found by fuzzing: a few
//! hundred bytes of unclosed `{` after operators take seconds, a few more take forever); one such
//! file must not hang a whole `check` or `generate`.
//!
//! A stuck worker cannot be stopped, so it is abandoned: its result is dropped if it ever comes,
//! a fresh worker takes over the queue, and the process ends normally when the work is done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What each worker is doing: the index of its current item and when it started on it.
type Slots = Arc<Mutex<Vec<Option<(usize, Instant)>>>>;

struct Shared<T, R> {
    items: Vec<T>,
    next: AtomicUsize,
    f: fn(&T) -> R,
    slots: Slots,
}

fn spawn_worker<T, R>(
    shared: &Arc<Shared<T, R>>,
    id: usize,
    tx: mpsc::Sender<(usize, R)>,
    abandoned: Arc<Mutex<Vec<bool>>>,
) where
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    let shared = Arc::clone(shared);
    let _ = std::thread::Builder::new()
        .name(format!("tfboot-parse-{id}"))
        .spawn(move || loop {
            if abandoned
                .lock()
                .map(|a| a.get(id).copied().unwrap_or(true))
                .unwrap_or(true)
            {
                return;
            }
            let i = shared.next.fetch_add(1, Ordering::SeqCst);
            let Some(item) = shared.items.get(i) else {
                return;
            };
            if let Ok(mut slots) = shared.slots.lock() {
                if let Some(s) = slots.get_mut(id) {
                    *s = Some((i, Instant::now()));
                }
            }
            let r = (shared.f)(item);
            if let Ok(mut slots) = shared.slots.lock() {
                if let Some(s) = slots.get_mut(id) {
                    *s = None;
                }
            }
            if tx.send((i, r)).is_err() {
                return;
            }
        });
}

/// `f` over every item; `None` for items that took longer than `budget(item)`.
pub fn map<T, R>(items: Vec<T>, f: fn(&T) -> R, budget: fn(&T) -> Duration) -> Vec<Option<R>>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    let n = items.len();
    let workers = std::thread::available_parallelism()
        .map_or(2, |p| p.get())
        .min(n.max(1));
    let shared = Arc::new(Shared {
        items,
        next: AtomicUsize::new(0),
        f,
        slots: Arc::new(Mutex::new(vec![None; workers])),
    });
    let abandoned = Arc::new(Mutex::new(vec![false; workers]));
    let (tx, rx) = mpsc::channel();
    for id in 0..workers {
        spawn_worker(&shared, id, tx.clone(), Arc::clone(&abandoned));
    }
    let mut results: Vec<Option<R>> = (0..n).map(|_| None).collect();
    let mut finished = vec![false; n];
    let mut done = 0;
    while done < n {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((i, r)) => {
                if let (Some(slot), Some(fin)) = (results.get_mut(i), finished.get_mut(i)) {
                    if !*fin {
                        *slot = Some(r);
                        *fin = true;
                        done += 1;
                        crate::progress::inc();
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Give up on items that ran past their budget; replace their workers.
                let mut overdue = Vec::new();
                if let Ok(slots) = shared.slots.lock() {
                    for (id, s) in slots.iter().enumerate() {
                        if let Some((i, started)) = s {
                            let limit = shared.items.get(*i).map_or(Duration::ZERO, budget);
                            if started.elapsed() > limit {
                                overdue.push((id, *i));
                            }
                        }
                    }
                }
                for (id, i) in overdue {
                    if let Some(fin) = finished.get_mut(i) {
                        if !*fin {
                            *fin = true;
                            done += 1;
                        }
                    }
                    let new_id = {
                        let Ok(mut a) = abandoned.lock() else { break };
                        if let Some(flag) = a.get_mut(id) {
                            *flag = true;
                        }
                        a.push(false);
                        a.len() - 1
                    };
                    if let Ok(mut slots) = shared.slots.lock() {
                        if let Some(s) = slots.get_mut(id) {
                            *s = None;
                        }
                        slots.push(None);
                    }
                    spawn_worker(&shared, new_id, tx.clone(), Arc::clone(&abandoned));
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_or_fast(x: &u64) -> u64 {
        if *x == 3 {
            std::thread::sleep(Duration::from_secs(30));
        }
        x * 2
    }

    #[test]
    fn a_stuck_item_is_given_up_and_the_rest_completes() {
        let start = Instant::now();
        let out = map((0..10).collect(), slow_or_fast, |_| {
            Duration::from_millis(300)
        });
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(out.get(3), Some(&None));
        assert_eq!(out.get(4), Some(&Some(8)));
        assert_eq!(out.iter().filter(|r| r.is_some()).count(), 9);
    }
}
