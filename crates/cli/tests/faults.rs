//! Faults around `callwatch proxy` as a real process: SIGTERM while a slow request is in
//! flight (it completes, the process exits 0 and records it), and an upstream that drops the
//! connection (the client gets a clean error, the call is recorded).

mod support;

use std::time::Duration;

use callwatch_mock::{MockClaude, Reply};
use support::process::{command, free_addr, Running};

const KEY: &str = "sk-ant-FAKE-faults-0000";

fn body() -> &'static str {
    r#"{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#
}

fn start_proxy(upstream: &str, events: &std::path::Path) -> (Running, String) {
    let listen = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &free_addr().to_string()])
        .args(["--upstream", upstream])
        .arg("--events")
        .arg(events);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "{}",
        proxy.stderr_so_far()
    );
    (proxy, format!("http://{listen}/v1/messages"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_the_in_flight_request_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.jsonl");
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::success().delay(Duration::from_secs(2)));
    let (proxy, url) = start_proxy(&mock.base_url(), &events);
    let request = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .post(url)
            .header("x-api-key", KEY)
            .header("content-type", "application/json")
            .body(body())
            .send()
            .await?;
        let status = r.status().as_u16();
        r.text().await.map(|t| (status, t))
    });
    // The request has reached the API (and waits there) before the signal.
    let mut waited = 0;
    while mock.requests().is_empty() && waited < 200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        waited += 1;
    }
    assert_eq!(mock.requests().len(), 1);
    proxy.sigterm();
    let (status, text) = request.await.unwrap().expect("request completes");
    assert_eq!(status, 200, "{text}");
    let out = tokio::task::spawn_blocking(move || proxy.finish(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr.contains("stopped after 1 calls"),
        "{}",
        out.stderr
    );
    let log = std::fs::read_to_string(&events).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("\"status\":200"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_reset_is_a_clean_error_and_a_recorded_call() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.jsonl");
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::drop_connection());
    let (proxy, url) = start_proxy(&mock.base_url(), &events);
    let r = reqwest::Client::new()
        .post(&url)
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(body())
        .send()
        .await
        .expect("the proxy answers even when the API hangs up");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert!((500..600).contains(&status), "{status} {text}");
    let json: serde_json::Value = serde_json::from_str(&text).expect("API-shaped JSON error");
    assert_eq!(json["type"], "error", "{text}");
    proxy.sigterm();
    let out = tokio::task::spawn_blocking(move || proxy.finish(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    let log = std::fs::read_to_string(&events).unwrap();
    assert_eq!(
        log.lines().count(),
        1,
        "the failed call is recorded once: {log}"
    );
    assert!(
        log.contains("\"status\":null") || log.contains("connection"),
        "{log}"
    );
}
