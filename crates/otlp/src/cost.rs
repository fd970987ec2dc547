//! `callwatch.cost`, `callwatch.cost.cache_savings` and `callwatch.cost.unpriced`, from the
//! spend rows of the same snapshot the other instruments report (dollars are computed at
//! collection time from token counters, never per call).

use std::sync::Arc;

use opentelemetry::metrics::Meter;
use opentelemetry::KeyValue;

use super::bridge::Bridge;
use callwatch_core::cost::Spend;
use callwatch_core::names;

pub fn register(meter: &Meter, bridge: &Arc<Bridge>) {
    let b = Arc::clone(bridge);
    meter
        .f64_observable_counter(names::CALLWATCH_COST)
        .with_unit(names::UNIT_USD)
        .with_description("What calls cost, USD (token usage x the price table).")
        .with_callback(move |observer| {
            for row in &b.current().snapshot.spend {
                observer.observe(row.usd, &attributes(row));
            }
        })
        .build();

    let b = Arc::clone(bridge);
    meter
        .f64_observable_counter(names::CALLWATCH_COST_CACHE_SAVINGS)
        .with_unit(names::UNIT_USD)
        .with_description("What cache reads saved against plain input, USD.")
        .with_callback(move |observer| {
            for row in &b.current().snapshot.spend {
                observer.observe(row.cache_savings_usd, &attributes(row));
            }
        })
        .build();

    let b = Arc::clone(bridge);
    meter
        .u64_observable_counter(names::CALLWATCH_COST_UNPRICED)
        .with_unit("{call}")
        .with_description("Calls on a model the price table does not price (not in the cost).")
        .with_callback(move |observer| {
            for row in &b.current().snapshot.spend {
                observer.observe(row.unpriced_calls, &attributes(row));
            }
        })
        .build();
}

fn attributes(row: &Spend) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new(names::GEN_AI_OPERATION_NAME, row.operation.clone()),
        KeyValue::new(names::GEN_AI_REQUEST_MODEL, row.model.clone()),
    ];
    if !row.key_id.is_empty() {
        attributes.push(KeyValue::new(names::CALLWATCH_KEY_ID, row.key_id.clone()));
    }
    attributes
}
