//! From the recorder to OpenTelemetry instruments, entirely at collection time.
//!
//! Calling an OTel histogram per call costs ~110 ns, so the hot path never touches the SDK.
//! Instead, when the SDK collects (periodic reader tick, `force_flush`, shutdown) it first runs
//! every observable callback, then reads every aggregation (see `Pipeline::produce`). The first
//! callback registered (on `callwatch.calls`) takes a [`Snapshot`] and records, into ordinary
//! synchronous histograms, each series' HDR buckets that changed since the previous collection
//! — so they land in this very collection, with no pump thread and no race against the
//! reader. The other callbacks report counters and gauges from that same snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;

use super::attributes::{series_attributes, token_attributes};
use callwatch_core::names::{self, TOKEN_BOUNDARIES};
use callwatch_core::record::{
    recorded_buckets, Recorder, SeriesLabels, SeriesSnapshot, Snapshot, Totals, ATTEMPT_SLOTS,
};
use callwatch_core::semconv::Convention;

/// Attributes of one series, built once per series.
struct SeriesAttributes {
    call: Vec<KeyValue>,
    input: Vec<KeyValue>,
    output: Vec<KeyValue>,
}

/// An attempt series' attributes: the call attributes (status and `error.type` of that attempt)
/// plus `http.request.method`, the same labels `/metrics` shows.
fn http_attributes(labels: &SeriesLabels) -> Vec<KeyValue> {
    let mut attributes = series_attributes(labels);
    attributes.push(KeyValue::new(names::HTTP_REQUEST_METHOD, "POST"));
    attributes
}

/// The snapshot of the current collection, with each series' attributes beside it.
pub struct Collected {
    pub snapshot: Snapshot,
    attributes: Vec<Arc<SeriesAttributes>>,
}

impl Collected {
    pub fn each(&self) -> impl Iterator<Item = (&Totals, &[KeyValue])> {
        let series = self.snapshot.series.iter();
        series
            .zip(&self.attributes)
            .map(|(s, a)| (&s.totals, a.call.as_slice()))
    }
}

/// What was exported for a series at the previous collection.
#[derive(Default)]
struct Previous {
    /// (lowest equivalent ms, count) of every non-empty HDR bucket, by value.
    latency: Vec<(u64, u64)>,
    totals: Totals,
    /// The same for streamed calls' time to first chunk and time per output chunk.
    time_to_first_chunk: Vec<(u64, u64)>,
    time_per_output_chunk: Vec<(u64, u64)>,
    stream_duration: Vec<(u64, u64)>,
}

struct State {
    current: Arc<Collected>,
    previous: HashMap<SeriesLabels, Previous>,
    attributes: HashMap<SeriesLabels, Arc<SeriesAttributes>>,
    /// Per attempt series: its attributes and the latency buckets exported so far.
    attempts: HashMap<SeriesLabels, AttemptExport>,
}

/// An attempt series' attributes and the latency buckets exported so far.
type AttemptExport = (Vec<KeyValue>, Vec<(u64, u64)>);

/// The instruments whose names depend on the GenAI convention in force: one per name emitted
/// (two under `/dup`, fed the same values).
pub struct Bridge {
    recorder: Recorder,
    state: Mutex<State>,
    duration: Vec<Histogram<f64>>,
    http_duration: Histogram<f64>,
    /// `gen_ai.client.token.usage` (v1.41).
    tokens: Option<Histogram<u64>>,
    /// `gen_ai.client.inference.operation.{input,output}_tokens` (semantic-conventions-genai).
    operation_tokens: Option<[Histogram<u64>; 2]>,
    attempts: Histogram<u64>,
    time_to_first_chunk: Vec<Histogram<f64>>,
    time_per_output_chunk: Vec<Histogram<f64>>,
    /// `callwatch.stream.duration`: one name under every convention (none defines it).
    stream_duration: Histogram<f64>,
}

/// A seconds histogram with the LLM latency boundaries.
fn seconds_histogram(
    meter: &Meter,
    name: &'static str,
    description: &'static str,
) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(names::LATENCY_BOUNDARIES_S.to_vec())
        .build()
}

/// A `{token}` histogram with the conventions' power-of-4 boundaries.
fn token_histogram(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<u64> {
    meter
        .u64_histogram(name)
        .with_unit("{token}")
        .with_description(description)
        .with_boundaries(TOKEN_BOUNDARIES.to_vec())
        .build()
}

/// One histogram per name the convention emits: (v1.41 name, semantic-conventions-genai name).
fn per_convention(
    meter: &Meter,
    convention: Convention,
    (v1_41, latest): (&'static str, &'static str),
    description: &'static str,
) -> Vec<Histogram<f64>> {
    let mut out = Vec::new();
    if convention.emits_v1_41() {
        out.push(seconds_histogram(meter, v1_41, description));
    }
    if convention.emits_latest() {
        out.push(seconds_histogram(meter, latest, description));
    }
    out
}

impl Bridge {
    pub fn new(meter: &Meter, recorder: Recorder, convention: Convention) -> Arc<Bridge> {
        let duration = per_convention(
            meter,
            convention,
            (
                names::GEN_AI_CLIENT_OPERATION_DURATION,
                names::GEN_AI_CLIENT_INFERENCE_DURATION,
            ),
            "Duration of GenAI client operations, retries included.",
        );
        let http_duration = seconds_histogram(
            meter,
            names::HTTP_CLIENT_REQUEST_DURATION,
            "Duration of each HTTP attempt (retries are attempts of their own).",
        );
        let tokens = convention.emits_v1_41().then(|| {
            token_histogram(
                meter,
                names::GEN_AI_CLIENT_TOKEN_USAGE,
                "Tokens used per call, by token type.",
            )
        });
        let operation_tokens = convention.emits_latest().then(|| {
            [
                token_histogram(
                    meter,
                    names::GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
                    "Input tokens per call, cache reads and writes included.",
                ),
                token_histogram(
                    meter,
                    names::GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
                    "Output tokens per call.",
                ),
            ]
        });
        let attempts = meter
            .u64_histogram(names::CALLWATCH_ATTEMPTS)
            .with_unit("{attempt}")
            .with_description("HTTP attempts per logical call.")
            .with_boundaries(names::ATTEMPT_BOUNDARIES.to_vec())
            .build();
        let time_to_first_chunk = per_convention(
            meter,
            convention,
            (
                names::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
                names::GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
            ),
            "Streamed calls: time from sending the request to the first output chunk.",
        );
        let time_per_output_chunk = per_convention(
            meter,
            convention,
            (
                names::GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
                names::GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
            ),
            "Streamed calls: time between consecutive output chunks, one observation per gap.",
        );
        let stream_duration = seconds_histogram(
            meter,
            names::CALLWATCH_STREAM_DURATION,
            "Streamed calls: time from sending the request to the end of the stream.",
        );
        Arc::new(Bridge {
            recorder,
            time_to_first_chunk,
            time_per_output_chunk,
            stream_duration,
            state: Mutex::new(State {
                current: Arc::new(Collected {
                    snapshot: Snapshot {
                        series: Vec::new(),
                        headroom: Vec::new(),
                        exhaustion: Vec::new(),
                        overflowed_records: 0,
                        spend: Vec::new(),
                        attempts: Vec::new(),
                    },
                    attributes: Vec::new(),
                }),
                previous: HashMap::new(),
                attributes: HashMap::new(),
                attempts: HashMap::new(),
            }),
            duration,
            http_duration,
            tokens,
            operation_tokens,
            attempts,
        })
    }

    /// Takes a new snapshot, records what changed into the histograms, and returns it.
    /// Called by the first observable callback of each collection.
    pub fn refresh(&self) -> Arc<Collected> {
        let snapshot = self.recorder.snapshot();
        let mut state = self.lock();
        let State {
            previous,
            attributes,
            attempts,
            ..
        } = &mut *state;
        let mut collected_attributes = Vec::with_capacity(snapshot.series.len());
        for series in &snapshot.series {
            let attrs = attributes.entry(series.labels.clone()).or_insert_with(|| {
                Arc::new(SeriesAttributes {
                    call: series_attributes(&series.labels),
                    input: token_attributes(&series.labels, names::TOKEN_TYPE_INPUT),
                    output: token_attributes(&series.labels, names::TOKEN_TYPE_OUTPUT),
                })
            });
            collected_attributes.push(Arc::clone(attrs));
            let prev = previous.entry(series.labels.clone()).or_default();
            let latency = latency_buckets(series);
            for histogram in &self.duration {
                record_latency(histogram, &attrs.call, &latency, &prev.latency);
            }
            let (now, before) = (&series.totals, &prev.totals);
            record_attempts(&self.attempts, &attrs.call, now, before);
            // v1.41: one histogram split by `gen_ai.token.type`; semantic-conventions-genai:
            // one histogram per direction, with the call's attributes.
            let token_targets = self
                .tokens
                .iter()
                .map(|h| [(h, &attrs.input), (h, &attrs.output)])
                .chain(
                    self.operation_tokens
                        .iter()
                        .map(|[input, output]| [(input, &attrs.call), (output, &attrs.call)]),
                );
            for [(input, input_attrs), (output, output_attrs)] in token_targets {
                record_tokens(
                    input,
                    input_attrs,
                    &now.input_token_buckets,
                    &before.input_token_buckets,
                    now.input_tokens.saturating_sub(before.input_tokens),
                );
                record_tokens(
                    output,
                    output_attrs,
                    &now.output_token_buckets,
                    &before.output_token_buckets,
                    now.output_tokens.saturating_sub(before.output_tokens),
                );
            }
            if let Some(h) = &series.time_to_first_chunk_ms {
                let now = recorded_buckets(h);
                let before = &prev.time_to_first_chunk;
                for histogram in &self.time_to_first_chunk {
                    record_latency(histogram, &attrs.call, &now, before);
                }
                prev.time_to_first_chunk = now;
            }
            if let Some(h) = &series.time_per_output_chunk_ms {
                let now = recorded_buckets(h);
                let before = &prev.time_per_output_chunk;
                for histogram in &self.time_per_output_chunk {
                    record_latency(histogram, &attrs.call, &now, before);
                }
                prev.time_per_output_chunk = now;
            }
            if let Some(h) = &series.stream_duration_ms {
                let now = recorded_buckets(h);
                record_latency(
                    &self.stream_duration,
                    &attrs.call,
                    &now,
                    &prev.stream_duration,
                );
                prev.stream_duration = now;
            }
            prev.latency = latency;
            prev.totals = series.totals.clone();
        }
        for series in &snapshot.attempts {
            let (attrs, before) = attempts
                .entry(series.labels.clone())
                .or_insert_with(|| (http_attributes(&series.labels), Vec::new()));
            let latency = latency_buckets(series);
            record_latency(&self.http_duration, attrs, &latency, before);
            *before = latency;
        }
        let collected = Arc::new(Collected {
            snapshot,
            attributes: collected_attributes,
        });
        state.current = Arc::clone(&collected);
        collected
    }

    /// The snapshot of the current collection (for the callbacks after the first).
    pub fn current(&self) -> Arc<Collected> {
        Arc::clone(&self.lock().current)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Each non-empty HDR bucket at its lowest value (see [`recorded_buckets`]): the OTLP sum is
/// therefore up to 0.8% under the exact one (2 significant digits; see `record::atomic_hdr`);
/// Prometheus' call-duration `_sum` is exact.
fn latency_buckets(series: &SeriesSnapshot) -> Vec<(u64, u64)> {
    recorded_buckets(&series.latency_ms)
}

/// Records, in seconds, every millisecond value whose count grew since `before`.
fn record_latency(
    histogram: &Histogram<f64>,
    attrs: &[KeyValue],
    now: &[(u64, u64)],
    before: &[(u64, u64)],
) {
    for (ms, n) in sparse_delta(now, before) {
        let seconds = ms as f64 / 1000.0;
        for _ in 0..n {
            histogram.record(seconds, attrs);
        }
    }
}

/// (value, count increase) for every value whose count grew; both inputs sorted by value.
fn sparse_delta(now: &[(u64, u64)], before: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut before = before.iter().peekable();
    let mut out = Vec::new();
    for &(value, count) in now {
        while before.next_if(|(v, _)| *v < value).is_some() {}
        let old = before.next_if(|(v, _)| *v == value).map_or(0, |(_, c)| *c);
        if count > old {
            out.push((value, count - old));
        }
    }
    out
}

fn record_attempts(histogram: &Histogram<u64>, attrs: &[KeyValue], now: &Totals, before: &Totals) {
    let mut exact_sum = 0;
    for attempts in 0..ATTEMPT_SLOTS - 1 {
        let n = now.attempts[attempts].saturating_sub(before.attempts[attempts]);
        exact_sum += n * attempts as u64;
        for _ in 0..n {
            histogram.record(attempts as u64, attrs);
        }
    }
    // The last slot holds "that many or more": spread what the exact sum says they made.
    let n = now.attempts[ATTEMPT_SLOTS - 1].saturating_sub(before.attempts[ATTEMPT_SLOTS - 1]);
    let sum = now.attempts_sum.saturating_sub(before.attempts_sum);
    if let Some(mean) = sum.saturating_sub(exact_sum).checked_div(n) {
        let each = mean.max(ATTEMPT_SLOTS as u64 - 1);
        for _ in 0..n {
            histogram.record(each, attrs);
        }
    }
}

/// Records the calls that fell in each token bucket since last time, choosing each value
/// inside its bucket so that the values add up to the exact token sum: buckets and sum are
/// both right in the export.
fn record_tokens(
    histogram: &Histogram<u64>,
    attrs: &[KeyValue],
    now: &[u64],
    before: &[u64],
    exact_sum: u64,
) {
    let bounds = |slot: usize| -> (u64, u64) {
        let low = match slot {
            0 => 0,
            _ => TOKEN_BOUNDARIES[slot - 1] as u64 + 1,
        };
        let high = TOKEN_BOUNDARIES.get(slot).map_or(u64::MAX, |b| *b as u64);
        (low, high)
    };
    let deltas: Vec<u64> = now
        .iter()
        .zip(before)
        .map(|(n, b)| n.saturating_sub(*b))
        .collect();
    let minimum: u64 = deltas
        .iter()
        .enumerate()
        .map(|(slot, n)| n.saturating_mul(bounds(slot).0))
        .fold(0, u64::saturating_add);
    let mut extra = exact_sum.saturating_sub(minimum);
    for (slot, n) in deltas.iter().enumerate().rev() {
        let (low, high) = bounds(slot);
        for _ in 0..*n {
            let add = extra.min(high - low);
            extra -= add;
            histogram.record(low + add, attrs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sparse_delta;

    #[test]
    fn sparse_delta_reports_only_growth() {
        let before = [(1, 2), (5, 1), (9, 4)];
        let now = [(1, 2), (3, 1), (5, 4), (9, 4), (12, 1)];
        assert_eq!(sparse_delta(&now, &before), [(3, 1), (5, 3), (12, 1)]);
    }
}
