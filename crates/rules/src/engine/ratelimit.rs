//! `ratelimit_runway`: the time until a rate limit is exhausted at its current drain, per key
//! and kind within the group, from the `remaining` each response reported (the event line's
//! `ratelimit` field) over the last `window` of event time. Holds when the shortest is under
//! `below`. The estimate is the recorder's (`callwatch_core::record::ratelimit_time_left`), so
//! the alert and the `callwatch.ratelimit.exhaustion` gauge agree.

use std::collections::{HashMap, VecDeque};

use super::detector::Values;
use callwatch_core::event::CallEvent;
use callwatch_core::record::{ratelimit_time_left, HEADROOM_KINDS};

/// Samples kept per (key, kind): enough for a window of one call a second, thinned beyond.
const MAX_SAMPLES: usize = 256;
/// (key, kind) trails kept per series (a group sees a handful of keys).
const MAX_TRAILS: usize = 64;

#[derive(Clone, Copy)]
struct Sample {
    sec: i64,
    limit: u64,
    remaining: u64,
}

/// Per (key id, kind): the recent `remaining` values.
pub struct RateLimitTrend {
    window_s: i64,
    trails: HashMap<(String, &'static str), VecDeque<Sample>>,
}

impl RateLimitTrend {
    pub fn new(window_s: i64) -> RateLimitTrend {
        RateLimitTrend {
            window_s,
            trails: HashMap::new(),
        }
    }

    /// The headroom one response reported at second `sec`.
    pub fn add(&mut self, sec: i64, call: &CallEvent<'_>) {
        let Some(rate_limit) = &call.ratelimit else {
            return;
        };
        let key = call.key_id.as_deref().unwrap_or("");
        let kinds = [
            rate_limit.requests,
            rate_limit.tokens,
            rate_limit.input_tokens,
            rate_limit.output_tokens,
        ];
        for (kind, headroom) in HEADROOM_KINDS.iter().zip(kinds) {
            let Some(h) = headroom else { continue };
            let id = (key.to_owned(), *kind);
            if !self.trails.contains_key(&id) && self.trails.len() >= MAX_TRAILS {
                continue; // bounded; the busiest keys were seen first
            }
            let trail = self.trails.entry(id).or_default();
            if trail.back().is_some_and(|s| s.limit != h.limit) {
                trail.clear(); // a new tier: the old bucket says nothing
            }
            if trail.len() == MAX_SAMPLES {
                trail.remove(1); // keep the oldest: it is the span
            }
            trail.push_back(Sample {
                sec,
                limit: h.limit,
                remaining: h.remaining,
            });
        }
    }

    /// Drops samples older than the window before `end`.
    pub fn advance(&mut self, end: i64) {
        let from = end - self.window_s;
        for trail in self.trails.values_mut() {
            while trail.front().is_some_and(|s| s.sec < from) {
                trail.pop_front();
            }
        }
        self.trails.retain(|_, trail| !trail.is_empty());
    }

    /// The shortest time left over every (key, kind), and whether it is under `below_s`.
    pub fn verdict(&self, below_s: f64) -> (bool, Values) {
        let shortest = self
            .trails
            .iter()
            .filter_map(|((_, kind), trail)| {
                let (first, last) = (trail.front()?, trail.back()?);
                let left = ratelimit_time_left(
                    (first.sec as f64, first.remaining),
                    (last.sec as f64, last.remaining),
                )?;
                Some((left, *kind))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let values = Values {
            runway_s: shortest.map(|(s, _)| s),
            constraint: shortest.map(|(_, kind)| kind),
            threshold: Some(below_s),
            window_s: Some(self.window_s as u64),
            ..Values::default()
        };
        (shortest.is_some_and(|(s, _)| s < below_s), values)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use callwatch_core::classify::{Headroom, RateLimit};
    use time::OffsetDateTime;

    fn call(key: &str, limit: u64, remaining: u64) -> CallEvent<'static> {
        let mut c = CallEvent::new(OffsetDateTime::UNIX_EPOCH, Some(200), None);
        c.key_id = Some(Cow::Owned(key.to_owned()));
        c.ratelimit = Some(RateLimit {
            requests: Some(Headroom {
                limit,
                remaining,
                reset: None,
            }),
            ..RateLimit::default()
        });
        c
    }

    #[test]
    fn the_tightest_key_decides_and_old_samples_leave_the_window() {
        let mut t = RateLimitTrend::new(120);
        // k-1: 50 → 20 in 60 s (0.5/s, 40 s left); k-2: 50 → 45 (slow).
        t.add(0, &call("k-1", 50, 50));
        t.add(0, &call("k-2", 50, 50));
        t.add(60, &call("k-1", 50, 20));
        t.add(60, &call("k-2", 50, 45));
        t.advance(60);
        let (holds, values) = t.verdict(600.0);
        assert!(holds);
        assert_eq!(values.runway_s, Some(40.0));
        assert_eq!(values.constraint, Some("requests"));
        // Three minutes on with no new headers: nothing left in the window, nothing judged.
        t.advance(240);
        assert_eq!(
            t.verdict(600.0),
            (
                false,
                Values {
                    threshold: Some(600.0),
                    window_s: Some(120),
                    ..Values::default()
                }
            )
        );
    }

    #[test]
    fn a_new_tier_restarts_the_trend_and_keys_are_bounded() {
        let mut t = RateLimitTrend::new(120);
        t.add(0, &call("k-1", 50, 50));
        t.add(60, &call("k-1", 1000, 20)); // a higher limit: not a drain of 30
        assert!(!t.verdict(600.0).0);
        for i in 0..MAX_TRAILS + 10 {
            t.add(61, &call(&format!("k-x{i}"), 50, 50));
        }
        assert_eq!(t.trails.len(), MAX_TRAILS);
    }
}
