//! The proxy's own health on `/metrics`: connections against their limit and request bodies
//! against their budget, so an operator sees clients being held back instead of guessing.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::body_budget::BodyBudget;
use super::connections::ConnectionStats;

/// Prometheus text for the proxy's limits.
pub fn render(connections: &ConnectionStats, budget: &BodyBudget) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    metric(
        "callwatch_proxy_connections_open",
        "gauge",
        "Client connections open.",
        get(&connections.open),
    );
    metric(
        "callwatch_proxy_connections_limit",
        "gauge",
        "Client connections allowed at once (from the open-file limit).",
        get(&connections.limit),
    );
    metric(
        "callwatch_proxy_connections_refused_total",
        "counter",
        "Connections answered 503 and closed because the limit was reached.",
        get(&connections.refused),
    );
    metric(
        "callwatch_proxy_accept_errors_total",
        "counter",
        "Failed accepts (e.g. out of file descriptors).",
        get(&connections.accept_errors),
    );
    metric(
        "callwatch_proxy_request_body_bytes_in_flight",
        "gauge",
        "Request body bytes held in memory now.",
        budget.in_use() as u64,
    );
    metric(
        "callwatch_proxy_request_body_budget_bytes",
        "gauge",
        "Request body bytes the proxy holds at most at once.",
        budget.limit() as u64,
    );
    let _ = writeln!(
        out,
        "# HELP callwatch_proxy_requests_refused_total Requests answered by the proxy itself \
         instead of forwarded.\n# TYPE callwatch_proxy_requests_refused_total counter\n\
         callwatch_proxy_requests_refused_total{{reason=\"body_budget\"}} {}",
        budget.refused()
    );
    out
}
