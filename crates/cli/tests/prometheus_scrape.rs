//! A real Prometheus scrapes a running `callwatch proxy`'s `/metrics` (with the generated rules
//! loaded) while traffic with every kind of error flows through the proxy to the mock API; then
//! every Grafana panel query, template variables substituted, must return data through
//! Prometheus' HTTP API. Skips (with a message) when `prometheus` is not installed (Debian
//! package `prometheus`).

mod fleet_support;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callwatch_mock::{MockClaude, Reply};
use fleet_support::process::{free_port, spawn, wait_ready};
use fleet_support::{binary, grafana_queries, repo_path};

const FAKE_KEYS: [&str; 2] = ["sk-ant-FAKE-scrape-0001", "sk-ant-FAKE-scrape-0002"];
/// In the script's retry-count column: send the request with `stream: true` (first attempt).
const STREAM: u32 = u32::MAX;

/// Grafana's variables as a dashboard user with "All" selected would send them.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "30s")
        .replace("$model", ".*")
        .replace("$provider", ".*")
}

async fn drive(
    client: reqwest::Client,
    mock: Arc<MockClaude>,
    proxy: String,
    stop: Arc<AtomicBool>,
) {
    // A streamed success (time to first token) and cache reads and writes (cache hit share)
    // feed the streaming panels. Keys alternate per request and the proxy takes a request with
    // `x-stainless-retry-count` > 0 on the same key as a retry: keep the script's length even
    // so each failure stays its own call.
    let script = || {
        [
            (Reply::success().usage(1200, 300).cache_usage(800, 100), 0),
            (
                Reply::success()
                    .model("claude-haiku-4-5")
                    .first_chunk_delay(Duration::from_millis(20)),
                STREAM,
            ),
            (Reply::error(500, "api_error", "Internal server error"), 0),
            (Reply::status(529), 1),
            (
                Reply::error(400, "invalid_request_error", "messages: field required"),
                0,
            ),
            (Reply::status(401), 0),
            (Reply::billing_error(403), 0),
            (Reply::status(429).retry_after_ms(10), 2),
        ]
    };
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        for (reply, retry_count) in script() {
            mock.push(reply);
            n += 1;
            let (retry_count, body) = if retry_count == STREAM {
                (
                    0,
                    r#"{"model":"claude-sonnet-4-6","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
                )
            } else {
                (
                    retry_count,
                    r#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#,
                )
            };
            let response = client
                .post(format!("{proxy}/v1/messages"))
                .header("x-api-key", FAKE_KEYS[n % 2])
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .header("x-stainless-retry-count", retry_count.to_string())
                .body(body)
                .send()
                .await;
            if let Ok(response) = response {
                let _ = response.bytes().await; // a stream ends when it is read
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The result vector of an instant query, or an error text.
async fn query(
    client: &reqwest::Client,
    base: &str,
    expr: &str,
) -> Result<Vec<serde_json::Value>, String> {
    let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", expr)])
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    if body["status"] != "success" {
        return Err(body.to_string());
    }
    Ok(body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn finite_values(result: &[serde_json::Value]) -> Vec<f64> {
    result
        .iter()
        .filter_map(|s| s["value"][1].as_str()?.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grafana_panel_query_returns_data_from_a_real_prometheus() {
    let Some(prometheus) = binary("prometheus", "prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let mock = Arc::new(MockClaude::start().await.unwrap());
    let (listen, admin) = (free_port(), free_port());
    let proxy_log = dir.path().join("callwatch.log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_callwatch"));
    command
        .args(["proxy", "--upstream", &mock.base_url()])
        .args(["--listen", &format!("127.0.0.1:{listen}")])
        .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("OTEL_SDK_DISABLED", "true");
    let _proxy = spawn(command, &proxy_log);
    wait_ready(
        &client,
        &format!("http://127.0.0.1:{admin}/healthz"),
        Duration::from_secs(30),
        &proxy_log,
    )
    .await;

    let web = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules}\n\
             scrape_configs:\n  - job_name: callwatch\n    static_configs:\n      - targets: ['127.0.0.1:{admin}']\n",
            rules = repo_path("alerts/prometheus/callwatch.rules.yml").display()
        ),
    )
    .unwrap();
    let prom_log = dir.path().join("prometheus.log");
    let mut command = Command::new(prometheus);
    command
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"));
    let _prometheus = spawn(command, &prom_log);
    let base = format!("http://127.0.0.1:{web}");
    wait_ready(
        &client,
        &format!("{base}/-/ready"),
        Duration::from_secs(60),
        &prom_log,
    )
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let driver = tokio::spawn(drive(
        client.clone(),
        mock.clone(),
        format!("http://127.0.0.1:{listen}"),
        stop.clone(),
    ));

    // Wait (bounded) until every query has data: rates need a few scrapes, ALERTS a rule evaluation.
    let queries = grafana_queries();
    let deadline = Instant::now() + Duration::from_secs(90);
    let missing = loop {
        let mut missing = Vec::new();
        for (panel, expr) in &queries {
            let expr = substitute(expr);
            match query(&client, &base, &expr).await {
                Ok(result) if !finite_values(&result).is_empty() => {}
                Ok(result) => missing.push(format!("{panel}: {expr} -> {result:?}")),
                Err(e) => missing.push(format!("{panel}: {expr} -> error {e}")),
            }
        }
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let _ = driver.await;
    assert!(
        missing.is_empty(),
        "panel queries without data:\n{}\nprometheus log:\n{}",
        missing.join("\n"),
        std::fs::read_to_string(&prom_log).unwrap_or_default()
    );

    // The billing panel says OUTAGE, and Prometheus evaluated the generated BillingOutage rule.
    let billing = queries.iter().find(|(p, _)| p == "Billing outage").unwrap();
    let values = finite_values(
        &query(&client, &base, &substitute(&billing.1))
            .await
            .unwrap(),
    );
    assert!(values.iter().all(|v| *v >= 1.0), "billing panel {values:?}");
    let firing = query(
        &client,
        &base,
        r#"ALERTS{alertname="BillingOutage",alertstate="firing"}"#,
    )
    .await
    .unwrap();
    assert!(!firing.is_empty(), "BillingOutage not firing in Prometheus");
    assert!(firing.iter().all(|a| a["metric"]["severity"] == "critical"));

    // What the streaming panels show (printed: `--nocapture` to read every panel's values).
    let mut shown = std::collections::HashMap::new();
    for (panel, expr) in &queries {
        let values = finite_values(&query(&client, &base, &substitute(expr)).await.unwrap());
        println!("{panel}: {values:?}");
        shown
            .entry(panel.as_str())
            .or_insert_with(Vec::new)
            .extend(values);
    }
    // The stream's first chunk comes 20 ms after the request: no quantile can be below that.
    let ttft = &shown["Time to first token p50 / p95 / p99 by model"];
    assert!(
        ttft.iter().all(|s| *s >= 0.02),
        "time to first token {ttft:?}"
    );
    // Per cycle: 800 cache-read tokens of 1200 + 800 + 100 (and the stream's 12 uncached).
    let share = &shown["Cache hit share by model"];
    assert!(
        share.iter().all(|s| (0.3..0.45).contains(s)),
        "cache hit share {share:?} (expected about 800 / 2112)"
    );

    // No API key reached a label.
    let series = client
        .get(format!("http://127.0.0.1:{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !series.contains("FAKE-scrape"),
        "a key leaked into /metrics"
    );
}
