//! Billing error recorded → webhook received, over real loopback HTTP: the agent (recorder +
//! rules engine task) with a notifier whose webhook sink posts to a local axum receiver.
//! Measures from `observer.observe(&call)` of a billing call to the webhook request arriving.
//!
//! ```sh
//! cargo run --release --example billing_latency -- [SAMPLES] [TICK] [GROUP_WAIT]
//! cargo run --release --example billing_latency -- 500 1s 30s   # the defaults (default route)
//! cargo run --release --example billing_latency -- 500 5ms 0s
//! ```
//!
//! The notifier config is the default route (`group_by = ["alertname"]`) with `tick` and
//! `group_wait` as given; `1s` / `30s` are the defaults. A critical alert's first page is
//! dispatched from `Notifier::push`, so neither should show in the figures.
//!
//! BillingOutage is one alert per outage (no `group_by`, a static `error_type=billing_error`
//! label) that stays firing until 10 quiet minutes pass, so a second billing call in the same
//! agent would not page again. Each sample therefore starts its own agent and notifier (not
//! timed), records one billing call (timed from here) and waits for that page, which carries
//! the sample's request id (`req_billing_<n>`) in its description.

use std::time::{Duration, Instant};

use axum::{extract::State, routing::post, Router};
use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Outcome};
use callwatch_core::record::Recorder;
use callwatch_notify::{Notifier, NotifyConfig};
use callwatch_rules::default_rules;
use tokio::sync::mpsc;

const MARK: &str = "req_billing_";

async fn receive(State(tx): State<mpsc::UnboundedSender<(u64, Instant)>>, body: String) {
    let arrived = Instant::now();
    for part in body.split(MARK).skip(1) {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(id) = digits.parse() {
            let _ = tx.send((id, arrived));
        }
    }
}

fn arg(n: usize, default: &str) -> String {
    std::env::args()
        .nth(n)
        .unwrap_or_else(|| default.to_string())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples: u64 = arg(1, "500").parse()?;
    let (tick, group_wait) = (arg(2, "5ms"), arg(3, "0s"));

    let (tx, mut arrivals) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let app = Router::new().route("/hook", post(receive)).with_state(tx);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let toml = format!(
        "[route]\ngroup_wait = \"{group_wait}\"\ntick = \"{tick}\"\n\n[webhook]\nurl = \"{url}\"\n"
    );
    let mut latencies = Vec::new();
    let (mut events, mut dropped) = (0, 0);
    for i in 0..samples {
        let config = NotifyConfig::parse(&toml, "bench", &|_| None)?;
        let agent = Agent::start(AgentOptions {
            rules: default_rules(),
            clock: Clock::system(),
            event_log: None,
            notifier: Some(Notifier::from_config(config)?),
            on_alert: None,
            recorder: Recorder::new(),
        })?;
        let observer = agent.observer();
        let mut outcome = Outcome::bare(Some(400), Some("billing_error"), Class::Billing);
        outcome.message = Some("Your credit balance is too low to access the API".into());
        outcome.request_id = Some(format!("{MARK}{i}"));
        let call = Call {
            operation: "chat",
            model: "claude-sonnet-4-6",
            key_id: "k-52e6b438",
            outcome: &outcome,
            attempts: 1,
            latency: Duration::from_millis(120),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        };
        let start = Instant::now();
        observer.observe(&call);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            match tokio::time::timeout_at(deadline, arrivals.recv()).await {
                Ok(Some((id, arrived))) if id == i => {
                    latencies.push(arrived - start);
                    break;
                }
                Ok(Some(_)) => continue, // a late copy of an earlier sample
                _ => break,
            }
        }
        let summary = agent
            .stop(tokio::time::Instant::now() + Duration::from_secs(2))
            .await;
        events += summary.events;
        dropped += summary.dropped;
    }
    latencies.sort();
    if latencies.is_empty() {
        return Err("no webhook arrived".into());
    }
    println!(
        "billing → webhook (tick {tick}, group_wait {group_wait}): {} of {samples} samples, \
         p50 {:.2?}, p99 {:.2?}, max {:.2?}; events {}, dropped {}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies[latencies.len() - 1],
        events,
        dropped,
    );
    Ok(())
}
