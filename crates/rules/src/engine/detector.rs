//! Each kind's per-series state: what a call adds, what a tick advances, and whether the
//! condition holds (with the numbers behind it). Tick cost is O(1) per series (latency: one
//! merge of a few histograms per slot), never proportional to call volume.

use hdrhistogram::Histogram;

use super::ring::{Counts, Ring, SLACK_S};
use super::rotation::Rotation;
use crate::model::RuleKind;

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
        m
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Verdict {
    pub holds: bool,
    pub values: Values,
}

pub enum Detector {
    Share(Ring),
    Baseline(Baseline),
    Burst(Ring),
    /// `any` rules decide at the call, in the engine.
    Any,
    Latency(Box<Latency>),
}

fn share(c: Counts) -> Option<f64> {
    (c.total > 0).then(|| c.matched as f64 / c.total as f64)
}

impl Detector {
    pub fn new(kind: &RuleKind, eval_end: i64) -> Detector {
        let w = kind.window().as_secs() as i64;
        match kind {
            RuleKind::ShareOverThreshold { .. } => Detector::Share(Ring::new(w, eval_end)),
            RuleKind::ShareOverBaseline { .. } => Detector::Baseline(Baseline {
                ring: Ring::new(w, eval_end),
                processed_end: eval_end,
                ewma_matched: 0.0,
                ewma_total: 0.0,
                cusum: 0.0,
                frozen_reference: None,
            }),
            RuleKind::BurstAfterEvent { .. } => Detector::Burst(Ring::new(w, eval_end)),
            RuleKind::Any { .. } => Detector::Any,
            RuleKind::LatencyPercentile { .. } => Detector::Latency(Box::new(Latency::new(w))),
        }
    }

    /// One call of the group at second `sec`. `false` if it came too late to be counted.
    pub fn add(&mut self, sec: i64, matched: bool, latency_ms: Option<f64>) -> bool {
        let c = Counts {
            total: 1,
            matched: u64::from(matched),
        };
        match self {
            Detector::Share(ring) | Detector::Burst(ring) => ring.add(sec, c),
            Detector::Baseline(b) => b.ring.add(sec, c),
            Detector::Any => true,
            Detector::Latency(l) => match latency_ms {
                Some(ms) if matched => l.add(sec, ms),
                _ => true,
            },
        }
    }

    /// Moves the evaluation clock to `end`; `firing` freezes a baseline.
    pub fn advance(&mut self, kind: &RuleKind, end: i64, firing: bool) {
        match self {
            Detector::Share(ring) | Detector::Burst(ring) => ring.advance(end),
            Detector::Baseline(b) => b.advance(kind, end, firing),
            Detector::Any | Detector::Latency(_) => {}
        }
    }

    pub fn verdict(
        &mut self,
        kind: &RuleKind,
        end: i64,
        firing: bool,
        rotation: Option<&Rotation>,
    ) -> Verdict {
        match (self, kind) {
            (
                Detector::Share(ring),
                RuleKind::ShareOverThreshold {
                    threshold,
                    min_calls,
                    min_count,
                    ..
                },
            ) => {
                let c = ring.sum();
                let s = share(c);
                Verdict {
                    holds: c.total >= *min_calls
                        && c.matched >= *min_count
                        && s.is_some_and(|s| s >= *threshold),
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
            (Detector::Baseline(b), kind) => b.verdict(kind, firing),
            (
                Detector::Burst(ring),
                RuleKind::BurstAfterEvent {
                    within, min_count, ..
                },
            ) => {
                let c = ring.sum();
                let recent = rotation.is_some_and(|r| {
                    let age = end - r.at.unix_timestamp();
                    (0..=within.as_secs() as i64 + 1).contains(&age)
                });
                Verdict {
                    holds: c.matched >= *min_count && (firing || recent),
                    values: Values {
                        share: share(c),
                        count: Some(c.matched),
                        total: Some(c.total),
                        threshold: Some(*min_count as f64),
                        window_s: Some(ring.window_s() as u64),
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

    /// The alert fired: a baseline remembers the reference it fired against.
    pub fn on_fire(&mut self, kind: &RuleKind) {
        if let Detector::Baseline(b) = self {
            b.frozen_reference = b.reference(kind);
        }
    }

    /// The alert resolved: a baseline starts accumulating evidence afresh.
    pub fn on_resolve(&mut self) {
        if let Detector::Baseline(b) = self {
            b.cusum = 0.0;
            b.frozen_reference = None;
        }
    }
}

/// Share over its own trailing baseline: an EWMA of hits and calls (half-life
/// `baseline_half_life`) gives the baseline share p0; a one-sided CUSUM accumulates
/// `hits - calls × (p0 + min_rise/2)` each second and fires at `cusum_limit` excess hits. While
/// firing the baseline is frozen (the incident must not become the new normal), and the alert
/// holds while the window's share stays above the reference it fired against.
pub struct Baseline {
    ring: Ring,
    processed_end: i64,
    ewma_matched: f64,
    ewma_total: f64,
    cusum: f64,
    frozen_reference: Option<f64>,
}

impl Baseline {
    fn params(kind: &RuleKind) -> (f64, f64, f64, u64, u64) {
        match kind {
            RuleKind::ShareOverBaseline {
                baseline_half_life,
                min_rise,
                cusum_limit,
                min_calls,
                min_count,
                ..
            } => (
                baseline_half_life.as_secs_f64(),
                *min_rise,
                *cusum_limit,
                *min_calls,
                *min_count,
            ),
            _ => (3600.0, 0.02, 8.0, 100, 5),
        }
    }

    fn baseline(&self, min_calls: u64) -> Option<f64> {
        (self.ewma_total >= min_calls as f64).then(|| self.ewma_matched / self.ewma_total)
    }

    fn reference(&self, kind: &RuleKind) -> Option<f64> {
        let (_, min_rise, _, min_calls, _) = Self::params(kind);
        self.baseline(min_calls).map(|p0| p0 + min_rise / 2.0)
    }

    fn advance(&mut self, kind: &RuleKind, end: i64, firing: bool) {
        self.ring.advance(end);
        let (half_life, min_rise, limit, min_calls, _) = Self::params(kind);
        let decay = 0.5f64.powf(1.0 / half_life.max(1.0));
        let start = self.processed_end.max(end - self.ring.window_s() - SLACK_S);
        if start > self.processed_end {
            // A gap without data: only decay.
            let gap = (start - self.processed_end) as f64;
            if !firing {
                self.ewma_matched *= decay.powf(gap);
                self.ewma_total *= decay.powf(gap);
            }
        }
        for s in start..end {
            let c = self.ring.get(s);
            if firing {
                continue;
            }
            if let Some(p0) = self.baseline(min_calls) {
                let k = p0 + min_rise / 2.0;
                self.cusum =
                    (self.cusum + c.matched as f64 - k * c.total as f64).clamp(0.0, limit * 4.0);
            }
            self.ewma_matched = self.ewma_matched * decay + c.matched as f64;
            self.ewma_total = self.ewma_total * decay + c.total as f64;
        }
        self.processed_end = self.processed_end.max(end);
    }

    fn verdict(&self, kind: &RuleKind, firing: bool) -> Verdict {
        let (_, _, limit, min_calls, min_count) = Self::params(kind);
        let c = self.ring.sum();
        let s = share(c);
        let p0 = self.baseline(min_calls);
        let reference = if firing {
            self.frozen_reference
        } else {
            self.reference(kind)
        };
        let holds = match (firing, s, reference) {
            (true, Some(s), Some(k)) => s >= k,
            (false, Some(_), Some(_)) => {
                self.cusum >= limit && c.total >= min_calls && c.matched >= min_count
            }
            _ => false,
        };
        Verdict {
            holds,
            values: Values {
                share: s,
                baseline: p0,
                threshold: reference,
                count: Some(c.matched),
                total: Some(c.total),
                window_s: Some(self.ring.window_s() as u64),
                ..Values::default()
            },
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
