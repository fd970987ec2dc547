//! Billing error recorded → webhook received, over real loopback HTTP: the agent (recorder +
//! rules engine task) with a notifier whose webhook sink posts to a local axum receiver.
//! Measures from `observer.observe(&call)` of a billing call to the webhook request arriving.
//!
//! ```sh
//! cargo run --release --example billing_latency -- [SAMPLES] [TICK] [GROUP_WAIT]
//! cargo run --release --example billing_latency -- 500 5ms 0s   # critical-alert routing
//! cargo run --release --example billing_latency -- 100 1s 0s    # default notifier tick
//! cargo run --release --example billing_latency -- 3 1s 30s     # default routing: ~30 s
//! ```
//!
//! BillingOutage is an `any` rule grouped by `error_type` that stays firing until 10 minutes
//! pass without a billing call, so each sample uses its own error type (`billing_error_<n>`,
//! class billing) to get a fresh instance, and the route groups by `error_type` so each is a
//! new notification group (a group's first message waits `group_wait`, later ones
//! `group_interval`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::{extract::State, routing::post, Router};
use callwatch::agent::{Agent, AgentOptions, Clock};
use callwatch::call::Call;
use callwatch::classify::{Class, Outcome};
use callwatch::notify::{Notifier, NotifyConfig};
use callwatch::record::Recorder;
use callwatch::rules::default_rules;
use tokio::sync::mpsc;

const MARK: &str = "billing_error_";

async fn receive(State(tx): State<mpsc::UnboundedSender<(u64, Instant)>>, body: String) {
    let arrived = Instant::now();
    // A notification can carry several alerts (a group): every sample id in it arrived.
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
        "[route]\ngroup_by = [\"alertname\", \"error_type\"]\ngroup_wait = \"{group_wait}\"\n\
         tick = \"{tick}\"\n\n[webhook]\nurl = \"{url}\"\n"
    );
    let config = NotifyConfig::parse(&toml, "bench", &|_| None)?;
    let notifier = Notifier::from_config(config)?;
    let agent = Agent::start(AgentOptions {
        rules: default_rules(),
        clock: Clock::system(),
        event_log: None,
        notifier: Some(notifier),
        on_alert: None,
        recorder: Recorder::new(),
    })?;
    let observer = agent.observer();

    let mut sent = HashMap::new();
    for i in 0..samples {
        let error_type = format!("{MARK}{i}");
        let mut outcome = Outcome::bare(Some(402), Some(&error_type), Class::Billing);
        outcome.message = Some("Your credit balance is too low to access the API".into());
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
        sent.insert(i, Instant::now());
        observer.observe(&call);
        // Spread the samples so they do not all share one notifier tick.
        tokio::time::sleep(Duration::from_millis(7)).await;
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut latencies = Vec::new();
    while latencies.len() < samples as usize {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some((id, arrived))) => {
                if let Some(start) = sent.remove(&id) {
                    latencies.push(arrived - start);
                }
            }
            _ => break,
        }
    }
    let summary = agent
        .stop(tokio::time::Instant::now() + Duration::from_secs(2))
        .await;
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
        summary.events,
        summary.dropped,
    );
    Ok(())
}
