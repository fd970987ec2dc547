//! Small PromQL builders over the exported names, shared by the Grafana dashboard and the
//! Prometheus rules so both say the same thing the same way.

use super::metrics::{prom_label, Metric, ATTEMPTS, CALLS, TOKENS};
use callwatch_core::names;

/// `callwatch_calls_total{matchers}`.
pub fn calls(matchers: &str) -> String {
    selector(&CALLS.prom(), matchers)
}

/// `name{matchers}` (always with braces, so readers and tests can find every metric).
pub fn selector(name: &str, matchers: &str) -> String {
    format!("{name}{{{matchers}}}")
}

/// Joins non-empty label matchers with commas.
pub fn matchers(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

/// `label="value"` for an attribute key.
pub fn eq(key: &str, value: &str) -> String {
    format!("{}=\"{value}\"", prom_label(key))
}

/// `label=~"regex"` for an attribute key.
pub fn re(key: &str, regex: &str) -> String {
    format!("{}=~\"{regex}\"", prom_label(key))
}

/// `sum by (labels) (rate(series[range]))`, or `sum(rate(...))` without labels.
pub fn sum_rate(series: &str, range: &str, by: &[&str]) -> String {
    format!("{}(rate({series}[{range}]))", sum_by(by))
}

/// `sum by (a, b) ` with attribute keys turned into label names; `sum` alone for none.
pub fn sum_by(by: &[&str]) -> String {
    if by.is_empty() {
        "sum".to_owned()
    } else {
        let labels: Vec<String> = by.iter().map(|k| prom_label(k)).collect();
        format!("sum by ({}) ", labels.join(", "))
    }
}

/// Share of calls matching `hit` among calls matching `base` over `range`, per `by`.
pub fn share(hit: &str, base: &str, range: &str, by: &[&str]) -> String {
    let hits = calls(&matchers(&[base, hit]));
    format!(
        "{} / {}",
        sum_rate(&hits, range, by),
        sum_rate(&calls(base), range, by)
    )
}

/// The `q` quantile of a histogram's buckets, per `by`.
pub fn quantile(q: f64, histogram: &Metric, base: &str, range: &str, by: &[&str]) -> String {
    let mut by_le = vec!["le"];
    by_le.extend_from_slice(by);
    format!(
        "histogram_quantile({q}, {})",
        sum_rate(
            &selector(&histogram.prom_series("bucket"), base),
            range,
            &by_le
        )
    )
}

/// Share of input tokens read from the prompt cache (`callwatch.tokens` kinds), per `by`.
pub fn cache_hit_share(base: &str, range: &str, by: &[&str]) -> String {
    let kind = |regex: &str| {
        let m = matchers(&[base, &re(names::CALLWATCH_TOKEN_KIND, regex)]);
        sum_rate(&selector(&TOKENS.prom(), &m), range, by)
    };
    format!(
        "{} / {}",
        kind(names::TOKEN_KIND_CACHE_READ),
        kind(&format!(
            "{}|{}|{}",
            names::TOKEN_TYPE_INPUT,
            names::TOKEN_KIND_CACHE_READ,
            names::TOKEN_KIND_CACHE_CREATION
        ))
    )
}

/// Mean attempts per logical call (1.0 = no retries): retry amplification of the load.
pub fn attempts_per_call(base: &str, range: &str) -> String {
    format!(
        "{} / {}",
        sum_rate(&selector(&ATTEMPTS.prom_series("sum"), base), range, &[]),
        sum_rate(&selector(&ATTEMPTS.prom_series("count"), base), range, &[])
    )
}

/// Calls that needed more than one attempt, as a share of calls.
pub fn retried_share(base: &str, range: &str) -> String {
    let first_try = matchers(&[base, "le=\"1\""]);
    format!(
        "1 - {} / {}",
        sum_rate(
            &selector(&ATTEMPTS.prom_series("bucket"), &first_try),
            range,
            &[]
        ),
        sum_rate(&selector(&ATTEMPTS.prom_series("count"), base), range, &[])
    )
}

/// Series of `callwatch_calls_total{m}` that saw a matching call within `range`: those whose
/// counter grew, plus those that appeared within it (`increase` cannot see a series' first
/// sample, and a first billing error is exactly what must not be missed).
pub fn calls_seen_within(m: &str, range: &str) -> String {
    let series = calls(m);
    format!("(increase({series}[{range}]) > 0) or ({series} unless {series} offset {range})")
}

/// Model label matcher for a Grafana variable.
pub fn model_var(var: &str) -> String {
    re(names::GEN_AI_REQUEST_MODEL, var)
}

/// Re-exported so callers need one import for the names they select on.
pub use super::metrics::prom_label as label;
