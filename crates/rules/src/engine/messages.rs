//! `share_over_baseline` per normalised message: a bounded table of message signatures (the
//! [`TRACKED`] most useful ones plus an `_other` bucket), each with its own trailing baseline
//! and its own likelihood-ratio CUSUM that knows how many calls it has seen. A signature that is
//! new or rising accumulates evidence and fires, naming itself; a steady one (whatever its share)
//! drifts back to zero. Why these statistics: docs/rules.md.
//!
//! Memory is bounded whatever the input: [`SLOTS`] signatures, and a ring of per-bucket counts
//! (about 30 buckets per window, plus slack for late lines). A tick costs nothing until a bucket
//! completes; then O(SLOTS).

#[cfg(test)]
use crate::normalise::normalise_message;
#[cfg(test)]
use callwatch_core::event::CallEvent;

use super::ring::SLACK_S;

/// Message signatures with their own baseline; further ones share [`OTHER`].
pub const TRACKED: usize = 16;
/// Tracked signatures plus the `_other` bucket (slot 0).
pub const SLOTS: usize = TRACKED + 1;
/// Name of the bucket for messages beyond the tracked ones.
pub const OTHER: &str = "_other";
/// What an absent message is called.
pub const NO_MESSAGE: &str = "(no message)";
/// Buckets per window: the evidence is updated once per bucket (10 s for a 5m window).
const BUCKETS_PER_WINDOW: i64 = 30;
/// The baseline learns from calls this many windows old (30 min for a 5m window), so a ramp is
/// judged against the traffic from before it, not against its own first half.
const LAG_WINDOWS: i64 = 6;
/// z of the one-sided upper confidence bound on a baseline share (~97.7 %).
const Z: f64 = 2.0;
/// Evidence (nats) that a firing signature is back at its baseline before the alert stops
/// holding: about 20:1 odds, about 150 calls without the message when it rose 2 points.
const RECOVERY_NATS: f64 = 3.0;
/// A tracked signature with less weight than this (baseline hits + hits in the ring) may give
/// its slot to a new one.
const EVICTABLE_WEIGHT: f64 = 2.0;

/// The parameters the detector decides with (from the rule).
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub half_life_s: f64,
    pub min_rise: f64,
    pub limit: f64,
    pub min_calls: u64,
    pub min_count: u64,
}

#[derive(Clone, Copy)]
struct Bucket {
    stamp: i64,
    total: u32,
    hits: [u32; SLOTS],
}

const EMPTY: Bucket = Bucket {
    stamp: i64::MIN,
    total: 0,
    hits: [0; SLOTS],
};

#[derive(Clone, Debug, Default)]
struct Signature {
    /// Normalised message; empty for a free slot (slot 0 is always `_other`).
    key: String,
    /// EWMA of this signature's matched calls (the baseline numerator).
    base_hits: f64,
    /// Log-likelihood-ratio CUSUM (nats) of "share ≥ p1" against "share ≤ p0".
    cusum: f64,
}

/// What the window says about one signature.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reading {
    pub slot: usize,
    pub hits: u64,
    pub total: u64,
    /// Seconds the counts span (the window, longer at low volume).
    pub span_s: i64,
    /// Baseline share (point estimate), if the baseline has seen enough.
    pub baseline: Option<f64>,
    /// The share the signature must reach to count as risen, p1 (firing: frozen at the fire).
    pub reference: Option<f64>,
    pub cusum: f64,
}

impl Reading {
    pub fn share(&self) -> Option<f64> {
        (self.total > 0).then(|| self.hits as f64 / self.total as f64)
    }
}

pub struct MessageBaseline {
    bucket_s: i64,
    window_buckets: i64,
    ring: Box<[Bucket]>,
    sigs: Vec<Signature>,
    /// EWMA of all the group's calls (the baseline denominator, shared by every signature).
    base_total: f64,
    /// Buckets `< processed` have been folded into the CUSUMs (and bucket `- lag` into the
    /// baselines).
    processed: i64,
    lag_buckets: i64,
    /// Buckets up to this one were evaluated while firing: the baselines never learn them.
    unlearned_through: i64,
    /// The signature that fired, and what it fired against.
    firing: Option<Fired>,
}

#[derive(Clone, Copy, Debug)]
struct Fired {
    slot: usize,
    /// The share it must stay above to be called risen (shown as the threshold).
    reference: f64,
    p0: f64,
    p1: f64,
    /// Log-likelihood-ratio CUSUM of "back at p0" against "still at p1".
    recovery: f64,
}

/// One-sided upper confidence bound (Wilson score) on a share of `m` in `n`: tight when the
/// baseline has seen many calls, wide when it has seen few — the volume adaptation.
pub fn upper_bound(m: f64, n: f64) -> f64 {
    if n <= 0.0 {
        return 1.0;
    }
    let m = m.clamp(0.0, n);
    let z2 = Z * Z;
    let centre = m + z2 / 2.0;
    let spread = Z * (m * (n - m) / n + z2 / 4.0).max(0.0).sqrt();
    ((centre + spread) / (n + z2)).min(1.0)
}

/// The share a signature with baseline `p0_hi` must reach to count as risen: `min_rise` points
/// more, or double, whichever is larger (a steady 20 % message needs 40 %).
pub fn risen(p0_hi: f64, min_rise: f64) -> f64 {
    (p0_hi + min_rise.max(p0_hi)).min(0.999)
}

impl MessageBaseline {
    pub fn new(window_s: i64, eval_end: i64) -> MessageBaseline {
        let bucket_s = (window_s / BUCKETS_PER_WINDOW).max(1);
        let window_buckets = (window_s / bucket_s).max(1);
        let lag_buckets = window_buckets * LAG_WINDOWS;
        let slack = SLACK_S / bucket_s + 2;
        let mut sigs = vec![Signature::default(); SLOTS];
        sigs[0].key = OTHER.to_string();
        MessageBaseline {
            bucket_s,
            window_buckets,
            ring: vec![EMPTY; (lag_buckets + slack + 2) as usize].into_boxed_slice(),
            sigs,
            base_total: 0.0,
            processed: eval_end.div_euclid(bucket_s),
            lag_buckets,
            unlearned_through: i64::MIN,
            firing: None,
        }
    }

    fn index(&self, bucket: i64) -> usize {
        bucket.rem_euclid(self.ring.len() as i64) as usize
    }

    /// One call of the group. `false` if it came too late to be counted.
    #[cfg(test)]
    pub fn add(&mut self, sec: i64, matched: bool, call: &CallEvent<'_>) -> bool {
        let normalised = call.message.as_deref().map(normalise_message);
        self.add_normalised(sec, matched, normalised.as_deref())
    }

    /// [`MessageBaseline::add`] of a call whose message is `normalised` (normalised once per
    /// call by the engine, for every rule).
    pub fn add_normalised(&mut self, sec: i64, matched: bool, normalised: Option<&str>) -> bool {
        let b = sec.div_euclid(self.bucket_s);
        if b < self.processed - self.window_buckets {
            return false;
        }
        let i = self.index(b);
        if self.ring[i].stamp != b {
            if self.ring[i].stamp > b {
                return false;
            }
            self.ring[i] = Bucket { stamp: b, ..EMPTY };
        }
        self.ring[i].total = self.ring[i].total.saturating_add(1);
        if matched {
            let key = normalised.filter(|m| !m.is_empty()).unwrap_or(NO_MESSAGE);
            let slot = self.slot_for(key);
            let i = self.index(b);
            self.ring[i].hits[slot] = self.ring[i].hits[slot].saturating_add(1);
        }
        true
    }

    /// Hits of `slot` in the ring (window and pending buckets).
    fn ring_hits(&self, slot: usize) -> u64 {
        self.ring.iter().map(|b| u64::from(b.hits[slot])).sum()
    }

    /// The slot of a signature: its own, a free one, one taken from a signature with almost
    /// no weight, or `_other`.
    fn slot_for(&mut self, key: &str) -> usize {
        if let Some(i) = self.sigs.iter().position(|s| s.key == key) {
            return i;
        }
        if let Some(i) = (1..SLOTS).find(|&i| self.sigs[i].key.is_empty()) {
            self.sigs[i] = Signature {
                key: key.to_owned(),
                ..Signature::default()
            };
            return i;
        }
        let firing = self.firing.map(|f| f.slot);
        let lightest = (1..SLOTS)
            .filter(|&i| Some(i) != firing)
            .map(|i| (i, self.sigs[i].base_hits + self.ring_hits(i) as f64))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match lightest {
            Some((i, weight)) if weight < EVICTABLE_WEIGHT => {
                // The evicted signature's history stays counted, under `_other`.
                let old = std::mem::take(&mut self.sigs[i]);
                self.sigs[0].base_hits += old.base_hits;
                for b in self.ring.iter_mut() {
                    b.hits[0] = b.hits[0].saturating_add(b.hits[i]);
                    b.hits[i] = 0;
                }
                self.sigs[i] = Signature {
                    key: key.to_owned(),
                    ..Signature::default()
                };
                i
            }
            _ => 0,
        }
    }

    fn bucket(&self, b: i64) -> Bucket {
        let bucket = self.ring[self.index(b)];
        if bucket.stamp == b {
            bucket
        } else {
            EMPTY
        }
    }

    fn baseline_ready(&self, p: &Params) -> bool {
        self.base_total >= p.min_calls as f64
    }

    /// Upper bound on the baseline share of `slot`, if the baseline has seen enough calls.
    fn p0_hi(&self, slot: usize, p: &Params) -> Option<f64> {
        self.baseline_ready(p)
            .then(|| upper_bound(self.sigs[slot].base_hits, self.base_total))
    }

    /// Moves the clock to `end` (a second boundary): folds every completed bucket into the
    /// CUSUMs, and the bucket `lag` older into the baselines. While firing, both are frozen, and
    /// the buckets seen meanwhile are never learned: the incident never becomes the new normal.
    pub fn advance(&mut self, end: i64, p: &Params, firing: bool) {
        let target = end.div_euclid(self.bucket_s);
        if target <= self.processed {
            return;
        }
        let decay = 0.5f64.powf(self.bucket_s as f64 / p.half_life_s.max(1.0));
        let keep = self.ring.len() as i64;
        if target - self.processed > keep {
            // A gap longer than the ring: those buckets were empty; only decay.
            let gap = (target - keep - self.processed) as f64;
            if !firing {
                let d = decay.powf(gap);
                self.base_total *= d;
                for s in &mut self.sigs {
                    s.base_hits *= d;
                }
            }
            self.processed = target - keep;
        }
        for b in self.processed..target {
            if firing {
                self.unlearned_through = b;
                let bucket = self.bucket(b);
                if let Some(f) = &mut self.firing {
                    let n = f64::from(bucket.total);
                    let x = f64::from(bucket.hits[f.slot]).min(n);
                    let llr = x * (f.p0 / f.p1).ln() + (n - x) * ((1.0 - f.p0) / (1.0 - f.p1)).ln();
                    f.recovery = (f.recovery + llr).clamp(0.0, RECOVERY_NATS * 2.0);
                }
                continue;
            }
            let bucket = self.bucket(b);
            let n = f64::from(bucket.total);
            if n > 0.0 && self.baseline_ready(p) {
                for slot in 0..SLOTS {
                    if slot > 0 && self.sigs[slot].key.is_empty() {
                        continue;
                    }
                    let p0 = upper_bound(self.sigs[slot].base_hits, self.base_total);
                    let p1 = risen(p0, p.min_rise);
                    if p1 <= p0 {
                        continue;
                    }
                    let x = f64::from(bucket.hits[slot]).min(n);
                    let llr = x * (p1 / p0).ln() + (n - x) * ((1.0 - p1) / (1.0 - p0)).ln();
                    let s = &mut self.sigs[slot];
                    s.cusum = (s.cusum + llr).clamp(0.0, p.limit * 4.0);
                }
            }
            let old = b - self.lag_buckets;
            let learned = if old > self.unlearned_through {
                self.bucket(old)
            } else {
                EMPTY
            };
            self.base_total = self.base_total * decay + f64::from(learned.total);
            for (slot, s) in self.sigs.iter_mut().enumerate() {
                s.base_hits = s.base_hits * decay + f64::from(learned.hits[slot]);
            }
        }
        self.processed = target;
    }

    /// Counts of `slot` over the completed buckets of the window — stretched back (up to the
    /// baseline's lag) until it holds `min_calls` calls, so a low-volume share rests on enough
    /// calls to mean something, and a high-volume one is as recent as the window.
    fn reading(&self, slot: usize, p: &Params) -> Reading {
        let (mut hits, mut total, mut span) = (0u64, 0u64, 0i64);
        for b in (self.processed - self.lag_buckets..self.processed).rev() {
            if span >= self.window_buckets && total >= p.min_calls {
                break;
            }
            let bucket = self.bucket(b);
            hits += u64::from(bucket.hits[slot]);
            total += u64::from(bucket.total);
            span += 1;
        }
        let baseline = self
            .baseline_ready(p)
            .then(|| self.sigs[slot].base_hits / self.base_total.max(1e-9));
        let reference = match self.firing {
            Some(f) if f.slot == slot => Some(f.reference),
            _ => self.p0_hi(slot, p).map(|p0| risen(p0, p.min_rise)),
        };
        Reading {
            slot,
            hits,
            total,
            span_s: span * self.bucket_s,
            baseline,
            reference,
            cusum: self.sigs[slot].cusum,
        }
    }

    /// The signature that holds the alert: while firing, the one that fired (holding until the
    /// evidence says it is back at its baseline: a quiet spell at low volume is not a
    /// recovery); otherwise the strongest one whose evidence reached the limit with `min_count`
    /// hits and a window share that has reached the risen level p1 itself (a cluster of a rare
    /// message over a tight baseline is not). Without one, the signature with the most evidence
    /// (for the numbers).
    pub fn verdict(&mut self, p: &Params) -> (bool, Reading) {
        if let Some(f) = self.firing {
            return (f.recovery < RECOVERY_NATS, self.reading(f.slot, p));
        }
        let mut best: Option<Reading> = None;
        let mut strongest: Option<Reading> = None;
        for slot in 0..SLOTS {
            if slot > 0 && self.sigs[slot].key.is_empty() {
                continue;
            }
            if strongest.is_some_and(|s| s.cusum >= self.sigs[slot].cusum) {
                continue;
            }
            let r = self.reading(slot, p);
            strongest = Some(r);
            let qualifies = r.cusum >= p.limit
                && r.hits >= p.min_count
                && r.share().zip(r.reference).is_some_and(|(s, k)| s >= k);
            if qualifies && best.is_none_or(|b| b.cusum < r.cusum) {
                best = Some(r);
            }
        }
        match best {
            Some(r) => (true, r),
            None => (false, strongest.unwrap_or_default()),
        }
    }

    /// The alert fired on the reading `r`: remember the signature and its reference.
    pub fn on_fire(&mut self, r: &Reading, p: &Params) {
        if let (Some(reference), Some(p0)) = (r.reference, self.p0_hi(r.slot, p)) {
            self.firing = Some(Fired {
                slot: r.slot,
                reference,
                p0,
                p1: risen(p0, p.min_rise),
                recovery: 0.0,
            });
        }
    }

    /// The alert resolved: every signature gathers evidence afresh.
    pub fn on_resolve(&mut self) {
        self.firing = None;
        for s in &mut self.sigs {
            s.cusum = 0.0;
        }
    }

    /// The normalised message of `slot`.
    pub fn signature(&self, slot: usize) -> &str {
        &self.sigs[slot].key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    const P: Params = Params {
        half_life_s: 3600.0,
        min_rise: 0.02,
        limit: 8.0,
        min_calls: 100,
        min_count: 3,
    };

    fn call(sec: i64, message: Option<&str>) -> CallEvent<'static> {
        let ts = OffsetDateTime::from_unix_timestamp(sec).unwrap();
        let mut c = CallEvent::new(ts, Some(400), Some("invalid_request_error"));
        c.message = message.map(|m| m.to_string().into());
        c
    }

    /// Feeds `per_min` calls a minute for `minutes`; `share(minute)` gives, per message, the
    /// share of calls it takes. Returns the minute it first held, and the message named.
    fn run(
        per_min: u64,
        minutes: i64,
        shares: impl Fn(i64) -> Vec<(&'static str, f64)>,
    ) -> Option<(i64, String)> {
        let mut d = MessageBaseline::new(300, 0);
        // Deterministic spreading: a message gets a hit whenever its running share credit
        // reaches one call.
        let mut credit: Vec<f64> = Vec::new();
        for minute in 0..minutes {
            let shares = shares(minute);
            credit.resize(shares.len(), 0.0);
            for k in 0..per_min {
                let sec = minute * 60 + (k * 60 / per_min) as i64;
                let mut message = None;
                for (i, (m, s)) in shares.iter().enumerate() {
                    credit[i] += s;
                    if credit[i] >= 1.0 && message.is_none() {
                        credit[i] -= 1.0;
                        message = Some(*m);
                    }
                }
                d.add(sec, message.is_some(), &call(sec, message));
            }
            for sec in (minute * 60 + 1)..=(minute * 60 + 60) {
                d.advance(sec, &P, false);
                let (holds, r) = d.verdict(&P);
                if holds {
                    return Some((minute, d.signature(r.slot).to_string()));
                }
            }
        }
        None
    }

    #[test]
    fn a_steady_share_never_fires_however_high() {
        for per_min in [9, 60, 6000] {
            for share in [0.03, 0.2, 0.6] {
                assert_eq!(
                    run(per_min, 240, |_| vec![("steady", share)]),
                    None,
                    "{per_min}/min at {share}"
                );
            }
        }
    }

    #[test]
    fn a_new_message_ramp_fires_naming_it_at_low_volume() {
        // 0 → 15 % over 45 minutes beside a steady 3 %, at 9 calls a minute, after an hour.
        let fired = run(9, 180, |m| {
            let ramp = ((m - 60).max(0) as f64 / 45.0).min(1.0) * 0.15;
            vec![("steady one", 0.03), ("messages.*.content", ramp)]
        });
        let (minute, message) = fired.expect("never fired");
        assert_eq!(message, "messages.*.content");
        assert!((60..=100).contains(&minute), "fired at minute {minute}");
    }

    #[test]
    fn the_rising_message_is_named_not_the_steady_one() {
        let fired = run(600, 180, |m| {
            let ramp = 0.002 + ((m - 60).max(0) as f64 / 30.0).min(1.0) * 0.058;
            vec![("steady", 0.015), ("rising", ramp)]
        });
        let (minute, message) = fired.expect("never fired");
        assert_eq!(message, "rising");
        assert!((60..=90).contains(&minute), "fired at minute {minute}");
    }

    /// The table in docs/rules.md: minutes from the start of a 30-minute linear ramp of a new
    /// message (beside a steady 1 % one) to firing, calls spread evenly (no noise).
    /// `cargo test --lib smallest_detectable_ramp -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn smallest_detectable_ramp() {
        for (label, per_min) in [("10/min", 10), ("1/s", 60), ("100/s", 6000)] {
            let mut row = format!("| {label} |");
            for share in [0.01, 0.02, 0.03, 0.05, 0.08, 0.15] {
                let fired = run(per_min, 240, |m| {
                    let ramp = ((m - 120).max(0) as f64 / 30.0).min(1.0) * share;
                    vec![("steady", 0.01), ("new", ramp)]
                });
                row.push_str(&match fired {
                    Some((minute, m)) if m == "new" => format!(" {} |", minute - 120),
                    _ => " never |".to_string(),
                });
            }
            println!("{row}");
        }
    }

    #[test]
    fn start_up_is_not_a_rise() {
        // A 10 % share from the very first call, at 1 call a second.
        assert_eq!(run(60, 120, |_| vec![("from the start", 0.1)]), None);
    }

    #[test]
    fn memory_is_bounded_and_the_overflow_is_counted() {
        let mut d = MessageBaseline::new(300, 0);
        for i in 0..10_000i64 {
            let m = format!("distinct words {}", words(i));
            assert!(d.add(i / 10, true, &call(i / 10, Some(&m))));
        }
        assert_eq!(d.sigs.len(), SLOTS);
        let counted: u64 = (0..SLOTS).map(|s| d.ring_hits(s)).sum::<u64>();
        let folded: f64 = d.sigs.iter().map(|s| s.base_hits).sum();
        assert!(counted as f64 + folded > 0.0);
        assert!(d.ring_hits(0) > 0, "overflow goes to _other");
    }

    fn words(mut i: i64) -> String {
        let mut s = String::new();
        loop {
            s.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
            if i == 0 {
                return s;
            }
        }
    }

    #[test]
    fn upper_bound_is_wide_with_few_calls_and_tight_with_many() {
        assert!(upper_bound(3.0, 100.0) > 0.07);
        assert!(upper_bound(3000.0, 100_000.0) < 0.032);
        assert!(upper_bound(0.0, 1000.0) < 0.005);
        assert_eq!(upper_bound(0.0, 0.0), 1.0);
    }
}
