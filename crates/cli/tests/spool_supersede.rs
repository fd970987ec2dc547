//! A `firing` whose retries ran out during a receiver outage stays in the spool; the `resolved`
//! that follows is delivered. Neither now nor after a restart may the stale `firing` be sent
//! after it: the receiver must end on the alert's newest state.

mod notify_support;

use std::path::Path;
use std::time::Duration;

use axum::http::StatusCode;
use callwatch_notify::{Notifier, NotifyConfig};
use notify_support::{firing, resolved, Receiver, T0};
use tokio::time::Instant;

const MAX_ATTEMPTS: u32 = 3;

fn config(webhook: &str, spool: &Path) -> NotifyConfig {
    notify_support::one_webhook(webhook, spool, MAX_ATTEMPTS)
}

fn statuses(receiver: &Receiver) -> Vec<String> {
    receiver
        .received()
        .iter()
        .map(|r| r.json()["status"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_firing_is_never_delivered_after_its_resolve() {
    let spool = tempfile::tempdir().unwrap();
    // The receiver refuses the firing until its retries run out, then accepts everything.
    let refusals = (0..MAX_ATTEMPTS)
        .map(|_| (StatusCode::SERVICE_UNAVAILABLE, vec![]))
        .collect();
    let receiver = Receiver::start(refusals).await;
    let cfg = config(&receiver.url("/hook"), spool.path());

    let alert = firing("ServerErrorSpike", &[("model", "m1")], T0);
    let first = Notifier::from_config(cfg.clone()).unwrap();
    first.push(alert.clone());
    receiver.wait_for(MAX_ATTEMPTS as usize).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.push(resolved(&alert, T0 + Duration::from_secs(60)));
    let got = receiver.wait_for(MAX_ATTEMPTS as usize + 1).await;
    assert_eq!(
        got.len(),
        MAX_ATTEMPTS as usize + 1,
        "{:?}",
        statuses(&receiver)
    );
    first
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;

    // Restart on the same spool.
    let second = Notifier::from_config(cfg).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    second
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;

    let seen = statuses(&receiver);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("resolved"),
        "the receiver ends on a stale state: {seen:?}"
    );
    assert_eq!(seen.len(), MAX_ATTEMPTS as usize + 1, "{seen:?}");
}
