//! A receiver down for a while, the agent restarted in between, then the receiver back:
//! every transition reaches every receiver exactly once (spool + stable ids).

mod notify_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use callwatch_notify::config::{PagerDutyConfig, WebhookConfig};
use callwatch_notify::{
    DeliveryConfig, Integration, Notifier, NotifyConfig, Route, RouterConfig, Secret,
};
use hmac::{Hmac, Mac};
use notify_support::{firing, resolved, Receiver, T0};
use sha2::Sha256;
use tokio::time::Instant;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Two receivers, `chat` (a signed webhook) and `pager` (PagerDuty), both routed every alert
/// (`pager` by a `continue` route, `chat` after it).
fn config(webhook: &str, pagerduty: &str, spool: &Path) -> NotifyConfig {
    let mut root = Route {
        receiver: "chat".into(),
        group_wait: Duration::from_millis(50),
        group_interval: Duration::from_millis(100),
        repeat_interval: Duration::from_secs(3600),
        ..Route::default()
    };
    let mut page = root.child(vec![], "pager");
    page.continue_matching = true;
    let chat = root.child(vec![], "chat");
    root.routes = vec![page, chat];
    NotifyConfig {
        route: RouterConfig {
            route: root,
            ..RouterConfig::default()
        },
        delivery: DeliveryConfig {
            timeout: Duration::from_millis(500),
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            max_attempts: 10_000,
            spool_dir: Some(spool.to_path_buf()),
            ..DeliveryConfig::default()
        },
        tick: Duration::from_millis(20),
        ..NotifyConfig::empty()
    }
    .with_receiver(
        "chat",
        vec![Integration::Webhook(WebhookConfig {
            secret: Some(Secret::new(SECRET)),
            ..WebhookConfig::new(Secret::new(webhook))
        })],
    )
    .with_receiver(
        "pager",
        vec![Integration::PagerDuty(PagerDutyConfig {
            url: Secret::new(pagerduty),
            routing_key: Secret::new("FAKE-routing-key"),
            source: "test".into(),
            send_resolved: true,
        })],
    )
}

fn spooled(dir: &Path) -> usize {
    walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .count()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

async fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_and_restart_deliver_every_transition_exactly_once_per_receiver() {
    let spool = tempfile::tempdir().unwrap();
    // Reserve two ports, then leave them closed: the receivers are down.
    let wh_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let pd_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (wh_addr, pd_addr) = (
        wh_listener.local_addr().unwrap(),
        pd_listener.local_addr().unwrap(),
    );
    drop((wh_listener, pd_listener));
    let cfg = config(
        &format!("http://{wh_addr}/hook"),
        &format!("http://{pd_addr}/v2/enqueue"),
        spool.path(),
    );

    // Run 1: two alerts fire, one resolves, while nobody listens.
    let a = firing("ServerErrorSpike", &[("model", "m1")], T0);
    let b = firing("AuthFailuresAfterKeyRotation", &[("key_id", "k-1")], T0);
    let first = Notifier::from_config(cfg.clone()).unwrap();
    first.push(a.clone());
    first.push(b.clone());
    wait_until(|| {
        first
            .stats()
            .receiver_sink("chat", "webhook")
            .is_some_and(|s| s.retried >= 2)
    })
    .await;
    let stats = first.stats();
    assert_eq!(
        stats.receiver_sink("chat", "webhook").unwrap().sent,
        0,
        "receiver is down"
    );
    assert!(stats.receiver_sink("pager", "pagerduty").unwrap().retried >= 1);
    first.push(resolved(&a, T0 + Duration::from_secs(60)));
    first
        .shutdown(Instant::now() + Duration::from_millis(200))
        .await;
    assert_eq!(
        spooled(spool.path()),
        6,
        "3 notifications x 2 receivers wait in the spool"
    );

    // The receivers come back; run 2 starts on the same spool and sees more transitions.
    let webhook = Receiver::serve(
        tokio::net::TcpListener::bind(wh_addr).await.unwrap(),
        vec![],
    )
    .await;
    let pagerduty = Receiver::serve(
        tokio::net::TcpListener::bind(pd_addr).await.unwrap(),
        vec![],
    )
    .await;
    let second = Notifier::from_config(cfg.clone()).unwrap();
    let c = firing(
        "BillingOutage",
        &[("error_type", "billing_error")],
        T0 + Duration::from_secs(70),
    );
    second.push(c.clone());
    second.push(resolved(&b, T0 + Duration::from_secs(80)));
    wait_until(|| {
        let s = second.stats();
        s.total_pending() == 0
            && s.receiver_sink("chat", "webhook").unwrap().sent >= 4
            && s.receiver_sink("pager", "pagerduty").unwrap().sent >= 4
    })
    .await;
    second
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;

    // Webhook: each transition once, every request signed, retries of one id never doubled.
    let mut transitions: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for r in webhook.received() {
        verify(&r.headers, &r.body);
        *ids.entry(r.headers["webhook-id"].to_str().unwrap().to_string())
            .or_insert(0) += 1;
        for alert in r.json()["alerts"].as_array().unwrap() {
            let key = (
                alert["fingerprint"].as_str().unwrap().to_string(),
                alert["status"].as_str().unwrap().to_string(),
            );
            *transitions.entry(key).or_insert(0) += 1;
        }
    }
    let expected: BTreeMap<(String, String), usize> = [
        (a.fingerprint(), "firing"),
        (a.fingerprint(), "resolved"),
        (b.fingerprint(), "firing"),
        (b.fingerprint(), "resolved"),
        (c.fingerprint(), "firing"),
    ]
    .into_iter()
    .map(|(f, s)| ((f, s.to_string()), 1))
    .collect();
    assert_eq!(
        transitions, expected,
        "webhook: every transition exactly once"
    );
    assert!(
        ids.values().all(|&n| n == 1),
        "no notification id delivered twice: {ids:?}"
    );

    // PagerDuty: one event per transition, trigger before resolve for the same dedup_key.
    let events: Vec<(String, String)> = pagerduty
        .received()
        .iter()
        .map(|r| {
            let v = r.json();
            (
                v["dedup_key"].as_str().unwrap().to_string(),
                v["event_action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(events.len(), 5, "pagerduty: {events:?}");
    for fp in [a.fingerprint(), b.fingerprint()] {
        let actions: Vec<&str> = events
            .iter()
            .filter(|(k, _)| *k == fp)
            .map(|(_, a)| a.as_str())
            .collect();
        assert_eq!(actions, ["trigger", "resolve"], "{fp}");
    }
    assert_eq!(
        spooled(spool.path()),
        0,
        "spool empty once everything is delivered"
    );
}

fn verify(headers: &axum::http::HeaderMap, body: &[u8]) {
    let id = headers["webhook-id"].to_str().unwrap();
    let ts = headers["webhook-timestamp"].to_str().unwrap();
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(headers["webhook-signature"].to_str().unwrap(), expected);
}
