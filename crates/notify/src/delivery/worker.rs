//! One sink's worker: spool first, then attempts with backoff until delivered, rejected, out
//! of attempts, or shut down (what is left stays in the spool for the next start).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::{Notification, Sink, SinkError};

use super::backoff::next_wait;
use super::spool::Spool;
use super::stats::{Counters, SinkStats};
use super::DeliveryConfig;

/// Ids delivered in this run, remembered so a notification queued twice is sent once.
const DELIVERED_MEMORY: usize = 4096;

pub struct WorkerHandle {
    name: String,
    receiver: String,
    /// False: resolutions are left out (Alertmanager's `send_resolved: false`).
    send_resolved: bool,
    tx: Option<mpsc::Sender<Notification>>,
    counters: Arc<Counters>,
    spool: Arc<Spool>,
    capacity: usize,
    task: JoinHandle<()>,
}

/// Start a worker spooling under the sink's own name, for no receiver in particular;
/// notifications a previous run left in the spool go first.
pub fn spawn_worker<S: Sink>(sink: S, cfg: &DeliveryConfig) -> WorkerHandle {
    let name = sink.name().to_string();
    spawn_receiver_worker(sink, cfg, "", &name, true)
}

/// Start the worker of one integration of `receiver`, spooling under `spool_name` (see
/// [`crate::receiver::spool_name`]).
pub fn spawn_receiver_worker<S: Sink>(
    sink: S,
    cfg: &DeliveryConfig,
    receiver: &str,
    spool_name: &str,
    send_resolved: bool,
) -> WorkerHandle {
    let name = sink.name().to_string();
    let spool = Arc::new(Spool::new(cfg.spool_dir.as_deref(), spool_name));
    let counters = Arc::new(Counters::default());
    let left_over = spool.load();
    if !left_over.is_empty() {
        tracing::info!(
            "{name} ({receiver}): {} notifications from a previous run re-queued from the spool",
            left_over.len()
        );
    }
    counters
        .pending
        .fetch_add(left_over.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(cfg.queue_capacity.max(1));
    let label = if receiver.is_empty() {
        name.clone()
    } else {
        format!("{receiver}/{name}")
    };
    let worker = Worker {
        label,
        sink,
        cfg: cfg.clone(),
        spool: spool.clone(),
        counters: counters.clone(),
        delivered: HashSet::new(),
        delivered_order: VecDeque::new(),
        rejected_alike: (String::new(), 0),
    };
    let task = tokio::spawn(worker.run(rx, left_over.into()));
    WorkerHandle {
        name,
        receiver: receiver.to_string(),
        send_resolved,
        tx: Some(tx),
        counters,
        spool,
        capacity: cfg.queue_capacity,
        task,
    }
}

impl WorkerHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The receiver this worker delivers for (empty for a bare worker).
    pub fn receiver(&self) -> &str {
        &self.receiver
    }

    /// Spool, then queue. Never blocks: a full queue drops (counted, said, still spooled).
    /// Without `send_resolved`, resolutions are left out, and a notification of nothing but
    /// resolutions is not sent.
    pub fn enqueue(&self, mut n: Notification) {
        if !self.send_resolved {
            n.alerts
                .retain(|a| a.state == callwatch_core::alert::AlertState::Firing);
            if n.alerts.is_empty() {
                return;
            }
        }
        let spooled = self.spool.write(&n);
        if !spooled {
            Counters::add(&self.counters.spool_errors);
        }
        let Some(tx) = &self.tx else { return };
        let id = n.id.clone();
        match tx.try_send(n) {
            Ok(()) => Counters::add(&self.counters.pending),
            Err(_) => {
                Counters::add(&self.counters.dropped);
                let fate = if spooled {
                    "it stays in the spool and is sent after the next start"
                } else {
                    "it is lost"
                };
                tracing::warn!(
                    "{} (receiver {:?}): delivery queue full ({} waiting): dropped notification {id}; {fate}",
                    self.name,
                    self.receiver,
                    self.capacity
                );
            }
        }
    }

    pub fn stats(&self) -> SinkStats {
        self.counters.snapshot(&self.name, &self.receiver)
    }

    /// The sink's name, receiver and live counters, for a [`super::StatsSource`].
    pub(crate) fn counters(&self) -> (String, String, Arc<Counters>) {
        (
            self.name.clone(),
            self.receiver.clone(),
            self.counters.clone(),
        )
    }

    /// Stop taking work, drain what is queued until `deadline`, then stop; anything not
    /// delivered by then is still in the spool. Returns the sink's final counts.
    pub async fn shutdown(mut self, deadline: Instant) -> SinkStats {
        self.tx = None;
        if tokio::time::timeout_at(deadline, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
            let left = self.counters.snapshot(&self.name, &self.receiver).pending;
            tracing::warn!("{} (receiver {:?}): shutdown deadline reached with {left} notifications undelivered; they stay in the spool", self.name, self.receiver);
        }
        self.counters.snapshot(&self.name, &self.receiver)
    }
}

struct Worker<S> {
    sink: S,
    /// How logs name it: `receiver/kind`, or the kind alone outside a receiver.
    label: String,
    cfg: DeliveryConfig,
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    delivered: HashSet<String>,
    delivered_order: VecDeque<String>,
    /// The last permanent rejection's reason and how many in a row gave it: a receiver that
    /// cannot work here (no session bus for desktop) is said once and then at 2, 4, 8, …
    /// rejections, not once per alert. Each one is still counted and kept in dead/.
    rejected_alike: (String, u64),
}

impl<S: Sink> Worker<S> {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Notification>,
        mut backlog: VecDeque<Notification>,
    ) {
        let refresh_every = self.sink.refresh_interval();
        let mut next_refresh = refresh_every.map(|d| Instant::now() + d);
        loop {
            let n = match backlog.pop_front() {
                Some(n) => n,
                None => {
                    let refresh_at = next_refresh
                        .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
                    tokio::select! {
                        msg = rx.recv() => match msg {
                            Some(n) => n,
                            None => break,
                        },
                        () = tokio::time::sleep_until(refresh_at), if next_refresh.is_some() => {
                            self.refresh().await;
                            next_refresh = refresh_every.map(|d| Instant::now() + d);
                            continue;
                        }
                    }
                }
            };
            self.deliver(n).await;
        }
    }

    async fn refresh(&self) {
        match tokio::time::timeout(self.cfg.timeout, self.sink.refresh()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!("{}: re-sending firing alerts failed: {e}", self.label)
            }
            Err(_) => tracing::warn!(
                "{}: re-sending firing alerts timed out after {:?}",
                self.label,
                self.cfg.timeout
            ),
        }
    }

    async fn deliver(&mut self, n: Notification) {
        let name = self.label.clone();
        if self.delivered.contains(&n.id) {
            self.spool.remove(&n.id);
            self.counters.done();
            return;
        }
        let mut attempt: u32 = 0;
        loop {
            let outcome = match tokio::time::timeout(self.cfg.timeout, self.sink.send(&n)).await {
                Ok(r) => r,
                Err(_) => Err(SinkError::retryable(format!(
                    "no answer within {:?}",
                    self.cfg.timeout
                ))),
            };
            match outcome {
                Ok(()) => {
                    Counters::add(&self.counters.sent);
                    self.spool.remove(&n.id);
                    // An older state of the same alerts (one whose retries ran out, say) must
                    // not follow this one, now or after a restart.
                    for stale in self.spool.superseded_by(&n) {
                        self.spool.remove(&stale);
                        self.remember(stale);
                    }
                    self.remember(n.id);
                    self.counters.done();
                    return;
                }
                Err(SinkError::Permanent { reason }) => {
                    Counters::add(&self.counters.failed);
                    let (last, times) = &mut self.rejected_alike;
                    if *last == reason {
                        *times += 1;
                    } else {
                        (*last, *times) = (reason.clone(), 1);
                    }
                    if *times == 1 {
                        tracing::error!("{name}: notification {} rejected ({reason}); moved to the spool's dead/ directory", n.id);
                    } else if times.is_power_of_two() {
                        tracing::error!("{name}: {times} notifications in a row rejected for the same reason ({reason}); all in the spool's dead/ directory");
                    }
                    self.spool.bury(&n.id);
                    self.counters.done();
                    return;
                }
                Err(SinkError::Retryable { after, reason }) => {
                    attempt += 1;
                    if attempt >= self.cfg.max_attempts {
                        Counters::add(&self.counters.failed);
                        tracing::error!("{name}: notification {} not delivered after {attempt} attempts ({reason}); it stays in the spool for the next start", n.id);
                        self.counters.done();
                        return;
                    }
                    Counters::add(&self.counters.retried);
                    let wait = next_wait(
                        attempt - 1,
                        after,
                        self.cfg.initial_backoff,
                        self.cfg.max_backoff,
                        self.cfg.max_retry_after,
                    );
                    if attempt == 1 {
                        tracing::warn!(
                            "{name}: delivery of {} failed ({reason}); retrying in {wait:?}",
                            n.id
                        );
                    } else {
                        tracing::debug!("{name}: attempt {attempt} for {} failed ({reason}); retrying in {wait:?}", n.id);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn remember(&mut self, id: String) {
        if self.delivered_order.len() == DELIVERED_MEMORY {
            if let Some(old) = self.delivered_order.pop_front() {
                self.delivered.remove(&old);
            }
        }
        self.delivered.insert(id.clone());
        self.delivered_order.push_back(id);
    }
}
