//! Attempt-level series through the middleware over real HTTP: a call that got 429 and then
//! succeeded on a retry leaves the 429 in the recorder's attempt series (and so in `/metrics`
//! as `http.client.request.duration` with `error.type`), while the call series count one
//! success. A stream's attempt is reported once, when the stream ends.

use std::sync::Arc;
use std::time::Duration;

use callwatch::{Middleware, Recorder, Retry, RetryPolicy};
use callwatch_mock::{MockClaude, Reply};

fn client(recorder: &Recorder) -> reqwest_middleware::ClientWithMiddleware {
    let policy = RetryPolicy::builder()
        .base(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .jitter_seed(7)
        .build();
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Retry::new(policy))
        .with(Middleware::new().observer(Arc::new(recorder.clone())))
        .build()
}

async fn send(
    client: &reqwest_middleware::ClientWithMiddleware,
    mock: &MockClaude,
    stream: bool,
) -> (u16, String) {
    let response = client
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", "sk-ant-FAKE-attempts-0001")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"model":"claude-sonnet-4-6","max_tokens":32,"stream":{stream},"messages":[{{"role":"user","content":"hi"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_429_a_retry_absorbed_is_an_attempt_series_of_its_own() {
    let mock = MockClaude::start().await.unwrap();
    let recorder = Recorder::new();
    mock.push(Reply::status(429).retry_after_ms(1));
    mock.push(Reply::success());
    assert_eq!(send(&client(&recorder), &mock, false).await.0, 200);

    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.total_calls(), 1);
    assert_eq!(snapshot.series[0].labels.status, Some(200));
    assert_eq!(snapshot.series[0].totals.attempts_sum, 2);
    let statuses: Vec<(Option<u16>, Option<&str>, u64)> = snapshot
        .attempts
        .iter()
        .map(|s| (s.labels.status, s.labels.error_type.as_deref(), s.calls()))
        .collect();
    assert_eq!(
        statuses,
        [
            (Some(200), None, 1),
            (Some(429), Some("rate_limit_error"), 1)
        ]
    );
    let text = callwatch_core::prometheus::render(&snapshot);
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_client_request_duration_seconds_count{")
                && l.contains("error_type=\"rate_limit_error\"")
        })
        .unwrap_or_else(|| panic!("no rate_limit_error attempt in /metrics:\n{text}"));
    assert!(line.ends_with(" 1"), "{line}");
}

#[tokio::test]
async fn a_stream_attempt_is_reported_once_when_the_stream_ends() {
    let mock = MockClaude::start().await.unwrap();
    let recorder = Recorder::new();
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    let (status, body) = send(&client(&recorder), &mock, true).await;
    assert_eq!(status, 200);
    assert!(body.contains("overloaded_error"));

    let snapshot = recorder.snapshot();
    let attempts: Vec<(Option<&str>, u64)> = snapshot
        .attempts
        .iter()
        .map(|s| (s.labels.error_type.as_deref(), s.calls()))
        .collect();
    assert_eq!(
        attempts,
        [(Some("overloaded_error"), 1)],
        "the attempt as the stream ended, not as its headers said"
    );
}

#[callwatch::watch(operation = "attempts_macro_retry")]
async fn ask_through_middleware(
    client: &reqwest_middleware::ClientWithMiddleware,
    mock: &MockClaude,
) -> Result<String, reqwest_middleware::Error> {
    let response = client
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", "sk-ant-FAKE-attempts-0002")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await?;
    Ok(response.text().await?)
}

#[tokio::test]
async fn through_the_macro_each_attempt_is_reported_and_the_call_once() {
    let mock = MockClaude::start().await.unwrap();
    let recorder = Recorder::new();
    mock.push(Reply::status(429).retry_after_ms(1));
    mock.push(Reply::success());
    let client = client(&recorder);
    callwatch::with_observer(
        Arc::new(recorder.clone()),
        ask_through_middleware(&client, &mock),
    )
    .await
    .unwrap();

    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.total_calls(), 1);
    assert_eq!(snapshot.series[0].labels.operation, "attempts_macro_retry");
    assert_eq!(snapshot.series[0].totals.attempts_sum, 2);
    let attempts: Vec<(Option<u16>, u64)> = snapshot
        .attempts
        .iter()
        .map(|s| (s.labels.status, s.calls()))
        .collect();
    assert_eq!(attempts, [(Some(200), 1), (Some(429), 1)]);
}
