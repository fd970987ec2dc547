//! Spans from the real `callwatch proxy` binary, exported over OTLP to a real receiver: each
//! logical call the proxy sees (the SDK's retries joined into one call) is a `chat {model}`
//! client span with the library span's attributes, its first attempt's start and its last
//! attempt's end, and one event per attempt — so a 429 that a retry absorbed shows on the
//! trace too, a streamed call carries its time to first chunk, a call that failed has an
//! error status, and a request with a `traceparent` puts its span in the app's trace.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use callwatch_core::names;
use callwatch_mock::{MockClaude, Reply};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};
use support::messages;
use support::otlp_receiver::{attr, OtlpReceiver};
use support::process::{command, free_addr, Running};

const FAKE_KEY: &str = "sk-ant-FAKE-spans-0000";
const MODEL: &str = "claude-sonnet-4-6";
/// The W3C specification's example: trace 4bf92f35…, parent span 00f067aa0ba902b7, sampled.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn start_proxy(mock: &MockClaude, receiver: &OtlpReceiver) -> (Running, SocketAddr) {
    let (listen, admin) = (free_addr(), free_addr());
    let mut cmd = command();
    cmd.args(["proxy", "--upstream", &mock.base_url()])
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        // A final failure is the call's end 1 s after it, not the default 10 s.
        .args(["--retry-grace", "1s"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "60000");
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "proxy did not start: {}",
        proxy.stderr_so_far()
    );
    (proxy, listen)
}

/// A Messages call through the proxy as the SDK's `retry_count`-th retry, in the app's trace
/// when `traceparent` is given; the body as the client read it.
async fn post(
    listen: SocketAddr,
    retry_count: u32,
    stream: bool,
    traceparent: Option<&str>,
) -> String {
    let body = format!(
        r#"{{"model":"{MODEL}","max_tokens":32,"stream":{stream},"messages":[{{"role":"user","content":"hi"}}]}}"#
    );
    let url = format!("http://{listen}/v1/messages");
    let mut request = messages::post(&reqwest::Client::new(), &url, FAKE_KEY, body)
        .header("x-stainless-retry-count", retry_count.to_string());
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    request.send().await.unwrap().text().await.unwrap()
}

fn spans(receiver: &OtlpReceiver) -> Vec<Span> {
    receiver
        .lock()
        .traces
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .cloned()
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn get(span: &Span, key: &str) -> Option<String> {
    attr(&span.attributes, key)
}

#[tokio::test]
async fn each_call_through_the_proxy_is_a_client_span_with_its_attempts() {
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::status(429).retry_after_ms(10));
    mock.push(Reply::success());
    mock.push(Reply::success().first_chunk_delay(Duration::from_millis(300)));
    mock.push(Reply::error(529, "overloaded_error", "Overloaded"));
    let receiver = OtlpReceiver::start();
    let (proxy, listen) = start_proxy(&mock, &receiver);

    post(listen, 0, false, None).await; // 429
    tokio::time::sleep(Duration::from_millis(50)).await;
    post(listen, 1, false, None).await; // the SDK's retry: 200
                                        // The app's request carries its trace (W3C Trace Context): the span joins it.
    let streamed = post(listen, 0, true, Some(TRACEPARENT)).await;
    assert!(streamed.contains("message_stop"), "{streamed}");
    post(listen, 0, false, None).await; // 529, no retry follows: ends after the grace

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while spans(&receiver).len() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = spans(&receiver);
    assert_eq!(all.len(), 3, "three calls, three spans: {all:#?}");
    for span in &all {
        assert_eq!(span.name, format!("chat {MODEL}"));
        assert_eq!(span.kind, SpanKind::Client as i32);
        assert_eq!(
            get(span, names::GEN_AI_OPERATION_NAME).as_deref(),
            Some("chat")
        );
        assert_eq!(
            get(span, names::GEN_AI_PROVIDER_NAME).as_deref(),
            Some("anthropic")
        );
        assert!(get(span, names::CALLWATCH_KEY_ID).is_some_and(|k| k.starts_with("k-")));
        assert!(span.end_time_unix_nano > span.start_time_unix_nano);
    }
    let by_attempts = |n: &str| {
        all.iter()
            .filter(|s| get(s, names::CALLWATCH_ATTEMPTS).as_deref() == Some(n))
            .collect::<Vec<_>>()
    };

    // The retried call: one span for both attempts, the 429 on its first event.
    let retried = by_attempts("2");
    assert_eq!(retried.len(), 1, "{all:#?}");
    let retried = retried[0];
    assert_eq!(
        get(retried, names::HTTP_RESPONSE_STATUS_CODE).as_deref(),
        Some("200")
    );
    assert_eq!(get(retried, names::ERROR_TYPE), None);
    assert_eq!(retried.events.len(), 2, "{retried:#?}");
    let first = &retried.events[0];
    assert_eq!(first.name, "callwatch attempt");
    assert_eq!(
        attr(&first.attributes, names::ERROR_TYPE).as_deref(),
        Some("rate_limit_error")
    );
    assert_eq!(
        attr(&first.attributes, names::HTTP_RESPONSE_STATUS_CODE).as_deref(),
        Some("429")
    );
    // The span runs from the first attempt's start to the last one's end, through the wait.
    assert!(retried.events[1].time_unix_nano >= first.time_unix_nano + 40_000_000);
    assert!(retried.end_time_unix_nano >= retried.events[1].time_unix_nano - 1_000_000);
    assert!(retried
        .status
        .as_ref()
        .is_none_or(|s| s.code != StatusCode::Error as i32));

    // The streamed call carries its time to first chunk, in seconds.
    let streamed = all
        .iter()
        .find(|s| get(s, names::GEN_AI_REQUEST_STREAM).as_deref() == Some("true"))
        .expect("the streamed call's span");
    let ttfc: f64 = get(streamed, names::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)
        .expect("time to first chunk")
        .parse()
        .unwrap();
    assert!((0.29..0.6).contains(&ttfc), "{ttfc}");
    assert_eq!(hex(&streamed.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&streamed.parent_span_id), "00f067aa0ba902b7");
    // The calls that named no trace are roots, each in a trace of its own.
    for span in all.iter().filter(|s| !std::ptr::eq(*s, streamed)) {
        assert!(span.parent_span_id.is_empty(), "{span:#?}");
        assert_ne!(span.trace_id, streamed.trace_id);
    }

    // The 529 that no retry followed: an error span naming the type.
    let failed = all
        .iter()
        .find(|s| get(s, names::HTTP_RESPONSE_STATUS_CODE).as_deref() == Some("529"))
        .expect("the overloaded call's span");
    assert_eq!(
        get(failed, names::ERROR_TYPE).as_deref(),
        Some("overloaded_error")
    );
    let status = failed.status.as_ref().expect("a status");
    assert_eq!(status.code, StatusCode::Error as i32);
    assert_eq!(status.message, "overloaded_error");

    proxy.sigterm();
    proxy.finish(Duration::from_secs(30));
    let received = receiver.lock();
    assert!(received.rejected.is_empty(), "{:?}", received.rejected);
    for body in &received.raw {
        assert!(!body
            .windows(FAKE_KEY.len())
            .any(|w| w == FAKE_KEY.as_bytes()));
    }
}
