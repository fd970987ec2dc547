//! The OTLP collector down for a while, then back, behind `callwatch proxy` as a real process:
//! calls keep going through while nothing listens and while an export hangs on a collector
//! that accepted the connection but never answers, and once the collector is back the
//! cumulative counts it receives include every call made during the outage.
//!
//! `CALLWATCH_FAULT_DOWN_SECS` sets how long the collector stays down, and the healthy phase
//! before it lasts as long (default 3). With `--nocapture` the test prints the client-side
//! latency of the calls in each phase.

mod support;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callwatch::mock::MockClaude;
use support::otlp_receiver::OtlpReceiver;
use support::process::{command, free_addr, Running};

const KEY: &str = "sk-ant-FAKE-otlp-outage-0000";
const BODY: &str =
    r#"{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#;
const DURATION_METRIC: &str = "gen_ai.client.operation.duration";

fn down_for() -> Duration {
    let secs = std::env::var("CALLWATCH_FAULT_DOWN_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

fn start_proxy(upstream: &str, collector: SocketAddr) -> (Running, String) {
    let listen = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &free_addr().to_string()])
        .args(["--upstream", upstream])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
        .env("OTEL_METRIC_EXPORT_INTERVAL", "200")
        // Long enough that a hung export stays hung until the test lets it go.
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "120000");
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "{}",
        proxy.stderr_so_far()
    );
    (proxy, format!("http://{listen}/v1/messages"))
}

/// Client-side latency of every call of one phase.
#[derive(Default)]
struct Phase {
    took: Vec<Duration>,
}

impl Phase {
    fn report(&mut self, name: &str) {
        self.took.sort();
        let at = |q: f64| self.took[((self.took.len() - 1) as f64 * q) as usize];
        eprintln!(
            "{name:<8} n={:<6} p50={:?} p99={:?} max={:?}",
            self.took.len(),
            at(0.5),
            at(0.99),
            self.took.last().unwrap()
        );
    }
}

async fn call(client: &reqwest::Client, url: &str, phase: &mut Phase) {
    let start = Instant::now();
    let response = client
        .post(url)
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(BODY)
        .send()
        .await
        .expect("the proxy answers");
    let status = response.status();
    response.bytes().await.expect("body");
    phase.took.push(start.elapsed());
    assert_eq!(status, 200);
}

/// Calls counted in the newest export that carries the duration histogram (cumulative, so
/// the newest one holds everything).
fn exported_calls(receiver: &OtlpReceiver) -> Option<u64> {
    let received = receiver.lock();
    let newest = received.metrics.iter().rev().find(|r| {
        r.resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .any(|m| m.name == DURATION_METRIC)
    })?;
    let mut total = 0;
    for rm in &newest.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in sm.metrics.iter().filter(|m| m.name == DURATION_METRIC) {
                use opentelemetry_proto::tonic::metrics::v1::{metric, AggregationTemporality};
                if let Some(metric::Data::Histogram(h)) = &m.data {
                    assert_eq!(
                        h.aggregation_temporality,
                        AggregationTemporality::Cumulative as i32
                    );
                    total += h.data_points.iter().map(|p| p.count).sum::<u64>();
                }
            }
        }
    }
    Some(total)
}

async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// A collector that accepts connections, reads what comes and never answers: an export to
/// it hangs until [`Hung::release`].
struct Hung {
    got_bytes: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hung {
    fn start(addr: SocketAddr) -> Hung {
        let listener = TcpListener::bind(addr).expect("bind the hung collector");
        listener.set_nonblocking(true).unwrap();
        let got_bytes = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (got, halt) = (got_bytes.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            let mut buf = [0u8; 65536];
            while !halt.load(Ordering::SeqCst) {
                if let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true).unwrap();
                    held.push(stream);
                }
                for s in &mut held {
                    if let Ok(n) = s.read(&mut buf) {
                        if n > 0 {
                            got.store(true, Ordering::SeqCst);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            // Dropping `held` and `listener` here closes everything: the export fails.
        });
        Hung {
            got_bytes,
            stop,
            thread: Some(thread),
        }
    }

    fn release(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.take().unwrap().join();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_never_wait_on_a_down_collector_and_counts_are_complete_after_it_returns() {
    let collector = free_addr();
    let receiver = OtlpReceiver::start_on(collector);
    let mock = MockClaude::start().await.unwrap();
    let (proxy, url) = start_proxy(&mock.base_url(), collector);
    let client = reqwest::Client::new();
    let mut made = 0u64;

    // Healthy, for as long as the outage will last (a like-for-like latency sample).
    let mut healthy = Phase::default();
    let until = Instant::now() + down_for();
    while Instant::now() < until {
        call(&client, &url, &mut healthy).await;
        made += 1;
    }
    assert!(
        eventually(Duration::from_secs(20), || exported_calls(&receiver)
            == Some(made))
        .await,
        "healthy export: {:?} of {made}\n{}",
        exported_calls(&receiver),
        proxy.stderr_so_far()
    );
    let before_outage = receiver.lock().metrics.len();
    drop(receiver);

    // Down: nothing listens on the collector's port.
    let mut down = Phase::default();
    let until = Instant::now() + down_for();
    while Instant::now() < until {
        call(&client, &url, &mut down).await;
        made += 1;
    }

    // Hung: an export is in flight and unanswered; calls go through all the same.
    let hung = Hung::start(collector);
    assert!(
        eventually(Duration::from_secs(20), || hung
            .got_bytes
            .load(Ordering::SeqCst))
        .await,
        "no export reached the hung collector\n{}",
        proxy.stderr_so_far()
    );
    let mut stalled = Phase::default();
    for _ in 0..200 {
        call(&client, &url, &mut stalled).await;
    }
    made += 200;
    assert!(
        !hung.thread.as_ref().unwrap().is_finished(),
        "the export was still held while every call completed"
    );
    hung.release();

    // Back: the next cumulative export carries every call, the outage's included.
    let receiver = OtlpReceiver::start_on(collector);
    let complete = eventually(Duration::from_secs(30), || {
        exported_calls(&receiver) == Some(made)
    })
    .await;
    assert!(
        complete,
        "after recovery the collector saw {:?} calls of {made}\n{}",
        exported_calls(&receiver),
        proxy.stderr_so_far()
    );

    healthy.report("healthy");
    down.report("down");
    stalled.report("hung");
    eprintln!(
        "collector down for {:?}; {made} calls; {before_outage} exports before the outage",
        down_for()
    );

    proxy.sigterm();
    let out = tokio::task::spawn_blocking(move || proxy.finish(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("stopped after {made} calls")),
        "{}",
        out.stderr
    );
    let failures = out.stderr.lines().filter(|l| l.contains("export")).count();
    eprintln!("stderr lines about export: {failures}\n{}", out.stderr);
}
