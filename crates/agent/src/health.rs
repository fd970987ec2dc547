//! The agent's own health — alerts firing, calls the engine's queue dropped, notifications per
//! sink and result — read from live handles, so `/metrics` and OTLP report the same numbers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{AlertBoard, EventTap};
use callwatch_notify::{DeliveryStats, SinkStats, StatsSource};

/// Alerts firing for one rule and severity; a rule that fired before and is quiet now reports
/// one entry with no severity and 0, so graphs drop to 0 instead of ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiringCount {
    pub rule: String,
    pub severity: Option<String>,
    pub firing: u64,
}

/// One reading of the agent's health.
#[derive(Clone, Debug, Default)]
pub struct Health {
    pub firing: Vec<FiringCount>,
    pub engine_dropped: u64,
    /// Firing alerts the persisted alert state had no room for.
    pub alert_state_left_out: u64,
    /// `None` when the agent runs without a notifier.
    pub delivery: Option<DeliveryStats>,
    /// Billed minus computed spend, once the Admin API was read (`crate::cost_drift`).
    pub cost_drift: Option<super::cost_drift::CostDrift>,
}

/// Each sink's results under the names `/metrics` and OTLP use.
pub fn results(sink: &SinkStats) -> [(&'static str, u64); 5] {
    [
        ("sent", sink.sent),
        ("failed", sink.failed),
        ("retried", sink.retried),
        ("dropped", sink.dropped),
        ("unspooled", sink.spool_errors),
    ]
}

/// Reads [`Health`] at any time (cheap to clone; holds the agent's shared handles).
#[derive(Clone)]
pub struct HealthSource {
    pub(super) board: Arc<Mutex<AlertBoard>>,
    pub(super) tap: Arc<EventTap>,
    pub(super) delivery: Option<StatsSource>,
    pub(super) alert_state_left_out: Arc<std::sync::atomic::AtomicU64>,
    pub(super) drift: super::cost_drift::DriftCell,
}

impl HealthSource {
    pub fn read(&self) -> Health {
        let board = self.board.lock().unwrap_or_else(PoisonError::into_inner);
        Health {
            firing: firing_counts(&board),
            // Queue full, or a series the engine had no room for: either way not alerted on.
            engine_dropped: self.tap.dropped() + self.tap.engine_refused(),
            alert_state_left_out: self
                .alert_state_left_out
                .load(std::sync::atomic::Ordering::Relaxed),
            delivery: self.delivery.as_ref().map(StatsSource::read),
            cost_drift: self.drift.get(),
        }
    }
}

pub(super) fn firing_counts(board: &AlertBoard) -> Vec<FiringCount> {
    let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for alert in board.firing() {
        *counts
            .entry((alert.rule.as_str(), alert.severity.as_str()))
            .or_default() += 1;
    }
    let mut out: Vec<FiringCount> = counts
        .iter()
        .map(|(&(rule, severity), &firing)| FiringCount {
            rule: rule.to_owned(),
            severity: Some(severity.to_owned()),
            firing,
        })
        .collect();
    for rule in board.counts.keys() {
        if !counts.keys().any(|(r, _)| *r == rule.as_str()) {
            out.push(FiringCount {
                rule: rule.clone(),
                severity: None,
                firing: 0,
            });
        }
    }
    out.sort_by(|a, b| a.rule.cmp(&b.rule).then(a.severity.cmp(&b.severity)));
    out
}
