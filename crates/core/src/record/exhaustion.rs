//! When each rate limit runs out at the rate it is draining now: from the
//! `anthropic-ratelimit-*-remaining` values the headroom gauges keep, sampled when a snapshot is
//! taken (off the hot path), the time until `remaining` reaches zero.
//!
//! The API's limits are token buckets that refill continuously; `remaining` as the API reports
//! it is already net of that refill and of every other client on the same organisation. So the
//! trend of `remaining` over the last [`WINDOW`] is the net drain, and `remaining ÷ drain` is
//! the time left. (The `…-reset` header says when the bucket would be full again if nothing
//! more were sent; with traffic still flowing it moves out, so it cannot say when the limit is
//! reached.) No estimate when `remaining` is steady or rising, when the samples span less than
//! [`MIN_SPAN`] (two snapshots a moment apart say nothing about a rate), or after the limit
//! itself changed (a new tier).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::HeadroomGauge;

/// How far back the drain is measured.
pub const WINDOW: Duration = Duration::from_secs(120);
/// The shortest span of samples a drain is computed over.
pub const MIN_SPAN: Duration = Duration::from_secs(10);
/// Samples kept per gauge (snapshots more frequent than this per [`WINDOW`] thin out).
const MAX_SAMPLES: usize = 64;

/// The time until one rate limit is exhausted at its current drain.
#[derive(Clone, Debug, PartialEq)]
pub struct Exhaustion {
    pub model: String,
    pub key_id: String,
    /// `requests`, `tokens`, `input_tokens` or `output_tokens`.
    pub kind: &'static str,
    pub seconds: f64,
}

#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    limit: u64,
    remaining: u64,
}

type GaugeKey = (String, String, &'static str);

/// Recent samples of every headroom gauge (bounded: gauges are bounded by the recorder's model
/// and key limits, samples per gauge by [`MAX_SAMPLES`]).
#[derive(Default)]
pub struct Trends {
    samples: Mutex<HashMap<GaugeKey, VecDeque<Sample>>>,
}

impl Trends {
    /// Adds the gauges' current values at `now`; returns each draining gauge's time left.
    /// Gauges no longer present are forgotten.
    pub fn observe(&self, gauges: &[HeadroomGauge], now: Instant) -> Vec<Exhaustion> {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::new();
        let mut present = HashMap::with_capacity(gauges.len());
        for g in gauges {
            let key = (g.model.clone(), g.key_id.clone(), g.kind);
            let trail = samples.entry(key.clone()).or_default();
            if trail.back().is_some_and(|s| s.limit != g.limit) {
                trail.clear();
            }
            while trail
                .front()
                .is_some_and(|s| now.saturating_duration_since(s.at) > WINDOW)
            {
                trail.pop_front();
            }
            if trail.len() == MAX_SAMPLES {
                // Keep the oldest (the span) and drop the second oldest.
                trail.remove(1);
            }
            trail.push_back(Sample {
                at: now,
                limit: g.limit,
                remaining: g.remaining,
            });
            if let Some(seconds) = seconds_left(trail) {
                out.push(Exhaustion {
                    model: g.model.clone(),
                    key_id: g.key_id.clone(),
                    kind: g.kind,
                    seconds,
                });
            }
            present.insert(key, ());
        }
        samples.retain(|key, _| present.contains_key(key));
        out
    }
}

/// `remaining ÷ drain` over the trail, when it spans [`MIN_SPAN`] and is draining.
fn seconds_left(trail: &VecDeque<Sample>) -> Option<f64> {
    let (first, last) = (trail.front()?, trail.back()?);
    let span = last.at.saturating_duration_since(first.at);
    time_left((0.0, first.remaining), (span.as_secs_f64(), last.remaining))
}

/// Seconds until `remaining` reaches zero, from its oldest and newest value in the window as
/// (seconds, remaining): `remaining ÷ drain`, when the two span [`MIN_SPAN`] and it is
/// draining. The recorder's gauges and the rules engine (in event time) both judge with this.
pub fn time_left(oldest: (f64, u64), newest: (f64, u64)) -> Option<f64> {
    let span = newest.0 - oldest.0;
    if span < MIN_SPAN.as_secs_f64() || newest.1 >= oldest.1 {
        return None;
    }
    let drain = (oldest.1 - newest.1) as f64 / span;
    Some(newest.1 as f64 / drain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(kind: &'static str, limit: u64, remaining: u64) -> HeadroomGauge {
        HeadroomGauge {
            model: "claude-sonnet-4-6".into(),
            key_id: "k-1".into(),
            kind,
            limit,
            remaining,
        }
    }

    #[test]
    fn a_steady_drain_gives_the_time_left() {
        let trends = Trends::default();
        let t0 = Instant::now();
        // 40 000 input tokens, 500 per second net drain: 30 000 left after 20 s → 60 s left.
        assert!(trends
            .observe(&[gauge("input_tokens", 40_000, 40_000)], t0)
            .is_empty());
        let at = |s| t0 + Duration::from_secs(s);
        let early = trends.observe(&[gauge("input_tokens", 40_000, 37_500)], at(5));
        assert!(early.is_empty(), "5 s is too short a span: {early:?}");
        let out = trends.observe(&[gauge("input_tokens", 40_000, 30_000)], at(20));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, "input_tokens");
        assert!((out[0].seconds - 60.0).abs() < 1e-9, "{out:?}");
    }

    #[test]
    fn no_estimate_when_steady_rising_or_the_limit_changed() {
        let trends = Trends::default();
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        trends.observe(&[gauge("requests", 50, 40)], t0);
        assert!(trends
            .observe(&[gauge("requests", 50, 40)], at(30))
            .is_empty());
        assert!(trends
            .observe(&[gauge("requests", 50, 45)], at(40))
            .is_empty());
        // A new tier: the old samples say nothing about the new bucket.
        trends.observe(&[gauge("requests", 50, 45)], at(50));
        assert!(trends
            .observe(&[gauge("requests", 100, 20)], at(60))
            .is_empty());
    }

    #[test]
    fn the_window_slides_and_gone_gauges_are_forgotten() {
        let trends = Trends::default();
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        trends.observe(&[gauge("requests", 50, 50)], t0);
        // 300 s later the first sample is out of the window: only the last two count.
        trends.observe(&[gauge("requests", 50, 30)], at(290));
        let out = trends.observe(&[gauge("requests", 50, 20)], at(300));
        assert!((out[0].seconds - 20.0).abs() < 1e-9, "{out:?}");
        trends.observe(&[], at(301));
        let lock = trends.samples.lock().unwrap();
        assert!(lock.is_empty());
    }
}
