//! The agent: wires the recorder, the rules engine and the notifier around the stream of
//! calls that the instrumentation (macro, middleware, proxy) reports.
//!
//! ```text
//! Call ─▶ Fanout ─┬─▶ Recorder (HDR histograms, counters: /metrics, OTLP, live view)
//!                 └─▶ EventTap ─(bounded queue)─▶ Runner: event log, Engine, Notifier
//! ```

mod board;
mod clock;
mod runner;
mod tap;
mod view;

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use board::{describe, AlertBoard};
pub use clock::Clock;
pub use runner::{AlertHook, RunReport};
pub use tap::{call_event, EventTap};
pub use view::{render_line, render_screen, ViewState};

use crate::call::{CallObserver, Fanout};
use crate::event::{Event, EventWriter};
use crate::notify::Notifier;
use crate::record::Recorder;
use crate::rules::{Engine, RuleSet};

/// Calls the engine queue holds before it starts dropping (and counting) them.
pub const DEFAULT_QUEUE: usize = 65_536;

pub struct AgentOptions {
    pub rules: RuleSet,
    pub clock: Clock,
    /// Where to write the event log (event-line contract), if anywhere.
    pub event_log: Option<PathBuf>,
    pub notifier: Option<Notifier>,
    pub on_alert: Option<AlertHook>,
    pub recorder: Recorder,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot create event log {path}: {source}")]
    EventLog {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub struct Agent {
    recorder: Recorder,
    tap: Arc<EventTap>,
    observer: Arc<dyn CallObserver>,
    board: Arc<Mutex<AlertBoard>>,
    delivery: Option<crate::notify::DeliveryStatsSource>,
    clock: Clock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<(RunReport, Option<Notifier>)>,
    event_log: Option<PathBuf>,
}

/// What the agent did, once stopped.
#[derive(Debug)]
pub struct AgentSummary {
    pub events: u64,
    pub dropped: u64,
    pub log_errors: u64,
    pub event_log: Option<PathBuf>,
    pub board: AlertBoard,
    /// Per sink: delivered, failed, retried, dropped (after the shutdown drain).
    pub delivery: Option<crate::notify::DeliveryStats>,
}

impl Agent {
    /// Starts the engine task on the current tokio runtime.
    pub fn start(options: AgentOptions) -> Result<Agent, AgentError> {
        let log = match &options.event_log {
            Some(path) => {
                let file = File::create(path).map_err(|source| AgentError::EventLog {
                    path: path.clone(),
                    source,
                })?;
                Some((path.clone(), EventWriter::new(BufWriter::new(file))))
            }
            None => None,
        };
        let (tap, events) = EventTap::new(DEFAULT_QUEUE, options.clock);
        let tap = Arc::new(tap);
        let recorder = options.recorder;
        let observer: Arc<dyn CallObserver> = Arc::new(Fanout(vec![
            Arc::new(recorder.clone()) as Arc<dyn CallObserver>,
            tap.clone() as Arc<dyn CallObserver>,
        ]));
        let board = Arc::new(Mutex::new(AlertBoard::default()));
        let delivery = options.notifier.as_ref().map(Notifier::stats_source);
        let (stop, stop_rx) = oneshot::channel();
        let runner = runner::Runner {
            engine: Engine::new(options.rules),
            clock: options.clock,
            events,
            log,
            board: board.clone(),
            notifier: options.notifier,
            on_alert: options.on_alert,
            stop: stop_rx,
        };
        let task = tokio::spawn(runner.run());
        Ok(Agent {
            recorder,
            tap,
            observer,
            board,
            delivery,
            clock: options.clock,
            stop: Some(stop),
            task,
            event_log: options.event_log,
        })
    }

    /// What the instrumentation reports to: the recorder and the rules engine both see it.
    pub fn observer(&self) -> Arc<dyn CallObserver> {
        self.observer.clone()
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Announces a key rotation explicitly (the engine also infers one from a new key id).
    pub fn key_rotated(&self, event: Event<'static>) {
        self.tap.send(event);
    }

    /// The agent's own metrics in Prometheus text: alerts firing per rule and severity,
    /// calls the rules engine's queue dropped, and notifications per sink and result.
    pub fn metrics_source(&self) -> crate::export::prometheus::ExtraMetrics {
        let board = self.board.clone();
        let tap = self.tap.clone();
        let delivery = self.delivery.clone();
        Arc::new(move || {
            let board = board.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let mut text = metrics_text(&board, tap.dropped());
            if let Some(delivery) = &delivery {
                text.push_str(&notifications_text(&delivery.read()));
            }
            text
        })
    }

    pub fn board(&self) -> AlertBoard {
        self.board
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the engine task after it drained its queue; shuts the notifier down, giving
    /// in-flight deliveries until `deadline`.
    pub async fn stop(mut self, deadline: tokio::time::Instant) -> AgentSummary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (report, notifier) = match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!("callwatch: rules engine task failed: {e}");
                (RunReport::default(), None)
            }
        };
        let delivery = match notifier {
            Some(notifier) => Some(notifier.shutdown(deadline).await),
            None => None,
        };
        AgentSummary {
            events: report.events,
            dropped: self.tap.dropped(),
            log_errors: report.log_errors,
            event_log: self.event_log.clone(),
            board: self.board(),
            delivery,
        }
    }
}

/// Prometheus text for the agent's alert state and queue drops.
fn metrics_text(board: &AlertBoard, dropped: u64) -> String {
    use crate::names::{prometheus_name, CALLWATCH_ALERTS_FIRING, CALLWATCH_ENGINE_DROPPED};
    let firing = prometheus_name(CALLWATCH_ALERTS_FIRING, "{alert}", false);
    let dropped_name = prometheus_name(CALLWATCH_ENGINE_DROPPED, "{call}", true);
    let mut counts: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for rule in board.counts.keys() {
        counts.entry((rule.as_str(), "")).or_default();
    }
    for alert in board.firing() {
        *counts
            .entry((alert.rule.as_str(), alert.severity.as_str()))
            .or_default() += 1;
    }
    let mut out =
        format!("# HELP {firing} Alert instances firing in this agent.\n# TYPE {firing} gauge\n");
    for ((rule, severity), n) in counts {
        if severity.is_empty() {
            // A rule that fired before and is quiet now still reports 0, so graphs drop to 0.
            if !board.firing().any(|a| a.rule == rule) {
                out.push_str(&format!("{firing}{{alertname=\"{rule}\"}} 0\n"));
            }
            continue;
        }
        out.push_str(&format!(
            "{firing}{{alertname=\"{rule}\",severity=\"{severity}\"}} {n}\n"
        ));
    }
    out.push_str(&format!(
        "# HELP {dropped_name} Calls dropped from alerting because the rules engine's queue was full.\n# TYPE {dropped_name} counter\n{dropped_name} {dropped}\n"
    ));
    out
}

fn notifications_text(stats: &crate::notify::DeliveryStats) -> String {
    use crate::names::{
        prometheus_name, CALLWATCH_NOTIFICATIONS, CALLWATCH_RESULT, CALLWATCH_SINK,
    };
    let name = prometheus_name(CALLWATCH_NOTIFICATIONS, "{notification}", true);
    let (sink_key, result_key) = (
        CALLWATCH_SINK.replace('.', "_"),
        CALLWATCH_RESULT.replace('.', "_"),
    );
    let mut out = format!(
        "# HELP {name} Notifications per sink: sent; failed (given up); retried (attempts); \
         dropped (delivery queue full); unspooled (the spool write failed, kept in memory).\n\
         # TYPE {name} counter\n"
    );
    for s in &stats.sinks {
        for (result, n) in [
            ("sent", s.sent),
            ("failed", s.failed),
            ("retried", s.retried),
            ("dropped", s.dropped),
            ("unspooled", s.spool_errors),
        ] {
            out.push_str(&format!(
                "{name}{{{sink_key}=\"{}\",{result_key}=\"{result}\"}} {n}\n",
                s.sink
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Alert, AlertState};

    fn alert(rule: &str, state: AlertState) -> Alert {
        Alert::for_test(rule, state)
    }

    #[test]
    fn metrics_show_firing_alerts_and_drop_back_to_zero() {
        let mut board = AlertBoard::default();
        board.apply(&alert("BillingOutage", AlertState::Firing));
        let text = metrics_text(&board, 3);
        assert!(text.contains(
            "callwatch_alerts_firing{alertname=\"BillingOutage\",severity=\"critical\"} 1"
        ));
        assert!(text.contains("callwatch_engine_dropped_total 3"));
        board.apply(&alert("BillingOutage", AlertState::Resolved));
        let text = metrics_text(&board, 3);
        assert!(
            text.contains("callwatch_alerts_firing{alertname=\"BillingOutage\"} 0"),
            "{text}"
        );
    }
}
