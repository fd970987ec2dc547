//! The Grafana dashboard (`dashboards/grafana/callwatch.json`), generated so every query is
//! built from the exported names. Import it and pick the Prometheus (or Mimir) data source.

use serde_json::{json, Value};

use super::metrics::{
    GenAi, COST, COST_CACHE_SAVINGS, COST_UNPRICED, HTTP_DURATION, NOTIFICATIONS,
    RATELIMIT_HEADROOM, RETRIES_FUTILE, RETRY_WAIT, TOKEN_USAGE, USAGE_INPUT_TOKENS,
    USAGE_OUTPUT_TOKENS,
};
use super::promql::{self, calls, eq, matchers, model_var, re, selector, sum_by, sum_rate};
use callwatch_core::names;
use callwatch_core::semconv::Convention;

const RANGE: &str = "$__rate_interval";
/// Window of the shares (as the rules use) and of their trailing baseline.
const SHARE_WINDOW: &str = "5m";
const BASELINE_WINDOW: &str = "1h";

struct Target {
    legend: &'static str,
    expr: String,
}

fn target(legend: &'static str, expr: String) -> Target {
    Target { legend, expr }
}

/// The dashboard as JSON, over the default (v1.41) GenAI names.
pub fn dashboard() -> Value {
    dashboard_for(Convention::V1_41)
}

/// The dashboard over the GenAI names `convention` emits ([`GenAi::queried`]).
pub fn dashboard_for(convention: Convention) -> Value {
    let genai = GenAi::queried(convention);
    // Every query filters by the model and the provider variables.
    let model = promql::matchers(&[
        &model_var("$model"),
        &re(names::GEN_AI_PROVIDER_NAME, "$provider"),
    ]);
    let m = model.as_str();
    let mut panels = Vec::new();
    let mut add = |title: &str, kind: &str, unit: &str, description: &str, targets: Vec<Target>| {
        let id = panels.len() + 1;
        let (w, h) = (12, 8);
        // Two panels per row.
        let x = if id % 2 == 1 { 0 } else { 12 };
        let y = (id as u64 - 1) / 2 * 8;
        panels.push(panel(
            id,
            title,
            kind,
            unit,
            description,
            (x, y, w, h),
            targets,
        ));
    };

    add(
        "Calls by status and error type",
        "timeseries",
        "reqps",
        "Logical calls per second (retries folded into one call), by HTTP status and error.type.",
        vec![target(
            "{{http_response_status_code}} {{error_type}}",
            sum_rate(
                &calls(m),
                RANGE,
                &[names::HTTP_RESPONSE_STATUS_CODE, names::ERROR_TYPE],
            ),
        )],
    );
    for (title, hit, what) in [
        (
            "5xx share vs baseline",
            re(names::HTTP_RESPONSE_STATUS_CODE, "5.."),
            "5xx (ServerErrorSpike)",
        ),
        (
            "400 (invalid_request) share vs baseline",
            eq(names::CALLWATCH_CLASS, "invalid_request"),
            "invalid_request 400s (BadRequestBaselineRising)",
        ),
        (
            "401 (auth) share vs baseline",
            eq(names::CALLWATCH_CLASS, "auth"),
            "authentication 401s (AuthFailuresAfterKeyRotation)",
        ),
    ] {
        let share = promql::share(&hit, m, SHARE_WINDOW, &[]);
        let baseline = format!("avg_over_time(({share})[{BASELINE_WINDOW}:])");
        add(
            title,
            "timeseries",
            "percentunit",
            &format!(
                "Share of calls that were {what} over {SHARE_WINDOW}, against its mean over the \
                 trailing {BASELINE_WINDOW} (the current window included, so a fresh spike shows \
                 as the gap between the lines)."
            ),
            vec![
                target("share", share),
                target("baseline (1h mean)", baseline),
            ],
        );
    }
    add(
        "Billing outage",
        "stat",
        "none",
        "1 when any billing-class call (credits exhausted, spend limit) was seen in the last 10m: \
         every call fails until billing is fixed. Series that appeared within the window count \
         too (increase() cannot see a counter's first sample).",
        vec![target(
            "billing",
            format!(
                "count({}) or vector(0)",
                promql::calls_seen_within(
                    &matchers(&[&eq(names::CALLWATCH_CLASS, "billing"), m]),
                    "10m"
                )
            ),
        )],
    );
    add(
        "Latency p50 / p95 / p99",
        "timeseries",
        "s",
        &format!(
            "{} quantiles (whole logical call, retries included).",
            genai.operation_duration.otel
        ),
        [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]
            .into_iter()
            .map(|(legend, q)| {
                let h = &genai.operation_duration;
                target(legend, promql::quantile(q, h, m, RANGE, &[]))
            })
            .collect(),
    );
    add(
        "Time to first token p50 / p95 / p99 by model",
        "timeseries",
        "s",
        &format!(
            "{}: streamed calls only, from sending the request to the first \
             content_block_delta (the first generated token), per model. \
             TimeToFirstTokenHigh fires on the p95.",
            genai.time_to_first_chunk.otel
        ),
        [
            ("p50 {{gen_ai_request_model}}", 0.5),
            ("p95 {{gen_ai_request_model}}", 0.95),
            ("p99 {{gen_ai_request_model}}", 0.99),
        ]
        .into_iter()
        .map(|(legend, q)| {
            let h = &genai.time_to_first_chunk;
            target(
                legend,
                promql::quantile(q, h, m, RANGE, &[names::GEN_AI_REQUEST_MODEL]),
            )
        })
        .collect(),
    );
    let pressure = matchers(&[
        m,
        &re(names::ERROR_TYPE, "rate_limit_error|overloaded_error"),
    ]);
    add(
        "429 / 529 pressure: per attempt vs per call",
        "timeseries",
        "reqps",
        "Rate limits (429) and overloads (529) per second, counted per HTTP attempt \
         (http.client.request.duration) and per logical call (callwatch.calls). The gap is the \
         pressure retries absorbed: it builds before the calls start failing. \
         RateLimitPressure counts attempts.",
        vec![
            target(
                "per attempt {{error_type}}",
                sum_rate(
                    &selector(&HTTP_DURATION.prom_series("count"), &pressure),
                    RANGE,
                    &[names::ERROR_TYPE],
                ),
            ),
            target(
                "per call {{error_type}}",
                sum_rate(&calls(&pressure), RANGE, &[names::ERROR_TYPE]),
            ),
        ],
    );
    add(
        "Cache hit share by model",
        "timeseries",
        "percentunit",
        "Share of input tokens read from the prompt cache: cache_read / (uncached input + \
         cache_read + cache_creation), from callwatch.tokens, per model.",
        vec![target(
            "{{gen_ai_request_model}}",
            promql::cache_hit_share(m, RANGE, &[names::GEN_AI_REQUEST_MODEL]),
        )],
    );
    add(
        "Attempts per call and retry amplification",
        "timeseries",
        "none",
        "Mean attempts per call (1 = no retries: the load multiplier on the API), the share of \
         calls retried, retry wait seconds per second, and futile retries per second.",
        vec![
            target("attempts per call", promql::attempts_per_call(m, RANGE)),
            target("retried share", promql::retried_share(m, RANGE)),
            target(
                "retry wait s/s",
                sum_rate(&selector(&RETRY_WAIT.prom(), m), RANGE, &[]),
            ),
            target(
                "futile retries/s",
                sum_rate(&selector(&RETRIES_FUTILE.prom(), m), RANGE, &[]),
            ),
        ],
    );
    add(
        "Rate-limit headroom",
        "timeseries",
        "percentunit",
        "Remaining share of each rate limit (last seen, lowest key per model).",
        vec![target(
            "{{gen_ai_request_model}} {{callwatch_ratelimit_kind}}",
            format!(
                "min by ({}, {}) ({})",
                promql::label(names::GEN_AI_REQUEST_MODEL),
                promql::label(names::CALLWATCH_RATELIMIT_KIND),
                selector(&RATELIMIT_HEADROOM.prom(), m)
            ),
        )],
    );
    let tokens = match genai.convention {
        Convention::Latest => vec![
            target(
                "input",
                sum_rate(&selector(&USAGE_INPUT_TOKENS.prom(), m), RANGE, &[]),
            ),
            target(
                "output",
                sum_rate(&selector(&USAGE_OUTPUT_TOKENS.prom(), m), RANGE, &[]),
            ),
        ],
        Convention::V1_41 | Convention::Both => vec![target(
            "{{gen_ai_token_type}}",
            sum_rate(
                &selector(&TOKEN_USAGE.prom_series("sum"), m),
                RANGE,
                &[names::GEN_AI_TOKEN_TYPE],
            ),
        )],
    };
    add(
        "Tokens per second",
        "timeseries",
        "short",
        "Input (cache reads and writes included) and output tokens per second.",
        tokens,
    );
    add(
        "Firing alerts",
        "table",
        "none",
        "Alerts Prometheus evaluates from alerts/prometheus/callwatch.rules.yml (the ALERTS series).",
        vec![target(
            "{{alertname}}",
            format!("{}(ALERTS{{alertstate=\"firing\"}})", sum_by(&["alertname", "severity"])),
        )],
    );
    add(
        "Notification delivery (callwatch agents)",
        "timeseries",
        "short",
        "Notifications per second by sink and result, from every scraped callwatch proxy / agent: \
         sent, failed (given up, kept in the spool), retried (attempts), dropped (queue full), \
         unspooled (spool write failed). Anything but sent above zero is a pager not ringing.",
        vec![target(
            "{{callwatch_sink}} {{callwatch_result}}",
            sum_rate(
                &selector(&NOTIFICATIONS.prom(), ""),
                RANGE,
                &[names::CALLWATCH_SINK, names::CALLWATCH_RESULT],
            ),
        )],
    );
    add(
        "Spend (USD per hour) by model and key",
        "timeseries",
        "currencyUSD",
        "callwatch.cost: what calls cost per hour (token usage by kind x the shipped price \
         table, cache writes at their 5-minute and 1-hour rates), by model and key id.",
        vec![target(
            "{{gen_ai_request_model}} {{callwatch_key_id}}",
            format!(
                "{} * 3600",
                sum_rate(
                    &selector(&COST.prom(), m),
                    RANGE,
                    &[names::GEN_AI_REQUEST_MODEL, names::CALLWATCH_KEY_ID],
                )
            ),
        )],
    );
    add(
        "Cache savings and unpriced calls",
        "timeseries",
        "short",
        "USD per hour that cache reads saved against plain input, and calls per second on a \
         model the price table lacks (their cost is not in the spend: add the model under \
         [prices.models] in callwatch.toml).",
        vec![
            target(
                "cache savings USD/h",
                format!(
                    "{} * 3600",
                    sum_rate(&selector(&COST_CACHE_SAVINGS.prom(), m), RANGE, &[])
                ),
            ),
            target(
                "unpriced {{gen_ai_request_model}} calls/s",
                sum_rate(
                    &selector(&COST_UNPRICED.prom(), m),
                    RANGE,
                    &[names::GEN_AI_REQUEST_MODEL],
                ),
            ),
        ],
    );

    json!({
        "title": "callwatch — Claude API calls",
        "uid": "callwatch",
        "description": "Generated by `cargo test --test dashboards` from src/fleet/grafana.rs; do not edit by hand.",
        "tags": ["callwatch", "claude", "gen_ai"],
        "schemaVersion": 39,
        "version": 1,
        "editable": true,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [
            {
                "name": "datasource",
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "hide": 0
            },
            label_variable("provider", "Provider", names::GEN_AI_PROVIDER_NAME),
            label_variable("model", "Model", names::GEN_AI_REQUEST_MODEL)
        ]},
        "panels": panels,
    })
}

fn panel(
    id: usize,
    title: &str,
    kind: &str,
    unit: &str,
    description: &str,
    (x, y, w, h): (u64, u64, u64, u64),
    targets: Vec<Target>,
) -> Value {
    let targets: Vec<Value> = targets
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "refId": ((b'A' + i as u8) as char).to_string(),
                "expr": t.expr,
                "legendFormat": t.legend,
                "instant": kind != "timeseries",
                "range": kind == "timeseries",
            })
        })
        .collect();
    let mut value = json!({
        "id": id,
        "title": title,
        "type": kind,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    });
    if kind == "stat" {
        value["fieldConfig"]["defaults"]["mappings"] = json!([{
            "type": "value",
            "options": {"0": {"text": "OK", "color": "green"}, "1": {"text": "OUTAGE", "color": "red"}}
        }]);
        value["fieldConfig"]["defaults"]["thresholds"] = json!({
            "mode": "absolute",
            "steps": [{"color": "green", "value": null}, {"color": "red", "value": 1}]
        });
    }
    value
}

/// A multi-select dashboard variable over one label of the calls series, "All" by default
/// (sent as `.*`, so every panel's `=~"$name"` matcher keeps every series).
fn label_variable(name: &str, label: &str, attribute: &str) -> Value {
    let query = format!(
        "label_values({}, {})",
        super::metrics::CALLS.prom(),
        promql::label(attribute)
    );
    json!({
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "definition": query,
        "query": {
            "query": query,
            "refId": "PrometheusVariableQueryEditor-VariableQuery"
        },
        "refresh": 2,
        "includeAll": true,
        "multi": true,
        "allValue": ".*",
        "current": {"selected": true, "text": ["All"], "value": ["$__all"]},
        "sort": 1
    })
}
