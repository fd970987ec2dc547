//! The proxy over real HTTP: a client talks to `callwatch proxy`, which talks to the mock
//! Claude API. What the client receives must be what it would have received directly, and
//! every logical call must reach the observer once, with its attempts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use callwatch_core::call::{Call, CallObserver};
use callwatch_core::classify::Class;
use callwatch_mock::{MockClaude, Reply};
use callwatch_proxy::{bind, Proxy, ProxyConfig, RETRY_COUNT_HEADER};
use tokio::sync::oneshot;

const FAKE_KEY: &str = "sk-ant-FAKE-proxy-test";

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: Option<u16>,
    class: Class,
    attempts: u32,
    model: String,
    key_id: String,
}

#[derive(Default)]
struct Collect(Mutex<Vec<Seen>>);

impl CallObserver for Collect {
    fn observe(&self, call: &Call<'_>) {
        self.0.lock().unwrap().push(Seen {
            status: call.outcome.status,
            class: call.outcome.class,
            attempts: call.attempts,
            model: call.model.to_owned(),
            key_id: call.key_id.to_owned(),
        });
    }
}

struct Running {
    url: String,
    seen: Arc<Collect>,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) -> Vec<Seen> {
        let _ = self.stop.take().unwrap().send(());
        self.server.await.unwrap();
        let seen = self.seen.0.lock().unwrap().clone();
        seen
    }

    fn calls(&self) -> Vec<Seen> {
        self.seen.0.lock().unwrap().clone()
    }
}

async fn start_proxy(upstream: &str, grace: Duration) -> Running {
    let seen = Arc::new(Collect::default());
    let mut config = ProxyConfig::new(upstream.parse().unwrap());
    config.retry_grace = grace;
    config.response_timeout = Duration::from_secs(5);
    let proxy = Proxy::new(&config, seen.clone()).unwrap();
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        proxy
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        url,
        seen,
        stop: Some(tx),
        server,
    }
}

fn body(stream: bool) -> String {
    format!(
        r#"{{"model":"claude-sonnet-4-6","max_tokens":32,"stream":{stream},"messages":[{{"role":"user","content":"hi"}}]}}"#
    )
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    retry_count: u32,
    stream: bool,
) -> (u16, String, String) {
    let response = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", FAKE_KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header(RETRY_COUNT_HEADER, retry_count.to_string())
        .body(body(stream))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn without_ids(text: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("id");
        obj.remove("request_id");
    }
    value
}

#[tokio::test]
async fn responses_through_the_proxy_match_direct_ones() {
    let mock = MockClaude::start().await.unwrap();
    let proxy = start_proxy(&mock.base_url(), Duration::from_secs(5)).await;
    let client = reqwest::Client::new();
    for reply in [
        Reply::success(),
        Reply::status(401),
        Reply::billing_error(403),
        Reply::html(502),
    ] {
        mock.push(reply.clone());
        let direct = post(&client, &mock.base_url(), 0, false).await;
        mock.push(reply);
        let proxied = post(&client, &proxy.url, 0, false).await;
        assert_eq!(direct.0, proxied.0);
        assert_eq!(direct.1, proxied.1);
        if direct.1.starts_with("application/json") {
            assert_eq!(without_ids(&direct.2), without_ids(&proxied.2));
        } else {
            assert_eq!(direct.2, proxied.2);
        }
    }
    let calls = proxy.stop().await;
    let classes: Vec<_> = calls.iter().map(|c| c.class).collect();
    assert_eq!(
        classes,
        [Class::Success, Class::Auth, Class::Billing, Class::Server]
    );
    assert!(calls.iter().all(|c| c.model == "claude-sonnet-4-6"));
    assert!(calls
        .iter()
        .all(|c| c.key_id.starts_with("k-") && !c.key_id.contains("FAKE")));
}

#[tokio::test]
async fn sdk_retries_are_one_call_with_three_attempts() {
    let mock = MockClaude::start().await.unwrap();
    let proxy = start_proxy(&mock.base_url(), Duration::from_secs(5)).await;
    let client = reqwest::Client::new();
    mock.push(Reply::status(529).retry_after_ms(10));
    mock.push(Reply::status(529).retry_after_ms(10));
    mock.push(Reply::success());
    assert_eq!(post(&client, &proxy.url, 0, false).await.0, 529);
    assert_eq!(post(&client, &proxy.url, 1, false).await.0, 529);
    assert_eq!(post(&client, &proxy.url, 2, false).await.0, 200);
    let calls = proxy.stop().await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].attempts, 3);
    assert_eq!(calls[0].class, Class::Success);
}

#[tokio::test]
async fn a_retryable_failure_nobody_retries_is_recorded_after_the_grace() {
    let mock = MockClaude::start().await.unwrap();
    let proxy = start_proxy(&mock.base_url(), Duration::from_millis(100)).await;
    let client = reqwest::Client::new();
    mock.push(Reply::status(500));
    assert_eq!(post(&client, &proxy.url, 0, false).await.0, 500);
    let mut waited = 0;
    while proxy.calls().is_empty() && waited < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let calls = proxy.stop().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].class, Class::Server);
}

#[tokio::test]
async fn a_stream_is_passed_through_and_its_mid_stream_error_classified() {
    let mock = MockClaude::start().await.unwrap();
    let proxy = start_proxy(&mock.base_url(), Duration::from_millis(50)).await;
    let client = reqwest::Client::new();
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    let direct = post(&client, &mock.base_url(), 0, true).await;
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    let (status, content_type, text) = post(&client, &proxy.url, 0, true).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/event-stream"));
    assert!(text.contains("event: error"));
    assert_eq!(text.lines().count(), direct.2.lines().count());
    mock.push(Reply::success());
    let (_, _, ok) = post(&client, &proxy.url, 0, true).await;
    assert!(ok.contains("message_stop"));
    let calls = proxy.stop().await;
    let classes: Vec<_> = calls.iter().map(|c| c.class).collect();
    assert!(classes.contains(&Class::Overloaded), "{classes:?}");
    assert!(classes.contains(&Class::Success), "{classes:?}");
}

#[tokio::test]
async fn upstream_down_gives_the_client_an_api_shaped_502_and_is_recorded() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let proxy = start_proxy(&dead, Duration::ZERO).await;
    let client = reqwest::Client::new();
    let (status, content_type, text) = post(&client, &proxy.url, 0, false).await;
    assert_eq!(status, 502);
    assert!(content_type.starts_with("application/json"));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
    assert!(!text.contains(FAKE_KEY));
    let calls = proxy.stop().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].class, Class::Connection);
    assert_eq!(calls[0].status, None);
}
