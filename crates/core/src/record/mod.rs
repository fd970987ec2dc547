//! The recorder: every finished call goes into per-series HDR latency histograms and counters.
//!
//! Recording is the application's hot path, so it takes no lock shared between threads and
//! allocates nothing after a series' first call on a thread:
//! - a thread-local cache maps the call's borrowed labels to its series (hash + compare); while
//!   a thread's calls repeat one series, a hot slot finds it with one compare of the call's
//!   labels against it (`local.rs`; labels of the usual shape against a fixed-size copy with
//!   no length cases to test, `usual.rs`);
//! - the latency goes into the series' shared HDR counters with one relaxed `fetch_add`, or,
//!   once a thread has recorded a series 64 times, into that thread's own HDR counters for it
//!   with a load and a store (`own_latency.rs`; bounded, summed by snapshots);
//! - every other counter lives in a per-thread shard that only its thread writes (relaxed load
//!   + store), summed by [`Recorder::snapshot`] and folded into a retired total at thread exit.
//!
//! Each label is bounded ([`Limits`]); values past the bound are recorded as
//! [`crate::names::OVERFLOW_VALUE`], counted, and warned about once.
//!
//! ```
//! use std::time::Duration;
//! use callwatch_core::call::{Call, CallObserver};
//! use callwatch_core::classify::{Class, Outcome};
//! use callwatch_core::record::Recorder;
//!
//! let recorder = Recorder::new();
//! let outcome = Outcome::bare(Some(200), None, Class::Success);
//! recorder.observe(&Call {
//!     operation: "chat", model: "claude-sonnet-4-6", key_id: "k-00000000", outcome: &outcome,
//!     attempts: 1, latency: Duration::from_millis(800), retry_wait: Duration::ZERO,
//!     futile_retries: 0, server_address: "api.anthropic.com", server_port: 443,
//! });
//! let snapshot = recorder.snapshot();
//! assert_eq!(snapshot.total_calls(), 1);
//! // 2 significant digits: an 800 ms call is in the 800–803 ms bucket.
//! assert_eq!(snapshot.series[0].latency_quantile_ms(0.5), 803);
//! ```

pub mod atomic_hdr;
mod bytes;
mod cost_tokens;
mod exhaustion;
mod headroom;
mod labels;
mod limits;
mod local;
mod own_latency;
mod registry;
mod series;
mod shard;
mod snapshot;
mod usual;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use cost_tokens::CacheTokens;
pub use exhaustion::{time_left as ratelimit_time_left, Exhaustion, WINDOW as EXHAUSTION_WINDOW};
pub use headroom::KINDS as HEADROOM_KINDS;
pub use labels::{LabelsRef, SeriesLabels};
pub use limits::Limits;
pub use shard::{token_slot, Totals, ATTEMPT_SLOTS, TOKEN_SLOTS};
pub use snapshot::{recorded_buckets, HeadroomGauge, SeriesSnapshot, Snapshot};

use crate::call::{Attempt, Call, CallObserver};
#[cfg(feature = "prices")]
use crate::cost::PriceTable;
use local::Lookup;
use registry::Registry;
use series::Series;

/// Records calls; cheap to clone (clones share the same series).
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

struct Shared {
    id: u64,
    /// Thread caches hold a weak reference to this to know when the recorder is gone.
    alive: Arc<()>,
    registry: Registry,
    /// Prices snapshots turn token counts into dollars with.
    #[cfg(feature = "prices")]
    prices: Arc<PriceTable>,
    /// Attempts, each recorded as a one-attempt call in a label space of its own (its own
    /// thread-cache id), so a 429 that a retry absorbed is a series of its own here while the
    /// call series above only see how calls ended.
    attempts_id: u64,
    attempts: Registry,
    /// Recent headroom samples, for the time until each rate limit runs out.
    exhaustion: exhaustion::Trends,
}

/// Never 0 (an empty hot slot's id) and always even; ids are never reused.
static NEXT_RECORDER_ID: AtomicU64 = AtomicU64::new(2);
/// The hot slots ([`local::hot_slot`]) of a recorder's call and attempt ids.
const CALLS_SLOT: usize = 0;
const ATTEMPTS_SLOT: usize = 1;

/// Builds a [`Recorder`] with non-default label bounds.
#[derive(Clone, Debug, Default)]
pub struct RecorderBuilder {
    limits: Limits,
    #[cfg(feature = "prices")]
    prices: Option<Arc<PriceTable>>,
}

impl RecorderBuilder {
    /// Operations kept as their own label value (the rest: `_overflow`).
    pub fn max_operations(mut self, n: usize) -> Self {
        self.limits.operations = n;
        self
    }
    /// Models kept as their own label value (the rest: `_overflow`).
    pub fn max_models(mut self, n: usize) -> Self {
        self.limits.models = n;
        self
    }
    /// Key ids kept as their own label value (the rest: `_overflow`).
    pub fn max_key_ids(mut self, n: usize) -> Self {
        self.limits.key_ids = n;
        self
    }
    /// Error types kept as their own label value (the rest: `_overflow`).
    pub fn max_error_types(mut self, n: usize) -> Self {
        self.limits.error_types = n;
        self
    }
    /// Server addresses kept as their own label value (the rest: `_overflow`).
    pub fn max_server_addresses(mut self, n: usize) -> Self {
        self.limits.server_addresses = n;
        self
    }
    /// Series kept in all; calls beyond go to the overflow counter.
    pub fn max_series(mut self, n: usize) -> Self {
        self.limits.series = n;
        self
    }
    /// All the bounds at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// The price table snapshots compute `callwatch.cost` with (default: the shipped one).
    #[cfg(feature = "prices")]
    pub fn prices(mut self, prices: Arc<PriceTable>) -> Self {
        self.prices = Some(prices);
        self
    }
    /// The recorder.
    pub fn build(self) -> Recorder {
        // Even for the calls, the next odd one for the attempts: each kind has its own hot
        // slot, known where it is recorded (`CALLS_SLOT`, `ATTEMPTS_SLOT`).
        let id = NEXT_RECORDER_ID.fetch_add(2, Ordering::Relaxed);
        Recorder {
            shared: Arc::new(Shared {
                id,
                alive: Arc::new(()),
                registry: Registry::new(self.limits),
                #[cfg(feature = "prices")]
                prices: self
                    .prices
                    .unwrap_or_else(|| Arc::new(PriceTable::embedded().clone())),
                attempts_id: id + 1,
                attempts: Registry::new(self.limits),
                exhaustion: exhaustion::Trends::default(),
            }),
        }
    }
}

/// Latency in whole milliseconds, rounded to nearest from whole microseconds (the histogram's
/// unit). Ten minutes and more all land in the histogram's top bucket, so the seconds are
/// capped there first: no overflow check on the hot path.
#[inline]
pub(crate) fn millis(latency: Duration) -> u64 {
    const CAP_SECS: u64 = atomic_hdr::HIGHEST_MS / 1000;
    let sub_micros = u64::from(latency.subsec_micros());
    latency.as_secs().min(CAP_SECS) * 1000 + (sub_micros + 500) / 1000
}

#[inline]
fn record_into(series: &Series, shard: &shard::SeriesShard, call: &Call<'_>) {
    // The sum's microseconds first: the histogram's index then shares their division.
    let micros = shard::micros_for_sum(call.latency);
    let index = atomic_hdr::index_of_latency(call.latency);
    match shard.own_latency.get() {
        Some(own) => own.record_index_single_writer(index),
        None => {
            series.latency.record_index(index);
            if own_latency::due(shard.calls() + 1) {
                series.promote(shard);
            }
        }
    }
    shard.record(call, micros);
    series.headroom.record(&call.outcome.rate_limit);
    if let Some(stream) = &call.outcome.stream {
        record_stream(series, stream, call.latency);
    }
}

/// Only streamed calls get here: their duration (the call's latency), time to first chunk and
/// every gap between output chunks (the mean, once, for a timing that carries no gaps).
#[cold]
fn record_stream(series: &Series, stream: &crate::classify::StreamTiming, latency: Duration) {
    let hdrs = series.stream();
    hdrs.duration.record(millis(latency));
    if let Some(ttfc) = stream.time_to_first_chunk {
        hdrs.time_to_first_chunk.record(millis(ttfc));
    }
    if !stream.chunk_gaps.is_empty() {
        for (index, count) in stream.chunk_gaps.buckets() {
            hdrs.time_per_output_chunk.record_index_n(index, count);
        }
    } else if let Some(per_chunk) = stream.time_per_output_chunk {
        hdrs.time_per_output_chunk.record(millis(per_chunk));
    }
}

impl Recorder {
    /// A recorder with the default [`Limits`].
    pub fn new() -> Recorder {
        RecorderBuilder::default().build()
    }

    /// A recorder with other bounds.
    pub fn builder() -> RecorderBuilder {
        RecorderBuilder::default()
    }

    /// Records one finished call.
    #[inline]
    pub fn record(&self, call: &Call<'_>) {
        self.record_in(self.shared.id, CALLS_SLOT, &self.shared.registry, call);
    }

    /// Records one finished attempt (into the attempt series, not the call series).
    #[inline]
    pub fn record_attempt(&self, attempt: &Attempt<'_>) {
        let call = Call {
            operation: attempt.operation,
            model: attempt.model,
            key_id: attempt.key_id,
            outcome: attempt.outcome,
            attempts: 1,
            latency: attempt.latency,
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: attempt.server_address,
            server_port: attempt.server_port,
        };
        let attempts_id = self.shared.attempts_id;
        self.record_in(attempts_id, ATTEMPTS_SLOT, &self.shared.attempts, &call);
    }

    #[inline]
    fn record_in(&self, id: u64, slot: usize, registry: &Registry, call: &Call<'_>) {
        let lookup = local::with_entry(id, slot, call, |series, shard| {
            record_into(series, shard, call)
        });
        if !matches!(lookup, Lookup::Hit(())) {
            let labels = LabelsRef::of(call);
            self.record_slow(id, registry, labels, call, matches!(lookup, Lookup::Miss));
        }
    }

    /// First call of a series on this thread, an overflowed label, or a thread tearing down.
    #[cold]
    fn record_slow(
        &self,
        id: u64,
        registry: &Registry,
        labels: LabelsRef<'_>,
        call: &Call<'_>,
        cacheable: bool,
    ) {
        let uncached = registry.resolve(labels, |resolved| {
            if cacheable && resolved.overflowed.is_none() {
                return Some(Arc::clone(&resolved.series));
            }
            // Overflowed labels are not cached per thread (the cache would grow with them):
            // record under the registry lock, which makes the locked shard single-writer.
            record_into(&resolved.series, &resolved.series.locked_shard, call);
            None
        });
        if let Some(series) = uncached {
            let weak = Arc::downgrade(&self.shared.alive);
            match local::insert(id, &weak, Arc::clone(&series)) {
                Some(shard) => record_into(&series, &shard, call),
                None => registry.resolve(labels, |resolved| {
                    record_into(&resolved.series, &resolved.series.locked_shard, call)
                }),
            }
        }
    }

    /// A cumulative copy of every series, the headroom gauges and the overflow count.
    pub fn snapshot(&self) -> Snapshot {
        let registry = &self.shared.registry;
        let series = series_snapshots(registry);
        let attempts = series_snapshots(&self.shared.attempts);
        let mut headroom: Vec<HeadroomGauge> = registry
            .headroom_cells()
            .into_iter()
            .flat_map(|((model, key_id), cell)| {
                cell.read()
                    .map(|(kind, limit, remaining)| HeadroomGauge {
                        model: model.clone(),
                        key_id: key_id.clone(),
                        kind,
                        limit,
                        remaining,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        headroom.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let exhaustion = self
            .shared
            .exhaustion
            .observe(&headroom, std::time::Instant::now());
        // Dollars need the price table (feature `prices`); without it, tokens are still counted.
        #[cfg(feature = "prices")]
        let spend = crate::cost::spend(&series, &self.shared.prices);
        #[cfg(not(feature = "prices"))]
        let spend = Vec::new();
        Snapshot {
            series,
            headroom,
            exhaustion,
            spend,
            overflowed_records: registry.overflowed_records()
                + self.shared.attempts.overflowed_records(),
            attempts,
        }
    }

    /// The prices snapshots use.
    #[cfg(feature = "prices")]
    pub fn prices(&self) -> &PriceTable {
        &self.shared.prices
    }
}

/// Every series of `registry`, sorted by labels.
fn series_snapshots(registry: &Registry) -> Vec<SeriesSnapshot> {
    let mut series: Vec<SeriesSnapshot> = registry
        .all_series()
        .iter()
        .map(|s| SeriesSnapshot {
            labels: s.labels().clone(),
            totals: s.totals(),
            latency_ms: s.latency_histogram(),
            time_to_first_chunk_ms: s.stream.get().map(|h| h.time_to_first_chunk.to_histogram()),
            time_per_output_chunk_ms: s
                .stream
                .get()
                .map(|h| h.time_per_output_chunk.to_histogram()),
            stream_duration_ms: s.stream.get().map(|h| h.duration.to_histogram()),
        })
        .collect();
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    series
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl CallObserver for Recorder {
    #[inline]
    fn observe(&self, call: &Call<'_>) {
        self.record(call);
    }

    #[inline]
    fn observe_attempt(&self, attempt: &Attempt<'_>) {
        self.record_attempt(attempt);
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("id", &self.shared.id)
            .finish()
    }
}

#[cfg(test)]
mod tests;
