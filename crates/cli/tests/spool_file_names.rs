//! The spool deletes what it delivered by the file it read, not by the id inside: a file
//! renamed (or copied) by hand is delivered once, not again at every start.

mod notify_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use callwatch_notify::{Notifier, NotifyConfig};
use notify_support::{firing, Receiver, T0};
use tokio::time::Instant;

fn config(webhook: &str, spool: &Path) -> NotifyConfig {
    notify_support::one_webhook(webhook, spool, 10_000)
}

fn spooled(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("chat").join("webhook"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_spool_file_is_delivered_once() {
    let spool = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let cfg = config(&format!("http://{addr}/hook"), spool.path());

    // Run 1: the receiver is down; the alert waits in the spool.
    let first = Notifier::from_config(cfg.clone()).unwrap();
    first.push(firing(
        "BillingOutage",
        &[("error_type", "billing_error")],
        T0,
    ));
    until(|| {
        first
            .stats()
            .sink("webhook")
            .is_some_and(|s| s.retried >= 1)
    })
    .await;
    first
        .shutdown(Instant::now() + Duration::from_millis(100))
        .await;
    let files = spooled(spool.path());
    assert_eq!(files.len(), 1, "{files:?}");
    // An operator renames it (or restores it from a backup under another name).
    let renamed = files[0].with_file_name("restored-by-hand.json");
    std::fs::rename(&files[0], &renamed).unwrap();

    // Run 2: the receiver is back; the file is delivered and deleted.
    let receiver =
        Receiver::serve(tokio::net::TcpListener::bind(addr).await.unwrap(), vec![]).await;
    let second = Notifier::from_config(cfg.clone()).unwrap();
    until(|| second.stats().sink("webhook").is_some_and(|s| s.sent >= 1)).await;
    second
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;
    assert_eq!(receiver.received().len(), 1);
    assert!(
        spooled(spool.path()).is_empty(),
        "{:?}",
        spooled(spool.path())
    );

    // Run 3: nothing left to send.
    let third = Notifier::from_config(cfg).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    third
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the renamed file was delivered again at the next start"
    );
}
