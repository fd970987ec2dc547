//! Token usage under the semantic-conventions-genai names (`OTEL_SEMCONV_STABILITY_OPT_IN=
//! gen_ai_latest_experimental`): a histogram per direction for percentiles, and a counter per
//! token category for totals, as the OTLP exporter sends them (`callwatch_otlp`'s bridge).

use std::fmt::Write;

use super::{cumulative, header, histogram, label_key};
use crate::names::{self, prometheus_name, TOKEN_BOUNDARIES};
use crate::record::{Snapshot, Totals};

/// A usage counter: its convention name, help text, and the total it counts.
pub type UsageCounter = (&'static str, &'static str, fn(&Totals) -> u64);

/// The `gen_ai.client.inference.usage.*` counters: one table for `/metrics` (here) and OTLP
/// (`callwatch_otlp`'s instruments), so the two cannot drift.
pub const INFERENCE_USAGE_COUNTERS: [UsageCounter; 4] = [
    (
        names::GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
        "Input tokens, cache reads and writes included.",
        |t| t.input_tokens,
    ),
    (
        names::GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
        "Output tokens.",
        |t| t.output_tokens,
    ),
    (
        names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
        "Input tokens read from the prompt cache.",
        |t| t.cache_tokens.cache_read,
    ),
    (
        names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
        "Input tokens written to the prompt cache.",
        |t| t.cache_tokens.cache_write,
    ),
];

/// `gen_ai.client.inference.operation.{input,output}_tokens` and the
/// `gen_ai.client.inference.usage.*` counters, for series that reported usage.
pub(super) fn render_tokens(out: &mut String, snapshot: &Snapshot, labels: &[String]) {
    type Slots = fn(&Totals) -> (&[u64], u64);
    let histograms: [(&str, &str, Slots); 2] = [
        (
            names::GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
            "Input tokens per call, cache reads and writes included.",
            |t| (&t.input_token_buckets, t.input_tokens),
        ),
        (
            names::GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
            "Output tokens per call.",
            |t| (&t.output_token_buckets, t.output_tokens),
        ),
    ];
    for (otel, help, slots) in histograms {
        let name = prometheus_name(otel, "{token}", false);
        header(out, &name, "histogram", help);
        for (series, labels) in snapshot.series.iter().zip(labels) {
            let (slots, sum) = slots(&series.totals);
            let count: u64 = slots.iter().sum();
            if count == 0 {
                continue;
            }
            let buckets = cumulative(&TOKEN_BOUNDARIES, slots);
            histogram(out, &name, labels, buckets, count, sum as f64);
        }
    }

    // The Messages API does not split usage by modality: `unknown`, as the conventions say.
    let modality = format!(
        "{}=\"{}\"",
        label_key(names::GEN_AI_TOKEN_MODALITY),
        names::TOKEN_MODALITY_UNKNOWN
    );
    for (otel, help, pick) in INFERENCE_USAGE_COUNTERS {
        let name = prometheus_name(otel, "{token}", true);
        header(out, &name, "counter", help);
        for (series, labels) in snapshot.series.iter().zip(labels) {
            let t = &series.totals;
            if t.input_token_buckets.iter().all(|n| *n == 0) {
                continue;
            }
            let _ = writeln!(out, "{name}{{{labels},{modality}}} {}", pick(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::call::Call;
    use crate::classify::{Class, Outcome, StreamTiming, Usage};
    use crate::prometheus::render_with;
    use crate::record::Recorder;
    use crate::semconv::Convention;

    fn exposition(convention: Convention) -> String {
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
            ..StreamTiming::default()
        });
        let recorder = Recorder::new();
        recorder.record(&Call {
            operation: "chat",
            model: "claude-sonnet-4-6",
            key_id: "",
            outcome: &outcome,
            attempts: 1,
            latency: Duration::from_millis(900),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        });
        render_with(&recorder.snapshot(), convention)
    }

    /// The value of the one sample of `name` (a full series name, e.g. `…_total`).
    fn sample(text: &str, name: &str) -> Option<String> {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{")))
            .map(|l| l.to_owned())
    }

    #[test]
    fn each_convention_renders_its_own_names() {
        let default = exposition(Convention::V1_41);
        assert!(default.contains("gen_ai_client_operation_time_to_first_chunk_seconds_bucket{"));
        assert!(default.contains("gen_ai_client_token_usage_bucket{"));
        assert!(!default.contains("gen_ai_client_inference"));

        let latest = exposition(Convention::Latest);
        assert!(!latest.contains("gen_ai_client_operation_duration"));
        assert!(!latest.contains("gen_ai_client_token_usage"));
        assert!(latest.contains("gen_ai_client_inference_time_to_first_chunk_seconds_bucket{"));
        assert!(latest.contains("gen_ai_client_inference_duration_seconds_count{"));
        let input = sample(&latest, "gen_ai_client_inference_usage_input_tokens_total");
        let input = input.expect("input usage counter");
        assert!(
            input.ends_with("gen_ai_token_modality=\"unknown\"} 1150"),
            "{input}"
        );
        let read = sample(
            &latest,
            "gen_ai_client_inference_usage_cache_read_input_tokens_total",
        );
        assert!(read.expect("cache read counter").ends_with("} 1000"));
        let write = sample(
            &latest,
            "gen_ai_client_inference_usage_cache_write_input_tokens_total",
        );
        assert!(write.expect("cache write counter").ends_with("} 50"));
        let count = sample(
            &latest,
            "gen_ai_client_inference_operation_input_tokens_count",
        );
        assert!(count.expect("per-operation input").ends_with("} 1"));

        let both = exposition(Convention::Both);
        for name in [
            "gen_ai_client_operation_time_to_first_chunk_seconds_bucket{",
            "gen_ai_client_inference_time_to_first_chunk_seconds_bucket{",
            "gen_ai_client_operation_duration_seconds_count{",
            "gen_ai_client_inference_duration_seconds_count{",
        ] {
            assert!(both.contains(name), "{name} missing under /dup");
        }
    }

    #[test]
    fn a_streamed_calls_duration_has_one_name_under_every_convention() {
        for convention in [Convention::V1_41, Convention::Latest, Convention::Both] {
            let text = exposition(convention);
            let headers = text
                .lines()
                .filter(|l| l.starts_with("# TYPE callwatch_stream_duration_seconds "))
                .count();
            assert_eq!(headers, 1, "{convention:?}");
            let count = sample(&text, "callwatch_stream_duration_seconds_count");
            assert!(count.expect("stream duration").ends_with("} 1"));
            // The 900 ms call: above the 0.64 s boundary, within the 1.28 s one.
            let bucket = |le: &str| {
                text.lines()
                    .find(|l| {
                        l.starts_with("callwatch_stream_duration_seconds_bucket{")
                            && l.contains(&format!("le=\"{le}\""))
                    })
                    .map(|l| l.rsplit(' ').next().unwrap_or_default().to_owned())
            };
            assert_eq!(bucket("0.64").as_deref(), Some("0"), "{convention:?}");
            assert_eq!(bucket("1.28").as_deref(), Some("1"), "{convention:?}");
        }
    }
}
