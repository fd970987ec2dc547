//! Context starts: how many new conversations or agent runs a group's calls begin, so that
//! `spend_over_baseline` can judge a rise in how often its bursts *start* beside their spend.
//!
//! On a key whose spend comes in runs of minutes (an agent's tool-use chain, a person's
//! conversation), a 6× rate of runs is a rise of few spend units within 10 minutes: each run
//! spends over its minutes, and its size is heavy-tailed, so the window's spend lags and its
//! spread is wide. The runs' starts are not: they are independent events, a count whose spread
//! is known (Poisson, or what the windows show), and a 6× rate of them is six times as many at
//! once.
//!
//! The event line has no session id, but prompt caching leaves a mark: a call that begins a
//! new context reads nothing from the cache and writes its prefix to it
//! (`cache_read_input_tokens` 0, `cache_creation_input_tokens` > 0), while a continuation reads
//! the prefix the calls before it wrote. A key that does not cache, or whose new contexts read
//! a prefix shared with the others (a cached system prompt), shows no starts, or few: the count
//! then has no power and the spend alone judges, as before. A cache that expired (a tool slower
//! than the 5-minute life) reads as a start too: the count's observed dispersion covers it.

use callwatch_core::classify::Usage;

use super::dispersion::{upper_factor, Mean};

/// Whether a call with `usage` begins a new cached context: it read nothing from the cache and
/// wrote a prefix to it.
pub fn opens_context(usage: &Usage) -> bool {
    usage.cache_read_input_tokens == 0 && usage.cache_creation_input_tokens > 0
}

/// The least number of starts a window must hold for the count to judge it: as the spend's
/// unit floor (engine/spend.rs: `MIN_UNITS`), a rise is several independent units.
pub const MIN_STARTS: f64 = 4.0;

/// A group's starts per minute and the spread of their window counts, for `N` spans.
#[derive(Clone, Copy, Debug)]
pub struct StartRate<const N: usize> {
    /// Starts per minute (as the spend baseline: a running mean, then an EWMA).
    pub mean: Mean,
    /// Pearson's dispersion of each span's counts, `(n − e)² / e` (slow EWMA).
    pearson: [Mean; N],
}

impl<const N: usize> StartRate<N> {
    pub fn new() -> StartRate<N> {
        StartRate {
            mean: Mean::default(),
            pearson: [Mean::default(); N],
        }
    }

    /// The starts expected over `span` minutes: the trailing rate raised by `lift` (what the
    /// spend's expectation was raised by: everyone else's rise, the time of day).
    pub fn expected(&self, span: i64, lift: f64) -> f64 {
        self.mean.value * span as f64 * lift
    }

    /// The factor the rate is raised by to its upper 95 % bound, as a rate counted from the
    /// starts the history holds (`memory` minutes at most): a rate from a few starts is not
    /// trusted to be low.
    pub fn rate_factor(&self, memory: f64) -> f64 {
        let seen = self.mean.value * (self.mean.seen as f64).min(memory);
        if seen <= 0.0 {
            return f64::INFINITY;
        }
        1.0 + 1.645 / seen.sqrt()
    }

    /// The dispersion of span `i`'s counts (at least Poisson's 1), at its upper 95 % bound
    /// from the windows remembered (`memory` minutes at most, one in `span` independent).
    pub fn dispersion(&self, i: usize, span: i64, memory: f64) -> f64 {
        let p = &self.pearson[i];
        let remembered = (p.seen as f64).min(memory);
        (p.value * upper_factor(remembered / span as f64)).max(1.0)
    }

    /// Learns one minute's starts (`alpha`, as the spend baseline) and, for span `i`, the
    /// count of the span ending with it against `expected` (`slow`); a count past `bound` is
    /// learnt at the bound (one past it is judged, not learnt).
    pub fn learn_span(&mut self, i: usize, count: f64, expected: f64, bound: f64, slow: f64) {
        if expected > 0.0 {
            let d = count.min(bound) - expected;
            self.pearson[i].learn(d * d / expected, slow);
        }
    }

    pub fn learn_minute(&mut self, starts: f64, alpha: f64) {
        self.mean.learn(starts, alpha);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_writes_a_prefix_without_reading_one_opens_a_context() {
        let start = Usage {
            input_tokens: 100,
            cache_creation_input_tokens: 8_000,
            ..Usage::default()
        };
        assert!(opens_context(&start));
        // A continuation reads the prefix and writes its own turn.
        let next = Usage {
            cache_read_input_tokens: 8_000,
            cache_creation_input_tokens: 900,
            ..start
        };
        assert!(!opens_context(&next));
        // A call without caching begins nothing that can be told.
        assert!(!opens_context(&Usage {
            input_tokens: 3_000,
            ..Usage::default()
        }));
    }

    #[test]
    fn a_rate_from_few_starts_is_taken_high_and_a_count_is_at_least_poisson() {
        let mut r = StartRate::<1>::new();
        for _ in 0..10 {
            r.learn_minute(0.2, 0.01);
        }
        // Two starts seen: the rate is taken at 1 + 1.645/√2 of itself.
        assert!((r.expected(5, 2.0) - 2.0).abs() < 1e-9);
        let f = r.rate_factor(1e9);
        assert!((f - (1.0 + 1.645 / 2f64.sqrt())).abs() < 1e-9, "{f}");
        assert_eq!(StartRate::<1>::new().rate_factor(1e9), f64::INFINITY);
        // Counts that never varied: Poisson's dispersion, not less.
        for _ in 0..100 {
            r.learn_span(0, 1.0, 1.0, 10.0, 0.01);
        }
        assert_eq!(r.dispersion(0, 5, 1e9), 1.0);
    }
}
