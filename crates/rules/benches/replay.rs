//! Replay throughput: `callwatch replay`'s own loop ([`callwatch_rules::Replay`]: parse the
//! contract event line, classify, tick the engine in event time, observe under the default
//! rules) over 1M generated lines held in memory, beside a plain
//! `serde_json::from_str::<serde_json::Value>` of the same lines (parse only, no rules), and
//! the same replay pipelined as `callwatch replay` runs it ([`callwatch_rules::pipeline`]:
//! parsing on a second thread). Target ≥ 1M lines/s.
//!
//! Run: `cargo bench --bench replay -- --warm-up-time 1 --measurement-time 10`
//! (under `cargo test --benches` it runs once over 10,000 lines).

#[path = "support/events.rs"]
mod events;

use std::hint::black_box;

use callwatch_rules::pipeline::replay_lines_on_two_threads;
use callwatch_rules::{default_rules, Engine, Replay};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// 200 calls a second: 1M lines span ~83 minutes of event time.
const CALLS_PER_SECOND: u64 = 200;

fn bench_replay(c: &mut Criterion) {
    let n = if events::test_mode() {
        10_000
    } else {
        1_000_000
    };
    let log = events::event_log(n, CALLS_PER_SECOND);
    let mut group = c.benchmark_group("replay_1M_lines");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(n as u64));
    group.bench_function("callwatch_replay", |b| {
        b.iter(|| {
            let mut replay = Replay::new(Engine::new(default_rules()));
            let mut alerts = Vec::new();
            for line in log.lines() {
                replay
                    .line(line.as_bytes(), &mut alerts)
                    .expect("generated lines parse");
                alerts.clear();
            }
            replay.finish(&mut alerts);
            black_box(replay.totals())
        })
    });
    // The same loop with parsing on a second thread (`callwatch replay` ran this until the
    // event-line scanner made one thread the faster; kept to compare the two on any machine).
    group.bench_function("callwatch_replay_pipelined", |b| {
        b.iter(|| {
            let mut replay = Replay::new(Engine::new(default_rules()));
            replay_lines_on_two_threads(log.as_bytes(), &mut replay, |_, result, alerts| {
                result.expect("generated lines parse");
                alerts.clear();
                Ok(())
            })
            .expect("in-memory input");
            black_box(replay.totals())
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let mut parsed = 0u64;
            for line in log.lines() {
                let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
                parsed += black_box(&v).is_object() as u64;
            }
            parsed
        })
    });
    group.finish();
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
