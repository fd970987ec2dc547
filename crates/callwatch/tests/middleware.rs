//! The middleware over real HTTP against the mock API: one test per row of DESIGN.md's table,
//! billing in all its shapes, streaming, retries recorded as one call, and transport failures.

mod support;

use std::sync::Arc;
use std::time::Duration;

use callwatch::Class;
use callwatch::RetryPolicy;
use callwatch::{Middleware, Retry};
use callwatch_core::classify::key_id;
use callwatch_mock::{MockClaude, Reply};
use reqwest_middleware::ClientWithMiddleware;
use serde_json::json;
use support::calls::{CallCollector as Collector, SeenCall as Seen};

const KEY: &str = "sk-ant-FAKE-tk-0000";

struct Harness {
    mock: MockClaude,
    seen: Arc<Collector>,
    client: ClientWithMiddleware,
}

/// Fast retries: tiny backoff so tests finish quickly; waits still go through the policy.
fn fast_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .base(Duration::from_millis(1))
        .overloaded_base(Duration::from_millis(2))
        .max_backoff(Duration::from_millis(5))
        .jitter_seed(7)
        .build()
}

async fn harness_with(policy: RetryPolicy, timeout: Option<Duration>) -> Harness {
    let mock = MockClaude::start().await.unwrap();
    let seen = Arc::new(Collector::default());
    let mut inner = reqwest::Client::builder();
    if let Some(t) = timeout {
        inner = inner.timeout(t);
    }
    let client = reqwest_middleware::ClientBuilder::new(inner.build().unwrap())
        .with(Retry::new(policy))
        .with(Middleware::new().observer(seen.clone()))
        .build();
    Harness { mock, seen, client }
}

async fn harness() -> Harness {
    harness_with(fast_policy(), None).await
}

impl Harness {
    async fn send(&self, stream: bool) -> reqwest_middleware::Result<reqwest::Response> {
        self.client
            .post(format!("{}/v1/messages", self.mock.base_url()))
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body(
                json!({"model": "claude-sonnet-4-6", "max_tokens": 16, "stream": stream,
                       "messages": [{"role": "user", "content": "hi"}]})
                .to_string(),
            )
            .send()
            .await
    }

    /// Sends, reads the whole body, returns (status, body) as the caller saw them.
    async fn call(&self) -> (u16, String) {
        let response = self.send(false).await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

#[tokio::test]
async fn a_success_is_one_call_with_usage_and_the_body_intact() {
    let h = harness().await;
    h.mock
        .push(Reply::success().stop_reason("max_tokens").usage(30, 16));
    let (status, body) = h.call().await;
    assert_eq!(status, 200);
    assert!(body.contains("Hello from the mock."));
    let call = h.only_call();
    assert_eq!(
        (call.operation.as_str(), call.model.as_str()),
        ("chat", "claude-sonnet-4-6")
    );
    assert_eq!(call.key_id, key_id(KEY));
    assert_eq!(call.outcome.class, Class::Success);
    assert_eq!(call.outcome.usage.unwrap().output_tokens, 16);
    assert!(call.outcome.truncated);
    assert_eq!(
        call.outcome.response_model.as_deref(),
        Some("claude-sonnet-4-6")
    );
    assert_eq!((call.attempts, call.futile_retries), (1, 0));
    assert_eq!(call.server_address, "127.0.0.1");
    assert_eq!(call.server_port, h.mock.addr().port());
    assert_eq!(h.mock.requests()[0].retry_count.as_deref(), Some("0"));
}

impl Harness {
    fn only_call(&self) -> Seen {
        self.seen.only()
    }
}

#[tokio::test]
async fn permanent_failures_are_one_attempt_with_the_body_handed_back() {
    for (status, kind, class) in [
        (400, "invalid_request_error", Class::InvalidRequest),
        (401, "authentication_error", Class::Auth),
        (403, "permission_error", Class::Permission),
        (404, "not_found_error", Class::NotFound),
        (413, "request_too_large", Class::RequestTooLarge),
        (422, "unprocessable_entity", Class::Unprocessable),
    ] {
        let h = harness().await;
        h.mock.push(Reply::status(status));
        h.mock.push(Reply::success());
        let (seen_status, body) = h.call().await;
        assert_eq!(seen_status, status);
        assert!(body.contains(kind), "{body}");
        let call = h.only_call();
        assert_eq!(call.outcome.class, class, "{status}");
        assert_eq!(call.outcome.error_type.as_deref(), Some(kind));
        assert_eq!(call.attempts, 1, "{status} is never retried");
        assert!(call
            .outcome
            .request_id
            .as_deref()
            .unwrap()
            .starts_with("req_"));
        assert_eq!(h.mock.pending(), 1);
    }
}

#[tokio::test]
async fn every_billing_shape_is_billing_and_never_retried() {
    for reply in [
        Reply::billing_error(402),
        Reply::billing_error(403).should_retry(true),
        Reply::credit_balance_too_low(),
        Reply::spend_cap(),
    ] {
        let h = harness().await;
        let status = reply.status_code();
        h.mock.push(reply);
        h.mock.push(Reply::success());
        let (seen_status, _) = h.call().await;
        assert_eq!(seen_status, status);
        let call = h.only_call();
        assert_eq!(call.outcome.class, Class::Billing, "{status}");
        assert_eq!(call.attempts, 1, "{status}: billing is never retried");
        assert_eq!(h.mock.requests().len(), 1);
    }
}

#[tokio::test]
async fn transient_failures_are_retried_until_success_as_one_call() {
    for (first, class) in [
        (Reply::status(409), Class::Conflict),
        (Reply::status(429).retry_after_ms(5), Class::RateLimit),
        (Reply::status(500), Class::Server),
        (Reply::html(502), Class::Server),
        (Reply::html(503), Class::Server),
        (Reply::status(504), Class::Timeout),
        (Reply::status(529), Class::Overloaded),
    ] {
        let h = harness().await;
        h.mock.push(first);
        h.mock.push(Reply::success());
        let (status, _) = h.call().await;
        assert_eq!(status, 200, "{class}");
        let call = h.only_call();
        assert_eq!((call.attempts, call.futile_retries), (2, 0), "{class}");
        assert_eq!(call.outcome.class, Class::Success);
        let counts: Vec<_> = h
            .mock
            .requests()
            .into_iter()
            .map(|r| r.retry_count)
            .collect();
        assert_eq!(counts, [Some("0".into()), Some("1".into())]);
    }
}

#[tokio::test]
async fn overloaded_twice_then_success_is_one_call_with_three_attempts() {
    let h = harness_with(RetryPolicy::default(), None).await;
    h.mock.push(Reply::status(529).retry_after_ms(20));
    h.mock.push(Reply::status(529).retry_after_ms(30));
    h.mock.push(Reply::success());
    let (status, _) = h.call().await;
    assert_eq!(status, 200);
    let call = h.only_call();
    assert_eq!(call.attempts, 3);
    // The wait is measured between attempts, whichever layer slept: at least the hints.
    assert!(
        call.retry_wait >= Duration::from_millis(50) && call.retry_wait < Duration::from_secs(2),
        "waits are the retry-after-ms hints (slept, then measured): {:?}",
        call.retry_wait
    );
    assert_eq!(call.futile_retries, 0);
    let counts: Vec<_> = h
        .mock
        .requests()
        .into_iter()
        .map(|r| r.retry_count.unwrap())
        .collect();
    assert_eq!(counts, ["0", "1", "2"]);
}

#[tokio::test]
async fn retries_exhausted_report_the_last_failure_and_futile_retries() {
    let h = harness().await;
    for _ in 0..3 {
        h.mock.push(Reply::status(529));
    }
    let (status, body) = h.call().await;
    assert_eq!(status, 529);
    assert!(body.contains("overloaded_error"));
    let call = h.only_call();
    assert_eq!((call.attempts, call.futile_retries), (3, 2));
    assert_eq!(call.outcome.class, Class::Overloaded);
}

#[tokio::test]
async fn a_retry_after_beyond_the_wait_cap_stops_at_once() {
    let policy = RetryPolicy::builder()
        .total_wait_cap(Duration::from_secs(1))
        .build();
    let h = harness_with(policy, None).await;
    h.mock.push(Reply::status(429).retry_after_secs(30));
    h.mock.push(Reply::success());
    let (status, _) = h.call().await;
    assert_eq!(status, 429);
    let call = h.only_call();
    assert_eq!(call.attempts, 1);
    assert_eq!(call.outcome.retry_after, Some(Duration::from_secs(30)));
}

#[tokio::test]
async fn x_should_retry_false_stops_a_retryable_status() {
    let h = harness().await;
    h.mock.push(Reply::status(500).should_retry(false));
    h.mock.push(Reply::success());
    assert_eq!(h.call().await.0, 500);
    assert_eq!(h.only_call().attempts, 1);
}

#[tokio::test]
async fn a_mid_stream_error_is_a_failed_call_with_the_errors_type() {
    let h = harness().await;
    h.mock
        .push(Reply::stream_error("overloaded_error", "Overloaded"));
    let response = h.send(true).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        h.seen.calls().is_empty(),
        "reported only when the stream ends"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("event: error"));
    let call = h.only_call();
    assert_eq!(call.outcome.status, Some(200));
    assert_eq!(call.outcome.class, Class::Overloaded);
    assert_eq!(call.outcome.error_type.as_deref(), Some("overloaded_error"));
    assert_eq!(call.attempts, 1);
    assert_eq!(call.futile_retries, 0);
}

#[tokio::test]
async fn a_full_stream_reports_usage_when_it_ends() {
    let h = harness().await;
    h.mock.push(Reply::success().usage(40, 9));
    let text = h.send(true).await.unwrap().text().await.unwrap();
    assert!(text.contains("message_stop"));
    let call = h.only_call();
    assert_eq!(call.outcome.class, Class::Success);
    let usage = call.outcome.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (40, 9));
}

#[tokio::test]
async fn timeouts_and_dropped_connections_classify_as_transport_failures() {
    let h = harness_with(fast_policy(), Some(Duration::from_millis(200))).await;
    for _ in 0..3 {
        h.mock.push(Reply::success().delay(Duration::from_secs(5)));
    }
    let error = h.send(false).await.unwrap_err();
    assert!(error.is_timeout());
    let call = h.only_call();
    assert_eq!(
        (call.outcome.status, call.outcome.class),
        (None, Class::Timeout)
    );
    assert_eq!(call.outcome.error_type.as_deref(), Some("timeout"));
    assert_eq!(call.attempts, 3);

    let h = harness().await;
    h.mock.push(Reply::drop_connection());
    h.mock.push(Reply::success());
    assert_eq!(h.call().await.0, 200, "a dropped connection is retried");
    assert_eq!(h.only_call().attempts, 2);

    let h = harness_with(RetryPolicy::never(), None).await;
    h.mock.push(Reply::drop_connection());
    assert!(h.send(false).await.is_err());
    let call = h.only_call();
    assert_eq!(call.outcome.class, Class::Connection);
    assert_eq!(call.outcome.error_type.as_deref(), Some("connection_error"));
}

#[tokio::test]
async fn a_body_larger_than_the_bound_reaches_the_caller_intact() {
    let h = harness().await;
    let big = "x".repeat(callwatch_core::classify::MAX_BODY_PREFIX * 3);
    h.mock
        .push(Reply::error(400, "invalid_request_error", &big));
    let (status, body) = h.call().await;
    assert_eq!(status, 400);
    assert!(body.len() > big.len());
    assert!(body.ends_with('}'));
    let call = h.only_call();
    assert_eq!(
        call.outcome.class,
        Class::InvalidRequest,
        "classified by status"
    );
    assert_eq!(call.attempts, 1);
}

#[tokio::test]
async fn a_success_larger_than_the_bound_still_reports_its_usage() {
    let h = harness().await;
    h.mock.push(
        Reply::success()
            .text(&"y".repeat(callwatch_core::classify::MAX_BODY_PREFIX * 2))
            .usage(7, 32000)
            .stop_reason("max_tokens"),
    );
    let response = h.send(false).await.unwrap();
    assert!(
        h.seen.calls().is_empty(),
        "reported once the body has passed"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["usage"]["output_tokens"], 32000,
        "the caller gets the whole body"
    );
    let call = h.only_call();
    assert_eq!(call.outcome.class, Class::Success);
    assert_eq!(call.outcome.usage.unwrap().output_tokens, 32000);
    assert_eq!(
        call.outcome.response_model.as_deref(),
        Some("claude-sonnet-4-6")
    );
    assert!(call.outcome.truncated);
}

#[tokio::test]
async fn a_stream_the_caller_drops_early_is_still_reported_once() {
    let h = harness().await;
    h.mock.push(Reply::success());
    let response = h.send(true).await.unwrap();
    drop(response);
    let call = h.only_call();
    assert_eq!(call.outcome.status, Some(200));
    assert_eq!(call.attempts, 1);
}

#[tokio::test]
async fn a_request_whose_body_cannot_be_copied_gets_one_attempt() {
    let h = harness().await;
    h.mock.push(Reply::status(529));
    h.mock.push(Reply::success());
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(
        json!({"model": "claude-sonnet-4-6", "max_tokens": 1, "messages": []}).to_string(),
    )]);
    let response = h
        .client
        .post(format!("{}/v1/messages", h.mock.base_url()))
        .header("x-api-key", KEY)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 529, "no copy of the body to send again");
    let call = h.only_call();
    assert_eq!((call.attempts, call.model.as_str()), (1, "unknown"));
}

#[tokio::test]
async fn the_requests_own_key_echoed_back_in_any_shape_is_never_recorded() {
    // A gateway's token has no known shape: only "the request's own key" can catch it.
    const GATEWAY_TOKEN: &str = "gw-FAKEOWNTOKEN-shapeless";
    let h = harness().await;
    h.mock.push(Reply::error(
        401,
        "authentication_error",
        &format!("invalid token {GATEWAY_TOKEN}"),
    ));
    let response = h
        .client
        .post(format!("{}/v1/messages", h.mock.base_url()))
        .header("authorization", format!("Bearer {GATEWAY_TOKEN}"))
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let call = h.only_call();
    let message = call.outcome.message.clone().unwrap_or_default();
    assert!(message.starts_with("invalid token"), "{message}");
    assert!(!message.contains(GATEWAY_TOKEN), "{message}");
}
