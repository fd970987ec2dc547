//! Clustered spend: how much of a group's spend comes in bursts of related calls (a
//! conversation's turns, an agent run's steps, a cascade of tool calls), so that
//! `spend_over_baseline` counts a burst as one unit of spend, not as many independent calls.
//!
//! A window's spend `S` over `w` seconds has `Var(S) / E(S) = D_calls + 2 ∫₀ʷ (1 − s/w) c(s) ds
//! / m`, where `D_calls = E[X²] / E[X]` is what independent (Poisson) calls give, `m` the
//! spend rate and `c(s)` the excess of the product density of two calls' costs `s` apart over
//! the `m²` independent calls would have: calls of one burst, close in time, add to it. This
//! estimates that integral from the calls themselves: each call's cost `x` times the spend of
//! the group's calls before it, each weighted `e^{−Δ/τ}` by how long ago it came (`τ = w / 2`,
//! the kernel with the triangle's area; a running sum, no list of calls), less what
//! independent calls at the baseline's rate would have put there (`m·τ`). Summed per minute as
//! `2·x·r`, it is learnt on the baseline's schedule (out of the guard band, never while firing),
//! and the rate is subtracted then.
//!
//! Spend-weighted, the estimate is the size of the bursts the spend comes in (`E[B²] / E[B]`
//! for bursts of total `B` arriving independently), however rarely they come: a tenant key of
//! one conversation an hour has the dispersion of one conversation, where the spread of its
//! window sums (mostly empty) says little. The windows' own spread (Pearson's, in spend.rs)
//! still covers what pairs within a window cannot see (demand that wanders over hours).

/// The decayed spend of a group's recent calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Recent {
    /// `Σ x_j e^{−(last − t_j)/τ}` over the calls so far (USD).
    decayed: f64,
    /// The second of the latest call.
    last: i64,
}

impl Recent {
    /// Counts a call of `usd` at second `sec` and returns its pair term, `2 · usd · r`, where
    /// `r` is the decayed spend of the calls before it (`tau_s` seconds' time constant). A call
    /// a little out of order counts the others as if at its own time.
    pub fn add(&mut self, sec: i64, usd: f64, tau_s: f64) -> f64 {
        if sec > self.last {
            self.decayed *= (-((sec - self.last) as f64) / tau_s).exp();
            self.last = sec;
        }
        let pair = 2.0 * usd * self.decayed;
        self.decayed += usd;
        pair
    }
}

/// The excess pair term of one minute over independent calls: `pairs` (the minute's summed
/// pair terms) less the `2 · m · τ · spend` that calls arriving independently at the rate
/// `per_min_usd` (USD a minute) give, for the minute's `spend`.
pub fn excess(pairs: f64, spend: f64, per_min_usd: f64, tau_s: f64) -> f64 {
    pairs - 2.0 * spend * per_min_usd / 60.0 * tau_s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimated dispersion (`(Σx² + Σ excess) / Σx`) of `calls` (second, USD), with the
    /// rate known.
    fn dispersion(calls: &[(i64, f64)], per_min_usd: f64, tau_s: f64) -> f64 {
        let mut r = Recent::default();
        let (mut sq, mut lin, mut pairs) = (0.0, 0.0, 0.0);
        for &(t, x) in calls {
            pairs += r.add(t, x, tau_s);
            sq += x * x;
            lin += x;
        }
        (sq + excess(pairs, lin, per_min_usd, tau_s)) / lin
    }

    #[test]
    fn independent_calls_give_their_own_dispersion_and_bursts_the_bursts() {
        // $0.01 every 6 s (a steady $0.10 a minute): regular calls spread less than Poisson
        // ones; the estimate is at most the calls' own 0.01.
        let steady: Vec<(i64, f64)> = (0..10_000).map(|i| (i * 6, 0.01)).collect();
        let d = dispersion(&steady, 0.1, 150.0);
        assert!(d <= 0.0101, "{d}");
        // Bursts of five $0.01 calls 10 s apart, one burst an hour: each burst is a unit of
        // $0.05, so the dispersion is near 0.05 (a little under: the calls are 40 s apart at
        // most, weighted e^{-Δ/τ}).
        let bursts: Vec<(i64, f64)> = (0..200)
            .flat_map(|b| (0..5).map(move |i| (b * 3600 + i * 10, 0.01)))
            .collect();
        let d = dispersion(&bursts, 0.05 / 60.0, 150.0);
        assert!(d > 0.04 && d < 0.05, "{d}");
    }

    #[test]
    fn a_late_call_counts_the_others_at_its_own_time() {
        let mut r = Recent::default();
        r.add(100, 1.0, 150.0);
        let pair = r.add(90, 1.0, 150.0);
        assert_eq!(pair, 2.0);
    }
}
