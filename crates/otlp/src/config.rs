//! Export configuration. Code configuration wins over the standard `OTEL_*` environment
//! variables, which win over defaults; the SDK reads most variables itself (endpoint, headers,
//! timeout, temporality, interval, service name, resource attributes), and we only pass what
//! the code set.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::Temporality;

use callwatch_core::semconv::Convention;

/// OTLP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP with protobuf bodies (the default).
    HttpProtobuf,
    /// OTLP/gRPC (needs a tokio runtime where `install` is called).
    Grpc,
}

impl Protocol {
    /// `OTEL_EXPORTER_OTLP_*PROTOCOL` value.
    pub fn parse(value: &str) -> Option<Protocol> {
        match value.trim() {
            "http/protobuf" => Some(Protocol::HttpProtobuf),
            "grpc" => Some(Protocol::Grpc),
            _ => None,
        }
    }
}

/// How to export. Every field left unset falls back to the environment, then the default.
#[derive(Clone, Debug, Default)]
pub struct ExportConfig {
    pub(crate) protocol: Option<Protocol>,
    pub(crate) endpoint: Option<String>,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) interval: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) temporality: Option<Temporality>,
    pub(crate) service_name: Option<String>,
    pub(crate) resource_attributes: Vec<KeyValue>,
    pub(crate) traces: bool,
    pub(crate) convention: Option<Convention>,
}

impl ExportConfig {
    /// Metrics and traces, everything else from the environment or defaults.
    pub fn new() -> ExportConfig {
        ExportConfig {
            traces: true,
            ..ExportConfig::default()
        }
    }

    /// Default: `OTEL_EXPORTER_OTLP_PROTOCOL`, else http/protobuf.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Base endpoint (e.g. `http://localhost:4318`); over HTTP `/v1/metrics` and `/v1/traces`
    /// are appended. Default: `OTEL_EXPORTER_OTLP_ENDPOINT` and its per-signal variants, else
    /// the OTLP default for the protocol.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Adds a header (e.g. `DD-API-KEY`); merged with `OTEL_EXPORTER_OTLP_HEADERS`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Collection interval. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60 s.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Per-export timeout. Default: `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Cumulative (Prometheus) or delta (Datadog). Default:
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, else cumulative.
    pub fn temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = Some(temporality);
        self
    }

    /// Default: `OTEL_SERVICE_NAME`, else `service.name` from `OTEL_RESOURCE_ATTRIBUTES`, else
    /// the SDK's `unknown_service`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (wins over `OTEL_RESOURCE_ATTRIBUTES` for the same key).
    pub fn resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Whether to export spans too (default true).
    pub fn traces(mut self, enabled: bool) -> Self {
        self.traces = enabled;
        self
    }

    /// Which GenAI convention names to emit. Default: `OTEL_SEMCONV_STABILITY_OPT_IN`
    /// (`gen_ai_latest_experimental`, `gen_ai_latest_experimental/dup`), else v1.41.
    pub fn convention(mut self, convention: Convention) -> Self {
        self.convention = Some(convention);
        self
    }

    /// The convention in force: code, then the environment, then v1.41.
    pub(crate) fn resolved_convention(&self) -> Convention {
        self.convention.unwrap_or_else(Convention::from_env)
    }

    /// The protocol in force: code, then the environment, then http/protobuf.
    pub(crate) fn resolved_protocol(&self, signal_var: &str) -> Result<Protocol, String> {
        if let Some(protocol) = self.protocol {
            return Ok(protocol);
        }
        for var in [signal_var, "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let Ok(value) = std::env::var(var) {
                return Protocol::parse(&value).ok_or_else(|| {
                    format!("{var}={value:?} is not supported: use \"http/protobuf\" or \"grpc\"")
                });
            }
        }
        Ok(Protocol::HttpProtobuf)
    }

    /// The signal endpoint to give the SDK, if the code set one (the SDK otherwise reads the
    /// environment and appends the signal path itself).
    pub(crate) fn signal_endpoint(&self, protocol: Protocol, path: &str) -> Option<String> {
        let base = self.endpoint.as_deref()?.trim_end_matches('/');
        Some(match protocol {
            Protocol::HttpProtobuf => format!("{base}{path}"),
            Protocol::Grpc => base.to_owned(),
        })
    }
}
