//! The library exactly as DESIGN.md's contract shows it (`callwatch::init()`, the middleware,
//! `#[watch]` on `send().await?.text().await?` returning `anyhow::Result`), and the other
//! shapes apps write, against the mock over real HTTP. Every call must be recorded as the API
//! answered it: in the event log (`CALLWATCH_EVENTS`) and in the recorder.
//!
//! One process, one `init()`: this file holds a single test.

use std::time::Duration;

use callwatch::Class;
use callwatch_mock::{MockClaude, Reply};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

const KEY: &str = "sk-ant-test-contract-0000";

fn body(stream: bool) -> serde_json::Value {
    serde_json::json!({
        "model": "claude-sonnet-4-6", "max_tokens": 256, "stream": stream,
        "messages": [{"role": "user", "content": "Hello"}]
    })
}

// The contract's shape, word for word (plus the headers and body it elides).
#[callwatch::watch(operation = "chat")]
async fn ask(client: &ClientWithMiddleware, base: &str) -> anyhow::Result<String> {
    Ok(client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .json(&body(false))
        .send()
        .await?
        .text()
        .await?)
}

#[callwatch::watch(operation = "stream")]
async fn ask_streamed(client: &ClientWithMiddleware, base: &str) -> anyhow::Result<String> {
    Ok(client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .json(&body(true))
        .send()
        .await?
        .text()
        .await?)
}

#[callwatch::watch(operation = "strict")]
async fn ask_strict(client: &ClientWithMiddleware, base: &str) -> anyhow::Result<String> {
    Ok(client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .json(&body(false))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}

#[callwatch::watch(operation = "typed")]
async fn ask_typed(
    client: &ClientWithMiddleware,
    base: &str,
) -> Result<String, reqwest_middleware::Error> {
    Ok(client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .json(&body(false))
        .send()
        .await?
        .text()
        .await?)
}

/// No middleware at all: only what the result says.
#[callwatch::watch(operation = "bare")]
async fn ask_bare(client: &reqwest::Client, base: &str, strict: bool) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .json(&body(false))
        .send()
        .await?;
    let response = if strict {
        response.error_for_status()?
    } else {
        response
    };
    Ok(response.text().await?)
}

#[derive(Debug, PartialEq)]
struct Line {
    operation: String,
    status: Option<u64>,
    error_type: Option<String>,
    attempts: u64,
}

fn read_events(path: &std::path::Path) -> Vec<Line> {
    std::fs::read_to_string(path)
        .expect("event log")
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("event line");
            Line {
                operation: v["operation"].as_str().unwrap_or_default().to_owned(),
                status: v["status"].as_u64(),
                error_type: v["error_type"].as_str().map(str::to_owned),
                attempts: v["attempts"].as_u64().unwrap_or(1),
            }
        })
        .collect()
}

fn line(operation: &str, status: Option<u64>, error_type: Option<&str>, attempts: u64) -> Line {
    Line {
        operation: operation.into(),
        status,
        error_type: error_type.map(str::to_owned),
        attempts,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_shape_records_what_the_api_answered() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("calls.jsonl");
    // SAFETY: the only test in this process; set before anything reads the environment.
    unsafe { std::env::set_var("CALLWATCH_EVENTS", &events) };
    let guard = callwatch::init().expect("init from the environment");
    let mock = MockClaude::start().await.unwrap();
    let base = mock.base_url();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(callwatch::Middleware::default())
        .build();

    // The contract's shape: the function returns Ok(text) for every one of these.
    mock.push(Reply::status(529));
    mock.push(Reply::success());
    mock.push(Reply::credit_balance_too_low());
    mock.push(Reply::error(
        403,
        "permission_error",
        "no access to this model",
    ));
    for _ in 0..4 {
        assert!(ask(&client, &base).await.is_ok(), "the app read every body");
    }
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    assert!(ask_streamed(&client, &base).await.is_ok());

    // error_for_status, a typed middleware error, no middleware (with and without
    // error_for_status).
    mock.push(Reply::status(529));
    assert!(ask_strict(&client, &base).await.is_err());
    mock.push(Reply::billing_error(402));
    assert!(ask_typed(&client, &base).await.is_ok());
    let bare = reqwest::Client::new();
    mock.push(Reply::status(529));
    assert!(ask_bare(&bare, &base, true).await.is_err());
    mock.push(Reply::success());
    assert!(ask_bare(&bare, &base, false).await.is_ok());

    // Stacked under reqwest-retry: one call, each attempt counted once.
    let policy = reqwest_retry::policies::ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
        .build_with_max_retries(2);
    let retrying = ClientBuilder::new(reqwest::Client::new())
        .with(reqwest_retry::RetryTransientMiddleware::new_with_policy(
            policy,
        ))
        .with(callwatch::Middleware::default())
        .build();
    mock.push(Reply::status(529));
    mock.push(Reply::status(529));
    mock.push(Reply::success());
    assert!(ask(&retrying, &base).await.is_ok());
    mock.push(Reply::status(529));
    mock.push(Reply::status(529));
    mock.push(Reply::status(529));
    assert!(
        ask(&retrying, &base).await.is_ok(),
        "the third 529's body, read as text"
    );

    let snapshot = guard.recorder().snapshot();
    drop(guard); // flushes the event log
    let seen = read_events(&events);
    assert_eq!(
        seen,
        [
            line("chat", Some(529), Some("overloaded_error"), 1),
            line("chat", Some(200), None, 1),
            line("chat", Some(400), Some("invalid_request_error"), 1),
            line("chat", Some(403), Some("permission_error"), 1),
            line("stream", Some(200), Some("overloaded_error"), 1),
            line("strict", Some(529), Some("overloaded_error"), 1),
            line("typed", Some(402), Some("billing_error"), 1),
            line("bare", Some(529), None, 1),
            line("bare", None, Some("unknown"), 1),
            line("chat", Some(200), None, 3),
            line("chat", Some(529), Some("overloaded_error"), 3),
        ]
    );

    let class_count = |operation: &str, class: Class| -> u64 {
        snapshot
            .series
            .iter()
            .filter(|s| s.labels.operation == operation && s.labels.class == class)
            .map(|s| s.totals.calls)
            .sum()
    };
    assert_eq!(class_count("chat", Class::Overloaded), 2);
    assert_eq!(
        class_count("chat", Class::Billing),
        1,
        "credit balance is billing"
    );
    assert_eq!(class_count("chat", Class::Permission), 1, "never billing");
    assert_eq!(class_count("stream", Class::Overloaded), 1);
    assert_eq!(
        class_count("bare", Class::Unknown),
        1,
        "an Ok with nothing seen is unknown"
    );
    assert_eq!(
        class_count("bare", Class::Success),
        0,
        "never a guessed 200"
    );
}
