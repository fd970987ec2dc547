//! The Prometheus endpoint over real HTTP: GET /metrics parses as text exposition and has the
//! expected series.

use std::time::Duration;

use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Outcome, Usage};
use callwatch_core::record::Recorder;
use callwatch_proxy::admin as prometheus;

fn call<'a>(outcome: &'a Outcome, latency_ms: u64) -> Call<'a> {
    Call {
        operation: "chat",
        model: "claude-haiku-4-5",
        key_id: "k-1234abcd",
        outcome,
        attempts: 2,
        latency: Duration::from_millis(latency_ms),
        retry_wait: Duration::from_millis(250),
        futile_retries: 0,
        server_address: "api.anthropic.com",
        server_port: 443,
    }
}

/// (name, labels, value) of every sample line; panics on a malformed line.
fn parse(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("line {line:?}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("value in {line:?}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
                None => (series, ""),
            };
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "metric name {name:?}"
            );
            (name.to_owned(), labels.to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn metrics_endpoint_serves_the_recorded_series() {
    let recorder = Recorder::new();
    let mut ok = Outcome::bare(Some(200), None, Class::Success);
    ok.usage = Some(Usage {
        input_tokens: 300,
        output_tokens: 20,
        ..Usage::default()
    });
    for ms in [5, 15, 30, 700, 1500] {
        recorder.record(&call(&ok, ms));
    }
    let billing = Outcome::bare(Some(402), Some("billing_error"), Class::Billing);
    recorder.record(&call(&billing, 90));

    let (addr, server) = prometheus::serve("127.0.0.1:0".parse().unwrap(), recorder.clone())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    let response = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    let samples = parse(&response.text().await.unwrap());
    server.abort();

    let find = |name: &str, has: &[&str]| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && has.iter().all(|h| l.contains(h)))
            .map(|s| s.2)
            .unwrap_or_else(|| panic!("no {name} with {has:?}"))
    };
    let success = "callwatch_class=\"success\"";
    assert_eq!(find("callwatch_calls_total", &[success]), 5.0);
    assert_eq!(
        find(
            "callwatch_calls_total",
            &[
                "error_type=\"billing_error\"",
                "http_response_status_code=\"402\""
            ]
        ),
        1.0
    );
    let bucket = "gen_ai_client_operation_duration_seconds_bucket";
    assert_eq!(find(bucket, &[success, "le=\"0.01\""]), 1.0);
    assert_eq!(find(bucket, &[success, "le=\"0.04\""]), 3.0);
    assert_eq!(find(bucket, &[success, "le=\"+Inf\""]), 5.0);
    assert_eq!(
        find("gen_ai_client_operation_duration_seconds_count", &[success]),
        5.0
    );
    let sum = find("gen_ai_client_operation_duration_seconds_sum", &[success]);
    assert!((sum - 2.25).abs() < 1e-9, "{sum}");
    assert_eq!(
        find(
            "gen_ai_client_token_usage_sum",
            &[success, "gen_ai_token_type=\"input\""]
        ),
        1500.0
    );
    assert_eq!(
        find("callwatch_attempts_bucket", &[success, "le=\"1\""]),
        0.0
    );
    assert_eq!(
        find("callwatch_attempts_bucket", &[success, "le=\"2\""]),
        5.0
    );
    assert_eq!(find("callwatch_retry_wait_seconds_total", &[success]), 1.25);
    assert!(
        samples.iter().all(|(_, l, _)| !l.contains("gen_ai.")),
        "dotted label key"
    );
    assert_eq!(find("callwatch_series_overflow_total", &[]), 0.0);
}
