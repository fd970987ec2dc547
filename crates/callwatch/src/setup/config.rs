//! [`Config`]: what [`init`](crate::init) sets up, from code and the environment. Code wins
//! over the environment; the environment wins over the defaults.

use std::path::PathBuf;

use super::{Guard, InitError};

/// Builder for [`init`](crate::init). Every setting left unset is read from the environment
/// when [`Config::init`] runs:
///
/// | setting | environment | default |
/// |---|---|---|
/// | [`events`](Config::events) | `CALLWATCH_EVENTS` | no event log |
/// | [`rules`](Config::rules) | `CALLWATCH_RULES` | the embedded default rule set |
/// | [`notify_config`](Config::notify_config) | `CALLWATCH_CONFIG` | sinks from `CALLWATCH_*` variables only |
/// | [`otlp_endpoint`](Config::otlp_endpoint) | `OTEL_EXPORTER_OTLP_ENDPOINT` (and the other `OTEL_*`) | no export |
/// | [`service_name`](Config::service_name) | `OTEL_SERVICE_NAME` | the SDK's default |
/// | [`install_tracing`](Config::install_tracing) | — | on when exporting |
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Config {
    pub(crate) events: Option<PathBuf>,
    pub(crate) rules: Option<PathBuf>,
    pub(crate) notify_config: Option<PathBuf>,
    pub(crate) otlp_endpoint: Option<String>,
    pub(crate) service_name: Option<String>,
    pub(crate) install_tracing: Option<bool>,
}

impl Config {
    /// Nothing set: everything comes from the environment.
    pub fn new() -> Config {
        Config::default()
    }

    /// Append every finished call to this file as an event line (the format `callwatch replay`
    /// reads).
    pub fn events(mut self, path: impl Into<PathBuf>) -> Self {
        self.events = Some(path.into());
        self
    }

    /// The rule file the in-process rules engine runs.
    pub fn rules(mut self, path: impl Into<PathBuf>) -> Self {
        self.rules = Some(path.into());
        self
    }

    /// The notification config file (`callwatch.toml`): routes, receivers, grouping.
    pub fn notify_config(mut self, path: impl Into<PathBuf>) -> Self {
        self.notify_config = Some(path.into());
        self
    }

    /// Export metrics and spans over OTLP to this endpoint (`http://host:4318` for
    /// http/protobuf).
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(endpoint.into());
        self
    }

    /// `service.name` of the exported resource.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Whether `init` installs a global `tracing` subscriber carrying the OTLP span layer. Turn
    /// it off when your app installs its own subscriber, and add
    /// [`Guard::tracing_layer`] to it instead.
    pub fn install_tracing(mut self, install: bool) -> Self {
        self.install_tracing = Some(install);
        self
    }

    /// Sets everything up; see [`init`](crate::init).
    ///
    /// # Errors
    /// [`InitError`] says what to fix: an unreadable rule or config file, a bad variable, a
    /// feature this build left out, or a second `init`.
    pub fn init(self) -> Result<Guard, InitError> {
        super::start(self.with_environment(&|name| std::env::var(name).ok()))
    }

    /// Fills what code left unset from `env`.
    pub(crate) fn with_environment(mut self, env: &dyn Fn(&str) -> Option<String>) -> Config {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        self.events = self
            .events
            .or_else(|| var("CALLWATCH_EVENTS").map(PathBuf::from));
        self.rules = self
            .rules
            .or_else(|| var("CALLWATCH_RULES").map(PathBuf::from));
        self.notify_config = self
            .notify_config
            .or_else(|| var("CALLWATCH_CONFIG").map(PathBuf::from));
        self.otlp_endpoint = self.otlp_endpoint.or_else(|| {
            var("OTEL_EXPORTER_OTLP_ENDPOINT")
                .or_else(|| var("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_wins_over_the_environment_and_empty_variables_count_as_unset() {
        let env = |name: &str| match name {
            "CALLWATCH_EVENTS" => Some("/tmp/from-env.jsonl".to_owned()),
            "CALLWATCH_RULES" => Some("  ".to_owned()),
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".to_owned()),
            _ => None,
        };
        let config = Config::new()
            .events("/tmp/from-code.jsonl")
            .with_environment(&env);
        assert_eq!(config.events, Some(PathBuf::from("/tmp/from-code.jsonl")));
        assert_eq!(config.rules, None);
        assert_eq!(
            config.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );
    }
}
