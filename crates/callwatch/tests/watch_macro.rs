//! `#[callwatch::watch]` over real HTTP: with the middleware inside, macro and middleware make
//! ONE logical call; results are classified through `Classify`.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use callwatch::set_global_observer;
use callwatch::ApiError;
use callwatch::Class;
use callwatch::RetryPolicy;
use callwatch::{Middleware, Retry};
use callwatch_core::classify::key_id;
use callwatch_mock::{MockClaude, Reply};
use reqwest_middleware::ClientWithMiddleware;
use serde_json::json;
use support::calls::{CallCollector as Collector, SeenCall as Seen};

const KEY: &str = "sk-ant-FAKE-tk-0000";

/// The global observer is process-wide: install it once, and let each test pick its calls out
/// by operation name.
fn collector() -> &'static Arc<Collector> {
    static COLLECTOR: OnceLock<Arc<Collector>> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = Arc::new(Collector::default());
        set_global_observer(collector.clone()).expect("the first global observer");
        collector
    })
}

fn calls(operation: &str) -> Vec<Seen> {
    collector()
        .calls()
        .into_iter()
        .filter(|c| c.operation == operation)
        .collect()
}

fn client() -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Retry::new(RetryPolicy::default()))
        .with(Middleware::new())
        .build()
}

fn body(model: &str) -> String {
    json!({"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
        .to_string()
}

#[callwatch::watch(operation = "watched_retry", model = model)]
async fn ask(
    client: &ClientWithMiddleware,
    url: &str,
    model: &str,
) -> Result<String, reqwest_middleware::Error> {
    let response = client
        .post(url)
        .header("x-api-key", KEY)
        .body(body(model))
        .send()
        .await?;
    Ok(response.text().await?)
}

#[callwatch::watch(operation = "watched_stream")]
async fn ask_streaming(
    client: &ClientWithMiddleware,
    url: &str,
) -> Result<String, reqwest_middleware::Error> {
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 8, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let response = client
        .post(url)
        .header("x-api-key", KEY)
        .body(body.to_string())
        .send()
        .await?;
    Ok(response.text().await?)
}

/// A stream read inside a watched fn: the call the macro reports carries every gap between
/// output chunks (the mock waits 20, 20, 20 and 400 ms before the deltas after the first), and
/// a recorder fed that call holds the four of them.
#[tokio::test]
async fn a_watched_stream_reports_every_chunk_gap() {
    collector();
    let mock = MockClaude::start().await.unwrap();
    let ms = Duration::from_millis;
    mock.push(Reply::success().chunk_gaps(&[ms(20), ms(20), ms(20), ms(400)]));
    let url = format!("{}/v1/messages", mock.base_url());
    let text = ask_streaming(&client(), &url).await.unwrap();
    assert!(text.contains("chunk 4"), "{text}");
    let seen = calls("watched_stream");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let stream = seen[0].outcome.stream.clone().expect("the call streamed");
    let gaps: Vec<u64> = stream.chunk_gaps.values_ms().collect();
    assert_eq!(gaps.len(), 4, "{gaps:?}");
    // Split half-way (200 ms): either read around a gap can wake late on a loaded machine.
    assert!(gaps[3] >= 200 && gaps[2] < 200, "{gaps:?}");

    let recorder = callwatch::Recorder::new();
    recorder.record(&callwatch_core::call::Call {
        operation: &seen[0].operation,
        model: &seen[0].model,
        key_id: &seen[0].key_id,
        outcome: &seen[0].outcome,
        attempts: seen[0].attempts,
        latency: seen[0].latency,
        retry_wait: seen[0].retry_wait,
        futile_retries: seen[0].futile_retries,
        server_address: &seen[0].server_address,
        server_port: seen[0].server_port,
    });
    let snapshot = recorder.snapshot();
    let recorded = snapshot.series[0]
        .time_per_output_chunk_ms
        .as_ref()
        .unwrap();
    assert_eq!(recorded.len(), 4);
    // The watched call ends when its stream did: past the 460 ms of gaps.
    assert!(seen[0].latency >= Duration::from_millis(460), "{seen:?}");
    let duration = snapshot.series[0].stream_duration_ms.as_ref().unwrap();
    assert_eq!(duration.len(), 1);
    assert!(duration.value_at_quantile(0.5) >= 460);
}

#[tokio::test]
async fn macro_and_middleware_make_one_call_with_every_attempt() {
    collector();
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::status(529).retry_after_ms(10));
    mock.push(Reply::status(529).retry_after_ms(10));
    mock.push(Reply::success());
    let url = format!("{}/v1/messages", mock.base_url());
    let text = ask(&client(), &url, "claude-sonnet-4-6").await.unwrap();
    assert!(text.contains("Hello from the mock."));
    let seen = calls("watched_retry");
    assert_eq!(seen.len(), 1, "one logical call: {seen:?}");
    let call = &seen[0];
    assert_eq!(call.model, "claude-sonnet-4-6");
    assert_eq!(call.key_id, key_id(KEY));
    assert_eq!(call.attempts, 3);
    assert!(
        call.retry_wait >= Duration::from_millis(20) && call.retry_wait < Duration::from_secs(2),
        "the two 10 ms hints, measured between attempts: {:?}",
        call.retry_wait
    );
    assert_eq!(call.outcome.class, Class::Success);
    assert!(
        call.outcome.usage.is_some(),
        "the middleware's richer outcome is kept"
    );
}

#[derive(Debug)]
struct MyError;

#[callwatch::watch(operation = "watched_plain_error")]
async fn fails_plainly() -> Result<u32, MyError> {
    Err(MyError)
}

#[callwatch::watch(operation = "watched_api_error")]
async fn fails_with_api_error(status: u16) -> Result<u32, ApiError> {
    let body = br#"{"type":"error","error":{"type":"billing_error","message":"Billing"}}"#;
    Err(ApiError::from_response(
        status,
        &http::HeaderMap::new(),
        body,
    ))?;
    Ok(1)
}

#[tokio::test]
async fn results_classify_through_classify_or_fall_back_to_other() {
    collector();
    assert!(fails_plainly().await.is_err());
    let plain = calls("watched_plain_error");
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].outcome.class, Class::Other);
    assert_eq!((plain[0].attempts, plain[0].model.as_str()), (1, "unknown"));

    let error = fails_with_api_error(402).await.unwrap_err();
    assert!(error.to_string().contains("billing_error"), "{error}");
    let api = calls("watched_api_error");
    assert_eq!(api[0].outcome.class, Class::Billing);
    assert_eq!(api[0].outcome.status, Some(402));
}

// The other shapes the macro accepts: `fn -> impl Future<Output = Result<…>>` and
// `Result<impl Trait, E>`. That this file compiles is half the test.
#[callwatch::watch(operation = "watched_impl_future")]
fn fails_later() -> impl std::future::Future<Output = Result<u32, ApiError>> {
    async {
        Err(ApiError::from_response(
            529,
            &http::HeaderMap::new(),
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ))
    }
}

#[callwatch::watch(operation = "watched_impl_trait")]
async fn describes() -> Result<impl std::fmt::Display, ApiError> {
    Ok("an answer")
}

#[tokio::test]
async fn impl_future_and_impl_trait_forms_are_watched_too() {
    collector();
    assert!(fails_later().await.is_err());
    let later = calls("watched_impl_future");
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].outcome.class, Class::Overloaded);
    assert_eq!(describes().await.unwrap().to_string(), "an answer");
    let described = calls("watched_impl_trait");
    assert_eq!(described.len(), 1);
    assert_eq!(
        described[0].outcome.class,
        Class::Unknown,
        "an Ok that says nothing, with no exchange seen, is unknown"
    );
}
