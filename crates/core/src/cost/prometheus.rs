//! `callwatch_cost_total`, `callwatch_cost_cache_savings_total` and
//! `callwatch_cost_unpriced_total` in the text exposition.

use std::fmt::Write;

use super::Spend;
use crate::names::{self, prometheus_name};
use crate::prometheus::{header, join};

pub fn render_prometheus(out: &mut String, spend: &[Spend]) {
    let labels: Vec<String> = spend.iter().map(labels).collect();
    for (name, unit, help, value) in [
        (
            names::CALLWATCH_COST,
            names::UNIT_USD,
            "What calls cost, USD (token usage x the price table).",
            (|s: &Spend| s.usd) as fn(&Spend) -> f64,
        ),
        (
            names::CALLWATCH_COST_CACHE_SAVINGS,
            names::UNIT_USD,
            "What cache reads saved against plain input, USD.",
            |s: &Spend| s.cache_savings_usd,
        ),
        (
            names::CALLWATCH_COST_UNPRICED,
            "{call}",
            "Calls on a model the price table does not price (not in the cost).",
            |s: &Spend| s.unpriced_calls as f64,
        ),
    ] {
        let name = prometheus_name(name, unit, true);
        header(out, &name, "counter", help);
        for (row, labels) in spend.iter().zip(&labels) {
            let _ = writeln!(out, "{name}{{{labels}}} {}", value(row));
        }
    }
}

fn labels(s: &Spend) -> String {
    let mut pairs = vec![
        (names::GEN_AI_OPERATION_NAME, s.operation.clone()),
        (names::GEN_AI_REQUEST_MODEL, s.model.clone()),
    ];
    if !s.key_id.is_empty() {
        pairs.push((names::CALLWATCH_KEY_ID, s.key_id.clone()));
    }
    join(&pairs)
}
