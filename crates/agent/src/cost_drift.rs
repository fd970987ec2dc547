//! The drift between what callwatch computed from the calls it saw and what the Admin API's
//! cost report billed, over the same whole hours: `callwatch.cost.drift` on `/metrics` and
//! OTLP. The computed side comes from the rules engine's spend ledger (two days, to the
//! minute), asked through a bounded channel the engine task answers between events.

use std::sync::{Arc, Mutex, PoisonError};

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

/// A question to the engine task: what did the calls seen over `[from, to)` cost?
pub(crate) struct SpendQuery {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub reply: oneshot::Sender<Option<f64>>,
}

/// Queries waiting for the engine task: one poll asks one at a time.
pub(crate) const QUERY_QUEUE: usize = 4;

/// Asks the engine task; `None` when it is gone, busy past the queue, or the range is older
/// than its ledger.
#[derive(Clone)]
pub(crate) struct SpendLedger(pub mpsc::Sender<SpendQuery>);

impl SpendLedger {
    pub async fn spent_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Option<f64> {
        let (reply, answer) = oneshot::channel();
        self.0.try_send(SpendQuery { from, to, reply }).ok()?;
        answer.await.ok().flatten()
    }
}

/// The latest drift reading: computed (callwatch's calls × the price table) against billed
/// spend, and over which whole hours (from the first callwatch saw whole to the export's
/// last).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostDrift {
    pub drift: crate::admin_api::Drift,
    /// The usage report's billed tokens at callwatch's prices, minus the computed spend: the
    /// part of the drift from calls callwatch did not see (the rest is the price table's).
    /// `None` when a billed model is unpriced or the usage report could not be read.
    pub unseen_usd: Option<f64>,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

impl CostDrift {
    /// Billed minus computed: what the gauge shows.
    pub fn usd(&self) -> f64 {
        self.drift.usd()
    }
}

/// Where the reconciliation loop leaves the latest reading for `/metrics` and OTLP.
#[derive(Clone, Default)]
pub struct DriftCell(Arc<Mutex<Option<CostDrift>>>);

impl DriftCell {
    pub fn set(&self, drift: CostDrift) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(drift);
    }

    pub fn get(&self) -> Option<CostDrift> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `t` rounded up to a whole hour (UTC).
pub(crate) fn ceil_hour(t: OffsetDateTime) -> OffsetDateTime {
    let floor = floor_hour(t);
    if floor == t {
        t
    } else {
        floor + time::Duration::HOUR
    }
}

/// `t` rounded down to a whole hour (UTC).
pub(crate) fn floor_hour(t: OffsetDateTime) -> OffsetDateTime {
    let s = t.unix_timestamp();
    OffsetDateTime::from_unix_timestamp(s - s.rem_euclid(3600)).unwrap_or(t)
}
