//! Attempt-level series through the real `callwatch proxy` binary: a call that got 429 and then
//! succeeded on the SDK's retry leaves the 429 in `/metrics` (`http.client.request.duration`,
//! one observation per attempt, with `error.type`), while `callwatch.calls` counts one call that
//! succeeded. The retry count header is the one the official SDKs send.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use callwatch_mock::{MockClaude, Reply};
use support::process::{command, free_addr, Running};

const FAKE_KEY: &str = "sk-ant-FAKE-attempts-0000";

async fn post(client: &reqwest::Client, base: &str, retry_count: u32) -> u16 {
    client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", FAKE_KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header("x-stainless-retry-count", retry_count.to_string())
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sample lines of `name` (without labels' order mattering) that contain every `needle`.
fn samples<'a>(text: &'a str, name: &str, needles: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .collect()
}

/// The real proxy in front of `mock`: the process, its listen address and its admin address.
fn start_proxy(mock: &MockClaude) -> (Running, SocketAddr, SocketAddr) {
    let (listen, admin) = (free_addr(), free_addr());
    let mut cmd = command();
    cmd.args(["proxy", "--upstream", &mock.base_url()])
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()]);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "proxy did not start: {}",
        proxy.stderr_so_far()
    );
    (proxy, listen, admin)
}

/// One streamed Messages call through the proxy at `listen`: the body as the client read it.
async fn stream_through(listen: SocketAddr) -> String {
    reqwest::Client::new()
        .post(format!("http://{listen}/v1/messages"))
        .header("x-api-key", FAKE_KEY)
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The proxy's `/metrics` text.
async fn metrics_text(admin: SocketAddr) -> String {
    reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_429_absorbed_by_a_retry_shows_in_metrics_at_once() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::status(429).retry_after_ms(10));
    mock.push(Reply::success());
    let (proxy, listen, admin) = start_proxy(&mock);
    let client = reqwest::Client::new();
    let base = format!("http://{listen}");

    assert_eq!(post(&client, &base, 0).await, 429);
    // Before any retry and long before the retry grace (10 s) ends the call: the attempt is
    // already counted, the call not yet.
    let text = metrics_text(admin).await;
    let limited = samples(
        &text,
        "http_client_request_duration_seconds_count",
        &[
            "error_type=\"rate_limit_error\"",
            "http_response_status_code=\"429\"",
        ],
    );
    assert_eq!(limited.len(), 1, "{text}");
    assert!(limited[0].ends_with(" 1"), "{}", limited[0]);
    assert!(
        samples(&text, "callwatch_calls_total", &[]).is_empty(),
        "{text}"
    );

    assert_eq!(post(&client, &base, 1).await, 200);
    let text = metrics_text(admin).await;
    let calls = samples(&text, "callwatch_calls_total", &[]);
    assert_eq!(calls.len(), 1, "{text}");
    assert!(
        calls[0].contains("http_response_status_code=\"200\"") && calls[0].ends_with(" 1"),
        "one call, which succeeded: {}",
        calls[0]
    );
    let attempts = samples(&text, "http_client_request_duration_seconds_count", &[]);
    assert_eq!(attempts.len(), 2, "a 429 attempt and a 200 attempt: {text}");
    assert!(
        samples(&text, "callwatch_attempts_sum", &[])[0].ends_with(" 2"),
        "{text}"
    );
    assert!(!text.contains(FAKE_KEY));
    proxy.sigterm();
    proxy.finish(Duration::from_secs(30));
}

/// A streamed call through the proxy: its time to first chunk (the mock holds the first
/// `content_block_delta` back 200 ms) lands in the (0.16, 0.32] s bucket of `/metrics`. A
/// timing can only come out late, never early: 200 ms leaves 120 ms for a loaded machine
/// before the bucket's edge (300 ms left 20, and a loaded run once crossed it).
#[tokio::test]
async fn a_streamed_call_through_the_proxy_reports_time_to_first_chunk() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::success().first_chunk_delay(Duration::from_millis(200)));
    let (proxy, listen, admin) = start_proxy(&mock);
    let body = stream_through(listen).await;
    assert!(body.contains("message_stop"));
    let text = metrics_text(admin).await;
    let bucket = |le| {
        bucket_samples(
            &text,
            "gen_ai_client_operation_time_to_first_chunk_seconds",
            le,
        )
    };
    assert!(bucket("0.16")[0].ends_with(" 0"), "{text}");
    assert!(bucket("0.32")[0].ends_with(" 1"), "{text}");
    proxy.sigterm();
    proxy.finish(Duration::from_secs(30));
}

/// Through the proxy, every gap between a stream's output chunks is one observation of
/// `gen_ai.client.operation.time_per_output_chunk` (the mock waits 20, 20, 20 and 400 ms
/// before the deltas after the first): four observations, three of them below 0.16 s; and
/// `callwatch.stream.duration` covers them all.
#[tokio::test]
async fn a_streamed_call_through_the_proxy_reports_every_chunk_gap() {
    let mock = MockClaude::start().await.unwrap();
    let ms = Duration::from_millis;
    mock.push(Reply::success().chunk_gaps(&[ms(20), ms(20), ms(20), ms(400)]));
    let (proxy, listen, admin) = start_proxy(&mock);
    let body = stream_through(listen).await;
    assert!(body.contains("chunk 4"), "{body}");
    let text = metrics_text(admin).await;
    let name = "gen_ai_client_operation_time_per_output_chunk_seconds";
    let count = samples(&text, &format!("{name}_count"), &[]);
    assert_eq!(count.len(), 1, "{text}");
    assert!(count[0].ends_with(" 4"), "{text}");
    let bucket = |le| bucket_samples(&text, name, le);
    // The 400 ms gap is above 0.16 s and the 20 ms ones below it, with room on both sides
    // for a read that wakes late on a loaded machine.
    assert!(bucket("0.16")[0].ends_with(" 3"), "{text}");
    // The stream's duration runs to its last byte: past the 460 ms of gaps (0.32 s holds
    // none), and a non-streamed series would have no sample at all.
    let duration = |le| bucket_samples(&text, "callwatch_stream_duration_seconds", le);
    assert!(duration("0.32")[0].ends_with(" 0"), "{text}");
    assert!(duration("81.92")[0].ends_with(" 1"), "{text}");
    proxy.sigterm();
    proxy.finish(Duration::from_secs(30));
}

/// The `le` bucket samples of histogram `name` (its base name, without `_bucket`).
fn bucket_samples<'a>(text: &'a str, name: &str, le: &str) -> Vec<&'a str> {
    samples(text, &format!("{name}_bucket"), &[&format!("le=\"{le}\"")])
}
