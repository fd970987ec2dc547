//! Fleet scale: what lets Prometheus/Alertmanager, Grafana and Datadog see and judge a whole
//! fleet of callwatch instances the way one instance does — dashboards, Prometheus rules and
//! Datadog monitors generated from the exported names ([`metrics`]) and the rule set.
//!
//! The generated files are committed (see [`artifacts`]); `tests/fleet_artifacts.rs` fails when
//! they drift from the generators and rewrites them with `CALLWATCH_BLESS=1`.

pub mod datadog_dashboard;
pub mod datadog_monitors;
mod datadog_pressure;
pub mod grafana;
pub use callwatch_core::metrics;
pub mod prometheus_rules;
pub mod promql;
mod rule_text;

/// A generated file: its path relative to the repository root and its content.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: &'static str,
    pub content: String,
}

/// Every committed generated file, generated afresh.
pub fn artifacts() -> Vec<Artifact> {
    vec![
        Artifact {
            path: "dashboards/grafana/callwatch.json",
            content: pretty(&grafana::dashboard()),
        },
        Artifact {
            path: "dashboards/datadog/callwatch.json",
            content: pretty(&datadog_dashboard::dashboard()),
        },
        Artifact {
            path: "alerts/prometheus/callwatch.rules.yml",
            content: prometheus_rules::generate(&callwatch_rules::default_rules())
                .unwrap_or_else(|e| format!("# the default rules do not export: {e}\n")),
        },
        Artifact {
            path: "alerts/datadog/monitors.json",
            content: pretty(&datadog_monitors::generate(
                &callwatch_rules::default_rules(),
            )),
        },
    ]
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
