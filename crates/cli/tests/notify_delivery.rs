//! Delivery: the 300-alert storm through the whole Notifier, bounded queues that count their
//! drops, an unwritable spool that is survived, permanent rejections set aside, drain on
//! shutdown.

mod notify_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use callwatch_notify::config::{SlackConfig, WebhookConfig};
use callwatch_notify::delivery::spawn_worker;
use callwatch_notify::sinks::{http_client, WebhookSink};
use callwatch_notify::{
    DeliveryConfig, Integration, Notification, Notifier, NotifyConfig, Route, RouterConfig, Secret,
    Sink, SinkError,
};
use notify_support::{firing, Receiver, T0};
use tokio::sync::Semaphore;
use tokio::time::Instant;

fn notification(i: u64) -> Notification {
    let a = firing("ServerErrorSpike", &[("model", &format!("m{i}"))], T0);
    Notification::new(
        "callwatch",
        BTreeMap::new(),
        vec![a],
        T0 + Duration::from_secs(i),
        false,
    )
}

fn json_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_storm_of_300_alerts_reaches_each_receiver_as_one_message() {
    let hook = Receiver::start(vec![]).await;
    let slack = Receiver::start(vec![]).await;
    let cfg = NotifyConfig {
        route: RouterConfig {
            route: Route {
                group_wait: Duration::from_millis(100),
                ..Route::default()
            },
            ..RouterConfig::default()
        },
        delivery: DeliveryConfig {
            spool_dir: None,
            ..DeliveryConfig::default()
        },
        tick: Duration::from_millis(20),
        ..NotifyConfig::empty()
    }
    .with_receiver(
        "callwatch",
        vec![
            Integration::Webhook(WebhookConfig::new(Secret::new(hook.url("/")))),
            Integration::Slack(SlackConfig {
                webhook_url: Secret::new(slack.url("/")),
                min_interval: Duration::from_secs(1),
                channel: None,
                send_resolved: true,
            }),
        ],
    );
    let notifier = Notifier::from_config(cfg).unwrap();
    for i in 0..300 {
        notifier.push(firing(
            "ServerErrorSpike",
            &[("model", &format!("m{i}"))],
            T0,
        ));
    }
    hook.wait_for(1).await;
    slack.wait_for(1).await;
    // Give a wrongly split digest time to show up before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    notifier
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;
    let got = hook.received();
    assert_eq!(got.len(), 1, "one webhook call for the storm");
    assert_eq!(got[0].json()["alerts"].as_array().unwrap().len(), 300);
    assert_eq!(slack.received().len(), 1, "one Slack message for the storm");
}

/// Holds every send until the test releases it: a receiver that is slow, on purpose.
struct Gate {
    open: Arc<Semaphore>,
    entered: Arc<AtomicUsize>,
    sent: Arc<AtomicUsize>,
}

impl Sink for Gate {
    fn name(&self) -> &str {
        "gate"
    }
    async fn send(&self, _: &Notification) -> Result<(), SinkError> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        let permit = self
            .open
            .acquire()
            .await
            .map_err(|_| SinkError::retryable("closed"))?;
        permit.forget();
        self.sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_full_queue_drops_counts_and_keeps_the_spooled_copy() {
    let spool = tempfile::tempdir().unwrap();
    let open = Arc::new(Semaphore::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let cfg = DeliveryConfig {
        queue_capacity: 1,
        spool_dir: Some(spool.path().into()),
        ..DeliveryConfig::default()
    };
    let entered = Arc::new(AtomicUsize::new(0));
    let worker = spawn_worker(
        Gate {
            open: open.clone(),
            entered: entered.clone(),
            sent: sent.clone(),
        },
        &cfg,
    );
    worker.enqueue(notification(0));
    // Wait until the worker holds the first one in flight, so the queue has room for one.
    for _ in 0..500 {
        if entered.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(entered.load(Ordering::SeqCst), 1);
    for i in 1..5 {
        worker.enqueue(notification(i));
    }
    let stats = worker.stats();
    assert_eq!(
        stats.dropped, 3,
        "capacity 1 + one in flight: three of five dropped"
    );
    assert_eq!(
        json_files(&spool.path().join("gate")),
        5,
        "dropped ones stay spooled for the next start"
    );
    open.add_permits(10);
    worker
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    assert_eq!(
        json_files(&spool.path().join("gate")),
        3,
        "delivered ones leave the spool"
    );
}

#[tokio::test]
async fn an_unwritable_spool_is_survived_in_memory() {
    let rx = Receiver::start(vec![]).await;
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, b"a file where the spool directory should be").unwrap();
    let cfg = DeliveryConfig {
        spool_dir: Some(blocker.join("spool")),
        ..DeliveryConfig::default()
    };
    let sink = WebhookSink::new(
        http_client(Duration::from_secs(2)),
        Secret::new(rx.url("/")),
        None,
        String::new(),
        String::new(),
    );
    let worker = spawn_worker(sink, &cfg);
    worker.enqueue(notification(1));
    worker.enqueue(notification(2));
    assert_eq!(
        worker.stats().spool_errors,
        2,
        "counted (and said once in the log)"
    );
    worker
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;
    assert_eq!(rx.received().len(), 2, "delivered from memory");
}

#[tokio::test]
async fn a_permanent_rejection_is_not_retried_and_is_set_aside() {
    let rx = Receiver::start(vec![(StatusCode::UNPROCESSABLE_ENTITY, vec![])]).await;
    let spool = tempfile::tempdir().unwrap();
    let cfg = DeliveryConfig {
        spool_dir: Some(spool.path().into()),
        ..DeliveryConfig::default()
    };
    let sink = WebhookSink::new(
        http_client(Duration::from_secs(2)),
        Secret::new(rx.url("/")),
        None,
        String::new(),
        String::new(),
    );
    let worker = spawn_worker(sink, &cfg);
    let n = notification(1);
    worker.enqueue(n.clone());
    rx.wait_for(1).await;
    for _ in 0..250 {
        if worker.stats().failed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = worker.stats();
    assert_eq!((stats.sent, stats.failed, stats.retried), (0, 1, 0));
    worker
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;
    assert_eq!(rx.received().len(), 1);
    assert!(spool
        .path()
        .join("webhook/dead")
        .join(format!("{}.json", n.id))
        .exists());
    assert_eq!(
        json_files(&spool.path().join("webhook")),
        0,
        "not retried on the next start"
    );
}

#[tokio::test]
async fn shutdown_drains_queued_work_before_the_deadline() {
    let rx = Receiver::start(vec![
        (StatusCode::SERVICE_UNAVAILABLE, vec![]),
        (StatusCode::BAD_GATEWAY, vec![]),
    ])
    .await;
    let cfg = DeliveryConfig {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        ..DeliveryConfig::default()
    };
    let sink = WebhookSink::new(
        http_client(Duration::from_secs(2)),
        Secret::new(rx.url("/")),
        None,
        String::new(),
        String::new(),
    );
    let worker = spawn_worker(sink, &cfg);
    for i in 0..5 {
        worker.enqueue(notification(i));
    }
    let stats_before = worker.stats();
    worker
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(stats_before.dropped, 0);
    assert_eq!(
        rx.received().len(),
        7,
        "five delivered after two retried failures"
    );
}
