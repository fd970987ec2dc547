//! The engine task: drains the tap, writes the event log, feeds the rules engine (any-rules
//! fire as the call arrives), ticks it on the agent's clock, and hands every alert transition
//! to the board, the printer and the notifier.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::board::AlertBoard;
use super::Clock;
use callwatch_core::alert::Alert;
use callwatch_core::event::{Event, EventWriter};
use callwatch_notify::Notifier;
use callwatch_rules::Engine;

/// Called for every alert transition (the demo prints it; the proxy logs it).
pub type AlertHook = Box<dyn FnMut(&Alert) + Send>;

pub struct Runner {
    pub engine: Engine,
    pub clock: Clock,
    pub events: mpsc::Receiver<super::tap::Tapped>,
    pub log: Option<(PathBuf, EventWriter<BufWriter<File>>)>,
    pub board: Arc<Mutex<AlertBoard>>,
    pub notifier: Option<Notifier>,
    pub on_alert: Option<AlertHook>,
    pub stop: oneshot::Receiver<()>,
    /// Where the engine's own refusals (series limit) are published for `/metrics` and OTLP.
    pub tap: Arc<super::EventTap>,
    /// Where the firing alerts are persisted for the next start, if anywhere.
    pub state: Option<super::alert_state::AlertStateStore>,
    /// Questions about the spend seen (the cost drift's computed side).
    pub spend_queries: mpsc::Receiver<super::cost_drift::SpendQuery>,
}

/// What the task reports when it ends.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Everything the engine observed: calls and key rotations.
    pub events: u64,
    /// The calls among them.
    pub calls: u64,
    pub log_errors: u64,
}

impl Runner {
    pub async fn run(mut self) -> (RunReport, Option<Notifier>) {
        let mut report = RunReport::default();
        // One engine second per tick: a compressed clock ticks more often in real time.
        let period = self
            .clock
            .real(Duration::from_secs(1))
            .max(Duration::from_millis(5));
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                biased;
                _ = &mut self.stop => break,
                event = self.events.recv() => match event {
                    Some(event) => self.observe(event, &mut report),
                    None => break,
                },
                // After the events queued: an answer counts the calls already sent.
                Some(q) = self.spend_queries.recv() => {
                    let _ = q.reply.send(self.engine.spent_between(q.from, q.to));
                }
                _ = ticker.tick() => {
                    let alerts = self.engine.tick(self.clock.now());
                    self.publish(alerts);
                    self.refresh_pending();
                    self.flush_log(&mut report);
                    self.persist(false);
                }
            }
        }
        // Drain what was queued before the stop, then one last tick so nothing is left pending.
        while let Ok(event) = self.events.try_recv() {
            self.observe(event, &mut report);
        }
        let alerts = self.engine.tick(self.clock.now());
        self.publish(alerts);
        self.flush_log(&mut report);
        // Everything pending goes to delivery (the spool) first, so the state written last
        // says every firing alert was handed over and the next start sends none again.
        if let Some(notifier) = &self.notifier {
            notifier.flush_now();
        }
        self.persist(true);
        (report, self.notifier)
    }

    /// Writes the firing alerts for the next start (when they, or what delivery has of them,
    /// changed; `force`: always).
    fn persist(&mut self, force: bool) {
        let Some(state) = &mut self.state else {
            return;
        };
        let undelivered = self
            .notifier
            .as_ref()
            .map(Notifier::undelivered)
            .unwrap_or_default();
        state.save(self.engine.firing_instances(), &undelivered, force);
    }

    fn observe(&mut self, tapped: super::tap::Tapped, report: &mut RunReport) {
        let mut event = match tapped {
            super::tap::Tapped::Event(event) => event,
            super::tap::Tapped::Attempt(mut attempt) => {
                if let Some(now) = self.engine.clock() {
                    attempt.ts = attempt.ts.max(now);
                }
                let alerts = self.engine.observe_attempt(&attempt);
                self.publish(alerts);
                return;
            }
        };
        report.events += 1;
        if matches!(event, Event::Call(_)) {
            report.calls += 1;
        }
        // Calls queued just before a tick can carry a time the engine has passed: keep the
        // engine's clock monotonic rather than rewrite history.
        if let (Some(now), Event::Call(call)) = (self.engine.clock(), &mut event) {
            if call.ts < now {
                call.ts = now;
            }
        }
        if let Some((path, log)) = &mut self.log {
            if let Err(e) = log.write(&event) {
                report.log_errors += 1;
                if report.log_errors == 1 {
                    tracing::error!("callwatch: cannot write event log {}: {e}", path.display());
                }
            }
        }
        // Live, attempts arrive on their own: a call feeds only the call-scoped rules.
        let alerts = match &event {
            Event::Call(call) => self.engine.observe(call),
            other => self.engine.observe_event(other),
        };
        self.tap
            .set_engine_refused(self.engine.stats().series_overflow);
        let fired = !alerts.is_empty();
        self.publish(alerts);
        if fired {
            // An `any` rule fired at the call: persist now, not at the next tick.
            self.persist(false);
        }
    }

    fn publish(&mut self, alerts: Vec<Alert>) {
        if alerts.is_empty() {
            return;
        }
        let mut board = self.board.lock().unwrap_or_else(PoisonError::into_inner);
        for alert in alerts {
            board.apply(&alert);
            if let Some(hook) = &mut self.on_alert {
                hook(&alert);
            }
            if let Some(notifier) = &self.notifier {
                notifier.push(alert);
            }
        }
    }

    fn refresh_pending(&mut self) {
        let pending = self
            .engine
            .active()
            .into_iter()
            .filter(|instance| !instance.firing)
            .map(|instance| super::board::describe_instance(&instance.rule, &instance.labels))
            .collect();
        self.board
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_pending(pending);
    }

    fn flush_log(&mut self, report: &mut RunReport) {
        if let Some((path, log)) = &mut self.log {
            if let Err(e) = log.flush() {
                report.log_errors += 1;
                if report.log_errors == 1 {
                    tracing::error!("callwatch: cannot write event log {}: {e}", path.display());
                }
            }
        }
    }
}
