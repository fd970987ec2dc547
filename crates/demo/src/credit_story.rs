//! The demo's credit story: an agent worker beside the fleet, with a key of its own, calls
//! Opus with a large cached context a few times a minute. At [`LOOP_STARTS`] it gets stuck in
//! a loop — it calls without pause and its context has grown — so its spend jumps about 150×.
//! The opening balance is set so the loop spends it by [`CREDITS_OUT`], when the mock starts
//! answering billing errors. The spend rules must tell the story first: SpendRateSpike on
//! the worker's model and key, then CreditRunwayLow (warning, then critical), and only then
//! BillingOutage. At `TOPPED_UP` the loop is stopped and the credits are topped up (a
//! `credit_balance` event), and everything resolves.
//!
//! The worker paces itself in event time, so what it spends per event minute (and so the
//! story's timing) does not depend on `--speed` or `--rate`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::fleet::{self, FleetConfig, Orders};
use super::timeline::{CREDITS_OUT, LOOP_STARTS};
use callwatch_agent::Clock;
use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::call::CallObserver;
use callwatch_core::classify::Usage;
use callwatch_core::cost::{PriceTable, TokenCounts};
use callwatch_mock::Tokens;

/// The worker's own key (fake; only its fingerprint ever leaves the process).
pub const WORKER_KEY: &str = "sk-ant-demo-FAKE-worker";
pub const WORKER_MODEL: &str = "claude-opus-4-6";
/// Calls per event minute, normally and in the loop.
const WORKER_CALLS_PER_MIN: f64 = 4.0;
const LOOP_CALLS_PER_MIN: f64 = 60.0;
/// A normal turn: a 20k-token cached context read, a little new input, a short answer
/// ($0.0375 on Opus 4.6).
pub const WORKER_TOKENS: Tokens = Tokens {
    input: 3_000,
    output: 500,
    cache_read: 20_000,
    cache_creation: 0,
};
/// A turn of the loop: the context has grown to 150k tokens, each turn appends 20k of tool
/// output (written to the cache) and a long answer ($0.40).
pub const LOOP_TOKENS: Tokens = Tokens {
    input: 20_000,
    output: 4_000,
    cache_read: 150_000,
    cache_creation: 20_000,
};
/// What the credits are topped up to after the outage: more than a day at the burn rate the
/// runway rule still sees (its long rate remembers the loop), so it resolves.
pub const TOP_UP_USD: f64 = 20_000.0;

fn cost(model: &str, t: Tokens) -> f64 {
    let usage = Usage {
        input_tokens: t.input,
        output_tokens: t.output,
        cache_read_input_tokens: t.cache_read,
        cache_creation_input_tokens: t.cache_creation,
        ..Usage::default()
    };
    PriceTable::embedded()
        .price(model)
        .map_or(0.0, |p| p.cost_usd(&TokenCounts::of(&usage)))
}

/// The balance at the start: what the fleet and the worker are planned to spend until
/// [`CREDITS_OUT`], so the runway the rules compute runs out when the script's credits do.
/// `fleet_calls_per_min` is the fleet's rate in event time.
pub fn opening_balance(fleet_calls_per_min: f64) -> f64 {
    let minutes = |d: Duration| d.as_secs_f64() / 60.0;
    fleet_spend_per_min(fleet_calls_per_min) * minutes(CREDITS_OUT)
        + worker_spend_per_min(false) * minutes(LOOP_STARTS)
        + worker_spend_per_min(true) * minutes(CREDITS_OUT - LOOP_STARTS)
}

/// The usage the mock reports to every other caller (the fleet).
const FLEET_CALL_TOKENS: Tokens = Tokens {
    input: 12,
    output: 8,
    cache_read: 0,
    cache_creation: 0,
};

fn fleet_spend_per_min(calls_per_min: f64) -> f64 {
    let per_call: f64 = fleet::MODEL_SHARES
        .iter()
        .map(|(model, share)| share * cost(model, FLEET_CALL_TOKENS))
        .sum();
    per_call * calls_per_min
}

/// The worker's spend per event minute, normally or in the loop.
fn worker_spend_per_min(looping: bool) -> f64 {
    if looping {
        cost(WORKER_MODEL, LOOP_TOKENS) * LOOP_CALLS_PER_MIN
    } else {
        cost(WORKER_MODEL, WORKER_TOKENS) * WORKER_CALLS_PER_MIN
    }
}

/// Runs the worker until `stop` flips; returns how many calls it started.
pub async fn run_worker(
    config: FleetConfig,
    clock: Clock,
    observer: Arc<dyn CallObserver>,
    orders: watch::Receiver<Orders>,
    mut stop: watch::Receiver<bool>,
) -> u64 {
    // The instance after the fleet's own: a retry jitter seed of its own.
    let client = fleet::client(&config, observer, config.instances);
    let url = format!("{}/v1/messages", config.base_url);
    // Bounded: a slow API must not pile up the loop's requests.
    let in_flight = Arc::new(Semaphore::new(64));
    let mut tasks = JoinSet::new();
    let mut started = 0u64;
    // Calls are due on a schedule in event time, and a late timer (a loaded machine, a fast
    // `--speed`) catches up rather than slows the spend: the opening balance assumes the
    // planned rate. At most a minute of calls is caught up at once.
    let mut due = clock.now();
    loop {
        let per_min = if orders.borrow().conditions.runaway_loop {
            LOOP_CALLS_PER_MIN
        } else {
            WORKER_CALLS_PER_MIN
        };
        due += Duration::from_secs_f64(60.0 / per_min);
        let now = clock.now();
        due = due.max(now - Duration::from_secs(60));
        let wait = clock.real((due - now).try_into().unwrap_or(Duration::ZERO));
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(wait) => {}
        }
        if *stop.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            continue;
        };
        let body = serde_json::json!({
            "model": WORKER_MODEL,
            "max_tokens": 4096,
            "messages": [{"role": "user", "content": "continue the task"}],
        })
        .to_string();
        let request = client
            .post(&url)
            .header("x-api-key", WORKER_KEY)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body(body);
        started += 1;
        tasks.spawn(async move {
            if let Ok(response) = request.send().await {
                let _ = response.bytes().await;
            }
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    started
}

/// The first firing of each alert the credit story is about, by rule and severity.
#[derive(Clone, Default)]
pub struct Leads(Arc<Mutex<BTreeMap<String, Alert>>>);

/// The alerts that warn before the credits run out, in the order the story expects them.
const WARNINGS: [(&str, Option<&str>); 3] = [
    ("SpendRateSpike", None),
    ("CreditRunwayLow", Some("24h")),
    ("CreditRunwayLow", Some("2h")),
];

impl Leads {
    pub fn observe(&self, alert: &Alert) {
        if alert.state != AlertState::Firing {
            return;
        }
        let key = match alert.rule.as_str() {
            "BillingOutage" => "BillingOutage".to_owned(),
            "SpendRateSpike" => "SpendRateSpike".to_owned(),
            "CreditRunwayLow" => format!(
                "CreditRunwayLow {}",
                alert.labels.get("runway_below").map_or("", String::as_str)
            ),
            _ => return,
        };
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| alert.clone());
    }

    /// Minutes between each warning's first firing and the first BillingOutage (`None` where
    /// either never fired), in story order, with a label.
    pub fn minutes_of_warning(&self) -> Vec<(String, Option<f64>)> {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let outage = seen.get("BillingOutage").map(|a| a.at);
        WARNINGS
            .iter()
            .map(|(rule, below)| {
                let key = match below {
                    Some(b) => format!("{rule} {b}"),
                    None => (*rule).to_owned(),
                };
                let label = match (*rule, *below) {
                    (_, Some("24h")) => format!("{rule} warning (runway under 24h)"),
                    (_, Some(_)) => format!("{rule} critical (runway under 2h)"),
                    _ => format!("{rule} (spend jumped)"),
                };
                let lead = seen
                    .get(&key)
                    .zip(outage)
                    .map(|(a, out)| (out - a.at).as_seconds_f64() / 60.0);
                (label, lead)
            })
            .collect()
    }

    pub fn outage_fired(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key("BillingOutage")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_spends_the_opening_balance_by_the_outage_and_jumps_far_above_the_worker() {
        let normal = worker_spend_per_min(false);
        let looping = worker_spend_per_min(true);
        // Hand-computed at Opus 4.6 prices ($5 in, $25 out, $0.50 cache read, $6.25 write):
        // 3000×5 + 500×25 + 20000×0.5 = $0.0375 a call; 20000×5 + 4000×25 + 150000×0.5 +
        // 20000×6.25 = $0.40 a call.
        assert!((normal - 0.15).abs() < 1e-9, "{normal}");
        assert!((looping - 24.0).abs() < 1e-9, "{looping}");
        for fleet_calls in [150.0, 180.0] {
            let balance = opening_balance(fleet_calls);
            let r0 = normal + fleet_spend_per_min(fleet_calls);
            // Before the loop the runway is well over the 24 h warning ...
            let before = (balance - r0 * 44.0) / r0;
            assert!(before > 30.0 * 60.0, "runway before the loop: {before} min");
            // ... the loop is far above the worker's own baseline ...
            assert!(looping / normal > 100.0);
            // ... and the top-up is over a day at the runway rule's long rate after the
            // loop (the average since the start, at most the balance over the hour).
            assert!(TOP_UP_USD / (balance / 60.0) > 24.0 * 60.0);
        }
    }
}
