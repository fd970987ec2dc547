//! Dollars per model, key id and operation, from a snapshot's token counters at collection
//! time (never on the hot path). Counters only grow, so each row's `usd` is a counter too.

#[cfg(feature = "prices")]
use std::collections::{BTreeMap, BTreeSet};
#[cfg(feature = "prices")]
use std::sync::{Mutex, OnceLock, PoisonError};

#[cfg(feature = "prices")]
use super::PriceTable;
use super::TokenCounts;
#[cfg(feature = "prices")]
use crate::record::SeriesSnapshot;

/// Spend of one (model, key id, operation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spend {
    pub model: String,
    pub key_id: String,
    pub operation: String,
    /// Cost of the priced calls, USD.
    pub usd: f64,
    /// What cache reads saved against plain input, USD.
    pub cache_savings_usd: f64,
    /// Calls that reported usage on a model the table does not price (not in `usd`).
    pub unpriced_calls: u64,
    pub tokens: TokenCounts,
}

/// Sums every series into one row per (model, key id, operation), sorted.
#[cfg(feature = "prices")]
pub fn spend(series: &[SeriesSnapshot], prices: &PriceTable) -> Vec<Spend> {
    let mut rows: BTreeMap<(&str, &str, &str), Spend> = BTreeMap::new();
    for s in series {
        let t = &s.totals;
        let calls_with_usage: u64 = t.input_token_buckets.iter().sum();
        if calls_with_usage == 0 {
            continue;
        }
        let l = &s.labels;
        let row = rows
            .entry((&l.model, &l.key_id, &l.operation))
            .or_insert_with(|| Spend {
                model: l.model.clone(),
                key_id: l.key_id.clone(),
                operation: l.operation.clone(),
                ..Spend::default()
            });
        let tokens = t.cache_tokens.token_counts(t.input_tokens, t.output_tokens);
        row.tokens.add(&tokens);
        match prices.price(&l.model) {
            Some(price) => {
                row.usd += price.cost_usd(&tokens);
                row.cache_savings_usd += price.cache_savings_usd(&tokens);
            }
            None => {
                row.unpriced_calls += calls_with_usage;
                warn_unpriced_once(&l.model);
            }
        }
    }
    rows.into_values().collect()
}

/// Models warned about, bounded (the recorder bounds model labels too).
#[cfg(feature = "prices")]
const MAX_WARNED: usize = 1024;

/// One warning per model per process: the unpriced series keeps counting after it.
#[cfg(feature = "prices")]
pub fn warn_unpriced_once(model: &str) {
    static WARNED: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    let mut warned = WARNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if warned.len() < MAX_WARNED && warned.insert(model.to_owned()) {
        tracing::warn!(
            model,
            "no price for model {model:?}: its calls are counted in callwatch.cost.unpriced, \
             not priced at zero; add it under [prices.models] in callwatch.toml"
        );
    }
}
