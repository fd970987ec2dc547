//! Each kind's per-series state: what a call adds, what a tick advances, and whether the
//! condition holds (with the numbers behind it). Tick cost is O(1) per series (latency: one
//! merge of a few histograms per slot), never proportional to call volume.

use hdrhistogram::Histogram;

use super::evidence;
use super::messages::{MessageBaseline, Params, Reading};
use super::ratelimit::RateLimitTrend;
use super::ring::{Counts, Ring};
use super::rotation::Rotation;
use super::runway::{ForecastBasis, Runway};
use super::spend::{SpendBaseline, SpendState};
use super::starts::opens_context;
use crate::model::{NoiseTest, RuleKind};
use callwatch_core::event::CallEvent;

/// The numbers a verdict rests on (they go into the alert's `values` and templates).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Values {
    pub share: Option<f64>,
    pub baseline: Option<f64>,
    pub threshold: Option<f64>,
    pub count: Option<u64>,
    pub total: Option<u64>,
    pub window_s: Option<u64>,
    pub latency_ms: Option<f64>,
    pub percentile: Option<f64>,
    /// Over the incident, on a resolve: the highest share, matched calls, and how long.
    pub peak_share: Option<f64>,
    pub incident_count: Option<u64>,
    pub duration_s: Option<u64>,
    // Spend rules (engine/spend.rs).
    pub runway_s: Option<f64>,
    pub rate_usd_per_s: Option<f64>,
    /// The runway and rate over the short window alone (`credit_runway`).
    pub recent_runway_s: Option<f64>,
    pub recent_rate_usd_per_s: Option<f64>,
    pub remaining_usd: Option<f64>,
    /// What runs out: "credit balance" or "monthly spend limit".
    pub constraint: Option<&'static str>,
    pub spend_per_min_usd: Option<f64>,
    pub baseline_per_min_usd: Option<f64>,
    pub ratio: Option<f64>,
    /// What the runway's rate was read from, how much history there was, and the long
    /// window (`credit_runway`).
    pub basis: Option<ForecastBasis>,
    pub history_s: Option<f64>,
    pub long_window_s: Option<u64>,
}

impl Values {
    pub fn to_map(self) -> std::collections::BTreeMap<String, f64> {
        let mut m = std::collections::BTreeMap::new();
        let mut put = |k: &str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                m.insert(k.to_string(), v);
            }
        };
        put("share", self.share);
        put("baseline", self.baseline);
        put("threshold", self.threshold);
        put("count", self.count.map(|c| c as f64));
        put("total", self.total.map(|c| c as f64));
        put("window_s", self.window_s.map(|c| c as f64));
        put("latency_ms", self.latency_ms);
        put("percentile", self.percentile);
        put("peak_share", self.peak_share);
        put("incident_count", self.incident_count.map(|c| c as f64));
        put("duration_s", self.duration_s.map(|c| c as f64));
        put("runway_s", self.runway_s);
        put(
            "burn_rate_usd_per_hour",
            self.rate_usd_per_s.map(|r| r * 3600.0),
        );
        put("remaining_usd", self.remaining_usd);
        put("spend_per_min_usd", self.spend_per_min_usd);
        put("baseline_per_min_usd", self.baseline_per_min_usd);
        put("ratio", self.ratio);
        put("history_s", self.history_s);
        m
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Verdict {
    pub holds: bool,
    pub values: Values,
    /// Per-message baselines: the message signature the verdict is about.
    pub slot: Option<Reading>,
}

pub enum Detector {
    Share(Ring),
    Baseline(Box<MessageBaseline>),
    Burst(Box<Burst>),
    /// `any` rules decide at the call, in the engine.
    Any,
    Latency(Box<Latency>),
    Runway(Box<Runway>),
    SpendSpike(Box<SpendBaseline>),
    RateLimit(Box<RateLimitTrend>),
}

fn share(c: Counts) -> Option<f64> {
    (c.total > 0).then(|| c.matched as f64 / c.total as f64)
}

impl Detector {
    pub fn new(kind: &RuleKind, eval_end: i64) -> Detector {
        let w = kind.window().as_secs() as i64;
        match kind {
            RuleKind::ShareOverThreshold { .. } => Detector::Share(Ring::new(w, eval_end)),
            RuleKind::ShareOverBaseline { .. } => {
                Detector::Baseline(Box::new(MessageBaseline::new(w, eval_end)))
            }
            RuleKind::BurstAfterEvent { .. } => Detector::Burst(Box::new(Burst {
                ring: Ring::new(w, eval_end),
                since: None,
            })),
            RuleKind::Any { .. } => Detector::Any,
            RuleKind::LatencyPercentile { measure, .. } => {
                let mut latency = Latency::new(w);
                latency.measure = *measure;
                Detector::Latency(Box::new(latency))
            }
            RuleKind::CreditRunway { .. } => {
                Detector::Runway(Box::new(Runway::new(kind, eval_end)))
            }
            RuleKind::SpendOverBaseline { .. } => {
                Detector::SpendSpike(Box::new(SpendBaseline::new(kind, eval_end)))
            }
            RuleKind::RateLimitRunway { window, .. } => {
                Detector::RateLimit(Box::new(RateLimitTrend::new(window.as_secs() as i64)))
            }
        }
    }

    /// One call of the group at second `sec` costing `usd`, its message normalised as
    /// `normalised`. `false` if it came too late to be counted. Inlined into the engine's rule loop: for most rules a call adds nothing or one
    /// count, and the call cost as much as that.
    #[inline]
    pub fn add(
        &mut self,
        sec: i64,
        matched: bool,
        call: &CallEvent<'_>,
        usd: f64,
        normalised: Option<&str>,
    ) -> bool {
        let c = Counts {
            total: 1,
            matched: u64::from(matched),
        };
        match self {
            Detector::Share(ring) => ring.add(sec, c),
            Detector::Burst(b) => b.ring.add(sec, c),
            Detector::Baseline(b) => b.add_normalised(sec, matched, normalised),
            Detector::Any => true,
            Detector::Latency(l) => match l.measure.of(call) {
                Some(ms) if matched => l.add(sec, ms),
                _ => true,
            },
            Detector::Runway(r) if matched => r.add(sec, usd),
            Detector::SpendSpike(s) if matched => s.add(sec, usd, opens_context_of(call)),
            Detector::Runway(_) | Detector::SpendSpike(_) => true,
            Detector::RateLimit(r) => {
                if matched {
                    r.add(sec, call);
                }
                true
            }
        }
    }

    /// Moves the evaluation clock to `end`; `firing` freezes a baseline.
    pub fn advance(&mut self, kind: &RuleKind, end: i64, firing: bool) {
        match self {
            Detector::Share(ring) => ring.advance(end),
            Detector::Burst(b) => b.ring.advance(end),
            Detector::Baseline(b) => {
                if let Some(p) = baseline_params(kind) {
                    b.advance(end, &p, firing);
                }
            }
            Detector::Runway(r) => r.advance(end),
            Detector::SpendSpike(s) => s.advance(kind, end, firing),
            Detector::RateLimit(r) => r.advance(end),
            Detector::Any | Detector::Latency(_) => {}
        }
    }

    pub fn verdict(
        &mut self,
        kind: &RuleKind,
        end: i64,
        firing: bool,
        rotation: Option<&Rotation>,
        spend: &SpendState,
    ) -> Verdict {
        match (self, kind) {
            (Detector::RateLimit(r), RuleKind::RateLimitRunway { below, .. }) => {
                let (holds, values) = r.verdict(below.as_secs_f64());
                Verdict {
                    holds,
                    values,
                    slot: None,
                }
            }
            (Detector::Runway(r), kind) => {
                let (holds, values) = r.verdict(kind, end, spend);
                Verdict {
                    holds,
                    values,
                    slot: None,
                }
            }
            (Detector::SpendSpike(s), kind) => {
                let (holds, values) = s.verdict(kind, firing, spend);
                Verdict {
                    holds,
                    values,
                    slot: None,
                }
            }
            (
                Detector::Share(ring),
                RuleKind::ShareOverThreshold {
                    threshold,
                    min_calls,
                    min_count,
                    noise,
                    ..
                },
            ) => {
                let c = ring.sum();
                let s = share(c);
                Verdict {
                    slot: None,
                    holds: c.total >= *min_calls
                        && c.matched >= *min_count
                        && s.is_some_and(|s| s >= *threshold)
                        && not_noise(c, noise.as_ref()),
                    values: Values {
                        share: s,
                        threshold: Some(*threshold),
                        count: Some(c.matched),
                        total: Some(c.total),
                        window_s: Some(ring.window_s() as u64),
                        ..Values::default()
                    },
                }
            }
            (Detector::Baseline(b), kind) => {
                let Some(p) = baseline_params(kind) else {
                    return Verdict::default();
                };
                let (holds, r) = b.verdict(&p);
                Verdict {
                    holds,
                    values: Values {
                        share: r.share(),
                        baseline: r.baseline,
                        threshold: r.reference,
                        count: Some(r.hits),
                        total: Some(r.total),
                        window_s: Some(r.span_s as u64),
                        ..Values::default()
                    },
                    slot: Some(r),
                }
            }
            (
                Detector::Burst(b),
                RuleKind::BurstAfterEvent {
                    within,
                    min_count,
                    min_share,
                    noise,
                    ..
                },
            ) => {
                let c = b.ring.sum();
                let recent = rotation.filter(|r| {
                    let age = end - r.at.unix_timestamp();
                    (0..=within.as_secs() as i64 + 1).contains(&age)
                });
                let since = recent.map(|r| b.since(r.at.unix_timestamp(), end));
                let holds = if firing {
                    // Holds while the key still fails: matched calls in the window that are a
                    // large enough share of its calls (stray 401s on a busy key are not).
                    c.matched >= 1 && share(c).is_some_and(|s| s >= *min_share)
                } else {
                    // Counts since the rotation, not only in the window: a low-volume key that
                    // fails every call after it is a burst even if its failures trickle in, and
                    // the good calls from before it do not dilute the share.
                    since.is_some_and(|s| {
                        s.matched >= *min_count
                            && share(s).is_some_and(|x| x >= *min_share)
                            && not_noise(s, noise.as_ref())
                    })
                };
                let shown = since.filter(|_| !firing).unwrap_or(c);
                Verdict {
                    slot: None,
                    holds,
                    values: Values {
                        share: share(shown),
                        count: Some(shown.matched),
                        total: Some(shown.total),
                        threshold: Some(*min_count as f64),
                        window_s: Some(b.ring.window_s() as u64),
                        ..Values::default()
                    },
                }
            }
            (
                Detector::Latency(l),
                RuleKind::LatencyPercentile {
                    percentile,
                    threshold_ms,
                    min_calls,
                    ..
                },
            ) => {
                let (count, value) = l.percentile(end, *percentile);
                Verdict {
                    slot: None,
                    holds: count >= *min_calls && value >= *threshold_ms,
                    values: Values {
                        latency_ms: (count > 0).then_some(value),
                        percentile: Some(*percentile),
                        threshold: Some(*threshold_ms),
                        count: Some(count),
                        window_s: Some(l.window_s as u64),
                        ..Values::default()
                    },
                }
            }
            _ => Verdict::default(),
        }
    }

    /// The alert fired on `verdict`: a baseline remembers the message and the reference it
    /// fired against.
    pub fn on_fire(&mut self, kind: &RuleKind, verdict: &Verdict) {
        if let (Detector::Baseline(b), Some(r), Some(p)) =
            (self, verdict.slot.as_ref(), baseline_params(kind))
        {
            b.on_fire(r, &p);
        }
    }

    /// The alert resolved: evidence is gathered afresh (a baseline's, a burst's since the
    /// rotation), so the same incident does not fire again.
    pub fn on_resolve(&mut self) {
        match self {
            Detector::Baseline(b) => b.on_resolve(),
            Detector::Burst(b) => {
                if let Some((_, _, counts)) = &mut b.since {
                    *counts = Counts::default();
                }
            }
            _ => {}
        }
    }

    /// The normalised message a per-message baseline is about (the one that fired, or the
    /// one with the most evidence).
    pub fn message(&self, verdict: &Verdict) -> Option<&str> {
        match (self, verdict.slot.as_ref()) {
            (Detector::Baseline(b), Some(r)) => Some(b.signature(r.slot)),
            _ => None,
        }
    }
}

/// The rule's evidence test, if it has one: the counts are improbable as noise.
fn not_noise(c: Counts, noise: Option<&NoiseTest>) -> bool {
    noise.is_none_or(|n| evidence::against_noise(c.matched, c.total, n.share) >= n.min_evidence)
}

fn baseline_params(kind: &RuleKind) -> Option<Params> {
    match kind {
        RuleKind::ShareOverBaseline {
            window: _,
            baseline_half_life,
            min_rise,
            cusum_limit,
            min_calls,
            min_count,
        } => Some(Params {
            half_life_s: baseline_half_life.as_secs_f64(),
            min_rise: *min_rise,
            limit: *cusum_limit,
            min_calls: *min_calls,
            min_count: *min_count,
        }),
        _ => None,
    }
}

/// A burst after an event: the window's counts, and the counts since the latest rotation.
pub struct Burst {
    ring: Ring,
    /// (rotation second, seconds counted up to, counts since the rotation)
    since: Option<(i64, i64, Counts)>,
}

impl Burst {
    /// Calls and matched calls from the rotation at `rotation_at` up to `end`: what the ring
    /// still holds when the rotation is new to this series, then each completed second once.
    fn since(&mut self, rotation_at: i64, end: i64) -> Counts {
        match &mut self.since {
            Some((at, through, counts)) if *at == rotation_at => {
                for s in (*through).max(end - self.ring.window_s())..end {
                    *counts += self.ring.get(s);
                }
                *through = (*through).max(end);
                *counts
            }
            _ => {
                let counts = self.ring.sum_from(rotation_at);
                self.since = Some((rotation_at, end, counts));
                counts
            }
        }
    }
}

/// Latency percentile over a window from a rotating set of per-slot HDR histograms (the
/// window is split into ten slots; the oldest is cleared as the clock moves on, as tower's
/// rotating histogram does with two).
/// Slot histograms are allocated on a slot's first call (about 7.6 KB each) and merged into
/// a per-thread scratch histogram: a series seen once costs one histogram, not thirteen, which
/// matters when user-chosen model names fill the engine's series bound.
pub struct Latency {
    slots: Vec<(i64, Option<Box<Histogram<u32>>>)>,
    slot_s: i64,
    window_s: i64,
    cached: Option<(i64, u64, f64)>,
    /// Which latency of a call it reads.
    measure: crate::model::Measure,
}

thread_local! {
    /// Where a series' slots are merged to read a percentile; one per engine thread.
    static MERGED: std::cell::RefCell<Histogram<u32>> = std::cell::RefCell::new(latency_histogram());
}

/// Latencies are recorded in milliseconds, 1 ms to 1 h, 2 significant figures.
fn latency_histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1, 3_600_000, 2).expect("constant histogram bounds are valid")
}

impl Latency {
    fn new(window_s: i64) -> Latency {
        let slot_s = (window_s / 10).max(1);
        let n = (window_s / slot_s + 2) as usize;
        Latency {
            slots: (0..n).map(|_| (i64::MIN, None)).collect(),
            slot_s,
            window_s,
            cached: None,
            measure: crate::model::Measure::Latency,
        }
    }

    fn add(&mut self, sec: i64, ms: f64) -> bool {
        let slot_no = sec.div_euclid(self.slot_s);
        let n = self.slots.len() as i64;
        let (stamp, hist) = &mut self.slots[slot_no.rem_euclid(n) as usize];
        if *stamp != slot_no {
            if *stamp > slot_no {
                return false;
            }
            *stamp = slot_no;
            if let Some(h) = hist {
                h.reset();
            }
        }
        hist.get_or_insert_with(|| Box::new(latency_histogram()))
            .saturating_record(ms.round().max(1.0) as u64);
        // The cache covers complete slots only; a late call into one of them invalidates it.
        if self
            .cached
            .is_some_and(|(end_slot, _, _)| slot_no < end_slot)
        {
            self.cached = None;
        }
        true
    }

    /// Calls and the percentile over the complete slots of the window ending at `end`.
    fn percentile(&mut self, end: i64, percentile: f64) -> (u64, f64) {
        let end_slot = end.div_euclid(self.slot_s);
        if let Some((at, count, value)) = self.cached {
            if at == end_slot {
                return (count, value);
            }
        }
        let first = end_slot - self.window_s / self.slot_s;
        let (count, value) = MERGED.with_borrow_mut(|merged| {
            merged.reset();
            for (stamp, hist) in &self.slots {
                if let (true, Some(hist)) = (*stamp >= first && *stamp < end_slot, hist) {
                    // Same bounds on both sides: adding cannot fail short of u32 overflow.
                    let _ = merged.add(&**hist);
                }
            }
            let count = merged.len();
            let value = if count == 0 {
                0.0
            } else {
                merged.value_at_quantile(percentile / 100.0) as f64
            };
            (count, value)
        });
        self.cached = Some((end_slot, count, value));
        (count, value)
    }
}

/// Whether `call` begins a new cached context (engine/starts.rs).
fn opens_context_of(call: &CallEvent<'_>) -> bool {
    call.usage.as_ref().is_some_and(opens_context)
}
