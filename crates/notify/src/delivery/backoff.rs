//! Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
//! Jitter"): wait a random time in `[0, min(cap, base · 2^attempt)]`, so many agents retrying
//! the same receiver after an outage do not arrive in lockstep.

use std::time::Duration;

pub fn full_jitter(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// The wait before the next attempt: what the receiver asked for in `Retry-After` when it
/// said (capped, so a hostile header cannot park us forever), else the jittered backoff.
pub fn next_wait(
    attempt: u32,
    retry_after: Option<Duration>,
    base: Duration,
    cap: Duration,
    retry_after_cap: Duration,
) -> Duration {
    match retry_after {
        Some(after) => after.min(retry_after_cap),
        None => full_jitter(attempt, base, cap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_under_the_exponential_ceiling_and_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for attempt in 0..40 {
            let w = full_jitter(attempt, base, cap);
            let ceiling = base.saturating_mul(1 << attempt.min(20)).min(cap);
            assert!(w <= ceiling, "attempt {attempt}: {w:?} > {ceiling:?}");
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let w = next_wait(
            0,
            Some(Duration::from_secs(3)),
            Duration::from_millis(1),
            Duration::from_millis(10),
            Duration::from_secs(600),
        );
        assert_eq!(w, Duration::from_secs(3));
        let capped = next_wait(
            0,
            Some(Duration::from_secs(86_400)),
            Duration::from_millis(1),
            Duration::from_millis(10),
            Duration::from_secs(600),
        );
        assert_eq!(capped, Duration::from_secs(600));
    }
}
