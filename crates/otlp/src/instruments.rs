//! The OTel instruments callwatch exports, all fed from the recorder at collection time.

use std::sync::Arc;

use opentelemetry::metrics::Meter;
use opentelemetry::KeyValue;

use super::bridge::Bridge;
use callwatch_core::names;
use callwatch_core::prometheus::{token_kinds, INFERENCE_USAGE_COUNTERS};
use callwatch_core::record::Recorder;
use callwatch_core::semconv::Convention;

/// Registers every instrument on `meter`. `callwatch.calls` is registered first: its callback
/// is the one that refreshes the snapshot (the SDK runs callbacks in registration order; were
/// that to change, the other instruments would only lag one collection behind).
pub fn register(meter: &Meter, recorder: Recorder, convention: Convention) {
    let bridge = Bridge::new(meter, recorder, convention);

    let b = Arc::clone(&bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_CALLS)
        .with_unit("{call}")
        .with_description("Logical calls, by status, error type and class.")
        .with_callback(move |observer| {
            for (totals, attrs) in b.refresh().each() {
                observer.observe(totals.calls, attrs);
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .f64_observable_counter(names::CALLWATCH_RETRY_WAIT)
        .with_unit("s")
        .with_description("Time spent waiting between attempts.")
        .with_callback(move |observer| {
            for (totals, attrs) in b.current().each() {
                observer.observe(totals.retry_wait_us as f64 / 1e6, attrs);
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_RETRIES_FUTILE)
        .with_unit("{retry}")
        .with_description("Retries made by calls that still failed.")
        .with_callback(move |observer| {
            for (totals, attrs) in b.current().each() {
                observer.observe(totals.futile_retries, attrs);
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_TRUNCATED)
        .with_unit("{response}")
        .with_description("Responses that stopped at max_tokens.")
        .with_callback(move |observer| {
            for (totals, attrs) in b.current().each() {
                observer.observe(totals.truncated, attrs);
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_TOKENS)
        .with_unit("{token}")
        .with_description(
            "Tokens by disjoint kind: uncached input, cache read, cache creation, output.",
        )
        .with_callback(move |observer| {
            for (totals, attrs) in b.current().each() {
                if totals.input_token_buckets.iter().all(|n| *n == 0) {
                    continue;
                }
                for (kind, value) in token_kinds(totals) {
                    let mut attrs = attrs.to_vec();
                    attrs.push(KeyValue::new(names::CALLWATCH_TOKEN_KIND, kind));
                    observer.observe(value, &attrs);
                }
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_SERIES_OVERFLOW)
        .with_unit("{call}")
        .with_description("Calls recorded in an overflow series (a label was over its bound).")
        .with_callback(move |observer| {
            observer.observe(b.current().snapshot.overflowed_records, &[]);
        })
        .build();

    if convention.emits_latest() {
        register_usage_counters(meter, &bridge);
    }

    super::cost::register(meter, &bridge);

    let b = Arc::clone(&bridge);
    meter
        .f64_observable_gauge(names::CALLWATCH_RATELIMIT_HEADROOM)
        .with_unit("1")
        .with_description("Remaining share of the rate limit (last seen).")
        .with_callback(move |observer| {
            for gauge in &b.current().snapshot.headroom {
                observer.observe(gauge.ratio(), &headroom_attributes(gauge));
            }
        })
        .build();

    let b = Arc::clone(&bridge);
    meter
        .f64_observable_gauge(names::CALLWATCH_RATELIMIT_EXHAUSTION)
        .with_unit("s")
        .with_description(
            "Seconds until the rate limit is exhausted at its current net drain (while draining).",
        )
        .with_callback(move |observer| {
            for e in &b.current().snapshot.exhaustion {
                let attrs = [
                    KeyValue::new(names::GEN_AI_PROVIDER_NAME, names::PROVIDER_ANTHROPIC),
                    KeyValue::new(names::GEN_AI_REQUEST_MODEL, e.model.clone()),
                    KeyValue::new(names::CALLWATCH_KEY_ID, e.key_id.clone()),
                    KeyValue::new(names::CALLWATCH_RATELIMIT_KIND, e.kind),
                ];
                observer.observe(e.seconds, &attrs);
            }
        })
        .build();

    let b = bridge;
    meter
        .u64_observable_gauge(names::CALLWATCH_RATELIMIT_REMAINING)
        .with_unit("{unit}")
        .with_description("Rate limit remaining (last seen), requests or tokens by kind.")
        .with_callback(move |observer| {
            for gauge in &b.current().snapshot.headroom {
                observer.observe(gauge.remaining, &headroom_attributes(gauge));
            }
        })
        .build();
}

fn headroom_attributes(gauge: &callwatch_core::record::HeadroomGauge) -> [KeyValue; 4] {
    [
        KeyValue::new(names::GEN_AI_PROVIDER_NAME, names::PROVIDER_ANTHROPIC),
        KeyValue::new(names::GEN_AI_REQUEST_MODEL, gauge.model.clone()),
        KeyValue::new(names::CALLWATCH_KEY_ID, gauge.key_id.clone()),
        KeyValue::new(names::CALLWATCH_RATELIMIT_KIND, gauge.kind),
    ]
}

/// The semantic-conventions-genai usage counters: input (cache reads and writes included, the
/// Anthropic rule), output, and the cache parts as subsets of input. The Messages API does not
/// split usage by modality, so `gen_ai.token.modality` is `unknown`, as the conventions say.
fn register_usage_counters(meter: &Meter, bridge: &Arc<Bridge>) {
    for (name, description, pick) in INFERENCE_USAGE_COUNTERS {
        let b = Arc::clone(bridge);
        meter
            .u64_observable_counter(name)
            .with_unit("{token}")
            .with_description(description)
            .with_callback(move |observer| {
                for (totals, attrs) in b.current().each() {
                    if totals.input_token_buckets.iter().all(|n| *n == 0) {
                        continue;
                    }
                    let mut attrs = attrs.to_vec();
                    attrs.push(KeyValue::new(
                        names::GEN_AI_TOKEN_MODALITY,
                        names::TOKEN_MODALITY_UNKNOWN,
                    ));
                    observer.observe(pick(totals), &attrs);
                }
            })
            .build();
    }
}
