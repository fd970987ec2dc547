//! Delivery counters per sink, readable at any time as a [`DeliveryStats`] snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub retried: AtomicU64,
    pub dropped: AtomicU64,
    pub spool_errors: AtomicU64,
    pub pending: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn done(&self) {
        // Never below zero, whatever the interleaving.
        let _ = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| p.checked_sub(1));
    }

    pub fn snapshot(&self, sink: &str, receiver: &str) -> SinkStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SinkStats {
            sink: sink.to_string(),
            receiver: receiver.to_string(),
            sent: get(&self.sent),
            failed: get(&self.failed),
            retried: get(&self.retried),
            dropped: get(&self.dropped),
            spool_errors: get(&self.spool_errors),
            pending: get(&self.pending),
        }
    }
}

/// One sink's delivery so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// The integration's kind: `webhook`, `slack`, …
    pub sink: String,
    /// The receiver it delivers for (empty for a worker outside any receiver).
    pub receiver: String,
    /// Notifications delivered.
    pub sent: u64,
    /// Notifications given up on (permanent error, or attempts exhausted: still spooled).
    pub failed: u64,
    /// Attempts that failed and were retried.
    pub retried: u64,
    /// Notifications refused because the queue was full (still spooled when the spool works).
    pub dropped: u64,
    /// Spool writes that failed (the notification was kept in memory).
    pub spool_errors: u64,
    /// Queued or in flight now.
    pub pending: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    pub sinks: Vec<SinkStats>,
}

impl DeliveryStats {
    /// The first integration of kind `name` (any receiver).
    pub fn sink(&self, name: &str) -> Option<&SinkStats> {
        self.sinks.iter().find(|s| s.sink == name)
    }

    /// The integration of kind `sink` of receiver `receiver`.
    pub fn receiver_sink(&self, receiver: &str, sink: &str) -> Option<&SinkStats> {
        self.sinks
            .iter()
            .find(|s| s.receiver == receiver && s.sink == sink)
    }

    /// Every receiver's integrations summed: (receiver, delivered, failed, dropped), in order
    /// of first appearance.
    pub fn per_receiver(&self) -> Vec<(String, u64, u64, u64)> {
        let mut out: Vec<(String, u64, u64, u64)> = Vec::new();
        for s in &self.sinks {
            match out.iter_mut().find(|r| r.0 == s.receiver) {
                Some(r) => {
                    r.1 += s.sent;
                    r.2 += s.failed;
                    r.3 += s.dropped;
                }
                None => out.push((s.receiver.clone(), s.sent, s.failed, s.dropped)),
            }
        }
        out
    }

    pub fn total_dropped(&self) -> u64 {
        self.sinks.iter().map(|s| s.dropped).sum()
    }

    pub fn total_pending(&self) -> u64 {
        self.sinks.iter().map(|s| s.pending).sum()
    }
}

/// Reads every sink's counters while the notifier runs, without holding the notifier (which
/// the agent's engine task owns): what `/metrics` renders.
#[derive(Clone, Debug, Default)]
pub struct StatsSource {
    pub(crate) sinks: Vec<(String, String, Arc<Counters>)>,
}

impl StatsSource {
    pub fn read(&self) -> DeliveryStats {
        DeliveryStats {
            sinks: self
                .sinks
                .iter()
                .map(|(name, receiver, counters)| counters.snapshot(name, receiver))
                .collect(),
        }
    }
}
