//! The GenAI convention versions over OTLP: the real SDK exporting a real `Recorder` to a real
//! loopback receiver, once per setting of `OTEL_SEMCONV_STABILITY_OPT_IN` (given in code here,
//! which wins over the variable; its parsing is unit-tested in `callwatch_core::semconv`).

mod support;

use std::time::Duration;

use callwatch_core::call::Call;
use callwatch_core::classify::{ChunkGaps, Class, Outcome, StreamTiming, Usage};
use callwatch_core::metrics::{self, Kind};
use callwatch_core::names;
use callwatch_core::record::Recorder;
use callwatch_core::semconv::Convention;
use callwatch_otlp as export;
use callwatch_otlp::ExportConfig;
use support::otlp_receiver::{attr, number, OtlpReceiver};

const MODEL: &str = "claude-sonnet-4-6";

/// A streamed success: first chunk after 300 ms, then 9 chunks 20 ms apart but the last, 200 ms
/// after the one before; usage with cache reads and writes.
fn streamed() -> Outcome {
    let mut outcome = Outcome::bare(Some(200), None, Class::Success);
    outcome.usage = Some(Usage {
        input_tokens: 100,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 50,
        output_tokens: 42,
        cache_creation_1h_input_tokens: 0,
    });
    outcome.stream = Some(StreamTiming {
        time_to_first_chunk: Some(Duration::from_millis(300)),
        time_per_output_chunk: Some(Duration::from_millis(20)),
        output_chunks: 10,
        chunk_gaps: ChunkGaps::from_durations(
            [20, 20, 20, 20, 20, 20, 20, 20, 200].map(Duration::from_millis),
        ),
    });
    outcome
}

/// Exports three streamed calls under `convention` and returns the receiver.
fn export_under(convention: Convention) -> OtlpReceiver {
    let receiver = OtlpReceiver::start();
    let recorder = Recorder::new();
    let config = ExportConfig::new()
        .endpoint(receiver.endpoint())
        .interval(Duration::from_secs(60))
        .timeout(Duration::from_secs(5))
        .traces(false)
        .convention(convention);
    let guard = export::install(config, recorder.clone()).expect("install");
    let outcome = streamed();
    for _ in 0..3 {
        recorder.record(&Call {
            operation: names::OPERATION_CHAT,
            model: MODEL,
            key_id: "k-00000000",
            outcome: &outcome,
            attempts: 1,
            latency: Duration::from_millis(900),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        });
    }
    drop(guard); // flushes
    receiver
}

fn exported_names(receiver: &OtlpReceiver) -> Vec<String> {
    let received = receiver.lock();
    let mut names: Vec<String> = received
        .all_metrics()
        .iter()
        .map(|m| m.name.to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The three streamed calls under `name`: three observations, all in the bucket holding
/// `seconds`, labelled with the model.
fn assert_three_calls_at(receiver: &OtlpReceiver, name: &str, seconds: f64) {
    let received = receiver.lock();
    let points = received.histogram_points(name);
    let (_, point) = points
        .last()
        .unwrap_or_else(|| panic!("{name} not exported"));
    assert_eq!(point.count, 3, "{name}: {point:?}");
    let slot = point
        .explicit_bounds
        .iter()
        .position(|b| seconds <= *b)
        .expect("a bucket for the value");
    assert_eq!(point.bucket_counts[slot], 3, "{name}: {point:?}");
    assert_eq!(
        attr(&point.attributes, names::GEN_AI_REQUEST_MODEL).as_deref(),
        Some(MODEL)
    );
}

/// The streamed calls' time to first chunk under `name`, 0.3 s.
fn assert_ttfc(receiver: &OtlpReceiver, name: &str) {
    assert_three_calls_at(receiver, name, 0.3);
}

/// The streamed calls' time per output chunk under `name`: every gap between chunks is one
/// observation (9 per call), 3 of them (one per call) above 0.16 s.
fn assert_chunk_gaps(receiver: &OtlpReceiver, name: &str) {
    let received = receiver.lock();
    let points = received.histogram_points(name);
    let (_, point) = points
        .last()
        .unwrap_or_else(|| panic!("{name} not exported"));
    assert_eq!(point.count, 27, "{name}: {point:?}");
    let below = point
        .explicit_bounds
        .iter()
        .zip(&point.bucket_counts)
        .filter(|(bound, _)| **bound <= 0.16)
        .map(|(_, n)| n)
        .sum::<u64>();
    assert_eq!(below, 24, "{name}: {point:?}");
}

/// The streamed calls' duration, one name under every convention: three observations (not six
/// under `/dup`), at the calls' 0.9 s.
fn assert_stream_duration(receiver: &OtlpReceiver) {
    assert_three_calls_at(receiver, names::CALLWATCH_STREAM_DURATION, 0.9);
}

fn counter_value(receiver: &OtlpReceiver, name: &str) -> (f64, Option<String>) {
    let received = receiver.lock();
    let points = received.sum_points(name);
    let (_, point) = points
        .last()
        .unwrap_or_else(|| panic!("{name} not exported"));
    (
        number(point),
        attr(&point.attributes, names::GEN_AI_TOKEN_MODALITY),
    )
}

#[test]
fn the_default_emits_the_v1_41_names_only() {
    let receiver = export_under(Convention::V1_41);
    let exported = exported_names(&receiver);
    assert_ttfc(
        &receiver,
        names::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    );
    assert_chunk_gaps(
        &receiver,
        names::GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
    );
    for m in metrics::V1_41_ONLY {
        assert!(exported.iter().any(|n| n == m.otel), "{} missing", m.otel);
    }
    for m in metrics::LATEST_ONLY {
        assert!(!exported.iter().any(|n| n == m.otel), "{} emitted", m.otel);
    }
    assert_stream_duration(&receiver);
}

#[test]
fn gen_ai_latest_experimental_emits_the_new_names_instead() {
    let receiver = export_under(Convention::Latest);
    let exported = exported_names(&receiver);
    assert_ttfc(
        &receiver,
        names::GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
    );
    assert_chunk_gaps(
        &receiver,
        names::GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
    );
    for m in metrics::LATEST_ONLY {
        assert!(exported.iter().any(|n| n == m.otel), "{} missing", m.otel);
    }
    for m in metrics::V1_41_ONLY {
        assert!(!exported.iter().any(|n| n == m.otel), "{} emitted", m.otel);
    }
    assert_stream_duration(&receiver);
    // Usage counters: input includes the cache parts (100 + 1000 + 50 per call), the parts
    // are subsets, and the Messages API gives no modality split.
    let unknown = Some(names::TOKEN_MODALITY_UNKNOWN.to_owned());
    assert_eq!(
        counter_value(&receiver, names::GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS),
        (3.0 * 1150.0, unknown.clone())
    );
    assert_eq!(
        counter_value(
            &receiver,
            names::GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS
        ),
        (3.0 * 42.0, unknown.clone())
    );
    assert_eq!(
        counter_value(
            &receiver,
            names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS
        ),
        (3.0 * 1000.0, unknown.clone())
    );
    assert_eq!(
        counter_value(
            &receiver,
            names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS
        ),
        (3.0 * 50.0, unknown)
    );
    let received = receiver.lock();
    let input = received.histogram_points(names::GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS);
    let (_, point) = input.last().expect("per-operation input tokens");
    assert_eq!((point.count, point.sum), (3, Some(3.0 * 1150.0)));
    assert_eq!(attr(&point.attributes, names::GEN_AI_TOKEN_TYPE), None);
}

#[test]
fn dup_emits_both_and_every_exported_name_is_in_the_catalogue() {
    let receiver = export_under(Convention::Both);
    let exported = exported_names(&receiver);
    assert_ttfc(
        &receiver,
        names::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    );
    assert_ttfc(
        &receiver,
        names::GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
    );
    assert_chunk_gaps(
        &receiver,
        names::GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
    );
    assert_stream_duration(&receiver);
    let catalogue = metrics::otlp(Convention::Both);
    for name in &exported {
        let m = catalogue.iter().find(|m| m.otel == name);
        let m = m.unwrap_or_else(|| panic!("{name} exported but not in metrics::otlp"));
        let received = receiver.lock();
        let kind_matches = received
            .all_metrics()
            .iter()
            .filter(|e| e.name == name)
            .all(|e| {
                e.unit == m.unit
                    && matches!(
                        (m.kind, e.data),
                        (
                            Kind::Histogram,
                            opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(_)
                        ) | (
                            Kind::Counter,
                            opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(_)
                        ) | (
                            Kind::Gauge,
                            opentelemetry_proto::tonic::metrics::v1::metric::Data::Gauge(_)
                        )
                    )
            });
        assert!(
            kind_matches,
            "{name}: unit or kind differs from the catalogue"
        );
    }
    for m in metrics::V1_41_ONLY.iter().chain(&metrics::LATEST_ONLY) {
        assert!(exported.iter().any(|n| n == m.otel), "{} missing", m.otel);
    }
}
