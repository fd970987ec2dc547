//! Export: OTLP metrics and traces ([`install`]) and a Prometheus `/metrics` endpoint
//! ([`prometheus`]).
//!
//! Nothing here runs on the application's hot path: metrics are read from
//! [`Recorder::snapshot`](callwatch_core::record::Recorder::snapshot) when the SDK's periodic reader
//! collects (see `bridge`), spans go through the SDK's bounded batch processor (full queue:
//! spans are dropped and the SDK logs it), and export failures are logged, never raised. A
//! failed metrics export is retried until the collector answers (see `retry`), so an outage
//! loses nothing, whatever the temporality.
//!
//! ```no_run
//! use std::time::Duration;
//! use tracing_subscriber::prelude::*;
//! let recorder = callwatch_core::record::Recorder::new();
//! let config = callwatch_otlp::ExportConfig::new()
//!     .endpoint("http://localhost:4318")
//!     .interval(Duration::from_secs(10));
//! let guard = callwatch_otlp::install(config, recorder.clone()).expect("export config");
//! tracing_subscriber::registry().with(guard.tracing_layer()).init();
//! // ... on exit, dropping `guard` flushes and shuts the exporters down.
//! ```

mod attributes;
mod bridge;
mod call_spans;
mod config;
mod cost;
mod instruments;
mod retry;
mod userinfo;

pub use attributes::series_attributes;
pub use call_spans::CallSpans;
pub use config::{ExportConfig, Protocol};
pub use opentelemetry_sdk::metrics::Temporality;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use opentelemetry::trace::TracerProvider as _;
#[cfg(feature = "grpc")]
use opentelemetry_otlp::WithTonicConfig;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use callwatch_core::record::Recorder;

/// Why export could not be installed (a configuration problem: say what to fix).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("OTLP export configuration: {0}")]
    Config(String),
    // The SDK's message may quote the endpoint (userinfo, a token in the query).
    #[error("could not build the OTLP {signal} exporter: {}", callwatch_core::classify::redact(&source.to_string()))]
    Build {
        signal: &'static str,
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// Keeps export running; dropping it flushes what is pending and shuts the exporters down.
pub struct ExportGuard {
    meter_provider: SdkMeterProvider,
    tracer_provider: Option<SdkTracerProvider>,
    /// Tells a metrics export that is retrying to give up (on shutdown).
    stop_retrying: Arc<AtomicBool>,
}

impl ExportGuard {
    /// Collects and exports now (metrics and pending spans). Failures are logged by the SDK.
    pub fn flush(&self) {
        if let Err(error) = self.meter_provider.force_flush() {
            tracing::warn!(%error, "callwatch: OTLP metrics flush failed");
        }
        if let Some(tracer_provider) = &self.tracer_provider {
            if let Err(error) = tracer_provider.force_flush() {
                tracing::warn!(%error, "callwatch: OTLP span flush failed");
            }
        }
    }

    /// The meter the exported instruments live on, for more observable instruments (the
    /// agent's health: [`callwatch_agent::Agent::export_health`]).
    pub fn meter(&self) -> opentelemetry::metrics::Meter {
        opentelemetry::metrics::MeterProvider::meter(&self.meter_provider, "callwatch")
    }

    /// The tracer spans are exported through (`None` when traces are disabled).
    pub fn tracer(&self) -> Option<SdkTracer> {
        let provider = self.tracer_provider.as_ref()?;
        Some(provider.tracer("callwatch"))
    }

    /// A `tracing` layer that sends spans (e.g. the instrumentation's `chat {model}` spans) to
    /// OTLP; a no-op layer when traces are disabled. Add it to the application's subscriber.
    pub fn tracing_layer<S>(
        &self,
    ) -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        self.tracer()
            .map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer))
    }

    /// Spans for calls finished outside the application (the proxy's), in the GenAI
    /// convention `OTEL_SEMCONV_STABILITY_OPT_IN` selects; `None` when traces are disabled.
    pub fn call_spans(&self) -> Option<CallSpans> {
        let convention = callwatch_core::semconv::Convention::from_env();
        self.tracer()
            .map(|tracer| CallSpans::new(tracer, convention))
    }
}

impl Drop for ExportGuard {
    fn drop(&mut self) {
        self.stop_retrying.store(true, Ordering::Relaxed);
        if let Err(error) = self.meter_provider.shutdown() {
            tracing::warn!(%error, "callwatch: OTLP metrics shutdown failed");
        }
        if let Some(tracer_provider) = &self.tracer_provider {
            if let Err(error) = tracer_provider.shutdown() {
                tracing::warn!(%error, "callwatch: OTLP span shutdown failed");
            }
        }
    }
}

/// Starts exporting `recorder`'s metrics (and, unless disabled, spans) over OTLP.
pub fn install(config: ExportConfig, recorder: Recorder) -> Result<ExportGuard, ExportError> {
    let resource = resource(&config);
    let metric_protocol = config
        .resolved_protocol("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL")
        .map_err(ExportError::Config)?;
    let stop_retrying = Arc::new(AtomicBool::new(false));
    let metric_exporter = retry::RetryingExporter::new(
        metric_exporter(&config, metric_protocol)?,
        retry::interval(config.interval),
        stop_retrying.clone(),
    );
    let mut reader = PeriodicReader::builder(metric_exporter);
    if let Some(interval) = config.interval {
        reader = reader.with_interval(interval);
    }
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource.clone())
        .with_reader(reader.build())
        .build();
    instruments::register(
        &opentelemetry::metrics::MeterProvider::meter(&meter_provider, "callwatch"),
        recorder,
        config.resolved_convention(),
    );

    let tracer_provider = if config.traces {
        let protocol = config
            .resolved_protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .map_err(ExportError::Config)?;
        let exporter = span_exporter(&config, protocol)?;
        Some(
            SdkTracerProvider::builder()
                .with_resource(resource)
                .with_batch_exporter(exporter)
                .build(),
        )
    } else {
        None
    };
    Ok(ExportGuard {
        meter_provider,
        tracer_provider,
        stop_retrying,
    })
}

fn resource(config: &ExportConfig) -> Resource {
    // `Resource::builder` reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; what the code
    // sets is applied after, so it wins.
    let mut builder = Resource::builder().with_attributes(config.resource_attributes.clone());
    if let Some(name) = &config.service_name {
        builder = builder.with_service_name(name.clone());
    }
    builder.build()
}

#[cfg(feature = "grpc")]
fn grpc_runtime_check() -> Result<(), ExportError> {
    tokio::runtime::Handle::try_current()
        .map(|_| ())
        .map_err(|_| {
            ExportError::Config(
                "the grpc protocol needs a tokio runtime: call install() inside one, or use \
             http/protobuf"
                    .into(),
            )
        })
}

#[cfg(feature = "grpc")]
fn grpc_metadata(
    config: &ExportConfig,
    authorization: Option<&str>,
) -> Result<opentelemetry_otlp::tonic_types::metadata::MetadataMap, ExportError> {
    let mut headers = http::HeaderMap::new();
    if let Some(value) = authorization {
        let value = http::HeaderValue::try_from(value).map_err(|_| {
            ExportError::Config("the endpoint's user:password is not a valid header".into())
        })?;
        headers.insert(http::header::AUTHORIZATION, value);
    }
    for (name, value) in &config.headers {
        let name = http::HeaderName::try_from(name.as_str())
            .map_err(|e| ExportError::Config(format!("header name {name:?}: {e}")))?;
        let value = http::HeaderValue::try_from(value.as_str())
            .map_err(|e| ExportError::Config(format!("header {name}: invalid value: {e}")))?;
        headers.insert(name, value);
    }
    Ok(opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers))
}

macro_rules! build_exporter {
    ($builder:expr, $config:expr, $protocol:expr, $path:expr, $signal:expr) => {{
        let config: &ExportConfig = $config;
        // Userinfo in the endpoint becomes a header here, never part of the client's URL.
        let signal_var = match $signal {
            "metrics" => "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            _ => "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        };
        let target = userinfo::signal_target(config, $protocol, $path, signal_var, &|name| {
            std::env::var(name).ok()
        });
        let result = match $protocol {
            Protocol::HttpProtobuf => {
                let mut b = $builder
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
                if let Some(endpoint) = target.endpoint {
                    b = b.with_endpoint(endpoint);
                }
                if let Some(timeout) = config.timeout {
                    b = b.with_timeout(timeout);
                }
                let mut headers = config.headers.clone();
                if let Some(value) = target.authorization {
                    if !headers
                        .keys()
                        .any(|k| k.eq_ignore_ascii_case("authorization"))
                    {
                        headers.insert("authorization".to_owned(), value);
                    }
                }
                if !headers.is_empty() {
                    b = b.with_headers(headers);
                }
                b.build()
            }
            #[cfg(not(feature = "grpc"))]
            Protocol::Grpc => {
                return Err(ExportError::Config(
                    "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs callwatch's `otlp-grpc` feature \
                     (tonic); use http/protobuf, the default"
                        .into(),
                ));
            }
            #[cfg(feature = "grpc")]
            Protocol::Grpc => {
                grpc_runtime_check()?;
                let mut b = $builder
                    .with_tonic()
                    .with_protocol(opentelemetry_otlp::Protocol::Grpc)
                    .with_metadata(grpc_metadata(config, target.authorization.as_deref())?);
                if let Some(endpoint) = target.endpoint {
                    b = b.with_endpoint(endpoint);
                }
                if let Some(timeout) = config.timeout {
                    b = b.with_timeout(timeout);
                }
                b.build()
            }
        };
        result.map_err(|source| ExportError::Build {
            signal: $signal,
            source,
        })
    }};
}

fn metric_exporter(
    config: &ExportConfig,
    protocol: Protocol,
) -> Result<opentelemetry_otlp::MetricExporter, ExportError> {
    let mut builder = opentelemetry_otlp::MetricExporter::builder();
    if let Some(temporality) = config.temporality {
        builder = builder.with_temporality(temporality);
    }
    build_exporter!(builder, config, protocol, "/v1/metrics", "metrics")
}

fn span_exporter(
    config: &ExportConfig,
    protocol: Protocol,
) -> Result<opentelemetry_otlp::SpanExporter, ExportError> {
    let builder = opentelemetry_otlp::SpanExporter::builder();
    build_exporter!(builder, config, protocol, "/v1/traces", "traces")
}
