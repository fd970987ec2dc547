//! Demand: how far everyone else's spend rose at the same time, so that `spend_over_baseline`
//! tells a rise of the whole workload (the working day starting on every key at once, a shift
//! of the work mix) from a runaway on one model and key (a loop, a retry storm).
//!
//! Each group keeps a baseline of the **others'** spend per minute — the engine-wide spend
//! (every priced call, from the spend ledger) less the group's own, so a runaway cannot lift
//! its own reference — learnt on the same schedule as its own baseline (the guard band, never
//! while firing). When the others' window rose too, the group's trailing expectation rises by
//! the same factor, taken at its lower bound: the others' window sum less 1 standard
//! deviation of its own spread (on the square-root scale, with the others' observed
//! dispersion), over their expected spend, never below 1. A runaway on one key leaves the
//! others flat, so its factor is 1 and it is judged as before; a rise on every key at once is a
//! change in demand, which the key's share of the spend, not its level, should be judged on.
//!
//! A step of the whole workload reaches each group's window at once, but by chance one group's
//! window clears its bound a minute or two before the others' windows show enough of the step
//! for their factor to cancel it. So while the others' spend over the window judged stands two
//! standard deviations above their baseline, a group's page waits [`SHARED_HOLD_MINUTES`]; then
//! it is judged again, with the others' windows full of the step.

use super::dispersion::{upper_bound, upper_factor, Mean};
use super::spend::SpendState;

/// How many standard deviations the others' rise is bounded down before it raises a group's
/// expectation: the others' noise must not hide a real jump. One, with the hold below: at two
/// (sessions 23 to 25) the others' rise, read so far down, did not cancel a day-shaped
/// workload's first morning step even after the hold (with the hold asking one sd: 18 of 60
/// quiet `Diurnal` runs paged at two, 8 at one; docs/rules.md, session 26).
const DEMAND_EVIDENCE_SD: f64 = 1.0;

/// How many standard deviations above their baseline the others' spend must stand to hold a
/// group's page back (see [`SHARED_HOLD_MINUTES`]): the evidence the factor asked before
/// session 26. At one, the others' noise held a sparse key's jump often enough to cost it its
/// one window past the bound (4 more jumps late or missed in 80 on the steady generators, 3
/// fewer false pages in 60 quiet runs of each day-shaped one).
const RISE_EVIDENCE_SD: f64 = 2.0;

/// How long a group's page waits when everyone else's spend is rising too. A step of the whole
/// workload (the working day's mix of long-context calls arriving at 06:00 on every key) shows
/// first on whichever group's window happens to fill fastest, while the others' windows hold
/// only a minute or two of it and their factor, read at its lower bound, is still 1; a few
/// minutes later the others' windows hold the step too and the factor cancels it. A runaway
/// on one key leaves the others flat, so it is not held (only when the others' noise happens
/// to stand two standard deviations up, a window in twenty or so on bursty traffic).
pub const SHARED_HOLD_MINUTES: i64 = 3;

/// A window of the others' spend counts in their spread at most this far up: as many standard
/// deviations of their spread so far, or this many times their expected spend, whichever is
/// more (as a group's own spread is learnt, spend.rs). Without it, one job on a near-silent
/// night (a $5 QA run against others expected to spend $0.0001) taught a spread of
/// `(5 − 0.0001)² / 0.0001`, 250 000 a window, 10⁷ times the true one, for a day: no rise
/// of the others was evidence any more, and a whole centre's morning shift paged on each key
/// (`CallCentre`, session 30).
const LEARN_CAP_SD: f64 = 4.0;
const LEARN_CAP_RATIO: f64 = 3.0;

/// The others' spend per minute and its spread, for one group.
pub struct Demand {
    /// Engine-wide spend per minute, recorded once the minute is complete: (minute, USD).
    totals: Box<[(i64, f64)]>,
    /// The next minute to record.
    next: i64,
    /// The others' spend per minute (as the group's own baseline: a running mean, then an
    /// EWMA) and Pearson's dispersion of their window sums.
    mean: Mean,
    pearson: Mean,
}

impl Demand {
    /// Room for `slots` minutes, from minute `first`.
    pub fn new(slots: usize, first: i64) -> Demand {
        Demand {
            totals: vec![(i64::MIN, 0.0); slots].into_boxed_slice(),
            next: first,
            mean: Mean::default(),
            pearson: Mean::default(),
        }
    }

    /// Records the engine-wide spend of the complete minutes before `minute`.
    pub fn record(&mut self, spend: &SpendState, minute: i64) {
        let from = self.next.max(minute - self.totals.len() as i64);
        for m in from..minute {
            let i = m.rem_euclid(self.totals.len() as i64) as usize;
            self.totals[i] = (m, spend.spent_in_minute(m));
        }
        self.next = self.next.max(minute);
    }

    /// The engine-wide spend of minute `m`, if recorded.
    fn total(&self, m: i64) -> Option<f64> {
        let (stamp, usd) = self.totals[m.rem_euclid(self.totals.len() as i64) as usize];
        (stamp == m).then_some(usd)
    }

    /// Everyone's spend (every model and key) over the `span` minutes ending before `end`;
    /// `None` when a minute of it is not recorded.
    pub fn everyone(&self, end: i64, span: i64) -> Option<f64> {
        (end - span..end).map(|m| self.total(m)).sum()
    }

    /// The others' spend over the `window` minutes ending before `end`, given the group's own.
    fn others(&self, end: i64, window: i64, own: f64) -> Option<f64> {
        let mut total = 0.0;
        for m in end - window..end {
            total += self.total(m)?;
        }
        Some((total - own).max(0.0))
    }

    /// Learns minute `m` out of the guard band: `own` is the group's spend that minute and
    /// `own_window` over the window ending with it. Minutes not recorded are skipped.
    pub fn learn(&mut self, m: i64, own: f64, own_window: f64, window: i64, alpha: f64, slow: f64) {
        let Some(total) = self.total(m) else {
            return;
        };
        let expected = self.mean.value * window as f64;
        if self.mean.seen >= window as u64 && expected > 0.0 {
            if let Some(s) = self.others(m + 1, window, own_window) {
                let cap = upper_bound(expected, self.pearson.value, LEARN_CAP_SD)
                    .max(LEARN_CAP_RATIO * expected);
                self.pearson
                    .learn((s.min(cap) - expected).powi(2) / expected, slow);
            }
        }
        self.mean.learn((total - own).max(0.0), alpha);
    }

    /// Whether the others' baseline has seen `min_minutes` minutes and some spend.
    pub fn knows(&self, min_minutes: u64) -> bool {
        self.mean.seen >= min_minutes && self.mean.value > 0.0
    }

    /// Whether the others' spend over the `span` minutes ending before `end` (the group's own
    /// over them: `own`) stands at least [`RISE_EVIDENCE_SD`] standard deviations above their
    /// baseline (their observed dispersion, at its point estimate): a hint that the whole
    /// workload is rising, not proof. It only ever delays a page ([`SHARED_HOLD_MINUTES`]), so
    /// it is read at the point estimate, where the factor is read at its lower bound.
    pub fn rising(&self, end: i64, (span, own): (i64, f64), min_minutes: u64) -> bool {
        self.observed(end, (span, own), min_minutes)
            .is_some_and(|(s, expected)| {
                let sd = (self.pearson.value.max(0.0) * expected).sqrt();
                s > expected + RISE_EVIDENCE_SD * sd
            })
    }

    /// The others' spend over the `span` minutes ending before `end` (the group's own over
    /// them: `own`) and what their baseline expects of it; `None` while the baseline has not
    /// seen `min_minutes` minutes, or minutes of the span are not recorded.
    fn observed(&self, end: i64, (span, own): (i64, f64), min_minutes: u64) -> Option<(f64, f64)> {
        if !self.knows(min_minutes) {
            return None;
        }
        let s = self.others(end, span, own)?;
        Some((s, self.mean.value * span as f64))
    }

    /// How far the others' spend over the `span` minutes ending before `end` (the group's own
    /// spend over them: `own`) rose above their baseline, at its lower bound; 1 when it did
    /// not, or when the baseline has not seen `min_minutes` minutes. Their dispersion was
    /// learnt over `window`-minute sums; a compound count's `D` holds for longer spans too.
    pub fn factor(
        &self,
        end: i64,
        (span, own): (i64, f64),
        window: i64,
        min_minutes: u64,
        slow: f64,
    ) -> f64 {
        let Some((s, expected)) = self.observed(end, (span, own), min_minutes) else {
            return 1.0;
        };
        let remembered = (self.pearson.seen as f64).min(2.0 / slow.max(1e-9));
        let d = self.pearson.value * upper_factor(remembered / window as f64);
        let lower = if d > 0.0 {
            ((s / d).sqrt() - DEMAND_EVIDENCE_SD / 2.0).max(0.0).powi(2) * d
        } else {
            s
        };
        (lower / expected).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Learns `minutes` minutes of others spending `others` a minute, then the factor for a
    /// window where they spend `now` a minute.
    fn factor_after(others: f64, now: f64, noise: f64) -> f64 {
        let window = 5;
        let mut d = Demand::new(32, 0);
        let mut seen = Vec::new();
        let alpha = super::super::dispersion::alpha_per_minute(3600.0);
        let slow = super::super::dispersion::alpha_per_minute(24.0 * 3600.0);
        for m in 0..240 {
            // Alternating above and below the level: a spread of `noise` a minute.
            let x = others + if m % 2 == 0 { noise } else { -noise };
            seen.push(x);
            d.totals[(m % 32) as usize] = (m, x);
            if m >= 10 {
                let l = m - 10;
                d.learn(l, 0.0, 0.0, window, alpha, slow);
            }
        }
        for m in 240..245 {
            d.totals[(m % 32) as usize] = (m, now);
        }
        d.factor(245, (window, 0.0), window, 30, slow)
    }

    #[test]
    fn a_rise_of_everyone_else_raises_the_expectation_and_noise_does_not() {
        // Everyone else at 4× their level: the factor is near 4, a little under (the bound).
        let f = factor_after(1.0, 4.0, 0.2);
        assert!(f > 3.0 && f < 4.0, "{f}");
        // The others as usual: 1.
        assert_eq!(factor_after(1.0, 1.0, 0.2), 1.0);
        // A 10 % rise within a wide spread is not evidence: 1.
        assert_eq!(factor_after(1.0, 1.1, 0.9), 1.0);
    }

    #[test]
    fn everyone_else_is_rising_a_standard_deviation_up_and_not_within_their_noise() {
        let rising_after = |others: f64, now: f64, noise: f64| {
            let window = 5;
            let mut d = Demand::new(32, 0);
            let alpha = super::super::dispersion::alpha_per_minute(3600.0);
            let slow = super::super::dispersion::alpha_per_minute(24.0 * 3600.0);
            for m in 0..240 {
                let x = others + if m % 2 == 0 { noise } else { -noise };
                d.totals[(m % 32) as usize] = (m, x);
                if m >= 10 {
                    d.learn(m - 10, 0.0, 0.0, window, alpha, slow);
                }
            }
            for m in 240..245 {
                d.totals[(m % 32) as usize] = (m, now);
            }
            d.rising(245, (window, 0.0), 30)
        };
        assert!(rising_after(1.0, 1.6, 0.2));
        // 20 % up within ±20 % a minute: their 5-minute sums vary far less, so a rise.
        assert!(rising_after(1.0, 1.2, 0.2));
        assert!(!rising_after(1.0, 1.0, 0.2));
        // 10 % up within a spread of ±90 % a minute: noise, not a rise.
        assert!(!rising_after(1.0, 1.1, 0.9));
    }

    #[test]
    fn a_group_alone_has_no_others_and_its_own_spend_is_not_theirs() {
        // Every minute's spend is the group's own: the others spend nothing, the factor is 1.
        let mut d = Demand::new(32, 0);
        let alpha = super::super::dispersion::alpha_per_minute(3600.0);
        for m in 0..100 {
            d.totals[(m % 32) as usize] = (m, 2.0);
            d.learn(m, 2.0, 10.0, 5, alpha, alpha);
        }
        for m in 100..105 {
            d.totals[(m % 32) as usize] = (m, 12.0);
        }
        assert_eq!(d.factor(105, (5, 60.0), 5, 30, alpha), 1.0);
    }
}
