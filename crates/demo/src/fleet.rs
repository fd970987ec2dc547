//! The demo's application: a small fleet of instances calling the (mock) Claude API through
//! the real instrumentation — the reqwest middleware with the real retry policy — so every
//! number the agent shows was measured, classified and recorded the way it would be in
//! production. The keys are obviously fake; only their fingerprints ever leave the process.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::timeline::{Conditions, KeyState};
use callwatch::{Middleware, Retry, RetryPolicy};
use callwatch_core::call::CallObserver;

/// The key every instance starts with, and the one it is rotated to.
pub const ORIGINAL_KEY: &str = "sk-ant-demo-FAKE-original";
pub const ROTATED_KEY: &str = "sk-ant-demo-FAKE-rotated";

pub const MODELS: [&str; 2] = ["claude-sonnet-4-6", "claude-haiku-4-5-20251001"];
/// Each model's share of the fleet's calls.
pub const MODEL_SHARES: [(&str, f64); 2] = [(MODELS[0], 0.7), (MODELS[1], 0.3)];

/// What the director tells the fleet: the conditions and how far through the phase we are.
#[derive(Clone, Debug)]
pub struct Orders {
    pub conditions: Conditions,
    pub progress: f64,
}

pub struct FleetConfig {
    pub instances: usize,
    /// Calls per second (real time) across the fleet.
    pub rate: f64,
    pub base_url: String,
    pub speed: f64,
    pub seed: u64,
}

/// A retry policy like the SDKs' (2 retries, exponential backoff, full jitter), with its
/// waits compressed by the demo's speed so a retry does not stall the story.
pub fn demo_retry_policy(speed: f64, seed: u64) -> RetryPolicy {
    let scale = |d: Duration| d.div_f64(speed.max(1.0)).max(Duration::from_millis(1));
    RetryPolicy::builder()
        .max_retries(2)
        .base(scale(Duration::from_millis(500)))
        .overloaded_base(scale(Duration::from_secs(1)))
        .max_backoff(scale(Duration::from_secs(8)))
        .total_wait_cap(scale(Duration::from_secs(60)))
        .jitter_seed(seed)
        .build()
}

pub(crate) fn client(
    config: &FleetConfig,
    observer: Arc<dyn CallObserver>,
    instance: usize,
) -> ClientWithMiddleware {
    let inner = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let host = reqwest::Url::parse(&config.base_url).ok();
    let (address, port) = host
        .as_ref()
        .map(|u| {
            (
                u.host_str().unwrap_or("127.0.0.1").to_owned(),
                u.port().unwrap_or(80),
            )
        })
        .unwrap_or_else(|| ("127.0.0.1".to_owned(), 80));
    // Retrying and observing are separate layers, the retry outside: every attempt it makes is
    // counted in the same logical call.
    ClientBuilder::new(inner)
        .with(Retry::new(demo_retry_policy(
            config.speed,
            config.seed + instance as u64,
        )))
        .with(
            Middleware::new()
                .operation(callwatch_core::names::OPERATION_CHAT)
                .observer(observer)
                .server_address(&address, port),
        )
        .build()
}

/// Which key an instance sends under a key state: during a half-rolled rotation the odd
/// instances still have the old key.
pub fn key_for(state: KeyState, instance: usize) -> &'static str {
    match state {
        KeyState::Original => ORIGINAL_KEY,
        KeyState::Rotated => ROTATED_KEY,
        KeyState::HalfRolled if instance % 2 == 0 => ROTATED_KEY,
        KeyState::HalfRolled => ORIGINAL_KEY,
    }
}

fn request_body(model: &str, malformed: bool, rng: &mut StdRng) -> String {
    let turns = rng.random_range(1..=5usize);
    let mut messages = Vec::with_capacity(turns * 2 + 1);
    for i in 0..turns {
        messages.push(serde_json::json!({"role": "user", "content": format!("question {i}")}));
        messages.push(serde_json::json!({"role": "assistant", "content": format!("answer {i}")}));
    }
    // The broken deploy sends a tool result as an object instead of a list of blocks.
    let last = if malformed {
        serde_json::json!({"role": "user", "content": {"type": "tool_result", "content": "42"}})
    } else {
        serde_json::json!({"role": "user", "content": "and now?"})
    };
    messages.push(last);
    serde_json::json!({"model": model, "max_tokens": 512, "messages": messages}).to_string()
}

/// The application's own call site, as a user would write it.
#[callwatch::watch(operation = "chat", model = model)]
async fn ask(
    request: reqwest_middleware::RequestBuilder,
    model: &str,
) -> Result<reqwest::Response, reqwest_middleware::Error> {
    request.send().await
}

/// Runs the fleet until `stop` flips; returns how many calls were started.
pub async fn run(
    config: FleetConfig,
    observer: Arc<dyn CallObserver>,
    orders: watch::Receiver<Orders>,
    mut stop: watch::Receiver<bool>,
) -> u64 {
    let clients: Vec<_> = (0..config.instances.max(1))
        .map(|i| client(&config, observer.clone(), i))
        .collect();
    let url = format!("{}/v1/messages", config.base_url);
    // Bounded concurrency: a slow API must not make the demo pile up requests without end.
    let in_flight = Arc::new(Semaphore::new(256));
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut tasks = JoinSet::new();
    let period = Duration::from_secs_f64(1.0 / config.rate.max(1.0));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut started = 0u64;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ticker.tick() => {}
        }
        if *stop.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            continue;
        };
        let Orders {
            conditions,
            progress,
        } = orders.borrow().clone();
        let instance = rng.random_range(0..clients.len());
        let model = MODELS[usize::from(rng.random_bool(MODEL_SHARES[1].1))];
        let malformed = rng.random_bool(conditions.bad_request_share(progress).clamp(0.0, 1.0));
        let body = request_body(model, malformed, &mut rng);
        let request = clients[instance]
            .post(&url)
            .header("x-api-key", key_for(conditions.keys, instance))
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body(body);
        started += 1;
        // Half the fleet instruments its call site with the macro (the middleware inside adds
        // its attempts to that one logical call); the other half relies on the middleware alone.
        let watched = instance % 2 == 1;
        tasks.spawn(async move {
            let response = if watched {
                ask(request, model).await
            } else {
                request.send().await
            };
            if let Ok(response) = response {
                let _ = response.bytes().await;
            }
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    started
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_rolled_fleet_sends_both_keys() {
        assert_eq!(key_for(KeyState::HalfRolled, 0), ROTATED_KEY);
        assert_eq!(key_for(KeyState::HalfRolled, 1), ORIGINAL_KEY);
        assert_eq!(key_for(KeyState::Original, 0), ORIGINAL_KEY);
        assert_eq!(key_for(KeyState::Rotated, 1), ROTATED_KEY);
    }

    #[test]
    fn a_malformed_request_is_rejected_by_the_mock_validator_shape() {
        let mut rng = StdRng::seed_from_u64(1);
        let ok: serde_json::Value =
            serde_json::from_str(&request_body("m", false, &mut rng)).unwrap();
        let bad: serde_json::Value =
            serde_json::from_str(&request_body("m", true, &mut rng)).unwrap();
        assert!(ok["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["content"].is_string()));
        assert!(bad["messages"].as_array().unwrap().last().unwrap()["content"].is_object());
    }
}
