//! Datadog widgets for the pressure retries hide and the prompt cache: 429 / 529 counted per
//! attempt against per call, and the cache hit share (helpers from [`super::datadog_dashboard`]).

use serde_json::Value;

use super::datadog_dashboard::{f, q, query, timeseries};
use super::metrics::{CALLS, HTTP_DURATION, TOKENS};
use callwatch_core::names;

/// 429s and 529s per second, per HTTP attempt (`count:` of the attempt distribution) and per
/// logical call: the gap is what retries absorbed.
pub fn pressure_widget() -> Value {
    let mut queries = Vec::new();
    let mut formulas = Vec::new();
    for (short, error_type) in [("429", "rate_limit_error"), ("529", "overloaded_error")] {
        let filter = format!("{}:{error_type}", names::ERROR_TYPE);
        let attempts = format!("attempts_{short}");
        let calls = format!("calls_{short}");
        queries.push(q(
            &attempts,
            query("count", HTTP_DURATION.datadog(), &filter, &[], ".as_rate()"),
        ));
        queries.push(q(
            &calls,
            query("sum", CALLS.datadog(), &filter, &[], ".as_rate()"),
        ));
        formulas.push(f(&attempts, &format!("{short} per attempt /s")));
        formulas.push(f(&calls, &format!("{short} per call /s")));
    }
    timeseries(
        "429 / 529 pressure: per attempt vs per call",
        queries,
        formulas,
    )
}

/// Cache reads as a share of all input tokens (uncached + cache read + cache creation), by
/// model, from `callwatch.tokens`.
pub fn cache_hit_share_widget() -> Value {
    let by = [names::GEN_AI_REQUEST_MODEL];
    let kind = |name: &str, kind: &str| {
        let filter = format!("{}:{kind}", names::CALLWATCH_TOKEN_KIND);
        q(
            name,
            query("sum", TOKENS.datadog(), &filter, &by, ".as_count()"),
        )
    };
    timeseries(
        "Cache hit share by model",
        vec![
            kind("read", names::TOKEN_KIND_CACHE_READ),
            kind("written", names::TOKEN_KIND_CACHE_CREATION),
            kind("uncached", names::TOKEN_TYPE_INPUT),
        ],
        vec![f("read / (read + written + uncached)", "cache hit share")],
    )
}
