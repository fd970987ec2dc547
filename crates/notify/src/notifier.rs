//! The live facade: owns the router, the receivers' integrations and their delivery workers,
//! and a background task that asks the router what is due every `tick` and hands each
//! notification to the integrations of its receiver.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use callwatch_core::alert::Alert;

use super::config::NotifyConfig;
use super::delivery::{
    spawn_receiver_worker, DeliveryConfig, DeliveryStats, StatsSource, WorkerHandle,
};
use super::receiver::{spool_name, Integration};
use super::router::{Matcher, Router, RouterStats};
use super::sinks::{
    http_client, AlertmanagerSink, DesktopSink, PagerDutySink, Sink, SlackSink, StdoutSink,
    WebhookSigner, WebhookSink,
};
use super::Notification;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(
        "the notifier needs a Tokio runtime: create it inside #[tokio::main] or Runtime::block_on"
    )]
    NoRuntime,
    #[error("webhook secret: {0}")]
    Secret(#[from] super::sinks::SignerError),
}

struct Shared {
    router: Mutex<Router>,
    workers: Vec<WorkerHandle>,
}

impl Shared {
    fn router(&self) -> std::sync::MutexGuard<'_, Router> {
        // The router holds no invariant a panicking holder could half-break beyond one group.
        self.router.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn dispatch(&self, notifications: Vec<Notification>) {
        for n in notifications {
            for w in self.workers.iter().filter(|w| w.receiver() == n.receiver) {
                w.enqueue(n.clone());
            }
        }
    }
}

pub struct Notifier {
    routing: super::RouterConfig,
    spool_dir: Option<std::path::PathBuf>,
    /// `None` only once `shutdown` has taken it.
    shared: Option<Arc<Shared>>,
    stop: Arc<Notify>,
    ticker: Option<JoinHandle<()>>,
}

impl Drop for Notifier {
    /// Dropped without `shutdown`: stop ticking; workers finish their queues on their own
    /// and whatever they do not deliver stays in the spool.
    fn drop(&mut self) {
        self.stop.notify_one();
    }
}

/// Add sinks beyond the configured ones (a test buffer, a custom receiver), then start.
pub struct NotifierBuilder {
    cfg: NotifyConfig,
    workers: Vec<WorkerHandle>,
}

impl NotifierBuilder {
    /// A sink that hears every alert, as a receiver of its own named after the sink, beside
    /// the route tree.
    pub fn sink<S: Sink>(mut self, sink: S) -> NotifierBuilder {
        let name = sink.name().to_string();
        if self.cfg.receiver(&name).is_some() {
            tracing::error!("a receiver named {name:?} is already configured; the added sink is ignored (names key the spool)");
            return self;
        }
        self.cfg.add_side_receiver(&name, Integration::Stdout);
        if let Some(r) = self.cfg.receivers.iter_mut().find(|r| r.name == name) {
            // Stands for the custom sink in the config; the worker below is the real one.
            r.integrations.clear();
        }
        let spool = spool_name(&name, &name, 0);
        self.workers.push(spawn_receiver_worker(
            sink,
            &self.cfg.delivery,
            &name,
            &spool,
            true,
        ));
        self
    }

    pub fn start(self) -> Notifier {
        let shared = Arc::new(Shared {
            router: Mutex::new(Router::new(self.cfg.route.clone())),
            workers: self.workers,
        });
        let stop = Arc::new(Notify::new());
        let ticker = tokio::spawn(tick(shared.clone(), stop.clone(), self.cfg.tick));
        Notifier {
            spool_dir: self.cfg.delivery.spool_dir.clone(),
            routing: self.cfg.route,
            shared: Some(shared),
            stop,
            ticker: Some(ticker),
        }
    }
}

async fn tick(shared: Arc<Shared>, stop: Arc<Notify>, every: std::time::Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let due = shared.router().flush_due(OffsetDateTime::now_utc());
                shared.dispatch(due);
            }
            () = stop.notified() => return,
        }
    }
}

impl Notifier {
    /// Every configured sink, started. Must run inside a Tokio runtime.
    pub fn from_config(cfg: NotifyConfig) -> Result<Notifier, NotifyError> {
        Ok(Notifier::builder(cfg)?.start())
    }

    pub fn builder(cfg: NotifyConfig) -> Result<NotifierBuilder, NotifyError> {
        tokio::runtime::Handle::try_current().map_err(|_| NotifyError::NoRuntime)?;
        if cfg.delivery.spool_dir.is_none() {
            tracing::info!("no spool directory: pending notifications are kept in memory only");
        }
        let client = http_client(cfg.delivery.timeout);
        let d: &DeliveryConfig = &cfg.delivery;
        let mut workers = Vec::new();
        for receiver in &cfg.receivers {
            let mut of_kind: std::collections::HashMap<&str, usize> = Default::default();
            for integration in &receiver.integrations {
                let kind = integration.kind();
                let index = of_kind.entry(kind).or_insert(0);
                let spool = spool_name(&receiver.name, kind, *index);
                *index += 1;
                let name = receiver.name.as_str();
                let resolved = integration.send_resolved();
                let worker = match integration {
                    Integration::Slack(s) => spawn_receiver_worker(
                        SlackSink::new(client.clone(), s.webhook_url.clone(), s.min_interval)
                            .with_channel(s.channel.clone()),
                        d,
                        name,
                        &spool,
                        resolved,
                    ),
                    Integration::Webhook(w) => {
                        let signer = w.secret.as_ref().map(WebhookSigner::new).transpose()?;
                        let sink = WebhookSink::new(
                            client.clone(),
                            w.url.clone(),
                            signer,
                            w.external_url.clone(),
                            w.generator_url.clone(),
                        )
                        .with_max_alerts(w.max_alerts);
                        spawn_receiver_worker(sink, d, name, &spool, resolved)
                    }
                    Integration::Alertmanager(a) => spawn_receiver_worker(
                        AlertmanagerSink::new(
                            client.clone(),
                            &a.url,
                            a.generator_url.clone(),
                            a.resend_interval,
                        ),
                        d,
                        name,
                        &spool,
                        resolved,
                    ),
                    Integration::PagerDuty(p) => spawn_receiver_worker(
                        PagerDutySink::new(
                            client.clone(),
                            p.url.clone(),
                            p.routing_key.clone(),
                            p.source.clone(),
                        ),
                        d,
                        name,
                        &spool,
                        resolved,
                    ),
                    Integration::Desktop(desk) => spawn_receiver_worker(
                        DesktopSink::new(desk.timeout),
                        d,
                        name,
                        &spool,
                        resolved,
                    ),
                    Integration::Stdout => {
                        spawn_receiver_worker(StdoutSink::new(), d, name, &spool, resolved)
                    }
                };
                workers.push(worker);
            }
        }
        Ok(NotifierBuilder { cfg, workers })
    }

    fn shared(&self) -> &Shared {
        // Present for the whole life of a Notifier: only `shutdown(self)` takes it.
        self.shared
            .as_deref()
            .expect("notifier state present until shutdown")
    }

    /// Hand over one transition (router time: the system clock).
    pub fn push(&self, alert: Alert) {
        let urgent = super::router::is_urgent(&alert);
        let shared = self.shared();
        let now = OffsetDateTime::now_utc();
        let due = {
            let mut router = shared.router();
            router.push(alert, now);
            // Critical and firing: deliver now rather than at the next tick.
            urgent.then(|| router.flush_due(now))
        };
        if let Some(due) = due {
            shared.dispatch(due);
        }
    }

    /// Fingerprints of firing alerts not yet handed to delivery (still waiting out a group's
    /// `group_wait`, or muted): what a restart must push again rather than take as notified.
    pub fn undelivered(&self) -> std::collections::BTreeSet<String> {
        self.shared().router().undelivered()
    }

    /// Takes back a firing alert a previous run already handed to delivery (it is in the
    /// receivers' hands or in the spool): no new `firing` is sent, repeats and its resolve are.
    /// Alertmanager alone is re-sent it at once (idempotent by labels; it resolves an alert
    /// nobody re-sends), so its resend cycle goes on.
    pub fn restore_notified(&self, alert: Alert) {
        let shared = self.shared();
        let refresh = shared
            .router()
            .restore_notified(alert, OffsetDateTime::now_utc());
        for n in refresh {
            for w in shared
                .workers
                .iter()
                .filter(|w| w.receiver() == n.receiver && w.name() == "alertmanager")
            {
                w.enqueue(n.clone());
            }
        }
    }

    /// Hands every pending group to delivery now, timers ignored (a stop: what the agent
    /// persists afterwards is then all in the spool).
    pub fn flush_now(&self) {
        let shared = self.shared();
        let due = shared.router().flush_all(OffsetDateTime::now_utc());
        shared.dispatch(due);
    }

    /// The spool's root directory, if notifications are spooled to disk.
    pub fn spool_dir(&self) -> Option<&std::path::Path> {
        self.spool_dir.as_deref()
    }

    /// The receivers `alert` is routed to (before silences and inhibition).
    pub fn receivers_for(&self, alert: &Alert) -> Vec<String> {
        self.shared().router().receivers_for(alert)
    }

    /// The routing this notifier uses, for a caller that wants to say where an alert goes
    /// after the notifier moved elsewhere (the demo's alert lines).
    pub fn routing(&self) -> super::RouterConfig {
        self.routing.clone()
    }

    /// Silence alerts matching all `matchers` until `until`; returns the silence id.
    pub fn silence(&self, matchers: Vec<Matcher>, until: OffsetDateTime, comment: &str) -> String {
        self.shared().router().silence(matchers, until, comment)
    }

    pub fn expire_silence(&self, id: &str) -> bool {
        self.shared().router().expire_silence(id)
    }

    pub fn stats(&self) -> DeliveryStats {
        self.stats_source().read()
    }

    /// Live delivery counters that outlive a move of the notifier (into the agent's engine
    /// task) and its shutdown.
    pub fn stats_source(&self) -> StatsSource {
        StatsSource {
            sinks: self
                .shared()
                .workers
                .iter()
                .map(WorkerHandle::counters)
                .collect(),
        }
    }

    pub fn router_stats(&self) -> RouterStats {
        self.shared().router().stats()
    }

    /// Stop ticking, hand every pending group to delivery (timers ignored), and let workers
    /// drain until `deadline`; whatever is undelivered then stays in the spool.
    pub async fn shutdown(mut self, deadline: Instant) -> DeliveryStats {
        self.stop.notify_one();
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.await;
        }
        let Some(shared) = self.shared.take() else {
            return DeliveryStats::default();
        };
        let rest = shared.router().flush_all(OffsetDateTime::now_utc());
        shared.dispatch(rest);
        let Ok(shared) = Arc::try_unwrap(shared) else {
            // Unreachable: the ticker, the only other owner, has finished.
            tracing::error!("notifier shutdown: state still shared; workers not drained");
            return DeliveryStats::default();
        };
        let drains = shared.workers.into_iter().map(|w| w.shutdown(deadline));
        DeliveryStats {
            sinks: futures_util::future::join_all(drains).await,
        }
    }
}
