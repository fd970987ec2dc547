//! Exponential backoff with full jitter: the wait is uniform in `0..=min(max, base·2^retry)`,
//! which spreads a fleet's retries instead of synchronising them on the same instants.

use std::time::Duration;

/// The wait before retry number `retry` (0 for the first retry); `unit` is a uniform draw in
/// `0.0..1.0`.
pub fn full_jitter(base: Duration, max: Duration, retry: u32, unit: f64) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_under_the_doubling_ceiling_and_the_max() {
        let mut rng = fastrand::Rng::with_seed(7);
        let base = Duration::from_millis(500);
        let max = Duration::from_secs(8);
        for retry in 0..40 {
            let ceiling = if retry >= 4 { max } else { base * (1 << retry) };
            for _ in 0..50 {
                assert!(
                    full_jitter(base, max, retry, rng.f64()) <= ceiling,
                    "retry {retry}"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_waits() {
        let draw = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..5)
                .map(|r| full_jitter(Duration::from_secs(1), Duration::from_secs(8), r, rng.f64()))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }
}
