//! The overdispersed-Poisson (quasi-Poisson) upper bound that `spend_over_baseline` judges a
//! window's spend against.
//!
//! Spend is a compound process: a number of calls times a cost per call that is heavy-tailed
//! (a session writing a 100k-token cached context costs a hundred ordinary turns). Its
//! variance is not its mean, as a Poisson count's is, but a multiple of it: over a window with
//! expected spend `E`, `Var = D · E`, where the dispersion `D` (in dollars) is `E[X²] / E[X]`
//! of the cost per call for Poisson arrivals, and more when calls come in clusters (agent
//! sessions) or the call rate itself wanders (tenants coming and going). `D` scales with the
//! cost of a call, not with the call rate, so it is learnt slowly while the mean follows the
//! traffic.
//!
//! The bound is the one of Farrington et al. (1996), the outbreak-detection algorithm public
//! health surveillance uses on overdispersed counts: a normal bound on the 2/3 power of the
//! sum, which corrects the right skew of a sum made of few, heavy-tailed parts:
//! `U = E · (1 + ⅔ · k · √(D / E))^{3/2}`. With many small calls (`D ≪ E`) it is the plain
//! `E + k·√(D·E)`; with a few large ones it asks for more than that.

/// The upper bound on a window's spend with expected spend `expected` and dispersion
/// `dispersion` (both USD) at `k` standard deviations. `expected` itself when either is zero.
pub fn upper_bound(expected: f64, dispersion: f64, k: f64) -> f64 {
    if expected <= 0.0 || dispersion <= 0.0 {
        return expected.max(0.0);
    }
    expected * (1.0 + 2.0 / 3.0 * k * (dispersion / expected).sqrt()).powf(1.5)
}

/// The factor a dispersion observed over `windows` independent windows is raised by to its
/// upper 95 % confidence bound (as a variance estimated from `k` windows is:
/// `1 + 1.645 √(2/k)`, with `k` at least 1): a spread seen over a few windows only is not
/// trusted to be small.
pub fn upper_factor(windows: f64) -> f64 {
    1.0 + 1.645 * (2.0 / windows.max(1.0)).sqrt()
}

/// The factor a dispersion estimated from `units` independent units of spend is raised by to
/// its upper 95 % confidence bound: `n / χ²₀.₀₅(n)`, the bound of a variance from `n` degrees
/// of freedom, with the chi-square quantile by Wilson and Hilferty's approximation (within 3 %
/// from 5 units up). Unlike [`upper_factor`]'s normal approximation it grows without limit as
/// `n` falls to one or two: a key that has spent two units' worth has not shown how large its
/// units are. [`MAX_FACTOR`] past that.
pub fn units_factor(units: f64) -> f64 {
    let n = units.max(1e-9);
    let h = 2.0 / (9.0 * n);
    let base = 1.0 - h - 1.645 * h.sqrt();
    if base <= 0.0 {
        return MAX_FACTOR;
    }
    (1.0 / base.powi(3)).min(MAX_FACTOR)
}

/// [`units_factor`]'s largest value: a history of about one unit.
pub const MAX_FACTOR: f64 = 1e6;

/// The deviations each of `looks` tests must ask so that together they fire by chance no more
/// often than one test at `k` deviations does (Bonferroni: each at a `looks`-th of the
/// one-sided normal tail beyond `k`). The tail is Laplace's continued fraction for Mills'
/// ratio, the quantile found by bisection.
pub fn split_deviations(k: f64, looks: usize) -> f64 {
    if looks <= 1 || k.is_nan() || k <= 0.0 {
        return k;
    }
    let target = normal_tail(k) / looks as f64;
    let (mut lo, mut hi) = (k, k + 3.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if normal_tail(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// `P(Z > z)` for a standard normal `Z`, `z > 0`: `φ(z) / (z + 1/(z + 2/(z + 3/(z + …))))`.
fn normal_tail(z: f64) -> f64 {
    let mut fraction = z;
    for n in (1..=60).rev() {
        fraction = z + f64::from(n) / fraction;
    }
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() / fraction
}

/// A mean that starts as a plain running mean and turns into an EWMA of weight `alpha` once it
/// has seen `1 / alpha` values: the first values are not diluted by a made-up start.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean {
    pub value: f64,
    pub seen: u64,
}

impl Mean {
    pub fn learn(&mut self, x: f64, alpha: f64) {
        self.seen += 1;
        let w = alpha.max(1.0 / self.seen as f64);
        self.value += w * (x - self.value);
    }
}

/// The EWMA weight per minute of a half-life in seconds.
pub fn alpha_per_minute(half_life_s: f64) -> f64 {
    1.0 - 0.5f64.powf(60.0 / half_life_s.max(60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_small_calls_give_the_normal_bound_and_few_large_ones_a_higher_one() {
        // E = $100 made of $0.01 calls: D = 0.01, sd = 1: about E + 4 sd.
        let u = upper_bound(100.0, 0.01, 4.0);
        assert!((u - 104.0).abs() < 0.1, "{u}");
        // E = $1 made of about two $0.5 sessions: sd = 0.71, E + 4 sd = 3.83; the skew
        // correction asks for more.
        let u = upper_bound(1.0, 0.5, 4.0);
        assert!(u > 3.83 + 0.5, "{u}");
        assert_eq!(upper_bound(0.0, 1.0, 4.0), 0.0);
        assert_eq!(upper_bound(2.0, 0.0, 4.0), 2.0);
    }

    #[test]
    fn a_dispersion_from_few_units_is_bounded_as_a_chi_square_says() {
        // n / χ²₀.₀₅(n): 5 → 4.37, 10 → 2.54, 44 → 1.48, 100 → 1.29 (tables).
        for (n, exact) in [(5.0, 4.37), (10.0, 2.54), (44.0, 1.48), (100.0, 1.29)] {
            let f = units_factor(n);
            assert!((f / exact - 1.0).abs() < 0.03, "{n}: {f} vs {exact}");
        }
        // Two units: the bound is wide (19 exactly); one unit or none: unbounded.
        assert!(units_factor(2.0) > 15.0);
        assert_eq!(units_factor(0.5), MAX_FACTOR);
        assert_eq!(units_factor(0.0), MAX_FACTOR);
    }

    #[test]
    fn two_looks_each_ask_more_so_together_they_fire_as_one_does() {
        // P(Z > 4) = 3.167e-5 (tables); half of it is P(Z > 4.1611).
        assert!((normal_tail(4.0) / 3.167e-5 - 1.0).abs() < 1e-3);
        assert!((normal_tail(2.0) / 0.02275 - 1.0).abs() < 1e-3);
        let k = split_deviations(4.0, 2);
        assert!((k - 4.1611).abs() < 0.001, "{k}");
        assert_eq!(split_deviations(4.0, 1), 4.0);
    }

    #[test]
    fn the_mean_is_a_running_mean_then_an_ewma() {
        let mut m = Mean::default();
        for x in [1.0, 2.0, 3.0] {
            m.learn(x, 0.01);
        }
        assert!((m.value - 2.0).abs() < 1e-12);
        let mut m = Mean::default();
        for _ in 0..1000 {
            m.learn(1.0, 0.5);
        }
        m.learn(3.0, 0.5);
        assert!((m.value - 2.0).abs() < 1e-12);
    }
}
