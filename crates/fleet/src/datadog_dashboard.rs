//! The Datadog dashboard (`dashboards/datadog/callwatch.json`): the Grafana story over
//! Datadog's view of the OTLP metrics (dotted names, attribute keys as tag keys, histograms as
//! distributions; see [`super::metrics`]). Import with the dashboard API or "Import dashboard
//! JSON".

use serde_json::{json, Value};

use super::metrics::{
    GenAi, ATTEMPTS, CALLS, COST, COST_CACHE_SAVINGS, COST_UNPRICED, RATELIMIT_HEADROOM,
    RETRIES_FUTILE, RETRY_WAIT, TOKEN_USAGE, USAGE_INPUT_TOKENS, USAGE_OUTPUT_TOKENS,
};
use callwatch_core::names;
use callwatch_core::semconv::Convention;

/// Trailing baseline window of the shares, in seconds (`moving_rollup`).
const BASELINE_SECONDS: u32 = 3600;

pub(crate) fn q(name: &str, query: String) -> Value {
    json!({"data_source": "metrics", "name": name, "query": query})
}

pub(crate) fn f(formula: &str, alias: &str) -> Value {
    json!({"formula": formula, "alias": alias})
}

pub(crate) fn timeseries(title: &str, queries: Vec<Value>, formulas: Vec<Value>) -> Value {
    json!({"definition": {
        "title": title,
        "type": "timeseries",
        "show_legend": true,
        "requests": [{
            "response_format": "timeseries",
            "queries": queries,
            "formulas": formulas,
            "display_type": "line"
        }]
    }})
}

/// `agg:metric{$model,$provider,extra} by {keys}` plus a suffix such as `.as_count()`.
pub(crate) fn query(agg: &str, metric: &str, extra: &str, by: &[&str], suffix: &str) -> String {
    let filter = if extra.is_empty() {
        "$model,$provider".to_owned()
    } else {
        format!("$model,$provider,{extra}")
    };
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(" by {{{}}}", by.join(","))
    };
    format!("{agg}:{metric}{{{filter}}}{by}{suffix}")
}

/// The dashboard as JSON, over the default (v1.41) GenAI names.
pub fn dashboard() -> Value {
    dashboard_for(Convention::V1_41)
}

/// The dashboard over the GenAI names `convention` emits ([`GenAi::queried`]).
pub fn dashboard_for(convention: Convention) -> Value {
    let genai = GenAi::queried(convention);
    let calls = CALLS.datadog();
    let mut widgets = vec![timeseries(
        "Calls by status and error type",
        vec![q(
            "calls",
            query(
                "sum",
                calls,
                "",
                &[names::HTTP_RESPONSE_STATUS_CODE, names::ERROR_TYPE],
                ".as_rate()",
            ),
        )],
        vec![f("calls", "calls/s")],
    )];
    for (title, hit) in [
        (
            "5xx share vs baseline",
            format!("{}:5*", names::HTTP_RESPONSE_STATUS_CODE),
        ),
        (
            "400 (invalid_request) share vs baseline",
            format!("{}:invalid_request", names::CALLWATCH_CLASS),
        ),
        (
            "401 (auth) share vs baseline",
            format!("{}:auth", names::CALLWATCH_CLASS),
        ),
    ] {
        widgets.push(timeseries(
            title,
            vec![
                q("hits", query("sum", calls, &hit, &[], ".as_count()")),
                q("all", query("sum", calls, "", &[], ".as_count()")),
            ],
            vec![
                f("hits / all", "share"),
                f(
                    &format!(
                        "moving_rollup(hits, {BASELINE_SECONDS}, 'sum') / moving_rollup(all, {BASELINE_SECONDS}, 'sum')"
                    ),
                    "baseline (trailing 1h)",
                ),
            ],
        ));
    }
    widgets.push(json!({"definition": {
        "title": "Billing outage (billing-class calls, last 10m)",
        "type": "query_value",
        "autoscale": false,
        "precision": 0,
        "time": {"live_span": "10m"},
        "requests": [{
            "response_format": "scalar",
            "queries": [{
                "data_source": "metrics",
                "name": "billing",
                "query": query("sum", calls, &format!("{}:billing", names::CALLWATCH_CLASS), &[], ".as_count()"),
                "aggregator": "sum"
            }],
            "formulas": [{"formula": "billing"}],
            "conditional_formats": [
                {"comparator": ">", "value": 0, "palette": "white_on_red", "custom_fg_color": null},
                {"comparator": "<=", "value": 0, "palette": "white_on_green"}
            ]
        }]
    }}));
    let duration = genai.operation_duration.datadog();
    widgets.push(timeseries(
        "Latency p50 / p95 / p99 (s)",
        ["p50", "p95", "p99"]
            .into_iter()
            .map(|p| q(p, query(p, duration, "", &[], "")))
            .collect(),
        vec![f("p50", "p50"), f("p95", "p95"), f("p99", "p99")],
    ));
    // Streamed calls only: to the first content_block_delta (the first generated token).
    let ttft = genai.time_to_first_chunk.datadog();
    widgets.push(timeseries(
        "Time to first token p50 / p95 / p99 by model (s)",
        ["p50", "p95", "p99"]
            .into_iter()
            .map(|p| q(p, query(p, ttft, "", &[names::GEN_AI_REQUEST_MODEL], "")))
            .collect(),
        vec![f("p50", "p50"), f("p95", "p95"), f("p99", "p99")],
    ));
    widgets.push(super::datadog_pressure::pressure_widget());
    widgets.push(super::datadog_pressure::cache_hit_share_widget());
    widgets.push(timeseries(
        "Attempts per call and retry amplification",
        vec![
            q("attempts", query("avg", ATTEMPTS.datadog(), "", &[], "")),
            q(
                "wait",
                query("sum", RETRY_WAIT.datadog(), "", &[], ".as_rate()"),
            ),
            q(
                "futile",
                query("sum", RETRIES_FUTILE.datadog(), "", &[], ".as_rate()"),
            ),
        ],
        vec![
            f("attempts", "attempts per call"),
            f("wait", "retry wait s/s"),
            f("futile", "futile retries/s"),
        ],
    ));
    widgets.push(timeseries(
        "Rate-limit headroom",
        vec![q(
            "headroom",
            query(
                "min",
                RATELIMIT_HEADROOM.datadog(),
                "",
                &[names::GEN_AI_REQUEST_MODEL, names::CALLWATCH_RATELIMIT_KIND],
                "",
            ),
        )],
        vec![f("headroom", "remaining share")],
    ));
    let (token_queries, token_formulas) = match genai.convention {
        Convention::Latest => (
            vec![
                q(
                    "input",
                    query("sum", USAGE_INPUT_TOKENS.datadog(), "", &[], ".as_count()"),
                ),
                q(
                    "output",
                    query("sum", USAGE_OUTPUT_TOKENS.datadog(), "", &[], ".as_count()"),
                ),
            ],
            vec![f("input", "input tokens"), f("output", "output tokens")],
        ),
        Convention::V1_41 | Convention::Both => (
            vec![q(
                "tokens",
                query(
                    "sum",
                    TOKEN_USAGE.datadog(),
                    "",
                    &[names::GEN_AI_TOKEN_TYPE],
                    "",
                ),
            )],
            vec![f("tokens", "tokens")],
        ),
    };
    widgets.push(timeseries("Tokens", token_queries, token_formulas));
    // Spend: USD per hour by model and key, what cache reads saved, calls nothing priced.
    widgets.push(timeseries(
        "Spend (USD per hour) by model and key",
        vec![q(
            "usd",
            query(
                "sum",
                COST.datadog(),
                "",
                &[names::GEN_AI_REQUEST_MODEL, names::CALLWATCH_KEY_ID],
                ".as_rate()",
            ),
        )],
        vec![f("usd * 3600", "USD/h")],
    ));
    widgets.push(timeseries(
        "Cache savings and unpriced calls",
        vec![
            q(
                "saved",
                query("sum", COST_CACHE_SAVINGS.datadog(), "", &[], ".as_rate()"),
            ),
            q(
                "unpriced",
                query(
                    "sum",
                    COST_UNPRICED.datadog(),
                    "",
                    &[names::GEN_AI_REQUEST_MODEL],
                    ".as_rate()",
                ),
            ),
        ],
        vec![
            f("saved * 3600", "cache savings USD/h"),
            f("unpriced", "unpriced calls/s"),
        ],
    ));
    widgets.push(json!({"definition": {
        "title": "Firing alerts (callwatch monitors)",
        "type": "manage_status",
        "query": "tag:callwatch",
        "summary_type": "monitors",
        "display_format": "countsAndList",
        "sort": "status,asc",
        "hide_zero_counts": true
    }}));

    json!({
        "title": "callwatch — Claude API calls",
        "description": "Generated by `cargo test --test dashboards` from src/fleet/datadog_dashboard.rs; do not edit by hand. Metrics arrive over OTLP (Datadog Agent intake, delta temporality); histograms are distributions.",
        "layout_type": "ordered",
        "reflow_type": "auto",
        "template_variables": [
            {"name": "model", "prefix": names::GEN_AI_REQUEST_MODEL, "available_values": [], "default": "*"},
            {"name": "provider", "prefix": names::GEN_AI_PROVIDER_NAME, "available_values": [names::PROVIDER_ANTHROPIC, names::PROVIDER_BEDROCK, names::PROVIDER_VERTEX], "default": "*"}
        ],
        "widgets": widgets,
    })
}
