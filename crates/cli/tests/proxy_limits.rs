//! The proxy under clients that misbehave, as a real process on loopback: slow clients against
//! a descriptor limit, and many large uploads at once against the body budget.

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use callwatch_mock::MockClaude;
use support::process::{bin, clean_env, free_addr, Running};

/// Open-file limit the proxy runs under in the slow-client test.
const NOFILE: u32 = 256;
const SLOW_CLIENTS: usize = 300;

fn proxy_command(nofile: Option<u32>) -> Command {
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin());
            c
        }
        None => Command::new(bin()),
    };
    clean_env(&mut cmd);
    cmd
}

fn start_proxy(
    mut cmd: Command,
    upstream: &str,
    extra: &[&str],
) -> (Running, SocketAddr, SocketAddr) {
    let listen = free_addr();
    let admin = free_addr();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", upstream])
        .args(extra)
        .env("RUST_LOG", "warn");
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "proxy did not start:\n{}",
        proxy.stderr_so_far()
    );
    (proxy, listen, admin)
}

fn message() -> &'static str {
    r#"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#
}

fn counter(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_lock_out_real_clients_or_metrics() {
    use tokio::io::AsyncWriteExt as _;
    let mock = MockClaude::start().await.unwrap();
    let (proxy, listen, admin) = start_proxy(proxy_command(Some(NOFILE)), &mock.base_url(), &[]);

    // Slowloris: each sends a request line and then one header line every 2 s, forever.
    let attack = Instant::now();
    let mut slow = Vec::with_capacity(SLOW_CLIENTS);
    for _ in 0..SLOW_CLIENTS {
        if let Ok(mut s) = tokio::net::TcpStream::connect(listen).await {
            let _ = s
                .write_all(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n")
                .await;
            slow.push(s);
        }
    }
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            for s in &slow {
                let _ = s.try_write(b"x-slow: 1\r\n");
            }
        }
    });

    // A real client (a fresh connection each time) and a scraper, once a second.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut served_after = None;
    let mut scrapes = 0;
    let mut metrics = String::new();
    while attack.elapsed() < Duration::from_secs(90) {
        let scrape = client
            .get(format!("http://{admin}/metrics"))
            .send()
            .await
            .and_then(|r| r.error_for_status());
        match scrape {
            Ok(r) => metrics = r.text().await.unwrap_or_default(),
            Err(e) => panic!(
                "/metrics did not answer {:?} into the attack: {e}\n{}",
                attack.elapsed(),
                proxy.stderr_so_far()
            ),
        }
        scrapes += 1;
        if served_after.is_none() {
            let reply = client
                .post(format!("http://{listen}/v1/messages"))
                .header("x-api-key", "sk-ant-FAKE-limits")
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .body(message())
                .send()
                .await;
            if reply.is_ok_and(|r| r.status().is_success()) {
                served_after = Some(attack.elapsed());
            }
        }
        if served_after.is_some() && scrapes >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    trickle.abort();
    let served_after = served_after.unwrap_or_else(|| {
        panic!(
            "no request served within 90 s of {SLOW_CLIENTS} slow clients:\n{}",
            proxy.stderr_so_far()
        )
    });
    eprintln!("served again after {served_after:?}; /metrics answered {scrapes} times");
    assert!(
        served_after < Duration::from_secs(60),
        "a normal request was served only after {served_after:?}"
    );
    // The limit was reached (so the test exercised it) and the proxy said so.
    assert!(
        counter(&metrics, "callwatch_proxy_connections_refused_total") > 0,
        "{metrics}"
    );
    let limit = counter(&metrics, "callwatch_proxy_connections_limit");
    assert!(
        limit < u64::from(NOFILE) / 2,
        "limit {limit} leaves no reserve"
    );
    assert!(
        !proxy.stderr_so_far().contains("Too many open files"),
        "{}",
        proxy.stderr_so_far()
    );
    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(60));
    assert!(out.status.success(), "{}", out.stderr);
}

/// Peak resident memory of a process, in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kb * 1024
}

const UPLOADS: usize = 16;
const UPLOAD_BYTES: usize = 60 * 1000 * 1000;
/// Stated bound: the 128 MiB default budget plus the process's own memory (measured peak:
/// 159 MiB in a debug build; without the budget, 1.6 GB).
const RSS_BOUND: u64 = 320 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_large_uploads_stay_within_the_body_budget() {
    let mock = MockClaude::start().await.unwrap();
    let (proxy, listen, admin) = start_proxy(proxy_command(None), &mock.base_url(), &[]);
    let pid = proxy.child.id();
    let body = bytes::Bytes::from(vec![b' '; UPLOAD_BYTES]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let mut uploads = Vec::new();
    for i in 0..UPLOADS {
        let client = client.clone();
        let body = body.clone();
        let url = format!("http://{listen}/v1/messages");
        uploads.push(tokio::spawn(async move {
            let request = client
                .post(url)
                .header("x-api-key", "sk-ant-FAKE-uploads")
                .header("content-type", "application/json");
            // Half declare their length, half stream it chunked (no content-length).
            let request = if i % 2 == 0 {
                request.body(body)
            } else {
                let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
                    .chunks(1 << 20)
                    .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                    .collect();
                request.body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                )))
            };
            match request.send().await {
                Ok(r) => (r.status().as_u16(), r.headers().contains_key("retry-after")),
                Err(_) => (0, false),
            }
        }));
    }
    let mut statuses = Vec::new();
    for u in uploads {
        statuses.push(u.await.unwrap());
    }
    let peak = peak_rss(pid);
    eprintln!(
        "{UPLOADS} x {UPLOAD_BYTES} B uploads: peak RSS {} MiB; statuses {statuses:?}",
        peak / (1024 * 1024)
    );
    assert!(
        statuses
            .iter()
            .any(|(s, retry_after)| *s == 503 && *retry_after),
        "no upload was refused with 503 + retry-after: {statuses:?}"
    );
    assert!(
        statuses.iter().any(|(s, _)| *s != 503 && *s != 0),
        "every upload was refused: {statuses:?}"
    );
    assert!(
        peak < RSS_BOUND,
        "peak RSS {} MiB over the stated bound {} MiB",
        peak / (1024 * 1024),
        RSS_BOUND / (1024 * 1024)
    );
    let metrics = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        counter(
            &metrics,
            "callwatch_proxy_requests_refused_total{reason=\"body_budget\"}"
        ) > 0,
        "{metrics}"
    );
    assert_eq!(
        counter(&metrics, "callwatch_proxy_request_body_bytes_in_flight"),
        0,
        "{metrics}"
    );
    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(60));
    assert!(out.status.success(), "{}", out.stderr);
}
