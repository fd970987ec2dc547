//! The rules engine and notification sinks in-process, on a runtime of their own: `init` may
//! run inside or outside the app's tokio runtime, and the guard's drop must be able to wait for
//! the last notifications without blocking that runtime's own workers.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::call::CallObserver;
use callwatch_core::record::Recorder;
use callwatch_notify::{Notifier, NotifyConfig};

use super::{Config, InitError};

/// How long the guard's drop waits for in-flight notifications (the spool keeps the rest).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub(super) struct BackgroundAgent {
    observer: Arc<dyn CallObserver>,
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    health: callwatch_agent::HealthSource,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundAgent {
    /// Starts the agent when a sink or the event log is configured; `None` otherwise.
    pub fn start_if_configured(
        config: &Config,
        recorder: &Recorder,
        spend: callwatch_core::cost::SpendConfig,
    ) -> Result<Option<BackgroundAgent>, InitError> {
        let rules = match &config.rules {
            Some(path) => callwatch_rules::load_rules_file(path)
                .map_err(|errors| InitError::Rules(errors.to_string()))?,
            None => callwatch_rules::default_rules(),
        };
        let notify = notify_config(config)?;
        if notify.is_none() && config.events.is_none() {
            return Ok(None);
        }
        let options = AgentOptions {
            rules,
            clock: Clock::system(),
            event_log: config.events.clone(),
            notifier: None,
            on_alert: None,
            recorder: recorder.clone(),
        };
        let (started_tx, started_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("callwatch-agent".into())
            .spawn(move || run(options, spend, notify, started_tx, stop_rx))
            .map_err(|e| {
                InitError::Agent(format!("cannot start the callwatch agent thread: {e}"))
            })?;
        let (observer, health) = match started_rx.recv() {
            Ok(Ok(started)) => started,
            Ok(Err(message)) => {
                let _ = thread.join();
                return Err(InitError::Agent(message));
            }
            Err(_) => {
                let _ = thread.join();
                return Err(InitError::Agent(
                    "the callwatch agent thread stopped at start".into(),
                ));
            }
        };
        Ok(Some(BackgroundAgent {
            observer,
            health,
            stop: Some(stop_tx),
            thread: Some(thread),
        }))
    }

    pub fn observer(&self) -> Arc<dyn CallObserver> {
        self.observer.clone()
    }

    #[cfg(feature = "otlp")]
    pub fn export_health(&self, meter: &opentelemetry::metrics::Meter) {
        callwatch_agent::export_health(meter, self.health.clone());
    }

    /// Stops the agent after it drained its queue and delivered what it could.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Started = Result<(Arc<dyn CallObserver>, callwatch_agent::HealthSource), String>;

fn run(
    mut options: AgentOptions,
    spend: callwatch_core::cost::SpendConfig,
    notify: Option<NotifyConfig>,
    started: mpsc::Sender<Started>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = started.send(Err(format!(
                "cannot start the callwatch agent runtime: {e}"
            )));
            return;
        }
    };
    runtime.block_on(async move {
        if let Some(notify) = notify {
            match Notifier::from_config(notify) {
                Ok(notifier) => options.notifier = Some(notifier),
                Err(e) => {
                    let _ = started.send(Err(e.to_string()));
                    return;
                }
            }
        }
        let budget = spend.budget;
        // The firing alerts persist beside the spool (as the proxy's do).
        let mut agent = match Agent::start_restoring_with_spend(options, spend) {
            Ok(agent) => agent,
            Err(e) => {
                let _ = started.send(Err(e.to_string()));
                return;
            }
        };
        agent.reconcile_from_env(&budget);
        let _ = started.send(Ok((agent.observer(), agent.health())));
        let _ = stop.await;
        let summary = agent
            .stop(tokio::time::Instant::now() + SHUTDOWN_GRACE)
            .await;
        if summary.dropped > 0 {
            tracing::warn!(
                dropped = summary.dropped,
                "callwatch: calls the rules engine's queue could not take (still in the metrics)"
            );
        }
    });
}

/// The notification config from the file and the `CALLWATCH_*` variables; `None` when no sink
/// is configured.
fn notify_config(config: &Config) -> Result<Option<NotifyConfig>, InitError> {
    let env = |k: &str| std::env::var(k).ok();
    let notify = match &config.notify_config {
        Some(path) => NotifyConfig::load(path),
        None => NotifyConfig::parse("", "environment", &env),
    }
    .map_err(|e| InitError::Notify(e.to_string()))?;
    Ok(notify.has_integrations().then_some(notify))
}
