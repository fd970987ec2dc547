//! The agent: wires the recorder, the rules engine and the notifier around the stream of
//! calls that the instrumentation (macro, middleware, proxy) reports.
//!
//! ```text
//! Call ─▶ Fanout ─┬─▶ Recorder (HDR histograms, counters: /metrics, OTLP, live view)
//!                 └─▶ EventTap ─(bounded queue)─▶ Runner: event log, Engine, Notifier
//! ```

pub mod admin_api;
mod cost_drift;
pub use cost_drift::CostDrift;
mod alert_state;
mod board;
mod clock;
mod health;
mod metrics;
mod otel;
mod restore;
mod runner;
mod state_lock;
mod tap;
mod view;

use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use alert_state::{AlertStateStore, Restored};
pub use board::{describe, AlertBoard};
pub use clock::Clock;
pub use health::{FiringCount, Health, HealthSource};
pub use runner::{AlertHook, RunReport};
pub use tap::{call_event, EventTap};
pub use view::{render_line, render_screen, ViewState};

use callwatch_core::call::{CallObserver, Fanout};
use callwatch_core::event::{Event, EventWriter};
use callwatch_notify::{Notifier, StatsSource};

use callwatch_core::record::Recorder;
use callwatch_rules::{Engine, RuleSet};

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
    clock: Clock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<(RunReport, Option<Notifier>)>,
    event_log: Option<PathBuf>,
    /// The notifier's live counters (the notifier itself moves into the engine task).
    delivery: Option<StatsSource>,
    /// Firing alerts the persisted alert state had no room for.
    alert_state_left_out: Arc<std::sync::atomic::AtomicU64>,
    /// Tasks beside the engine (Admin API reconciliation), stopped with it.
    background: Vec<JoinHandle<()>>,
    /// Asks the engine task what the calls seen cost over a range.
    spend_ledger: cost_drift::SpendLedger,
    /// The latest computed-vs-billed drift (with an Admin API key).
    drift: cost_drift::DriftCell,
    /// When the engine started seeing calls: the drift compares the whole hours after it.
    started: time::OffsetDateTime,
    /// The prices the engine computes spend with.
    prices: Arc<callwatch_core::cost::PriceTable>,
}

/// Exports an agent's health over OTLP (`callwatch.alerts.firing`, `callwatch.engine.dropped`,
/// `callwatch.notifications`), read from `health` at each collection.
pub fn export_health(meter: &opentelemetry::metrics::Meter, health: HealthSource) {
    otel::register(meter, health);
}

/// What the agent did, once stopped.
#[derive(Debug)]
pub struct AgentSummary {
    /// Calls and key rotations the engine observed.
    pub events: u64,
    /// The calls among them.
    pub calls: u64,
    pub dropped: u64,
    pub log_errors: u64,
    pub event_log: Option<PathBuf>,
    pub board: AlertBoard,
    /// Per sink: delivered, failed, retried, dropped (after the shutdown drain).
    pub delivery: Option<callwatch_notify::DeliveryStats>,
}

impl Agent {
    /// Starts the engine task on the current tokio runtime (spend priced with the recorder's
    /// prices, no budget).
    pub fn start(options: AgentOptions) -> Result<Agent, AgentError> {
        let spend = Agent::recorder_prices(&options);
        Agent::start_with(options, None, spend)
    }

    /// Starts like [`Agent::start`], persisting the firing alerts beside the notifier's spool
    /// (when it has one) and taking back what a previous run left there: an alert firing
    /// before the restart continues without a second `firing`, and resolves once.
    pub fn start_restoring(options: AgentOptions) -> Result<Agent, AgentError> {
        let spend = Agent::recorder_prices(&options);
        Agent::start_restoring_with_spend(options, spend)
    }

    /// [`Agent::start`], with the prices and budget the spend rules judge against.
    pub fn start_with_spend(
        options: AgentOptions,
        spend: callwatch_core::cost::SpendConfig,
    ) -> Result<Agent, AgentError> {
        Agent::start_with(options, None, spend)
    }

    /// [`Agent::start_restoring`], with the prices and budget the spend rules judge against.
    pub fn start_restoring_with_spend(
        options: AgentOptions,
        spend: callwatch_core::cost::SpendConfig,
    ) -> Result<Agent, AgentError> {
        let store = options
            .notifier
            .as_ref()
            .and_then(Notifier::spool_dir)
            .and_then(AlertStateStore::open);
        Agent::start_with(options, store, spend)
    }

    /// The recorder's prices and no budget.
    fn recorder_prices(options: &AgentOptions) -> callwatch_core::cost::SpendConfig {
        callwatch_core::cost::SpendConfig {
            prices: std::sync::Arc::new(options.recorder.prices().clone()),
            budget: Default::default(),
        }
    }

    fn start_with(
        options: AgentOptions,
        mut state: Option<AlertStateStore>,
        spend: callwatch_core::cost::SpendConfig,
    ) -> Result<Agent, AgentError> {
        let log = match &options.event_log {
            Some(path) => {
                // Appended to, like any log: a restart, or two processes of one app, keep every
                // line written before.
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| AgentError::EventLog {
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
        let (spend_ledger, spend_queries) = tokio::sync::mpsc::channel(cost_drift::QUERY_QUEUE);
        let alert_state_left_out = state
            .as_ref()
            .map(AlertStateStore::left_out_counter)
            .unwrap_or_default();
        let prices = spend.prices.clone();
        let mut engine = Engine::new(options.rules).with_spend(spend);
        if let Some(state) = &mut state {
            restore::restore(
                state,
                &mut engine,
                options.clock.now(),
                &board,
                options.notifier.as_ref(),
            );
        }
        let runner = runner::Runner {
            engine,
            clock: options.clock,
            events,
            log,
            board: board.clone(),
            notifier: options.notifier,
            on_alert: options.on_alert,
            stop: stop_rx,
            tap: tap.clone(),
            state,
            spend_queries,
        };
        let task = tokio::spawn(runner.run());
        Ok(Agent {
            recorder,
            tap,
            observer,
            board,
            clock: options.clock,
            stop: Some(stop),
            task,
            event_log: options.event_log,
            delivery,
            alert_state_left_out,
            background: Vec::new(),
            spend_ledger: cost_drift::SpendLedger(spend_ledger),
            drift: cost_drift::DriftCell::default(),
            started: options.clock.now(),
            prices,
        })
    }

    /// Starts [`Agent::reconcile_credit`] when `CALLWATCH_ANTHROPIC_ADMIN_KEY` is set and the
    /// budget has a credit balance (every 15 minutes; the export itself moves every few
    /// hours). A key without a balance is said once: there is nothing to correct.
    pub fn reconcile_from_env(&mut self, budget: &callwatch_core::cost::Budget) {
        let Some(api) = admin_api::AdminApi::from_env() else {
            return;
        };
        match budget.credit {
            Some(credit) => self.reconcile_credit(api, credit, admin_api::RECONCILE_EVERY),
            None => tracing::warn!(
                "callwatch: {} is set but no credit balance is (credit_balance_usd and as_of in [budget]): billed spend has nothing to correct",
                admin_api::ENV_ADMIN_KEY
            ),
        }
    }

    /// Corrects the credit runway with billed spend: every `every`, reads what the Admin API
    /// billed since the credit's `as_of` and tells the engine the balance left at the
    /// export's time (a `credit_balance` event, in the event log too); the calls since then
    /// count as before. See [`admin_api`].
    pub fn reconcile_credit(
        &mut self,
        api: admin_api::AdminApi,
        credit: callwatch_core::cost::Credit,
        every: std::time::Duration,
    ) {
        let task = admin_api::reconcile(
            api,
            credit,
            every,
            self.clock,
            self.tap.clone(),
            admin_api::DriftSink {
                ledger: self.spend_ledger.clone(),
                cell: self.drift.clone(),
                seen_since: self.started,
                prices: self.prices.clone(),
            },
        );
        self.background.push(tokio::spawn(task));
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

    /// The agent's own health: alerts firing, engine queue drops, notifications.
    pub fn health(&self) -> HealthSource {
        HealthSource {
            board: self.board.clone(),
            tap: self.tap.clone(),
            delivery: self.delivery.clone(),
            alert_state_left_out: self.alert_state_left_out.clone(),
            drift: self.drift.clone(),
        }
    }

    /// The agent's own metrics in Prometheus text: alerts firing per rule and severity, calls
    /// the rules engine's queue dropped, and notifications per sink and result.
    pub fn metrics_source(&self) -> callwatch_core::prometheus::ExtraMetrics {
        let health = self.health();
        Arc::new(move || metrics::render(&health.read()))
    }

    /// Exports the same health over OTLP (`callwatch.alerts.firing`,
    /// `callwatch.engine.dropped`, `callwatch.notifications`), read at each collection.
    pub fn export_health(&self, meter: &opentelemetry::metrics::Meter) {
        export_health(meter, self.health());
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
        for task in self.background.drain(..) {
            task.abort();
        }
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
            calls: report.calls,
            dropped: self.tap.dropped(),
            log_errors: report.log_errors,
            event_log: self.event_log.clone(),
            board: self.board(),
            delivery,
        }
    }
}
