//! Drift between the exporter and what queries it, under each GenAI convention setting
//! (`OTEL_SEMCONV_STABILITY_OPT_IN`): every metric the Prometheus rules and the Grafana
//! dashboard read is one `/metrics` renders under that setting, and every metric the Datadog
//! monitors and dashboard read is one the OTLP exporter sends under it ([`metrics::otlp`]).

mod fleet_support;

use std::collections::BTreeSet;

use callwatch_core::metrics::{self, Metric};
use callwatch_core::record::Recorder;
use callwatch_core::semconv::Convention;
use callwatch_fleet::{datadog_dashboard, datadog_monitors, grafana, prometheus_rules};
use fleet_support::promql::{exposition, references};

const SETTINGS: [Convention; 3] = [Convention::V1_41, Convention::Latest, Convention::Both];

/// Metric names Prometheus can see under `convention`: `/metrics` of varied traffic, the
/// agent's own metrics, and the ALERTS series.
fn prometheus_names(convention: Convention) -> BTreeSet<String> {
    let recorder = Recorder::new();
    fleet_support::calls::record_varied(&recorder);
    let text = callwatch_core::prometheus::render_with(&recorder.snapshot(), convention);
    let (mut names, _) = exposition(&text);
    // Families declared without a sample in this traffic (the exhaustion gauge needs a drain).
    for line in text.lines() {
        if let Some([name, kind]) = line
            .strip_prefix("# TYPE ")
            .map(|rest| rest.split(' ').collect::<Vec<_>>())
            .and_then(|parts| <[&str; 2]>::try_from(parts).ok())
        {
            if kind == "histogram" {
                names.extend(["bucket", "sum", "count"].map(|s| format!("{name}_{s}")));
            } else {
                names.insert(name.to_owned());
            }
        }
    }
    let agent_only = [
        metrics::NOTIFICATIONS,
        metrics::ALERTS_FIRING,
        metrics::ENGINE_DROPPED,
        metrics::ALERT_STATE_LEFT_OUT,
    ];
    names.extend(agent_only.iter().map(Metric::prom));
    names.insert("ALERTS".to_owned());
    names
}

/// Metric names (recording rules, `a:b:c`, left out) of a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let (names, _) = references(expr);
    names.into_iter().filter(|n| !n.contains(':')).collect()
}

fn grafana_exprs(dashboard: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            out.push(target["expr"].as_str().expect("expr").to_owned());
        }
    }
    out
}

/// The `expr:` values of a generated rule file (double-quoted, JSON-compatible escapes).
fn rule_exprs(file: &str) -> Vec<String> {
    file.lines()
        .filter_map(|l| l.trim_start().strip_prefix("expr: "))
        .map(|quoted| serde_json::from_str::<String>(quoted).expect("a quoted expr"))
        .collect()
}

/// `agg:metric{…}` metric names in Datadog queries anywhere in `value`.
fn datadog_names(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    let re = regex::Regex::new(r"\b[a-z0-9]+:([A-Za-z0-9_.]+)\{").unwrap();
    match value {
        serde_json::Value::String(s) => {
            out.extend(re.captures_iter(s).map(|c| c[1].to_owned()));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| datadog_names(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| datadog_names(v, out)),
        _ => {}
    }
}

#[test]
fn prometheus_rules_and_grafana_read_only_what_metrics_renders_under_each_setting() {
    let rules = callwatch_rules::default_rules();
    for convention in SETTINGS {
        let rendered = prometheus_names(convention);
        let rule_file = prometheus_rules::generate_for(&rules, convention).expect("rules");
        let exprs = rule_exprs(&rule_file);
        assert!(exprs.len() > 20, "only {} rule exprs", exprs.len());
        let dashboard = grafana::dashboard_for(convention);
        let mut read = BTreeSet::new();
        for expr in exprs.iter().chain(&grafana_exprs(&dashboard)) {
            for name in metric_names(expr) {
                assert!(
                    rendered.contains(&name),
                    "{convention:?}: `{name}` in {expr} is not rendered by /metrics"
                );
                read.insert(name);
            }
        }
        // The queries follow the setting: the latest names only where v1.41 is not emitted.
        let ttfc = metrics::GenAi::queried(convention)
            .time_to_first_chunk
            .prom_series("bucket");
        assert!(read.contains(&ttfc), "{convention:?}: nothing reads {ttfc}");
        let old = metrics::TIME_TO_FIRST_CHUNK.prom_series("bucket");
        assert_eq!(
            read.contains(&old),
            convention.emits_v1_41(),
            "{convention:?}: {old}"
        );
    }
}

#[test]
fn datadog_monitors_and_dashboard_read_only_what_otlp_sends_under_each_setting() {
    let rules = callwatch_rules::default_rules();
    for convention in SETTINGS {
        let sent: BTreeSet<&str> = metrics::otlp(convention)
            .iter()
            .map(|m| m.datadog())
            .collect();
        let mut read = BTreeSet::new();
        datadog_names(
            &datadog_monitors::generate_for(&rules, convention),
            &mut read,
        );
        datadog_names(&datadog_dashboard::dashboard_for(convention), &mut read);
        assert!(read.len() >= 8, "{convention:?}: only {read:?}");
        for name in &read {
            assert!(
                sent.contains(name.as_str()),
                "{convention:?}: Datadog reads `{name}`, which OTLP does not send"
            );
        }
        let ttfc = metrics::GenAi::queried(convention).time_to_first_chunk.otel;
        assert!(read.contains(ttfc), "{convention:?}: nothing reads {ttfc}");
    }
}

#[test]
fn the_committed_artefacts_are_the_default_setting() {
    // Byte-identical to what `dashboard()`/`generate()` give (fleet_artifacts checks the files).
    let rules = callwatch_rules::default_rules();
    assert_eq!(
        grafana::dashboard_for(Convention::V1_41),
        grafana::dashboard()
    );
    assert_eq!(
        grafana::dashboard_for(Convention::Both),
        grafana::dashboard()
    );
    assert_eq!(
        prometheus_rules::generate_for(&rules, Convention::Both).unwrap(),
        prometheus_rules::generate(&rules).unwrap()
    );
    assert_ne!(
        datadog_monitors::generate_for(&rules, Convention::Latest),
        datadog_monitors::generate(&rules)
    );
}
