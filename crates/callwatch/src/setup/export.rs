//! OTLP export of the recorder's metrics and of the call spans, from the standard `OTEL_*`
//! variables (and [`Config`] from code).

use callwatch_core::record::Recorder;
use callwatch_otlp::{ExportConfig, ExportGuard};

use super::{Config, InitError};

pub(super) struct Export {
    guard: ExportGuard,
}

impl Export {
    /// Starts export when an endpoint is configured; `None` otherwise.
    pub fn start(config: &Config, recorder: &Recorder) -> Result<Option<Export>, InitError> {
        let Some(endpoint) = &config.otlp_endpoint else {
            return Ok(None);
        };
        let mut export = ExportConfig::new().endpoint(endpoint.clone());
        if let Some(name) = &config.service_name {
            export = export.service_name(name.clone());
        }
        let guard = callwatch_otlp::install(export, recorder.clone())
            .map_err(|e| InitError::Export(e.to_string()))?;
        let export = Export { guard };
        if config.install_tracing.unwrap_or(true) {
            use tracing_subscriber::layer::SubscriberExt;
            let subscriber = tracing_subscriber::registry().with(export.guard.tracing_layer());
            if tracing::subscriber::set_global_default(subscriber).is_err() {
                tracing::warn!(
                    "callwatch: a tracing subscriber is already installed, so call spans are \
                     not exported: add Guard::tracing_layer() to it (Config::install_tracing(false))"
                );
            }
        }
        Ok(Some(export))
    }

    pub fn flush(&self) {
        self.guard.flush();
    }

    #[cfg(feature = "agent")]
    pub fn meter(&self) -> opentelemetry::metrics::Meter {
        self.guard.meter()
    }

    pub fn tracing_layer<S>(&self) -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        self.guard.tracing_layer()
    }
}
