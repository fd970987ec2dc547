//! Proxy overhead (issue 4: added latency p50 ≤ 100 µs and p99 ≤ 1 ms at 1,000 req/s against a
//! local upstream; throughput ≥ 90 % of direct). Starts the mock API (zero latency) and the
//! proxy with the real agent (recorder, rules, attempt tracking) in this process, then drives
//! the same load direct and through the proxy:
//! - open loop at a fixed rate: latency percentiles of each request, scheduled start to body end;
//! - closed loop with N workers: requests per second.
//!
//! `cargo run --release --example proxy_load -- [rate] [seconds] [workers]` (defaults 1000 5 32).
//!
//! With a fourth argument, the proxy is that `callwatch` binary as its own process instead
//! (and a fifth pins it to those CPUs with `taskset`), so the driver and the mock can be pinned
//! apart from it: `taskset -c 0 target/release/examples/proxy_load 1000 10 32
//! target/release/callwatch 1`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::record::Recorder;
use callwatch_mock::MockClaude;
use callwatch_proxy::{bind, Proxy, ProxyConfig};
use hdrhistogram::Histogram;

const BODY: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Say hello."}]}"#;

#[tokio::main]
async fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (rate, seconds, workers) = (arg(1, 1000), arg(2, 5), arg(3, 32));

    let mock = MockClaude::start().await.expect("mock");
    let recorder = Recorder::new();
    let (proxy_url, _external) = match std::env::args().nth(4) {
        Some(binary) => {
            let (url, child) = external_proxy(&binary, std::env::args().nth(5), &mock.base_url());
            (url, Some(child))
        }
        None => (in_process_proxy(&mock, &recorder).await, None),
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let targets = [("direct", mock.base_url()), ("proxy", proxy_url)];
    // Warm both paths (connections, allocator) before measuring.
    for (_, base) in &targets {
        closed_loop(&client, base, workers, Duration::from_millis(500)).await;
    }

    println!(
        "open loop: {rate} req/s for {seconds} s (latency: scheduled start / send to body end)"
    );
    let mut p = Vec::new();
    for (name, base) in &targets {
        let (from_schedule, from_send) =
            open_loop(&client, base, rate, Duration::from_secs(seconds)).await;
        for (what, h) in [("scheduled", &from_schedule), ("sent", &from_send)] {
            let us = |q: f64| h.value_at_quantile(q);
            println!(
                "  {name:<6} from {what:<9} n={} p50={} µs p90={} µs p99={} µs p99.9={} µs max={} µs",
                h.len(),
                us(0.5),
                us(0.9),
                us(0.99),
                us(0.999),
                h.max()
            );
        }
        p.push((
            from_send.value_at_quantile(0.5),
            from_send.value_at_quantile(0.99),
        ));
    }
    let (direct, proxied) = (p[0], p[1]);
    println!(
        "  added by the proxy (from send): p50 {} µs, p99 {} µs",
        proxied.0 as i64 - direct.0 as i64,
        proxied.1 as i64 - direct.1 as i64
    );

    println!("closed loop: {workers} workers for {seconds} s");
    let mut rates = Vec::new();
    for (name, base) in &targets {
        let done = closed_loop(&client, base, workers, Duration::from_secs(seconds)).await;
        let per_s = done as f64 / seconds as f64;
        println!("  {name:<6} {per_s:.0} req/s");
        rates.push(per_s);
    }
    println!(
        "  proxy throughput = {:.1} % of direct",
        100.0 * rates[1] / rates[0]
    );
    if _external.is_none() {
        println!(
            "calls recorded by the proxy: {}",
            recorder
                .snapshot()
                .series
                .iter()
                .map(|s| s.totals.calls)
                .sum::<u64>()
        );
    }
}

/// The real agent (recorder, rules, attempt tracking) and the proxy on this runtime.
async fn in_process_proxy(mock: &MockClaude, recorder: &Recorder) -> String {
    let agent = Agent::start(AgentOptions {
        rules: callwatch_rules::default_rules(),
        clock: Clock::system(),
        event_log: None,
        notifier: None,
        on_alert: None,
        recorder: recorder.clone(),
    })
    .expect("agent");
    let upstream = mock.base_url().parse().expect("url");
    let proxy = Proxy::new(&ProxyConfig::new(upstream), agent.observer()).expect("proxy");
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.expect("bind");
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _agent = agent;
        proxy.serve(listener, std::future::pending()).await
    });
    proxy_url
}

/// `callwatch proxy` as a child process (killed on drop), optionally pinned with `taskset`.
fn external_proxy(binary: &str, cpus: Option<String>, upstream: &str) -> (String, KillOnDrop) {
    let port = |l: std::net::TcpListener| l.local_addr().unwrap().port();
    let free = || port(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let (listen, admin) = (free(), free());
    let mut cmd = match &cpus {
        Some(cpus) => {
            let mut c = std::process::Command::new("taskset");
            c.args(["-c", cpus, binary]);
            c
        }
        None => std::process::Command::new(binary),
    };
    cmd.args(["proxy", "--upstream", upstream])
        .args(["--listen", &format!("127.0.0.1:{listen}")])
        .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
        .stderr(std::process::Stdio::null());
    let child = KillOnDrop(cmd.spawn().expect("spawn the proxy"));
    let url = format!("http://127.0.0.1:{listen}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", listen)).is_ok() {
            return (url, child);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the proxy did not start listening on {url}");
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn one(client: &reqwest::Client, url: &str) {
    let response = client
        .post(url)
        .header("x-api-key", "sk-ant-FAKE-load-0000")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");
}

/// Starts one request every 1/rate s whatever the previous ones do (no coordinated omission).
/// Returns two latency histograms: from the scheduled start (what a user waits, including any
/// lateness of the driver's 1 ms timer) and from the moment the request was sent (the service
/// time, which is what the proxy can add to).
async fn open_loop(
    client: &reqwest::Client,
    base: &str,
    rate: u64,
    duration: Duration,
) -> (Histogram<u64>, Histogram<u64>) {
    let url: Arc<str> = format!("{base}/v1/messages").into();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let total = (duration.as_secs_f64() * rate as f64) as u64;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            one(&client, &url).await;
            (scheduled.elapsed(), sent.elapsed())
        }));
    }
    let histogram = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let (mut from_schedule, mut from_send) = (histogram(), histogram());
    for task in tasks {
        let (scheduled, sent) = task.await.expect("task");
        from_schedule.record(scheduled.as_micros() as u64).unwrap();
        from_send.record(sent.as_micros() as u64).unwrap();
    }
    (from_schedule, from_send)
}

/// `workers` loops sending back to back; returns how many requests finished in `duration`.
async fn closed_loop(
    client: &reqwest::Client,
    base: &str,
    workers: u64,
    duration: Duration,
) -> u64 {
    let url: Arc<str> = format!("{base}/v1/messages").into();
    let end = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                one(&client, &url).await;
                n += 1;
            }
            n
        }));
    }
    let mut done = 0;
    for task in tasks {
        done += task.await.expect("task");
    }
    done
}
