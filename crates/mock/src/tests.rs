//! The mock over real HTTP with a plain reqwest client.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use callwatch_core::classify::{classify_response, key_id, Class, SseScanner};

const KEY: &str = "sk-ant-FAKE-tk-0000";
const OTHER_KEY: &str = "sk-ant-FAKE-tk-1111";

async fn post(mock: &MockClaude, key: &str, stream: bool) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::new()
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", key)
        .header("x-stainless-retry-count", "0")
        .json(
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 16, "stream": stream,
                      "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
}

async fn classify(response: reqwest::Response) -> callwatch_core::classify::Outcome {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    classify_response(status, &headers, &body)
}

#[tokio::test]
async fn scripted_replies_come_out_in_order_with_documented_shapes() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::status(529).retry_after_ms(20));
    mock.push(Reply::spend_cap());
    mock.push(Reply::success().stop_reason("max_tokens"));
    let first = post(&mock, KEY, false).await.unwrap();
    assert_eq!(first.headers()["retry-after-ms"], "20");
    let request_id = first.headers()["request-id"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "overloaded_error");
    assert_eq!(body["request_id"], request_id.as_str());
    let cap = classify(post(&mock, KEY, false).await.unwrap()).await;
    assert_eq!(
        (cap.status, cap.class, cap.retry_after),
        (Some(429), Class::Billing, None)
    );
    let ok = classify(post(&mock, KEY, false).await.unwrap()).await;
    assert_eq!(ok.class, Class::Success);
    assert!(ok.truncated);
    assert_eq!(ok.response_model.as_deref(), Some("claude-sonnet-4-6"));
    assert!(ok.rate_limit.requests.is_some());
    assert_eq!(mock.pending(), 0);
}

#[tokio::test]
async fn streams_send_the_real_event_sequence_and_can_fail_mid_stream() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    let text = post(&mock, KEY, true).await.unwrap().text().await.unwrap();
    let events: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        events,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "error"
        ]
    );
    let response = post(&mock, KEY, true).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let headers = response.headers().clone();
    let mut scanner = SseScanner::new();
    scanner.feed(&response.bytes().await.unwrap());
    assert!(scanner.completed());
    let outcome = scanner.finish(200, &headers);
    assert_eq!(outcome.class, Class::Success);
    assert_eq!(outcome.usage.unwrap().output_tokens, 8);
}

#[tokio::test]
async fn html_502_and_dropped_connections() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::html(502));
    mock.push(Reply::drop_connection());
    let bad_gateway = post(&mock, KEY, false).await.unwrap();
    assert_eq!(bad_gateway.status(), 502);
    let outcome = classify(bad_gateway).await;
    assert_eq!((outcome.class, outcome.error_type), (Class::Server, None));
    let dropped = post(&mock, KEY, false).await;
    assert!(dropped.is_err(), "no response: {dropped:?}");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn unknown_keys_get_401_and_billing_mode_cycles_the_billing_shapes() {
    let mock = MockClaude::start().await.unwrap();
    mock.set_behavior(Behavior::healthy().accept_keys([KEY]));
    assert_eq!(post(&mock, KEY, false).await.unwrap().status(), 200);
    let rejected = classify(post(&mock, OTHER_KEY, false).await.unwrap()).await;
    assert_eq!((rejected.status, rejected.class), (Some(401), Class::Auth));
    mock.set_behavior(Behavior::healthy().billing(true));
    let mut seen = Vec::new();
    for _ in 0..4 {
        let o = classify(post(&mock, KEY, false).await.unwrap()).await;
        assert_eq!(o.class, Class::Billing);
        seen.push(o.status.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, [400, 402, 403, 429]);
}

#[tokio::test]
async fn failure_rates_and_latency_apply_when_nothing_is_scripted() {
    let behavior = Behavior::healthy()
        .with_failure(Failure::Overloaded, 1.0)
        .latency(Duration::from_millis(1));
    let mock = MockClaude::start_with(behavior, 1).await.unwrap();
    assert_eq!(post(&mock, KEY, false).await.unwrap().status(), 529);
}

#[tokio::test]
async fn requests_are_recorded_without_the_key() {
    let mock = MockClaude::start().await.unwrap();
    post(&mock, KEY, true).await.unwrap().bytes().await.unwrap();
    let models: Value = reqwest::get(format!("{}/v1/models", mock.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "claude-sonnet-4-6");
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 1, "only /v1/messages is recorded");
    let r = &recorded[0];
    assert_eq!(r.key_id.as_deref(), Some(key_id(KEY).as_str()));
    assert_eq!(r.retry_count.as_deref(), Some("0"));
    assert_eq!(
        (r.model.as_deref(), r.stream),
        (Some("claude-sonnet-4-6"), true)
    );
    assert!(!format!("{recorded:?}").contains("FAKE"));
}

/// The script route, as the conformance suite drives it: a stream paced by `chunk_gaps_ms`
/// arrives with those gaps, and a bad script names every bad reply and queues none.
#[tokio::test]
async fn scripted_chunk_gaps_pace_the_stream_and_bad_scripts_name_every_fault() {
    let mock = MockClaude::start().await.unwrap();
    let client = reqwest::Client::new();
    let script = |body: Value| {
        client
            .post(format!("{}/__mock/script", mock.base_url()))
            .json(&body)
            .send()
    };
    let bad = script(json!([
        {"kind": "success", "chunk_gaps_ms": [10, 60001]},
        {"kind": "success"},
        {"kind": "error", "status": 400},
    ]))
    .await
    .unwrap();
    assert_eq!(bad.status(), 400);
    let errors: Value = bad.json().await.unwrap();
    let errors = errors["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0]
        .as_str()
        .unwrap()
        .contains("chunk_gaps_ms[1] = 60001"));
    assert!(errors[1].as_str().unwrap().starts_with("reply 2: "));

    let ok = script(json!([{"kind": "success", "chunk_gaps_ms": [30, 250]}]))
        .await
        .unwrap();
    assert_eq!(ok.json::<Value>().await.unwrap(), json!({"queued": 1}));
    let mut response = post(&mock, KEY, true).await.unwrap();
    let start = std::time::Instant::now();
    let mut text = String::new();
    let mut delta_at = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        let chunk = String::from_utf8(chunk.to_vec()).unwrap();
        for _ in chunk.matches("event: content_block_delta") {
            delta_at.push(start.elapsed());
        }
        text.push_str(&chunk);
    }
    assert_eq!(delta_at.len(), 3, "{text}");
    // The server waits 30 then 250 ms; a late read can only merge the first two deltas, so
    // first to last is at least the 250 ms gap.
    let span = delta_at[2] - delta_at[0];
    assert!(span >= Duration::from_millis(245), "{delta_at:?}");
    assert!(text.contains("chunk 2 "), "{text}");
}
