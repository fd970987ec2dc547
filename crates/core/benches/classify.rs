//! Cost of classifying one typical response with `classify_response` (status + headers +
//! body prefix → canonical class, retryability, request id, rate-limit headroom, usage).
//! Target: ≤ 1 µs each. No peer: nothing else gives this answer.
//!
//! Run: `cargo bench --bench classify -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use callwatch_core::classify::{
    classify_provider_response, classify_response, eventstream_encode, Class, EventStreamScanner,
    Provider,
};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderName, HeaderValue};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

/// The headers the API sends on every response (plus what a CDN adds), so the header
/// lookups are measured against a realistically full map.
fn api_headers(extra: &[(&'static str, &str)]) -> HeaderMap {
    let mut pairs = vec![
        ("date", "Fri, 20 Nov 2026 08:00:00 GMT"),
        ("content-type", "application/json"),
        ("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy"),
        (
            "anthropic-organization-id",
            "00000000-0000-0000-0000-000000000000",
        ),
        ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", "3999"),
        ("anthropic-ratelimit-requests-reset", "2026-11-20T08:00:01Z"),
        ("anthropic-ratelimit-input-tokens-limit", "400000"),
        ("anthropic-ratelimit-input-tokens-remaining", "398000"),
        (
            "anthropic-ratelimit-input-tokens-reset",
            "2026-11-20T08:00:01Z",
        ),
        ("anthropic-ratelimit-output-tokens-limit", "80000"),
        ("anthropic-ratelimit-output-tokens-remaining", "79000"),
        (
            "anthropic-ratelimit-output-tokens-reset",
            "2026-11-20T08:00:01Z",
        ),
        ("via", "1.1 google"),
        ("cf-cache-status", "DYNAMIC"),
        ("server", "cloudflare"),
    ];
    pairs.extend_from_slice(extra);
    headers(&pairs)
}

const OVERLOADED: &[u8] = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
const BAD_REQUEST: &[u8] = br#"{"type":"error","error":{"type":"invalid_request_error","message":"messages.1.content.0.tool_result: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01XFDUDYJgAACzvnptvVoYEL. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fz"}"#;
const SUCCESS: &[u8] = br#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"Hello! The capital of France is Paris. It has been the capital since the 10th century and is the country's largest city."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1200,"cache_creation_input_tokens":0,"cache_read_input_tokens":800,"output_tokens":350,"service_tier":"standard"}}"#;

fn bench_classify(c: &mut Criterion) {
    let overloaded_headers = api_headers(&[("x-should-retry", "true"), ("retry-after", "2")]);
    let plain_headers = api_headers(&[]);
    let cases = [
        (
            "529_overloaded",
            529,
            &overloaded_headers,
            OVERLOADED,
            Class::Overloaded,
        ),
        (
            "400_invalid_request",
            400,
            &plain_headers,
            BAD_REQUEST,
            Class::InvalidRequest,
        ),
        (
            "200_success_with_usage",
            200,
            &plain_headers,
            SUCCESS,
            Class::Success,
        ),
    ];
    let mut group = c.benchmark_group("classify_response");
    for (name, status, headers, body, class) in cases {
        // The bench would be meaningless if the case did not classify as intended.
        assert_eq!(classify_response(status, headers, body).class, class);
        group.bench_function(name, |b| {
            b.iter(|| classify_response(black_box(status), black_box(headers), black_box(body)))
        });
    }
    group.finish();
}

const BEDROCK_THROTTLED: &[u8] =
    br#"{"message":"Too many requests, please wait before trying again."}"#;
const VERTEX_EXHAUSTED: &[u8] = br#"{"error":{"code":429,"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-sonnet-4. Please submit a quota increase request.","status":"RESOURCE_EXHAUSTED"}}"#;

const ANTHROPIC_SAME_MESSAGE: &[u8] = br#"{"type":"error","error":{"type":"rate_limit_error","message":"Too many requests, please wait before trying again."},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
const VERTEX_SAME_MESSAGE: &[u8] = br#"{"error":{"code":429,"message":"Too many requests, please wait before trying again.","status":"RESOURCE_EXHAUSTED"}}"#;
const BEDROCK_UNAVAILABLE: &[u8] = br#"{"message":"Bedrock is unable to process your request."}"#;
const BEDROCK_DENIED: &[u8] =
    br#"{"message":"You don't have access to the model with the specified model ID."}"#;
const VERTEX_BILLING: &[u8] = br#"{"error":{"code":403,"message":"This API method requires billing to be enabled. Please enable billing on project #123456789 by visiting https://console.developers.google.com/billing/enable?project=123456789 then retry.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"BILLING_DISABLED","domain":"googleapis.com","metadata":{"consumer":"projects/123456789","service":"aiplatform.googleapis.com"}}]}}"#;

/// The same question asked of Bedrock and Vertex errors (issue 16: no dearer than an Anthropic
/// one): compare with `classify_response/529_overloaded` and `400_invalid_request` of the same run.
fn bench_providers(c: &mut Criterion) {
    let bedrock_headers = headers(&[
        ("date", "Fri, 20 Nov 2026 08:00:00 GMT"),
        ("content-type", "application/json"),
        ("x-amzn-requestid", "8c2b6a6e-1b2c-4d5e-8f90-123456789abc"),
        (
            "x-amzn-errortype",
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
        ),
    ]);
    let vertex_headers = headers(&[
        ("date", "Fri, 20 Nov 2026 08:00:00 GMT"),
        ("content-type", "application/json; charset=UTF-8"),
        ("vary", "Origin, X-Origin, Referer"),
        ("server", "scaffolding on HTTPServer2"),
        ("x-xss-protection", "0"),
        ("x-frame-options", "SAMEORIGIN"),
        ("x-content-type-options", "nosniff"),
        ("alt-svc", "h3=\":443\"; ma=2592000"),
    ]);
    let bedrock_with = |code: &str| {
        let mut h = bedrock_headers.clone();
        h.insert("x-amzn-errortype", code.parse().unwrap());
        h
    };
    let bedrock_unavailable_headers = bedrock_with(
        "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    );
    let bedrock_denied_headers = bedrock_with(
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/",
    );
    let overloaded_headers = api_headers(&[("x-should-retry", "true"), ("retry-after", "2")]);
    let rate_limited_headers = api_headers(&[("x-should-retry", "true"), ("retry-after", "2")]);
    let cases = [
        (
            "bedrock_429_throttling",
            Provider::Bedrock,
            429,
            &bedrock_headers,
            BEDROCK_THROTTLED,
            Class::RateLimit,
        ),
        (
            "vertex_429_resource_exhausted",
            Provider::Vertex,
            429,
            &vertex_headers,
            VERTEX_EXHAUSTED,
            Class::RateLimit,
        ),
        (
            "vertex_529_anthropic_shaped",
            Provider::Vertex,
            529,
            &overloaded_headers,
            OVERLOADED,
            Class::Overloaded,
        ),
        (
            "bedrock_503_service_unavailable",
            Provider::Bedrock,
            503,
            &bedrock_unavailable_headers,
            BEDROCK_UNAVAILABLE,
            Class::Overloaded,
        ),
        (
            "bedrock_403_access_denied",
            Provider::Bedrock,
            403,
            &bedrock_denied_headers,
            BEDROCK_DENIED,
            Class::Permission,
        ),
        (
            "vertex_403_billing_disabled",
            Provider::Vertex,
            403,
            &vertex_headers,
            VERTEX_BILLING,
            Class::Billing,
        ),
        // The three shapes with one message text: the shape's own cost, the message's
        // redaction (which grows with its length) the same for all.
        (
            "same_message/anthropic_429",
            Provider::Anthropic,
            429,
            &rate_limited_headers,
            ANTHROPIC_SAME_MESSAGE,
            Class::RateLimit,
        ),
        (
            "same_message/bedrock_429",
            Provider::Bedrock,
            429,
            &bedrock_headers,
            BEDROCK_THROTTLED,
            Class::RateLimit,
        ),
        (
            "same_message/vertex_429",
            Provider::Vertex,
            429,
            &vertex_headers,
            VERTEX_SAME_MESSAGE,
            Class::RateLimit,
        ),
        (
            "anthropic_529_via_dispatch",
            Provider::Anthropic,
            529,
            &overloaded_headers,
            OVERLOADED,
            Class::Overloaded,
        ),
    ];
    let mut group = c.benchmark_group("classify_provider_response");
    for (name, provider, status, headers, body, class) in cases {
        assert_eq!(
            classify_provider_response(provider, status, headers, body).class,
            class
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                classify_provider_response(
                    black_box(provider),
                    black_box(status),
                    black_box(headers),
                    black_box(body),
                )
            })
        });
    }
    group.finish();

    // A Bedrock stream that fails in-band, scanned whole: the event-stream scanner's cost per
    // stream (compare with an SSE stream of the same events, below).
    let start = r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":25,"output_tokens":1}}}"#;
    let mut frames = eventstream_encode::chunk(start, None);
    frames.extend(eventstream_encode::exception(
        "throttlingException",
        "Too many tokens, please wait before trying again.",
        None,
    ));
    let sse = format!(
        "event: message_start\ndata: {start}\n\nevent: error\ndata: {}\n\n",
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
    );
    let empty = HeaderMap::new();
    let mut group = c.benchmark_group("stream_error_scan");
    group.bench_function("bedrock_eventstream_exception", |b| {
        b.iter(|| {
            let mut s = EventStreamScanner::new();
            s.feed(black_box(&frames));
            s.finish(200, &empty)
        })
    });
    // The same in-band failure as the Bedrock case, with its message text (redaction's cost
    // grows with the message): the event stream's own cost.
    let sse_same = format!(
        "event: message_start\ndata: {start}\n\nevent: error\ndata: {}\n\n",
        r#"{"type":"error","error":{"type":"rate_limit_error","message":"Too many tokens, please wait before trying again."}}"#
    );
    group.bench_function("anthropic_sse_error_same_message", |b| {
        b.iter(|| {
            let mut s = callwatch_core::classify::SseScanner::new();
            s.feed(black_box(sse_same.as_bytes()));
            s.finish(200, &empty)
        })
    });
    group.bench_function("anthropic_sse_error", |b| {
        b.iter(|| {
            let mut s = callwatch_core::classify::SseScanner::new();
            s.feed(black_box(sse.as_bytes()));
            s.finish(200, &empty)
        })
    });
    group.finish();

    // A whole successful stream with 20 content deltas (each an output chunk for the stream
    // timings): Bedrock's event stream against the same events as SSE.
    let delta = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, world. "}}"#;
    let events: Vec<(&str, &str)> = std::iter::once(("message_start", start))
        .chain(std::iter::repeat_n(("content_block_delta", delta), 20))
        .chain([
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":60}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .collect();
    let frames: Vec<u8> = events
        .iter()
        .flat_map(|(_, data)| eventstream_encode::chunk(data, None))
        .collect();
    let sse: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    let mut group = c.benchmark_group("stream_success_scan");
    group.bench_function("bedrock_eventstream_20_deltas", |b| {
        b.iter(|| {
            let mut s = EventStreamScanner::new();
            s.feed(black_box(&frames));
            assert_eq!(s.output_chunks(), 20);
            s.finish(200, &empty)
        })
    });
    group.bench_function("anthropic_sse_20_deltas", |b| {
        b.iter(|| {
            let mut s = callwatch_core::classify::SseScanner::new();
            s.feed(black_box(sse.as_bytes()));
            assert_eq!(s.output_chunks(), 20);
            s.finish(200, &empty)
        })
    });
    group.finish();
}

/// The redaction every kept message goes through (`classify/redact.rs`): its cost grows with
/// the message's length and dominates the error cases above.
fn bench_redact(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact");
    for (name, text) in [
        ("overloaded_10_chars", "Overloaded"),
        (
            "throttled_51_chars",
            "Too many requests, please wait before trying again.",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| callwatch_core::classify::redact(black_box(text)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_classify, bench_providers, bench_redact);
criterion_main!(benches);
