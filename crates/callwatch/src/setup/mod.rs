//! `callwatch::init()`: the recorder, export, the in-process agent and the event log, from
//! the environment (and [`Config`] from code), kept running by a [`Guard`].

#[cfg(feature = "agent")]
mod agent;
mod config;
#[cfg(feature = "otlp")]
mod export;

use std::sync::Arc;

pub use config::Config;

use callwatch_core::call::CallObserver;
use callwatch_core::record::Recorder;

/// Sets callwatch up from the environment: installs the recorder as the global observer, so
/// every call the macro and the middleware see is recorded; exports metrics and spans over
/// OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; runs the rules engine and notification
/// sinks in-process when a sink (`CALLWATCH_*`, `CALLWATCH_CONFIG`) or the event log
/// (`CALLWATCH_EVENTS`) is configured. Keep the guard for the life of the program: dropping it
/// flushes everything. [`Config`] does the same from code.
///
/// ```no_run
/// # fn main() -> Result<(), callwatch::InitError> {
/// let _callwatch = callwatch::init()?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`InitError`]: what to fix (a rule or config file with errors, an export setting, a
/// feature this build left out), or that `init` already ran.
pub fn init() -> Result<Guard, InitError> {
    Config::new().init()
}

/// Keeps callwatch running. Dropping it stops the in-process agent after it wrote every
/// queued call to the event log and delivered (or spooled) its notifications, then flushes
/// the OTLP exporters.
#[must_use = "dropping the guard stops callwatch at once: keep it for the life of the program"]
pub struct Guard {
    recorder: Recorder,
    #[cfg(feature = "agent")]
    agent: Option<agent::BackgroundAgent>,
    #[cfg(feature = "otlp")]
    export: Option<export::Export>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").finish_non_exhaustive()
    }
}

impl Guard {
    /// The recorder every call goes into (HDR histograms and counters), for a live view or a
    /// Prometheus exposition of your own.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Exports now what is pending (metrics and spans); dropping the guard does it too.
    pub fn flush(&self) {
        #[cfg(feature = "otlp")]
        if let Some(export) = &self.export {
            export.flush();
        }
    }

    /// The OTLP span layer, for an app that installs its own `tracing` subscriber
    /// ([`Config::install_tracing`]`(false)`):
    ///
    /// ```no_run
    /// use tracing_subscriber::prelude::*;
    /// # fn main() -> Result<(), callwatch::InitError> {
    /// let guard = callwatch::Config::new().install_tracing(false).init()?;
    /// tracing_subscriber::registry()
    ///     .with(tracing_subscriber::fmt::layer())
    ///     .with(guard.tracing_layer())
    ///     .init();
    /// # Ok(()) }
    /// ```
    ///
    /// `None` when no OTLP endpoint is configured.
    #[cfg(feature = "otlp")]
    pub fn tracing_layer<S>(&self) -> Option<impl tracing_subscriber::Layer<S>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        self.export.as_ref().map(|export| export.tracing_layer())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(feature = "agent")]
        if let Some(agent) = self.agent.take() {
            agent.stop();
        }
        #[cfg(feature = "otlp")]
        if let Some(export) = self.export.take() {
            drop(export); // flushes and shuts the exporters down
        }
    }
}

/// Why [`init`] could not set callwatch up. The message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// `init` (or [`set_global_observer`](crate::set_global_observer)) ran before.
    #[error(
        "callwatch is already set up in this process (init() or set_global_observer() ran before)"
    )]
    AlreadyInitialized,
    /// A setting needs a feature this build of callwatch left out.
    #[error("{setting} needs callwatch's `{feature}` feature: add it to callwatch's features in Cargo.toml")]
    FeatureMissing {
        /// The variable or builder setting that asked for it.
        setting: &'static str,
        /// The Cargo feature to enable.
        feature: &'static str,
    },
    /// The rule file has errors (every one is listed, with file, line and column).
    #[error("{0}")]
    Rules(String),
    /// The notification config has errors.
    #[error("{0}")]
    Notify(String),
    /// OTLP export could not be configured.
    #[error("{0}")]
    Export(String),
    /// The in-process agent could not start (the event log cannot be opened, say).
    #[error("{0}")]
    Agent(String),
}

pub(crate) fn start(config: Config) -> Result<Guard, InitError> {
    // `[prices]` and `[budget]` of CALLWATCH_CONFIG, and the CALLWATCH_* budget variables:
    // read only where something exports or judges spend.
    #[cfg(any(feature = "otlp", feature = "agent"))]
    let spend = match &config.notify_config {
        Some(path) => callwatch_core::cost::SpendConfig::load(path),
        None => callwatch_core::cost::SpendConfig::from_env(&|k| std::env::var(k).ok(), &|f| {
            std::fs::read_to_string(f).map_err(|e| e.to_string())
        }),
    }
    .map_err(|e| InitError::Notify(e.to_string()))?;
    #[cfg(any(feature = "otlp", feature = "agent"))]
    let recorder = Recorder::builder().prices(spend.prices.clone()).build();
    #[cfg(not(any(feature = "otlp", feature = "agent")))]
    let recorder = Recorder::builder().build();
    #[cfg(feature = "otlp")]
    let export = export::Export::start(&config, &recorder)?;
    #[cfg(not(feature = "otlp"))]
    if config.otlp_endpoint.is_some() {
        return Err(InitError::FeatureMissing {
            setting: "OTEL_EXPORTER_OTLP_ENDPOINT",
            feature: "otlp",
        });
    }
    #[cfg(feature = "agent")]
    let agent = agent::BackgroundAgent::start_if_configured(&config, &recorder, spend)?;
    #[cfg(all(feature = "otlp", not(feature = "agent")))]
    let _ = spend;
    #[cfg(not(feature = "agent"))]
    if let Some(setting) = agent_settings(&config) {
        return Err(InitError::FeatureMissing {
            setting,
            feature: "agent",
        });
    }
    #[cfg(all(feature = "agent", feature = "otlp"))]
    if let (Some(agent), Some(export)) = (&agent, &export) {
        agent.export_health(&export.meter());
    }
    #[cfg(feature = "agent")]
    let observer: Arc<dyn CallObserver> = match &agent {
        Some(agent) => agent.observer(),
        None => Arc::new(recorder.clone()),
    };
    #[cfg(not(feature = "agent"))]
    let observer: Arc<dyn CallObserver> = Arc::new(recorder.clone());
    let guard = Guard {
        recorder,
        #[cfg(feature = "agent")]
        agent,
        #[cfg(feature = "otlp")]
        export,
    };
    crate::set_global_observer(observer).map_err(|_| InitError::AlreadyInitialized)?;
    Ok(guard)
}

/// The first setting that needs the in-process agent, if any.
#[cfg(not(feature = "agent"))]
fn agent_settings(config: &Config) -> Option<&'static str> {
    if config.events.is_some() {
        return Some("CALLWATCH_EVENTS");
    }
    if config.notify_config.is_some() {
        return Some("CALLWATCH_CONFIG");
    }
    if config.rules.is_some() {
        return Some("CALLWATCH_RULES");
    }
    [
        "CALLWATCH_SLACK_WEBHOOK_URL",
        "CALLWATCH_WEBHOOK_URL",
        "CALLWATCH_ALERTMANAGER_URL",
        "CALLWATCH_PAGERDUTY_ROUTING_KEY",
    ]
    .into_iter()
    .find(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}
