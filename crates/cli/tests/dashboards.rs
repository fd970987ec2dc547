//! Every query of both shipped dashboards names only metrics (and labels / tags) the exporter
//! really emits, as that backend names them.
//!
//! Prometheus: the names come from an actual `/metrics` render after recording varied calls.
//! `ALERTS` is Prometheus' own series for rule alerts (labels `alertname`, `alertstate`, plus
//! the rule's labels such as `severity`), the one name not from the exporter.
//! Datadog: the names come from [`callwatch_core::metrics::OTLP`] (every instrument the OTLP
//! exporter registers) under Datadog's default OTLP mapping: dotted names kept, counters and
//! gauges queried with space aggregators, histograms as distributions (`count`/`sum`/`avg`/
//! `min`/`max`/`pNN`); tag keys are the attribute keys of `callwatch_core::names`.

mod fleet_support;

use std::collections::BTreeSet;

use callwatch_core::metrics::{Kind, OTLP};
use callwatch_core::names;
use callwatch_core::record::Recorder;
use fleet_support::promql::{exposition, references};

/// What a running agent (with a notifier) adds to `/metrics`: alerts firing, engine drops,
/// notifications per sink and result.
fn agent_exposition(recorder: Recorder) -> String {
    use callwatch_agent::{Agent, AgentOptions, Clock};
    use callwatch_notify::{Notifier, NotifyConfig};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let notifier = Notifier::builder(NotifyConfig::default())
            .unwrap()
            .sink(callwatch_notify::sinks::StdoutSink::new())
            .start();
        let agent = Agent::start(AgentOptions {
            rules: callwatch_rules::default_rules(),
            clock: Clock::system(),
            event_log: None,
            notifier: Some(notifier),
            on_alert: None,
            recorder,
        })
        .unwrap();
        let text = (agent.metrics_source())();
        agent
            .stop(tokio::time::Instant::now() + std::time::Duration::from_secs(5))
            .await;
        text
    })
}

#[test]
fn grafana_queries_use_only_names_the_exporter_renders() {
    let recorder = Recorder::new();
    fleet_support::calls::record_varied(&recorder);
    let mut text = callwatch_core::prometheus::render(&recorder.snapshot());
    text.push_str(&agent_exposition(recorder));
    let (mut metrics, mut labels) = exposition(&text);
    metrics.insert("ALERTS".into());
    labels.extend(["alertname", "alertstate", "severity"].map(String::from));

    let queries = fleet_support::grafana_queries();
    assert!(queries.len() >= 15, "only {} queries", queries.len());
    let mut used = BTreeSet::new();
    for (panel, expr) in &queries {
        let (m, l) = references(expr);
        assert!(!m.is_empty(), "panel {panel:?}: no metric in {expr}");
        for name in &m {
            assert!(
                metrics.contains(name),
                "panel {panel:?}: `{name}` is not rendered by /metrics (have {metrics:?})"
            );
            used.insert(name.clone());
        }
        for label in &l {
            assert!(
                labels.contains(label),
                "panel {panel:?}: label `{label}` is not rendered (have {labels:?})"
            );
        }
    }
    // The story the issue asks for: each of these is on the dashboard.
    for needed in [
        "callwatch_calls_total",
        "gen_ai_client_operation_duration_seconds_bucket",
        "callwatch_attempts_sum",
        "callwatch_ratelimit_headroom_ratio",
        "gen_ai_client_token_usage_sum",
        "ALERTS",
        "callwatch_notifications_total",
    ] {
        assert!(used.contains(needed), "no panel uses {needed}");
    }
}

#[test]
fn grafana_dashboard_has_the_datasource_and_model_variables() {
    let dashboard = fleet_support::read_json("dashboards/grafana/callwatch.json");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 38);
    let vars = dashboard["templating"]["list"].as_array().unwrap();
    let datasource = vars
        .iter()
        .find(|v| v["name"] == "datasource")
        .expect("datasource variable");
    assert_eq!(datasource["type"], "datasource");
    assert_eq!(datasource["query"], "prometheus");
    assert!(vars.iter().any(|v| v["name"] == "model"), "model variable");
    assert!(
        vars.iter().any(|v| v["name"] == "provider"),
        "provider variable"
    );
    for panel in dashboard["panels"].as_array().unwrap() {
        assert_eq!(
            panel["datasource"]["uid"], "${datasource}",
            "{}",
            panel["title"]
        );
    }
}

#[test]
fn datadog_queries_use_only_otlp_names_with_valid_aggregators_and_tags() {
    let dashboard = fleet_support::read_json("dashboards/datadog/callwatch.json");
    let query_re =
        regex::Regex::new(r"\b([a-z0-9]+):([A-Za-z0-9_.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?")
            .unwrap();
    let tag_keys: BTreeSet<&str> = [
        names::GEN_AI_OPERATION_NAME,
        names::GEN_AI_PROVIDER_NAME,
        names::GEN_AI_REQUEST_MODEL,
        names::GEN_AI_TOKEN_TYPE,
        names::ERROR_TYPE,
        names::SERVER_ADDRESS,
        names::SERVER_PORT,
        names::HTTP_RESPONSE_STATUS_CODE,
        names::CALLWATCH_CLASS,
        names::CALLWATCH_KEY_ID,
        names::CALLWATCH_RATELIMIT_KIND,
        names::CALLWATCH_TOKEN_KIND,
    ]
    .into();
    let mut queries = Vec::new();
    collect_strings(&dashboard, "query", &mut queries);
    let metric_queries: Vec<&String> = queries.iter().filter(|q| q.contains('{')).collect();
    assert!(
        metric_queries.len() >= 12,
        "only {} metric queries",
        metric_queries.len()
    );
    for query in metric_queries {
        let captures: Vec<_> = query_re.captures_iter(query).collect();
        assert!(!captures.is_empty(), "unparsed Datadog query {query}");
        for c in captures {
            let (agg, name) = (&c[1], &c[2]);
            let metric = OTLP
                .iter()
                .find(|m| m.datadog() == name)
                .unwrap_or_else(|| panic!("{query}: `{name}` is not an exported OTLP metric"));
            assert!(
                metric.datadog_aggregators().contains(&agg),
                "{query}: `{agg}:` does not apply to {name} ({:?})",
                metric.kind
            );
            if query.contains(".as_count()") || query.contains(".as_rate()") {
                assert_ne!(
                    metric.kind,
                    Kind::Gauge,
                    "{query}: as_count/as_rate on a gauge"
                );
            }
            let filters = c[3].split(',').filter(|f| !f.starts_with('$') && *f != "*");
            let by = c
                .get(4)
                .map_or("", |m| m.as_str())
                .split(',')
                .filter(|k| !k.is_empty());
            for key in filters.map(|f| f.split(':').next().unwrap()).chain(by) {
                assert!(
                    tag_keys.contains(key),
                    "{query}: tag key `{key}` is not an exported attribute"
                );
            }
        }
    }
    let vars = dashboard["template_variables"].as_array().unwrap();
    assert_eq!(vars[0]["prefix"], names::GEN_AI_REQUEST_MODEL);
}

fn collect_strings(value: &serde_json::Value, key: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(s) if k == key => out.push(s.to_owned()),
                    _ => collect_strings(v, key, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, key, out)),
        _ => {}
    }
}
