//! The OTLP collector down for a while, then back, behind `callwatch proxy` as a real process:
//! calls keep going through while nothing listens and while an export hangs on a collector
//! that accepted the connection but never answers, and once the collector is back the counts
//! it receives include every call made during the outage, with cumulative and with delta
//! temporality. The failure is said once and the recovery once.
//!
//! `CALLWATCH_FAULT_DOWN_SECS` sets how long the collector stays down, and the healthy phase
//! before it lasts as long (default 3). With `--nocapture` the test prints the client-side
//! latency of the calls in each phase.

mod support;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callwatch_mock::MockClaude;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use support::otlp_receiver::{OtlpReceiver, Received};
use support::process::{command, free_addr, Running};
use support::wait::eventually;

const KEY: &str = "sk-ant-FAKE-otlp";
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

fn start_proxy(upstream: &str, collector: SocketAddr, delta: bool) -> (Running, String) {
    let listen = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &free_addr().to_string()])
        .args(["--upstream", upstream])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
        .env("OTEL_METRIC_EXPORT_INTERVAL", "200")
        .env(
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            if delta { "delta" } else { "cumulative" },
        )
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
    let response = support::messages::post(client, url, KEY, BODY)
        .send()
        .await
        .expect("the proxy answers");
    let status = response.status();
    response.bytes().await.expect("body");
    phase.took.push(start.elapsed());
    assert_eq!(status, 200);
}

/// Calls the collector has been told about: with cumulative temporality the newest export
/// that carries the duration histogram holds everything; with delta, the sum of all of them.
fn exported_calls(received: &Mutex<Received>, delta: bool) -> Option<u64> {
    use opentelemetry_proto::tonic::metrics::v1::{metric, AggregationTemporality};
    let received = received.lock().unwrap();
    let carries = |r: &&ExportMetricsServiceRequest| {
        r.resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .any(|m| m.name == DURATION_METRIC)
    };
    let requests: Vec<&ExportMetricsServiceRequest> = if delta {
        received.metrics.iter().filter(carries).collect()
    } else {
        received
            .metrics
            .iter()
            .rev()
            .find(carries)
            .into_iter()
            .collect()
    };
    if requests.is_empty() {
        return None;
    }
    let expected = if delta {
        AggregationTemporality::Delta
    } else {
        AggregationTemporality::Cumulative
    };
    let mut total = 0;
    for rm in requests.iter().flat_map(|r| &r.resource_metrics) {
        for sm in &rm.scope_metrics {
            for m in sm.metrics.iter().filter(|m| m.name == DURATION_METRIC) {
                if let Some(metric::Data::Histogram(h)) = &m.data {
                    assert_eq!(h.aggregation_temporality, expected as i32);
                    total += h.data_points.iter().map(|p| p.count).sum::<u64>();
                }
            }
        }
    }
    Some(total)
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
async fn cumulative_counts_are_complete_after_the_collector_returns() {
    outage(false).await;
}

/// Delta temporality (Datadog): each export carries only what changed, so a failed export
/// must be retried, not dropped, for the sum of what arrives to be complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_counts_add_up_after_the_collector_returns() {
    outage(true).await;
}

/// Calls never wait on a down or hung collector, and once it is back what it received adds
/// up to every call made.
async fn outage(delta: bool) {
    let name = if delta { "delta" } else { "cumulative" };
    let collector = free_addr();
    let receiver = OtlpReceiver::start_on(collector);
    let mock = MockClaude::start().await.unwrap();
    let (proxy, url) = start_proxy(&mock.base_url(), collector, delta);
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
        eventually(Duration::from_secs(20), || exported_calls(
            &receiver.received,
            delta
        ) == Some(made))
        .await,
        "healthy export: {:?} of {made}\n{}",
        exported_calls(&receiver.received, delta),
        proxy.stderr_so_far()
    );
    let before_outage = receiver.received.clone();
    drop(receiver);
    // With delta, what the first collector got counts too (read after it stopped).
    let delivered_before = if delta {
        exported_calls(&before_outage, true).unwrap()
    } else {
        0
    };

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
    let seen = || exported_calls(&receiver.received, delta).map(|n| n + delivered_before);
    let complete = eventually(Duration::from_secs(30), || seen() == Some(made)).await;
    assert!(
        complete,
        "{name}: after recovery the collector saw {:?} calls of {made}\n{}",
        seen(),
        proxy.stderr_so_far()
    );

    healthy.report("healthy");
    down.report("down");
    stalled.report("hung");
    eprintln!("{name}: collector down for {:?}; {made} calls", down_for());

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
    // One line when export starts failing and one when it works again, not one per attempt.
    let said = |what: &str| out.stderr.lines().filter(|l| l.contains(what)).count();
    assert_eq!(said("OTLP metrics export failed"), 1, "{}", out.stderr);
    assert_eq!(said("OTLP metrics export works again"), 1, "{}", out.stderr);
    eprintln!("{}", out.stderr);
}
