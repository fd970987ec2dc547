//! How much a window's counts say against "this is ordinary noise": the binomial
//! log-likelihood ratio of the observed share against a noise share, `n · KL(k/n ‖ p0)` in
//! nats. By the Chernoff bound, noise at share `p0` reaches `e` nats of evidence with
//! probability at most `e^-e`, whatever `n` is, so one limit serves a call a minute and a
//! thousand a second: at low volume a few calls that nearly all fail are enough, at high volume
//! a share just over the threshold is, and a handful of noise calls in a quiet window is not.

/// Evidence in nats that `matched` of `total` calls did not come from share `noise`; zero when
/// the observed share is not above it.
pub fn against_noise(matched: u64, total: u64, noise: f64) -> f64 {
    if total == 0 || matched == 0 || !(noise > 0.0 && noise < 1.0) {
        return 0.0;
    }
    let n = total as f64;
    let p = (matched.min(total) as f64) / n;
    if p <= noise {
        return 0.0;
    }
    let mut kl = p * (p / noise).ln();
    if p < 1.0 {
        kl += (1.0 - p) * ((1.0 - p) / (1.0 - noise)).ln();
    }
    n * kl
}

#[cfg(test)]
mod tests {
    use super::against_noise;

    #[test]
    fn nothing_above_noise_is_no_evidence() {
        assert_eq!(against_noise(0, 100, 0.01), 0.0);
        assert_eq!(against_noise(1, 100, 0.01), 0.0);
        assert_eq!(against_noise(5, 0, 0.01), 0.0);
        assert_eq!(against_noise(5, 10, 0.0), 0.0);
    }

    #[test]
    fn evidence_grows_with_calls_at_the_same_share() {
        let few = against_noise(6, 113, 0.01);
        let many = against_noise(60, 1130, 0.01);
        assert!((few - 5.26).abs() < 0.01, "{few}");
        assert!((many - 10.0 * few).abs() < 1e-6);
    }

    #[test]
    fn every_call_failing_is_strong_evidence_even_at_two_calls() {
        // Two 401s and nothing else on a key: 2 · ln(1 / 0.02) = 7.8 nats.
        assert!((against_noise(2, 2, 0.02) - 2.0 * 50f64.ln()).abs() < 1e-9);
        // Two 401s among a handful of good calls are stray.
        assert!(against_noise(2, 6, 0.02) < 5.0);
    }
}
