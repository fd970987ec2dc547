//! OTLP export end to end: calls recorded by a real `Recorder`, exported by the real SDK over
//! OTLP/HTTP protobuf to a real loopback receiver, decoded and checked.

mod support;

use std::time::Duration;

use callwatch_core::call::{Attempt, Call};
use callwatch_core::classify::{key_id, Class, Headroom, Outcome, RateLimit, Usage};
use callwatch_core::names;
use callwatch_core::record::Recorder;
use callwatch_otlp as export;
use callwatch_otlp::{ExportConfig, Temporality};
use support::otlp_receiver::{attr, number, OtlpReceiver};
use tracing_subscriber::prelude::*;

const FAKE_KEY: &str = "sk-ant-FAKE-tk-0000";
const MODEL: &str = "claude-sonnet-4-6";
const CUMULATIVE: i32 = 2;
const DELTA: i32 = 1;

fn success(input: u64) -> Outcome {
    let mut outcome = Outcome::bare(Some(200), None, Class::Success);
    outcome.usage = Some(Usage {
        input_tokens: input,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 0,
        output_tokens: 42,
        cache_creation_1h_input_tokens: 0,
    });
    outcome.rate_limit = RateLimit {
        requests: Some(Headroom {
            limit: 50,
            remaining: 45,
            reset: None,
        }),
        ..RateLimit::default()
    };
    outcome
}

fn call<'a>(key: &'a str, outcome: &'a Outcome, latency_ms: u64) -> Call<'a> {
    Call {
        operation: names::OPERATION_CHAT,
        model: MODEL,
        key_id: key,
        outcome,
        attempts: 1,
        latency: Duration::from_millis(latency_ms),
        retry_wait: Duration::ZERO,
        futile_retries: 0,
        server_address: "api.anthropic.com",
        server_port: 443,
    }
}

fn config(receiver: &OtlpReceiver) -> ExportConfig {
    ExportConfig::new()
        .endpoint(receiver.endpoint())
        .interval(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
        .service_name("callwatch-test")
}

/// Index of the bucket (explicit bounds, upper-inclusive) holding `value`.
fn bucket_of(bounds: &[f64], value: f64) -> usize {
    bounds
        .iter()
        .position(|b| value <= *b)
        .unwrap_or(bounds.len())
}

/// Index of the bucket holding quantile `q`, from exported bucket counts.
fn quantile_bucket(counts: &[u64], q: f64) -> usize {
    let total: u64 = counts.iter().sum();
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (i, n) in counts.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return i;
        }
    }
    counts.len() - 1
}

#[test]
fn cumulative_metrics_and_spans_reach_the_receiver_with_semconv_names() {
    let receiver = OtlpReceiver::start();
    let recorder = Recorder::new();
    let guard = export::install(config(&receiver), recorder.clone()).expect("install");
    let key = key_id(FAKE_KEY);

    let mut input_total = 0;
    for i in 1..=200u64 {
        let outcome = success(i * 37);
        input_total += i * 37 + 1000;
        recorder.record(&call(&key, &outcome, i * 7));
    }
    let overloaded = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
    for _ in 0..10 {
        let mut c = call(&key, &overloaded, 3000);
        c.attempts = 3;
        c.futile_retries = 2;
        c.retry_wait = Duration::from_millis(1500);
        recorder.record(&c);
    }
    let bad_gateway = Outcome::bare(Some(502), None, Class::Server);
    recorder.record(&call(&key, &bad_gateway, 20));
    // Attempts: a 429 that a retry absorbed, and the success after it.
    let limited = Outcome::bare(Some(429), Some("rate_limit_error"), Class::RateLimit);
    let ok = success(10);
    for (outcome, number) in [(&limited, 1), (&ok, 2)] {
        recorder.record_attempt(&Attempt {
            operation: names::OPERATION_CHAT,
            model: MODEL,
            key_id: &key,
            outcome,
            number,
            latency: Duration::from_millis(30),
            server_address: "api.anthropic.com",
            server_port: 443,
        });
    }

    let subscriber = tracing_subscriber::registry().with(guard.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "chat claude-sonnet-4-6",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "anthropic",
            gen_ai.request.model = MODEL,
            callwatch.key_id = key.as_str(),
        );
        let _entered = span.enter();
    });
    guard.flush();
    let snapshot = recorder.snapshot();
    drop(guard); // shutdown: a final collection and export

    let received = receiver.lock();
    assert!(received.rejected.is_empty(), "{:?}", received.rejected);
    assert!(!received.metrics.is_empty(), "no metrics request arrived");

    // Names and units from the semantic conventions.
    let metrics = received.all_metrics();
    for (name, unit) in [
        (names::GEN_AI_CLIENT_OPERATION_DURATION, "s"),
        (names::HTTP_CLIENT_REQUEST_DURATION, "s"),
        (names::GEN_AI_CLIENT_TOKEN_USAGE, "{token}"),
        (names::CALLWATCH_ATTEMPTS, "{attempt}"),
        (names::CALLWATCH_CALLS, "{call}"),
        (names::CALLWATCH_RETRIES_FUTILE, "{retry}"),
        (names::CALLWATCH_RETRY_WAIT, "s"),
        (names::CALLWATCH_RATELIMIT_HEADROOM, "1"),
    ] {
        let m = metrics.iter().find(|m| m.name == name);
        assert_eq!(m.map(|m| m.unit), Some(unit), "metric {name}");
    }
    let resource = &received.metrics[0].resource_metrics[0]
        .resource
        .as_ref()
        .unwrap();
    assert_eq!(
        attr(&resource.attributes, "service.name").as_deref(),
        Some("callwatch-test")
    );

    // One `http.client.request.duration` point per attempt series: the absorbed 429 is there.
    let http = received.histogram_points(names::HTTP_CLIENT_REQUEST_DURATION);
    let limited_point = http
        .iter()
        .rev()
        .find(|(_, p)| {
            attr(&p.attributes, names::ERROR_TYPE).as_deref() == Some("rate_limit_error")
        })
        .map(|(_, p)| *p)
        .expect("an attempt point with error.type rate_limit_error");
    assert_eq!(limited_point.count, 1);
    assert_eq!(
        attr(&limited_point.attributes, names::HTTP_RESPONSE_STATUS_CODE).as_deref(),
        Some("429")
    );
    assert_eq!(
        attr(&limited_point.attributes, names::HTTP_REQUEST_METHOD).as_deref(),
        Some("POST")
    );

    // Cache reads have their own token series.
    let cache_read = received
        .sum_points(names::CALLWATCH_TOKENS)
        .into_iter()
        .filter(|(_, p)| {
            attr(&p.attributes, names::CALLWATCH_TOKEN_KIND).as_deref() == Some("cache_read")
        })
        .map(|(_, p)| number(p))
        .fold(0.0, f64::max);
    assert!(cache_read >= 1000.0, "cache_read tokens {cache_read}");

    // The last cumulative duration point of each series holds every call.
    let durations = received.histogram_points(names::GEN_AI_CLIENT_OPERATION_DURATION);
    assert!(durations.iter().all(|(t, _)| *t == CUMULATIVE));
    let last_for = |class: &str| {
        durations
            .iter()
            .rev()
            .find(|(_, p)| attr(&p.attributes, names::CALLWATCH_CLASS).as_deref() == Some(class))
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("no duration point for {class}"))
    };
    let ok = last_for("success");
    assert_eq!(ok.count, 200);
    assert_eq!(ok.bucket_counts.iter().sum::<u64>(), 200);
    assert_eq!(ok.explicit_bounds, names::LATENCY_BOUNDARIES_S);
    // The sum of each call's bucket floor: at most 1/128 under the exact sum (2 significant
    // digits), never over it.
    let exact_sum: f64 = (1..=200).map(|i| i as f64 * 0.007).sum();
    let sum = ok.sum.unwrap();
    assert!(
        sum <= exact_sum + 1e-9 && sum >= exact_sum * (1.0 - 1.0 / 128.0),
        "{sum} for an exact {exact_sum}"
    );
    for (key_name, value) in [
        (names::GEN_AI_OPERATION_NAME, "chat"),
        (names::GEN_AI_PROVIDER_NAME, "anthropic"),
        (names::GEN_AI_REQUEST_MODEL, MODEL),
        (names::SERVER_ADDRESS, "api.anthropic.com"),
        (names::SERVER_PORT, "443"),
        (names::HTTP_RESPONSE_STATUS_CODE, "200"),
        (names::CALLWATCH_KEY_ID, key.as_str()),
    ] {
        assert_eq!(
            attr(&ok.attributes, key_name).as_deref(),
            Some(value),
            "{key_name}"
        );
    }
    assert_eq!(
        attr(&ok.attributes, names::ERROR_TYPE),
        None,
        "no error.type on success"
    );
    let failed = last_for("overloaded");
    assert_eq!(failed.count, 10);
    assert_eq!(
        attr(&failed.attributes, names::ERROR_TYPE).as_deref(),
        Some("overloaded_error")
    );
    let gateway = last_for("server");
    assert_eq!(
        attr(&gateway.attributes, names::ERROR_TYPE).as_deref(),
        Some("502")
    );

    // HDR percentiles and percentiles from the exported buckets agree within one bucket.
    let hdr = snapshot
        .series
        .iter()
        .find(|s| s.labels.class == Class::Success)
        .unwrap();
    for q in [0.5, 0.95, 0.99] {
        let from_hdr = bucket_of(
            &ok.explicit_bounds,
            hdr.latency_quantile_ms(q) as f64 / 1000.0,
        );
        let from_export = quantile_bucket(&ok.bucket_counts, q);
        assert!(
            from_hdr.abs_diff(from_export) <= 1,
            "q={q}: {from_hdr} vs {from_export}"
        );
    }

    // Counters.
    let calls = received.sum_points(names::CALLWATCH_CALLS);
    let last_calls = |class: &str| {
        calls
            .iter()
            .rev()
            .find(|(_, p)| attr(&p.attributes, names::CALLWATCH_CLASS).as_deref() == Some(class))
            .map(|(t, p)| (*t, number(p)))
            .unwrap()
    };
    assert_eq!(last_calls("success"), (CUMULATIVE, 200.0));
    assert_eq!(last_calls("overloaded"), (CUMULATIVE, 10.0));
    // One point per series and export, in no set order: pick the overloaded series' latest.
    let futile = received.sum_points(names::CALLWATCH_RETRIES_FUTILE);
    let overloaded_futile = futile
        .iter()
        .rev()
        .find(|(_, p)| attr(&p.attributes, names::CALLWATCH_CLASS).as_deref() == Some("overloaded"))
        .map(|(_, p)| number(p));
    assert_eq!(overloaded_futile, Some(20.0));

    // Cost: each (model, key) row of the snapshot's spend, as a cumulative USD counter.
    let cost = received.sum_points(names::CALLWATCH_COST);
    assert!(!snapshot.spend.is_empty());
    for row in &snapshot.spend {
        let (temporality, usd) = cost
            .iter()
            .rev()
            .find(|(_, p)| {
                attr(&p.attributes, names::CALLWATCH_KEY_ID).as_deref() == Some(row.key_id.as_str())
            })
            .map(|(t, p)| (*t, number(p)))
            .unwrap();
        assert_eq!(temporality, CUMULATIVE);
        assert!(
            row.usd > 0.0 && (usd - row.usd).abs() < 1e-9,
            "{usd} vs {}",
            row.usd
        );
    }

    // Tokens: buckets and the exact sum.
    let tokens = received.histogram_points(names::GEN_AI_CLIENT_TOKEN_USAGE);
    let input = tokens
        .iter()
        .rev()
        .find(|(_, p)| attr(&p.attributes, names::GEN_AI_TOKEN_TYPE).as_deref() == Some("input"))
        .unwrap()
        .1;
    assert_eq!(input.count, 200);
    assert_eq!(input.sum, Some(input_total as f64));
    assert_eq!(input.explicit_bounds, names::TOKEN_BOUNDARIES);

    // Attempts: 10 calls of 3 attempts in the overloaded series.
    let attempts = received.histogram_points(names::CALLWATCH_ATTEMPTS);
    let overloaded_attempts = attempts
        .iter()
        .rev()
        .find(|(_, p)| attr(&p.attributes, names::CALLWATCH_CLASS).as_deref() == Some("overloaded"))
        .unwrap()
        .1;
    assert_eq!(
        (overloaded_attempts.count, overloaded_attempts.sum),
        (10, Some(30.0))
    );

    // The span arrived with its GenAI attributes.
    let span = received
        .traces
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .find(|s| s.name == "chat claude-sonnet-4-6")
        .expect("span exported");
    assert_eq!(
        attr(&span.attributes, names::GEN_AI_OPERATION_NAME).as_deref(),
        Some("chat")
    );
    assert_eq!(
        attr(&span.attributes, names::GEN_AI_REQUEST_MODEL).as_deref(),
        Some(MODEL)
    );

    // The key itself left no trace in anything sent.
    for body in &received.raw {
        assert!(!body
            .windows(FAKE_KEY.len())
            .any(|w| w == FAKE_KEY.as_bytes()));
        assert!(!body.windows(9).any(|w| w == b"FAKE-test"));
    }
}

#[test]
fn delta_temporality_exports_only_what_changed() {
    let receiver = OtlpReceiver::start();
    let recorder = Recorder::new();
    let config = config(&receiver)
        .temporality(Temporality::Delta)
        .traces(false);
    let guard = export::install(config, recorder.clone()).expect("install");
    let outcome = success(10);
    for i in 0..100 {
        recorder.record(&call("k-00000000", &outcome, 100 + i));
    }
    guard.flush();
    for i in 0..50 {
        recorder.record(&call("k-00000000", &outcome, 2000 + i));
    }
    guard.flush();
    drop(guard);

    let received = receiver.lock();
    let durations = received.histogram_points(names::GEN_AI_CLIENT_OPERATION_DURATION);
    assert!(!durations.is_empty());
    assert!(durations.iter().all(|(t, _)| *t == DELTA));
    assert_eq!(durations.iter().map(|(_, p)| p.count).sum::<u64>(), 150);
    // The first flush came before the last 50 calls: no point may hold all 150.
    assert!(durations.iter().all(|(_, p)| p.count <= 100));
    let calls = received.sum_points(names::CALLWATCH_CALLS);
    assert!(calls.iter().all(|(t, _)| *t == DELTA));
    assert_eq!(calls.iter().map(|(_, p)| number(p)).sum::<f64>(), 150.0);
}
