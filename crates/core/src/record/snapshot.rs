//! A cumulative, point-in-time copy of everything the recorder holds: what exporters render
//! and what the agent's live view reads percentiles from.

use hdrhistogram::Histogram;

use super::labels::SeriesLabels;
use super::shard::Totals;

#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Every series, sorted by labels.
    pub series: Vec<SeriesSnapshot>,
    /// Last rate-limit headroom per (model, key id, kind), sorted.
    pub headroom: Vec<HeadroomGauge>,
    /// Seconds until each draining rate limit is exhausted (`record::exhaustion`).
    pub exhaustion: Vec<super::Exhaustion>,
    /// Calls (and attempts) recorded into an overflow series because a label was over its bound.
    pub overflowed_records: u64,
    /// Cost per (model, key id, operation), from the token counters and the recorder's prices.
    pub spend: Vec<crate::cost::Spend>,
    /// Every attempt series, sorted by labels: each attempt counted as a one-attempt call
    /// (`totals.calls` = attempts, `latency_ms` = each attempt's own duration), labelled by how
    /// that attempt ended. What `http.client.request.duration` exports.
    pub attempts: Vec<SeriesSnapshot>,
}

#[derive(Clone, Debug)]
pub struct SeriesSnapshot {
    pub labels: SeriesLabels,
    /// Counters (calls, attempts, tokens, retry wait, futile retries, truncated).
    pub totals: Totals,
    /// Call latency in milliseconds (1 ms … 10 min, 2 significant digits: exact below 256 ms,
    /// then buckets 0.8% of the value wide; see [`super::atomic_hdr`]).
    pub latency_ms: Histogram<u64>,
    /// Streamed calls only (`None` until the series' first stream): time from sending the
    /// request to the first output chunk, ms (same bounds as `latency_ms`).
    pub time_to_first_chunk_ms: Option<Histogram<u64>>,
    /// Streamed calls only: time between consecutive output chunks, one observation per gap, ms.
    pub time_per_output_chunk_ms: Option<Histogram<u64>>,
    /// Streamed calls only: the whole call, from sending the request to the stream's end
    /// (retries included, as `latency_ms`), ms.
    pub stream_duration_ms: Option<Histogram<u64>>,
}

impl SeriesSnapshot {
    pub fn calls(&self) -> u64 {
        self.totals.calls
    }

    /// Latency at quantile `q` (0..=1) in milliseconds; 0 when the series is empty.
    pub fn latency_quantile_ms(&self, q: f64) -> u64 {
        self.latency_ms.value_at_quantile(q)
    }
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub struct HeadroomGauge {
    pub model: String,
    pub key_id: String,
    /// `requests`, `tokens`, `input_tokens` or `output_tokens`.
    pub kind: &'static str,
    pub limit: u64,
    pub remaining: u64,
}

impl HeadroomGauge {
    /// Remaining share of the limit, 0..=1.
    pub fn ratio(&self) -> f64 {
        if self.limit == 0 {
            return 0.0;
        }
        (self.remaining as f64 / self.limit as f64).clamp(0.0, 1.0)
    }
}

impl Snapshot {
    /// Series matching `pred`, merged: one latency histogram and summed counters (e.g. all
    /// series of one model for the live view's p50/p95/p99).
    pub fn merged(&self, mut pred: impl FnMut(&SeriesLabels) -> bool) -> (Totals, Histogram<u64>) {
        let mut totals = Totals::default();
        let mut latency = super::atomic_hdr::empty_histogram();
        for s in self.series.iter().filter(|s| pred(&s.labels)) {
            totals.merge(&s.totals);
            latency
                .add(&s.latency_ms)
                .expect("all histograms share the recorder's bounds");
        }
        (totals, latency)
    }

    /// Total logical calls over every series.
    pub fn total_calls(&self) -> u64 {
        self.series.iter().map(|s| s.totals.calls).sum()
    }
}

/// (lowest equivalent ms, count) of every non-empty bucket of `h`, by value: what an exporter
/// replays into an OpenTelemetry histogram (the same placement as the Prometheus renderer's
/// `count_between(0, le)`, so both agree bucket for bucket).
pub fn recorded_buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| {
            (
                h.lowest_equivalent(v.value_iterated_to()),
                v.count_at_value(),
            )
        })
        .collect()
}
