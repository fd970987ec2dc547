//! A real Alertmanager on loopback (the shipped alerts/alertmanager.yml with its receivers
//! pointed at a local webhook) receives alerts pushed by callwatch's notifier through the
//! Alertmanager sink; they read back from `GET /api/v2/alerts`, the route delivers the
//! BillingOutage to the webhook, and a resolve (`endsAt`) takes the alert out of the active
//! list. Skips (with a message) when `prometheus-alertmanager` is not installed.

mod fleet_support;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use callwatch_core::alert::{Alert, AlertState, Severity};
use callwatch_notify::{Notifier, NotifyConfig};
use fleet_support::process::{free_port, spawn, wait_ready};
use fleet_support::{binary, repo_path};
use time::OffsetDateTime;

/// The shipped config with every receiver replaced by a webhook to `url`.
fn config_for(url: &str) -> String {
    let text = std::fs::read_to_string(repo_path("alerts/alertmanager.yml")).unwrap();
    let mut config: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let receivers = config["receivers"].as_sequence_mut().expect("receivers");
    for receiver in receivers.iter_mut() {
        let name = receiver["name"].clone();
        *receiver = serde_norway::from_str(&format!(
            "{{name: {}, webhook_configs: [{{url: '{url}', send_resolved: true}}]}}",
            serde_json::to_string(name.as_str().unwrap()).unwrap()
        ))
        .unwrap();
    }
    serde_norway::to_string(&config).unwrap()
}

fn billing_alert(state: AlertState, at: OffsetDateTime, starts_at: OffsetDateTime) -> Alert {
    Alert {
        at,
        rule: "BillingOutage".into(),
        state,
        severity: Severity::Critical,
        labels: BTreeMap::from([("error_type".to_owned(), "billing_error".to_owned())]),
        summary: "Billing outage".into(),
        description: "credits exhausted".into(),
        starts_at,
        values: BTreeMap::new(),
        request_ids: vec!["req_FAKE_0001".into()],
        runbook: "Top up credits.".into(),
    }
}

async fn alerts(client: &reqwest::Client, base: &str) -> Vec<serde_json::Value> {
    let body: serde_json::Value = client
        .get(format!("{base}/api/v2/alerts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_array().cloned().unwrap_or_default()
}

async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callwatch_pushes_to_a_real_alertmanager_and_resolves() {
    let Some(alertmanager) = binary("prometheus-alertmanager", "prometheus-alertmanager") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // The webhook Alertmanager delivers to.
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sink = sink.clone();
            async move { sink.lock().unwrap().push(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let config = dir.path().join("alertmanager.yml");
    std::fs::write(&config, config_for(&hook)).unwrap();
    let web = free_port();
    let log = dir.path().join("alertmanager.log");
    let mut command = Command::new(alertmanager);
    command
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"))
        .arg("--cluster.listen-address=");
    let _alertmanager = spawn(command, &log);
    let base = format!("http://127.0.0.1:{web}");
    wait_ready(
        &client,
        &format!("{base}/-/ready"),
        Duration::from_secs(30),
        &log,
    )
    .await;

    let notify = NotifyConfig::parse(
        &format!(
            "[route]\ngroup_wait = \"0s\"\ngroup_interval = \"1s\"\n\
             [alertmanager]\nurl = \"{base}\"\nresend_interval = \"5s\"\n\
             [spool]\ndir = {dir:?}\n",
            dir = dir.path().join("spool").display().to_string()
        ),
        "test config",
        &|_| None,
    )
    .unwrap();
    let notifier = Notifier::from_config(notify).unwrap();
    let start = OffsetDateTime::now_utc();
    notifier.push(billing_alert(AlertState::Firing, start, start));

    until(
        "the alert in /api/v2/alerts",
        Duration::from_secs(30),
        || async {
            alerts(&client, &base)
                .await
                .iter()
                .any(|a| a["labels"]["alertname"] == "BillingOutage")
        },
    )
    .await;
    let active = alerts(&client, &base).await;
    let alert = active
        .iter()
        .find(|a| a["labels"]["alertname"] == "BillingOutage")
        .unwrap();
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["labels"]["error_type"], "billing_error");
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(alert["annotations"]["summary"], "Billing outage");

    // The shipped route sends BillingOutage to the critical receiver at once.
    until(
        "the webhook notification",
        Duration::from_secs(30),
        || async {
            received
                .lock()
                .unwrap()
                .iter()
                .any(|n| n["status"] == "firing" && n["receiver"] == "slack-critical-and-webhook")
        },
    )
    .await;

    let resolved_at = OffsetDateTime::now_utc();
    notifier.push(billing_alert(AlertState::Resolved, resolved_at, start));
    until(
        "the resolve to take the alert out of the active list",
        Duration::from_secs(30),
        || async {
            !alerts(&client, &base)
                .await
                .iter()
                .any(|a| a["labels"]["alertname"] == "BillingOutage")
        },
    )
    .await;
    // (Alertmanager would tell the webhook "resolved" at the route's next group_interval, 1m:
    // longer than this test should wait.)

    notifier
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(5))
        .await;
    server.abort();
}
