//! The retry decision for one attempt's [`Outcome`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::backoff::full_jitter;
use callwatch_core::classify::{Class, Outcome};

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try again after `wait`.
    Retry {
        /// How long to wait before the next attempt.
        wait: Duration,
    },
    /// Do not try again.
    Stop(StopReason),
}

/// Why a call was not retried (again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The attempt succeeded.
    Succeeded,
    /// Billing (credits, spend cap) never clears by waiting.
    Billing,
    /// The class is not transient (400, 401, 403, 404, 413, 422…) or `x-should-retry: false`.
    NotRetryable(Class),
    /// `max_retries` retries were made already.
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
    },
    /// The server asked for a wait longer than what is left of the total wait cap.
    RetryAfterBeyondCap {
        /// What the API asked to wait.
        retry_after: Duration,
        /// What was left of the total wait budget.
        remaining: Duration,
    },
    /// The backoff would exceed what is left of the total wait cap.
    WaitCapReached {
        /// What was left of the total wait budget.
        remaining: Duration,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Succeeded => f.write_str("succeeded"),
            StopReason::Billing => f.write_str("billing failure: retrying cannot help"),
            StopReason::NotRetryable(class) => write!(f, "{class} is not retryable"),
            StopReason::RetriesExhausted { attempts } => {
                write!(f, "gave up after {attempts} attempts")
            }
            StopReason::RetryAfterBeyondCap {
                retry_after,
                remaining,
            } => write!(
                f,
                "server asked to wait {:.3}s, more than the {:.3}s left of the wait cap",
                retry_after.as_secs_f64(),
                remaining.as_secs_f64()
            ),
            StopReason::WaitCapReached { remaining } => write!(
                f,
                "backoff exceeds the {:.3}s left of the wait cap",
                remaining.as_secs_f64()
            ),
        }
    }
}

/// When and how long to retry. Build with [`RetryPolicy::builder`]; `Default` matches the
/// official SDKs' 2 retries.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    max_retries: u32,
    base: Duration,
    overloaded_base: Duration,
    max_backoff: Duration,
    total_wait_cap: Duration,
    /// A seeded generator for reproducible jitter; the thread RNG when `None`.
    seeded: Option<Arc<Mutex<fastrand::Rng>>>,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::builder().build()
    }
}

impl RetryPolicy {
    /// Starts from the SDK defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy {
                max_retries: 2,
                base: Duration::from_millis(500),
                overloaded_base: Duration::from_secs(2),
                max_backoff: Duration::from_secs(8),
                total_wait_cap: Duration::from_secs(60),
                seeded: None,
            },
        }
    }

    /// A policy that never retries (each call is one attempt).
    pub fn never() -> RetryPolicy {
        RetryPolicy::builder().max_retries(0).build()
    }

    /// Retries after the first attempt (2, like the SDKs).
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The decision after attempt number `attempt` (1-based) ended in `outcome`, `waited`
    /// having been spent between earlier attempts.
    pub fn decide(&self, outcome: &Outcome, attempt: u32, waited: Duration) -> Decision {
        let unit = match &self.seeded {
            Some(rng) => rng
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .f64(),
            None => fastrand::f64(),
        };
        self.decide_with_jitter(outcome, attempt, waited, unit)
    }

    /// [`RetryPolicy::decide`] with the jitter given: `unit` is a uniform draw in `0.0..1.0`
    /// (0 waits nothing, towards 1 the whole backoff).
    pub fn decide_with_jitter(
        &self,
        outcome: &Outcome,
        attempt: u32,
        waited: Duration,
        unit: f64,
    ) -> Decision {
        let stop = |reason| Decision::Stop(reason);
        if outcome.class == Class::Success {
            return stop(StopReason::Succeeded);
        }
        if outcome.class == Class::Billing {
            return stop(StopReason::Billing);
        }
        if !outcome.retryable {
            return stop(StopReason::NotRetryable(outcome.class));
        }
        if attempt > self.max_retries {
            return stop(StopReason::RetriesExhausted { attempts: attempt });
        }
        let remaining = self.total_wait_cap.saturating_sub(waited);
        if let Some(retry_after) = outcome.retry_after {
            if retry_after > remaining {
                return stop(StopReason::RetryAfterBeyondCap {
                    retry_after,
                    remaining,
                });
            }
            return Decision::Retry { wait: retry_after };
        }
        let base = if outcome.class == Class::Overloaded {
            self.overloaded_base
        } else {
            self.base
        };
        let wait = full_jitter(base, self.max_backoff, attempt.saturating_sub(1), unit);
        if wait > remaining {
            return stop(StopReason::WaitCapReached { remaining });
        }
        Decision::Retry { wait }
    }
}

/// Builds a [`RetryPolicy`].
#[derive(Clone, Debug)]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Retries after the first attempt (default 2, like the official SDKs).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.policy.max_retries = n;
        self
    }
    /// First backoff ceiling (default 0.5 s), doubled per retry.
    pub fn base(mut self, base: Duration) -> Self {
        self.policy.base = base;
        self
    }
    /// First backoff ceiling for 529 overloaded (default 2 s): capacity takes longer to return.
    pub fn overloaded_base(mut self, base: Duration) -> Self {
        self.policy.overloaded_base = base;
        self
    }
    /// Largest single backoff (default 8 s).
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.policy.max_backoff = max;
        self
    }
    /// Most total waiting across one call's retries (default 60 s).
    pub fn total_wait_cap(mut self, cap: Duration) -> Self {
        self.policy.total_wait_cap = cap;
        self
    }
    /// Draw jitter from a generator seeded with `seed` (reproducible tests and demos).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.policy.seeded = Some(Arc::new(Mutex::new(fastrand::Rng::with_seed(seed))));
        self
    }
    /// The policy.
    pub fn build(self) -> RetryPolicy {
        self.policy
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
