//! `callwatch proxy` as a real process at full load in front of the mock API (in this
//! process, failing some calls with 529, 429, 500 and 400): every worker sends back to back
//! for `CALLWATCH_LOAD_SECS` (default 10) while the proxy's resident memory is sampled from
//! `/proc/<pid>/status`. Afterwards the calls per status in `/metrics`, in the event log and
//! in the proxy's exit line match the client's own count exactly (nothing dropped or counted
//! twice), and memory after warm-up stays within a generous bound of where it was.
//!
//! `CALLWATCH_LOAD_WORKERS` (default 32) sets the concurrency. With `--nocapture` the test
//! prints throughput, the RSS samples and the counts.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callwatch_mock::{Behavior, Failure, MockClaude};
use support::process::{command, free_addr, Running};

const KEY: &str = "sk-ant-FAKE-load-0000";
const BODY: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Say hello."}]}"#;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Resident set size in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Calls per `http_response_status_code` in the proxy's `callwatch_calls_total`.
fn calls_per_status(metrics: &str) -> BTreeMap<u16, u64> {
    let mut out = BTreeMap::new();
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("callwatch_calls_total{"))
    {
        let status = line
            .split("http_response_status_code=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        *out.entry(status).or_insert(0) += n as u64;
    }
    out
}

/// Calls per `status` in the event log (`null` as 0).
fn log_per_status(log: &str) -> BTreeMap<u16, u64> {
    let mut out = BTreeMap::new();
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("an event line");
        let status = v["status"].as_u64().unwrap_or(0) as u16;
        *out.entry(status).or_insert(0) += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_full_load_memory_plateaus_and_every_call_is_counted_once() {
    let seconds = env_u64("CALLWATCH_LOAD_SECS", 10);
    let workers = env_u64("CALLWATCH_LOAD_WORKERS", 32);
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.jsonl");
    let behavior = Behavior::healthy()
        .with_failure(Failure::Overloaded, 0.04)
        .with_failure(Failure::RateLimited, 0.03)
        .with_failure(Failure::ServerError, 0.02)
        .with_failure(Failure::BadRequest, 0.01);
    let mock = MockClaude::start_with(behavior, 7).await.unwrap();
    let (listen, admin) = (free_addr(), free_addr());
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", &mock.base_url()])
        // Retryable failures end their call soon: this client never retries.
        .args(["--retry-grace", "100ms"])
        .arg("--events")
        .arg(&events);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "{}",
        proxy.stderr_so_far()
    );
    let pid = proxy.child.id();

    // Memory, sampled 40 times over the run.
    let samples = Arc::new(Mutex::new(Vec::<(Duration, u64)>::new()));
    let sampler = {
        let samples = samples.clone();
        let every = Duration::from_millis((seconds * 1000 / 40).max(100));
        let start = Instant::now();
        let end = start + Duration::from_secs(seconds);
        std::thread::spawn(move || {
            while Instant::now() < end {
                if let Some(kib) = rss_kib(pid) {
                    samples.lock().unwrap().push((start.elapsed(), kib));
                }
                std::thread::sleep(every);
            }
        })
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers as usize * 2)
        .build()
        .unwrap();
    let url: Arc<str> = format!("http://{listen}/v1/messages").into();
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen: BTreeMap<u16, u64> = BTreeMap::new();
            while Instant::now() < end {
                let response = support::messages::post(&client, &url, KEY, BODY)
                    .send()
                    .await
                    .expect("the proxy answers under load");
                let status = response.status().as_u16();
                response.bytes().await.expect("a whole body");
                *seen.entry(status).or_insert(0) += 1;
            }
            seen
        }));
    }
    let mut client_counts: BTreeMap<u16, u64> = BTreeMap::new();
    for task in tasks {
        for (status, n) in task.await.unwrap() {
            *client_counts.entry(status).or_insert(0) += n;
        }
    }
    let elapsed = started.elapsed();
    sampler.join().unwrap();
    let total: u64 = client_counts.values().sum();
    assert!(
        client_counts.len() >= 4,
        "the mix reached the proxy: {client_counts:?}"
    );

    // /metrics catches up with the client (the last retryable failures end after the grace).
    let http = reqwest::Client::new();
    let mut metrics_counts = BTreeMap::new();
    for _ in 0..300 {
        let text = http
            .get(format!("http://{admin}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metrics_counts = calls_per_status(&text);
        if metrics_counts == client_counts {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rss_at_stop = rss_kib(pid);

    proxy.sigterm();
    let out = tokio::task::spawn_blocking(move || proxy.finish(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    let log_counts = log_per_status(&std::fs::read_to_string(&events).unwrap());

    let samples = samples.lock().unwrap().clone();
    eprintln!(
        "{workers} workers, {:.1} s: {total} calls, {:.0} calls/s; per status {client_counts:?}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    eprintln!(
        "RSS KiB (s, KiB): {:?}; after the drain {rss_at_stop:?}",
        samples
            .iter()
            .map(|(t, k)| (t.as_secs(), *k))
            .collect::<Vec<_>>()
    );

    assert_eq!(
        metrics_counts, client_counts,
        "/metrics calls per status vs the client's"
    );
    assert_eq!(
        log_counts, client_counts,
        "event log lines per status vs the client's"
    );
    assert!(
        out.stderr
            .contains(&format!("stopped after {total} calls (0 dropped")),
        "{}",
        out.stderr
    );

    // Memory: after the first quarter (connections, pools, series, queues warmed), the
    // largest sample stays within 1.5× + 32 MiB of the sample where warm-up ended.
    assert!(samples.len() >= 8, "too few RSS samples: {samples:?}");
    let warm = samples[samples.len() / 4].1;
    let peak = samples[samples.len() / 4..]
        .iter()
        .map(|(_, k)| *k)
        .max()
        .unwrap();
    let bound = warm + warm / 2 + 32 * 1024;
    eprintln!(
        "RSS after warm-up {warm} KiB, peak {peak} KiB, last {} KiB (bound {bound} KiB)",
        samples.last().unwrap().1
    );
    assert!(
        peak <= bound,
        "resident memory grew under steady load: {warm} KiB → {peak} KiB\n{samples:?}"
    );
}
