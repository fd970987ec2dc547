//! At start, what a previous run persisted goes back into the engine, the board and the
//! notifier.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use super::alert_state::AlertStateStore;
use super::AlertBoard;
use callwatch_notify::Notifier;
use callwatch_rules::Engine;

/// Takes back what a previous run persisted: into the engine (firing, no new transition), the
/// board (`/metrics` shows it firing) and the notifier (as notified when its `firing` was
/// handed to delivery before; pushed again when it was not).
pub(super) fn restore(
    state: &mut AlertStateStore,
    engine: &mut Engine,
    now: time::OffsetDateTime,
    board: &Mutex<AlertBoard>,
    notifier: Option<&Notifier>,
) {
    let restored = state.load();
    if restored.is_empty() {
        return;
    }
    // One entry per alert (a file edited by hand may repeat one).
    let mut seen = BTreeSet::new();
    let (instances, handed_over): (Vec<_>, Vec<_>) = restored
        .into_iter()
        .filter(|r| seen.insert(r.instance.alert.fingerprint()))
        .map(|r| (r.instance, r.handed_over))
        .unzip();
    let alerts: Vec<_> = instances.iter().map(|i| i.alert.clone()).collect();
    let refused = engine.restore(instances, now);
    for reason in &refused {
        tracing::warn!(
            "callwatch: alert state {}: a firing alert is not restored ({reason}); it gets no \
             resolve",
            state.path().display()
        );
    }
    // What the engine took back, with whether delivery had its `firing`.
    let taken: BTreeSet<String> = engine.firing().map(|a| a.fingerprint()).collect();
    let mut board = board.lock().unwrap_or_else(PoisonError::into_inner);
    let mut count = 0;
    for (alert, handed_over) in alerts.into_iter().zip(handed_over) {
        if !taken.contains(&alert.fingerprint()) {
            continue;
        }
        count += 1;
        board.apply(&alert);
        if let Some(notifier) = notifier {
            if handed_over {
                notifier.restore_notified(alert);
            } else {
                notifier.push(alert);
            }
        }
    }
    tracing::info!(
        "callwatch: {count} firing alerts restored from {}",
        state.path().display()
    );
}
