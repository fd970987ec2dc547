//! Cost per call against figures worked out by hand from the shipped prices, for every token
//! kind, from a plain response and from a stream, and through the recorder to `/metrics`.

use std::time::Duration;

use http::HeaderMap;

use super::*;
use crate::call::Call;
use crate::classify::{classify_response, SseScanner};
use crate::record::Recorder;

/// claude-sonnet-4-6: $3 input, $15 output, $0.30 cache read, $3.75 5m write, $6 1h write.
const BODY: &str = r#"{"id":"msg_1","type":"message","model":"claude-sonnet-4-6","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1000,"cache_read_input_tokens":20000,"cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":1000},"output_tokens":500}}"#;
/// 1000 × 3 + 500 × 15 + 20000 × 0.30 + 2000 × 3.75 + 1000 × 6 = 3000 + 7500 + 6000 + 7500
/// + 6000 = 30000 µ$ per token-million → $0.030.
const BODY_USD: f64 = 0.030;

/// The same usage, streamed: input counters in `message_start`, the final (cumulative) output
/// count in `message_delta`, which also restates the cache counters.
const STREAM: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":1000,\"cache_read_input_tokens\":20000,\"cache_creation_input_tokens\":3000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":2000,\"ephemeral_1h_input_tokens\":1000},\"output_tokens\":1}}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":500}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

fn sonnet() -> &'static Price {
    PriceTable::embedded().price("claude-sonnet-4-6").unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn each_token_kind_costs_its_own_rate() {
    let p = sonnet();
    let one = |t: TokenCounts| p.cost_usd(&t);
    let m = 1_000_000;
    assert!(close(
        one(TokenCounts {
            input: m,
            ..Default::default()
        }),
        3.0
    ));
    assert!(close(
        one(TokenCounts {
            output: m,
            ..Default::default()
        }),
        15.0
    ));
    assert!(close(
        one(TokenCounts {
            cache_read: m,
            ..Default::default()
        }),
        0.30
    ));
    assert!(close(
        one(TokenCounts {
            cache_write_5m: m,
            ..Default::default()
        }),
        3.75
    ));
    assert!(close(
        one(TokenCounts {
            cache_write_1h: m,
            ..Default::default()
        }),
        6.0
    ));
}

#[test]
fn a_response_costs_what_the_hand_computed_figure_says() {
    let outcome = classify_response(200, &HeaderMap::new(), BODY.as_bytes());
    let usage = outcome.usage.unwrap();
    let tokens = TokenCounts::of(&usage);
    assert_eq!(
        tokens,
        TokenCounts {
            input: 1000,
            output: 500,
            cache_read: 20000,
            cache_write_5m: 2000,
            cache_write_1h: 1000
        }
    );
    assert!(close(sonnet().cost_usd(&tokens), BODY_USD));
}

#[test]
fn a_stream_costs_the_same_as_the_response() {
    let mut scanner = SseScanner::new();
    scanner.feed(STREAM.as_bytes());
    let outcome = scanner.finish(200, &HeaderMap::new());
    let tokens = TokenCounts::of(&outcome.usage.unwrap());
    assert_eq!(
        tokens.output, 500,
        "the delta's cumulative count, not start + delta"
    );
    assert_eq!(tokens.cache_write_1h, 1000, "message_start's split is kept");
    assert!(close(sonnet().cost_usd(&tokens), BODY_USD));
}

#[test]
fn writes_without_a_ttl_split_are_5_minute_writes() {
    let usage = Usage {
        cache_creation_input_tokens: 4000,
        ..Usage::default()
    };
    let t = TokenCounts::of(&usage);
    assert_eq!((t.cache_write_5m, t.cache_write_1h), (4000, 0));
    // A split larger than the total (a hostile body) never makes a negative count.
    let odd = Usage {
        cache_creation_input_tokens: 10,
        cache_creation_1h_input_tokens: 99,
        ..Usage::default()
    };
    let t = TokenCounts::of(&odd);
    assert_eq!((t.cache_write_5m, t.cache_write_1h), (0, 10));
}

fn call<'a>(outcome: &'a crate::classify::Outcome, model: &'a str) -> Call<'a> {
    Call {
        operation: "chat",
        model,
        key_id: "k-0000beef",
        outcome,
        attempts: 1,
        latency: Duration::from_millis(900),
        retry_wait: Duration::ZERO,
        futile_retries: 0,
        server_address: "api.anthropic.com",
        server_port: 443,
    }
}

#[test]
fn the_recorder_prices_series_at_snapshot_time_and_counts_unpriced_models() {
    let recorder = Recorder::new();
    let outcome = classify_response(200, &HeaderMap::new(), BODY.as_bytes());
    for _ in 0..3 {
        recorder.record(&call(&outcome, "claude-sonnet-4-6"));
    }
    recorder.record(&call(&outcome, "claude-from-the-future"));
    let snapshot = recorder.snapshot();
    let priced = snapshot
        .spend
        .iter()
        .find(|s| s.model == "claude-sonnet-4-6")
        .unwrap();
    assert!(close(priced.usd, 3.0 * BODY_USD));
    assert_eq!(priced.unpriced_calls, 0);
    // Cache savings: 20000 reads × ($3 − $0.30) per MTok, three calls.
    assert!(close(priced.cache_savings_usd, 3.0 * 20000.0 * 2.7 / 1e6));
    let unpriced = snapshot
        .spend
        .iter()
        .find(|s| s.model == "claude-from-the-future")
        .unwrap();
    assert_eq!((unpriced.usd, unpriced.unpriced_calls), (0.0, 1));

    let text = crate::prometheus::render(&snapshot);
    assert!(
        text.contains("# TYPE callwatch_cost_total counter"),
        "{text}"
    );
    assert!(text.contains(
        "callwatch_cost_total{gen_ai_operation_name=\"chat\",gen_ai_request_model=\"claude-sonnet-4-6\",callwatch_key_id=\"k-0000beef\"} 0.09"
    ), "{text}");
    assert!(text.contains(
        "callwatch_cost_unpriced_total{gen_ai_operation_name=\"chat\",gen_ai_request_model=\"claude-from-the-future\",callwatch_key_id=\"k-0000beef\"} 1"
    ), "{text}");
}

#[test]
fn overridden_prices_win_and_add_models() {
    let text = "[models.claude-from-the-future]\ninput = 1\noutput = 2\ncache_read = 0.1\ncache_write_5m = 1.25\ncache_write_1h = 2\n";
    let rows: toml::Table = toml::from_str(text).unwrap();
    let mut problems = Vec::new();
    let parsed = parse_rows(
        rows["models"].as_table().unwrap(),
        text,
        "callwatch.toml",
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let table = std::sync::Arc::new(PriceTable::embedded().with_rows(parsed));
    let recorder = Recorder::builder().prices(table).build();
    let outcome = classify_response(200, &HeaderMap::new(), BODY.as_bytes());
    recorder.record(&call(&outcome, "claude-from-the-future"));
    let spend = recorder.snapshot().spend;
    // 1000 × 1 + 500 × 2 + 20000 × 0.1 + 2000 × 1.25 + 1000 × 2 = 8500 → $0.0085
    assert!(close(spend[0].usd, 0.0085));
    assert_eq!(spend[0].unpriced_calls, 0);
}
