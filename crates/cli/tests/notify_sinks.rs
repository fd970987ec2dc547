//! Every sink against a real loopback receiver (axum): the payload each receiver gets.

mod notify_support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callwatch_core::alert::Alert;
use callwatch_notify::delivery::spawn_worker;
use callwatch_notify::sinks::{
    http_client, AlertmanagerSink, DesktopSink, PagerDutySink, SlackSink, StdoutSink,
    WebhookSigner, WebhookSink,
};
use callwatch_notify::{DeliveryConfig, Notification, Secret, Sink, SinkError};
use hmac::{Hmac, Mac};
use notify_support::{firing, resolved, Receiver, T0};
use serde_json::Value;
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn notification(alerts: Vec<Alert>) -> Notification {
    let group = BTreeMap::from([("alertname".to_string(), alerts[0].rule.clone())]);
    Notification::new(
        "callwatch",
        group,
        alerts,
        T0 + Duration::from_secs(30),
        false,
    )
}

fn spike() -> Alert {
    firing(
        "ServerErrorSpike",
        &[("model", "claude-sonnet-4-6"), ("key_id", "k-52e6b438")],
        T0,
    )
}

fn client() -> reqwest::Client {
    http_client(Duration::from_secs(5))
}

fn all_text(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn slack_gets_block_kit_with_the_numbers_and_what_to_do() {
    let rx = Receiver::start(vec![]).await;
    let sink = SlackSink::new(
        client(),
        Secret::new(rx.url("/services/T0/B0/FAKE")),
        Duration::ZERO,
    );
    sink.send(&notification(vec![spike()])).await.unwrap();
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/services/T0/B0/FAKE");
    let v = got[0].json();
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        header.contains("ServerErrorSpike") && header.contains("1 firing"),
        "{header}"
    );
    let text = all_text(&v);
    for want in [
        "*Severity*\\nwarning",
        "share 42.0%",
        "baseline 2.0%",
        "count 120",
        "window 300s",
        "key: `k-52e6b438`",
        "req_011FAKE1",
        "req_011FAKE3",
        "*What to do:* Check the provider status page",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    assert!(!text.contains("req_011FAKE4"), "only a few request ids");
    assert!(
        v["text"].as_str().is_some_and(|t| !t.is_empty()),
        "fallback text for notifications"
    );
}

#[tokio::test]
async fn slack_resolved_message_looks_different() {
    let rx = Receiver::start(vec![]).await;
    let sink = SlackSink::new(client(), Secret::new(rx.url("/hook")), Duration::ZERO);
    sink.send(&notification(vec![resolved(
        &spike(),
        T0 + Duration::from_secs(90),
    )]))
    .await
    .unwrap();
    let v = rx.received()[0].json();
    let header = v["blocks"][0]["text"]["text"].as_str().unwrap().to_string();
    assert!(
        header.starts_with("✅ Resolved: ServerErrorSpike"),
        "{header}"
    );
    assert!(
        !all_text(&v).contains("What to do"),
        "no call to action once resolved"
    );
}

#[tokio::test]
async fn slack_digest_of_300_alerts_stays_within_block_limits() {
    let rx = Receiver::start(vec![]).await;
    let sink = SlackSink::new(client(), Secret::new(rx.url("/hook")), Duration::ZERO);
    let alerts: Vec<Alert> = (0..300)
        .map(|i| firing("ServerErrorSpike", &[("model", &format!("m{i}"))], T0))
        .collect();
    sink.send(&notification(alerts)).await.unwrap();
    let v = rx.received()[0].json();
    assert!(
        v["blocks"].as_array().unwrap().len() <= 50,
        "Slack refuses more than 50 blocks"
    );
    assert!(all_text(&v).contains("and 290 more alerts"));
}

#[tokio::test]
async fn slack_429_retry_after_is_honoured_by_delivery() {
    let rx = Receiver::start(vec![(
        StatusCode::TOO_MANY_REQUESTS,
        vec![("retry-after", "1".into())],
    )])
    .await;
    let sink = SlackSink::new(client(), Secret::new(rx.url("/hook")), Duration::ZERO);
    let cfg = DeliveryConfig {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..DeliveryConfig::default()
    };
    let worker = spawn_worker(sink, &cfg);
    worker.enqueue(notification(vec![spike()]));
    let got = rx.wait_for(2).await;
    assert_eq!(got.len(), 2);
    // Correctness, not speed: the second attempt must not come before Slack allowed it.
    assert!(
        got[1].at.duration_since(got[0].at) >= Duration::from_secs(1),
        "retried before Retry-After"
    );
    // The receiver logs the request before the worker reads the answer: wait for the count.
    for _ in 0..250 {
        if worker.stats().sent == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = worker.stats();
    assert_eq!((stats.sent, stats.retried, stats.failed), (1, 1, 0));
    worker
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(1))
        .await;
}

fn verify_standard_webhook(headers: &axum::http::HeaderMap, body: &[u8]) {
    let id = headers["webhook-id"].to_str().unwrap();
    let ts = headers["webhook-timestamp"].to_str().unwrap();
    let sig = headers["webhook-signature"].to_str().unwrap();
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(sig, expected, "signature recomputed by the receiver");
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - ts.parse::<i64>().unwrap();
    assert!(age.abs() <= 300, "timestamp within the spec's tolerance");
}

#[tokio::test]
async fn webhook_sends_alertmanager_v4_payload_signed_per_standard_webhooks() {
    let rx = Receiver::start(vec![]).await;
    let signer = WebhookSigner::new(&Secret::new(SECRET)).unwrap();
    let sink = WebhookSink::new(
        client(),
        Secret::new(rx.url("/in")),
        Some(signer),
        "http://callwatch.local".into(),
        "http://gen".into(),
    );
    let a = spike();
    let n = notification(vec![
        a.clone(),
        resolved(
            &firing("ServerErrorSpike", &[("model", "old")], T0),
            T0 + Duration::from_secs(20),
        ),
    ]);
    sink.send(&n).await.unwrap();
    let got = &rx.received()[0];
    verify_standard_webhook(&got.headers, &got.body);
    assert_eq!(got.headers["webhook-id"], n.id.as_str());
    let v = got.json();
    assert_eq!(v["version"], "4");
    assert_eq!(v["status"], "firing");
    assert_eq!(v["receiver"], "callwatch");
    assert_eq!(v["groupKey"], n.group_key.as_str());
    assert_eq!(v["groupLabels"]["alertname"], "ServerErrorSpike");
    assert_eq!(v["commonLabels"]["alertname"], "ServerErrorSpike");
    assert_eq!(v["commonAnnotations"]["runbook"], a.runbook.as_str());
    assert_eq!(v["externalURL"], "http://callwatch.local");
    assert_eq!(v["truncatedAlerts"], 0);
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    let f = &alerts[0];
    assert_eq!(f["status"], "firing");
    assert_eq!(f["labels"]["alertname"], "ServerErrorSpike");
    assert_eq!(f["labels"]["severity"], "warning");
    assert_eq!(f["labels"]["key_id"], "k-52e6b438");
    assert_eq!(f["annotations"]["summary"], "ServerErrorSpike summary");
    assert_eq!(f["startsAt"], "2026-11-20T12:00:00Z");
    assert_eq!(f["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(f["generatorURL"], "http://gen");
    assert_eq!(f["fingerprint"], a.fingerprint().as_str());
    assert_eq!(alerts[1]["status"], "resolved");
    assert_eq!(alerts[1]["endsAt"], "2026-11-20T12:00:20Z");
}

#[tokio::test]
async fn alertmanager_v2_push_sets_ends_at_on_resolve_and_refreshes_while_firing() {
    let rx = Receiver::start(vec![]).await;
    let sink = AlertmanagerSink::new(
        client(),
        &Secret::new(rx.url("/")),
        "http://gen".into(),
        Duration::from_secs(60),
    );
    let a = spike();
    sink.send(&notification(vec![a.clone()])).await.unwrap();
    sink.refresh().await.unwrap();
    sink.send(&notification(vec![resolved(
        &a,
        T0 + Duration::from_secs(90),
    )]))
    .await
    .unwrap();
    sink.refresh().await.unwrap();
    let got = rx.received();
    assert_eq!(
        got.len(),
        3,
        "firing, one refresh while firing, resolved; no refresh after"
    );
    assert!(got.iter().all(|r| r.path == "/api/v2/alerts"));
    let fire = got[0].json();
    let item = &fire.as_array().unwrap()[0];
    assert_eq!(item["labels"]["alertname"], "ServerErrorSpike");
    assert_eq!(item["labels"]["severity"], "warning");
    assert_eq!(item["labels"]["model"], "claude-sonnet-4-6");
    assert_eq!(
        item["annotations"]["description"],
        "ServerErrorSpike description"
    );
    assert_eq!(item["annotations"]["runbook"], a.runbook.as_str());
    assert_eq!(item["startsAt"], "2026-11-20T12:00:00Z");
    assert_eq!(item["generatorURL"], "http://gen");
    let ends = time::OffsetDateTime::parse(
        item["endsAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        ends > time::OffsetDateTime::now_utc(),
        "a firing alert's endsAt is ahead of now"
    );
    assert_eq!(
        got[1].json()[0]["labels"],
        item["labels"],
        "refresh re-sends the firing alert"
    );
    assert_eq!(
        got[2].json()[0]["endsAt"],
        "2026-11-20T12:01:30Z",
        "resolve time"
    );
}

#[tokio::test]
async fn pagerduty_trigger_and_resolve_share_the_dedup_key() {
    let rx = Receiver::start(vec![]).await;
    let sink = PagerDutySink::new(
        client(),
        Secret::new(rx.url("/v2/enqueue")),
        Secret::new("FAKE-routing-key-0000"),
        "agent-1".into(),
    );
    let mut a = spike();
    a.severity = callwatch_core::alert::Severity::Critical;
    sink.send(&notification(vec![a.clone()])).await.unwrap();
    sink.send(&notification(vec![resolved(
        &a,
        T0 + Duration::from_secs(90),
    )]))
    .await
    .unwrap();
    let got = rx.received();
    assert_eq!(got.len(), 2);
    let (t, r) = (got[0].json(), got[1].json());
    assert_eq!(t["event_action"], "trigger");
    assert_eq!(r["event_action"], "resolve");
    assert_eq!(t["dedup_key"], a.fingerprint().as_str());
    assert_eq!(t["dedup_key"], r["dedup_key"]);
    assert_eq!(t["routing_key"], "FAKE-routing-key-0000");
    assert_eq!(t["payload"]["severity"], "critical");
    assert_eq!(t["payload"]["source"], "agent-1");
    assert!(t["payload"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("ServerErrorSpike"));
    assert_eq!(t["payload"]["custom_details"]["values"]["share"], 0.42);
}

#[tokio::test]
async fn a_rejected_payload_is_permanent_and_not_retried() {
    let rx = Receiver::start(vec![(StatusCode::BAD_REQUEST, vec![])]).await;
    let sink = PagerDutySink::new(
        client(),
        Secret::new(rx.url("/")),
        Secret::new("FAKE"),
        "x".into(),
    );
    let err = sink.send(&notification(vec![spike()])).await.unwrap_err();
    assert!(
        matches!(err, callwatch_notify::SinkError::Permanent { .. }),
        "{err}"
    );
    assert!(
        !err.to_string().contains("127.0.0.1"),
        "errors never carry the URL: {err}"
    );
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn stdout_writes_the_contract_alert_line_per_transition() {
    let buf = Buffer::default();
    let sink = StdoutSink::with_writer(Arc::new(Mutex::new(buf.clone())));
    let a = spike();
    let r = resolved(
        &firing("BillingOutage", &[], T0),
        T0 + Duration::from_secs(5),
    );
    sink.send(&notification(vec![a.clone(), r.clone()]))
        .await
        .unwrap();
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, [a.to_line(), r.to_line()]);
    let v: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(v["state"], "resolved");
    assert_eq!(v["rule"], "BillingOutage");
}

#[tokio::test]
async fn desktop_without_a_notification_daemon_is_never_fatal() {
    // CI and this sandbox have no session bus: show() fails and the sink says so. The
    // notification counts as failed, never as delivered, and permanently so: retrying cannot
    // make a desktop appear.
    let sink = DesktopSink::new(Duration::from_secs(3));
    for _ in 0..2 {
        match sink.send(&notification(vec![spike()])).await {
            Err(SinkError::Permanent { reason }) => {
                assert!(reason.contains("not shown"), "{reason}")
            }
            other => panic!("a desktop nobody sees is not a delivery: {other:?}"),
        }
    }
}
