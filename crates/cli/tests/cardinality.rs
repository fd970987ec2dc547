//! A million distinct model names through the agent (the observer the proxy reports every
//! call to: recorder, rules engine, alert path): the exported series stay bounded, the
//! overflow series counts every call that did not get its own, memory stops growing, and the
//! overflow is said exactly once.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Outcome};
use callwatch_core::names::OVERFLOW_VALUE;
use callwatch_core::record::Recorder;

const CALLS: u32 = 1_000_000;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Resident memory of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_model_names_stay_bounded_counted_and_warned_once() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let recorder = Recorder::new();
    let agent = Agent::start(AgentOptions {
        rules: callwatch_rules::default_rules(),
        clock: Clock::system(),
        event_log: None,
        notifier: None,
        on_alert: None,
        recorder: recorder.clone(),
    })
    .unwrap();
    let observer = agent.observer();
    let ok = Outcome::bare(Some(200), None, Class::Success);
    let failed = Outcome::bare(Some(500), Some("api_error"), Class::Server);
    let mut model = String::new();
    let mut rss_at_fifth = 0;
    for i in 0..CALLS {
        use std::fmt::Write as _;
        model.clear();
        write!(model, "user-typed-model-{i}").unwrap();
        let outcome = if i % 10 == 0 { &failed } else { &ok };
        observer.observe(&Call {
            operation: "chat",
            model: &model,
            key_id: "k-00000001",
            outcome,
            attempts: 1,
            latency: Duration::from_millis(100 + u64::from(i % 900)),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        });
        if i == CALLS / 5 {
            // Let the engine drain its queue and reach its series bound before the baseline:
            // on a loaded machine it lags, and series it creates later are not a leak.
            tokio::time::sleep(Duration::from_secs(2)).await;
            rss_at_fifth = rss_kib();
        }
    }
    let rss_end_kib = rss_kib();
    let rss_growth_kib = rss_end_kib.saturating_sub(rss_at_fifth);
    let summary = agent
        .stop(tokio::time::Instant::now() + Duration::from_secs(30))
        .await;

    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.total_calls(), u64::from(CALLS), "nothing dropped");
    let models: std::collections::HashSet<_> = snapshot
        .series
        .iter()
        .map(|s| s.labels.model.clone())
        .collect();
    assert!(models.len() <= 64 + 1, "{} models exported", models.len());
    assert!(
        snapshot.series.len() <= 2 * (64 + 1),
        "{} series",
        snapshot.series.len()
    );
    let overflow_calls: u64 = snapshot
        .series
        .iter()
        .filter(|s| s.labels.model == OVERFLOW_VALUE)
        .map(|s| s.calls())
        .sum();
    assert_eq!(overflow_calls, u64::from(CALLS) - (models.len() as u64 - 1));
    assert_eq!(snapshot.overflowed_records, overflow_calls);
    let metrics = callwatch_core::prometheus::render(&snapshot);
    assert!(metrics.contains(OVERFLOW_VALUE));
    assert!(
        metrics.lines().count() < 20_000,
        "{} lines",
        metrics.lines().count()
    );

    // 800k new names after the first 200k: the bounded maps must not grow with them. (A per-
    // name leak of 128 bytes would be 100 MB.)
    // The bound guards against the ~800 MB this grew before the engine's lazy latency slots;
    // it leaves room for allocator noise and a lagging engine on a loaded CI machine.
    assert!(
        rss_growth_kib < 96 * 1024,
        "memory grew {rss_growth_kib} KiB over the last 800k distinct models"
    );
    // Everything held: recorder and engine (each keeps 64 model names apart, the rest share
    // the overflow series), queue. 28 MB measured in a debug build; before the engine bounded
    // model names it kept 10,000 series (~270 MB), before its lazy latency slots ~1 GB.
    assert!(rss_end_kib < 96 * 1024, "resident {rss_end_kib} KiB");
    eprintln!(
        "rss {rss_end_kib} KiB at the end, growth over the last {} calls: {rss_growth_kib} KiB; engine calls {}, dropped {}",
        CALLS * 4 / 5,
        summary.events,
        summary.dropped
    );
    assert_eq!(
        summary.events + summary.dropped,
        u64::from(CALLS),
        "engine reconciles"
    );

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let overflow_warnings = logs
        .lines()
        .filter(|l| l.contains("WARN") && l.contains(OVERFLOW_VALUE))
        .count();
    assert_eq!(overflow_warnings, 1, "logs:\n{logs}");
}
