//! What each attempt of one logical call did, summarised into the [`Call`](crate::call::Call)
//! fields. One record for every path: the middleware's logical call and the proxy's chain of
//! SDK attempts both keep an [`AttemptLog`].

use std::time::Duration;

use crate::classify::{Class, Outcome};

/// One attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    /// HTTP status; `None` when no response arrived.
    pub status: Option<u16>,
    /// The raw `error.type`.
    pub error_type: Option<String>,
    /// The canonical class.
    pub class: Class,
    /// Time from sending to the classified response (or transport failure).
    pub latency: Duration,
    /// Time waited before this attempt (zero for the first).
    pub wait_before: Duration,
}

/// `attempts`, `retry_wait` and `futile_retries` of a [`Call`](crate::call::Call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttemptSummary {
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Time waited between attempts.
    pub retry_wait: Duration,
    /// Retries made for a call that still failed: they cost time and load and bought nothing.
    pub futile_retries: u32,
}

/// Every attempt of one logical call, in order.
#[derive(Clone, Debug, Default)]
pub struct AttemptLog {
    attempts: Vec<AttemptRecord>,
    /// The last attempt's whole outcome (headers, body facts), which the call reports.
    last: Option<Outcome>,
    /// Attempts made before the first one seen (the proxy joins an SDK's call mid-way).
    unseen: u32,
}

impl AttemptLog {
    /// Counts `n` attempts made before the first one recorded, which nobody saw.
    pub fn record_unseen(&mut self, n: u32) {
        self.unseen = self.unseen.saturating_add(n);
    }

    /// Records an attempt that ended with `outcome`.
    pub fn record(&mut self, outcome: &Outcome, latency: Duration, wait_before: Duration) {
        self.attempts.push(AttemptRecord {
            status: outcome.status,
            error_type: outcome.error_type.clone(),
            class: outcome.class,
            latency,
            wait_before,
        });
        self.last = Some(outcome.clone());
    }

    /// The last attempt's outcome (settled, for a stream, once it ended).
    pub fn last_outcome(&self) -> Option<&Outcome> {
        self.last.as_ref()
    }

    /// Makes the last attempt's record say how it finally ended (a stream is recorded when its
    /// headers arrive and only its end says whether it failed).
    pub fn settle_last(&mut self, outcome: &Outcome) {
        if let Some(last) = self.attempts.last_mut() {
            last.status = outcome.status;
            last.class = outcome.class;
            last.error_type.clone_from(&outcome.error_type);
            self.last = Some(outcome.clone());
        }
    }

    /// The attempts recorded, in order.
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }

    /// Total time waited between attempts so far.
    pub fn waited(&self) -> Duration {
        self.attempts.iter().map(|a| a.wait_before).sum()
    }

    /// The call's `attempts`, `retry_wait` and `futile_retries`.
    pub fn summary(&self) -> AttemptSummary {
        let attempts = u32::try_from(self.attempts.len())
            .unwrap_or(u32::MAX)
            .saturating_add(self.unseen);
        let failed = self.attempts.last().is_some_and(|a| a.class.is_error());
        AttemptSummary {
            attempts,
            retry_wait: self.waited(),
            futile_retries: if failed {
                attempts.saturating_sub(1)
            } else {
                0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_futile_only_when_the_call_still_failed() {
        let overloaded = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
        let ok = Outcome::bare(Some(200), None, Class::Success);
        let mut log = AttemptLog::default();
        log.record(&overloaded, Duration::from_millis(10), Duration::ZERO);
        log.record(
            &overloaded,
            Duration::from_millis(10),
            Duration::from_millis(20),
        );
        let failed = log.summary();
        assert_eq!(
            failed,
            AttemptSummary {
                attempts: 2,
                retry_wait: Duration::from_millis(20),
                futile_retries: 1
            }
        );
        log.record(&ok, Duration::from_millis(10), Duration::from_millis(30));
        let recovered = log.summary();
        assert_eq!((recovered.attempts, recovered.futile_retries), (3, 0));
        assert_eq!(recovered.retry_wait, Duration::from_millis(50));
        assert_eq!(
            log.attempts()[1].error_type.as_deref(),
            Some("overloaded_error")
        );
        assert_eq!(AttemptLog::default().summary().attempts, 0);
    }
}
