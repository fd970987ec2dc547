//! One rules tick (one second of evaluation clock) with 1,000 series under the default rules,
//! at two call rates 10× apart: the tick's cost is O(series × rules), so it should not grow
//! with the call rate. Target ≤ 1 ms per tick, flat.
//!
//! Series: 500 models (the `[model]` group: RateLimitPressure, OverloadedCapacity,
//! LatencyP99High) + 500 keys (the `[key_id]` group: AuthFailuresAfterKeyRotation), plus the
//! global group and a handful of error types; the 400s carry 24 distinct messages, so the
//! rising-400 rule's per-message state (16 tracked signatures and `_other`) is full. Every series gets calls every second; windows
//! are filled (6 minutes of calls) before anything is measured. Only `tick` is timed; the
//! calls of the next second are observed between ticks, untimed.
//!
//! Run: `cargo bench --bench tick -- --warm-up-time 1 --measurement-time 3`

#[path = "support/events.rs"]
mod events;

use std::hint::black_box;
use std::time::{Duration, Instant};

use callwatch_core::event::CallEvent;
use callwatch_rules::{default_rules, Engine};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use time::{Duration as TimeDuration, OffsetDateTime};

const SERIES_PER_GROUP: usize = 500;

const MESSAGE_WORDS: [&str; 24] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray",
];

struct Load {
    engine: Engine,
    models: Vec<String>,
    keys: Vec<String>,
    rng: events::Rng,
    second: i64,
    per_second: usize,
}

impl Load {
    fn new(per_second: usize, prefill_s: i64) -> Load {
        let mut load = Load {
            engine: Engine::new(default_rules()),
            models: (0..SERIES_PER_GROUP)
                .map(|i| format!("claude-model-{i:03}"))
                .collect(),
            keys: (0..SERIES_PER_GROUP)
                .map(|i| format!("k-{i:08x}"))
                .collect(),
            rng: events::Rng::new(7),
            second: 0,
            per_second,
        };
        for _ in 0..prefill_s {
            load.observe_one_second();
            load.tick();
        }
        load
    }

    fn now(&self) -> OffsetDateTime {
        events::t0() + TimeDuration::seconds(self.second)
    }

    fn observe_one_second(&mut self) {
        let start = self.now();
        for j in 0..self.per_second {
            let ts = start + TimeDuration::microseconds((j * 1_000_000 / self.per_second) as i64);
            let (status, error_type) = match self.rng.below(1000) {
                0..=9 => (Some(429), Some("rate_limit_error")),
                10..=14 => (Some(529), Some("overloaded_error")),
                15..=17 => (Some(500), Some("api_error")),
                18..=22 => (Some(400), Some("invalid_request_error")),
                _ => (Some(200), None),
            };
            let mut call = CallEvent::new(ts, status, error_type);
            if status == Some(400) {
                // 24 distinct messages: the rising-400 rule's 16 tracked signatures and its
                // `_other` bucket are all in use.
                let word = MESSAGE_WORDS[self.rng.below(MESSAGE_WORDS.len() as u64) as usize];
                call.message = Some(
                    format!(
                        "tools.{}.input_schema: property {word} is not allowed",
                        self.rng.below(8)
                    )
                    .into(),
                );
            }
            call.latency_ms = Some(300.0 + self.rng.below(3000) as f64);
            call.model = Some(self.models[j % SERIES_PER_GROUP].as_str().into());
            call.key_id = Some(self.keys[(j * 7) % SERIES_PER_GROUP].as_str().into());
            call.operation = Some("messages".into());
            black_box(self.engine.observe(&call));
        }
        self.second += 1;
    }

    fn tick(&mut self) -> Duration {
        let now = self.now();
        let start = Instant::now();
        black_box(self.engine.tick(now));
        start.elapsed()
    }
}

fn bench_tick(c: &mut Criterion) {
    let test = events::test_mode();
    let (rates, prefill_s) = if test {
        ([100, 1_000], 3)
    } else {
        ([1_000, 10_000], 360)
    };
    let mut group = c.benchmark_group("tick_1k_series");
    group.sample_size(10);
    for per_second in rates {
        let mut load = Load::new(per_second, prefill_s);
        group.bench_function(BenchmarkId::new("calls_per_s", per_second), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        load.observe_one_second();
                        load.tick()
                    })
                    .sum()
            })
        });
        let stats = load.engine.stats();
        assert_eq!(stats.series_overflow, 0, "every series is evaluated");
    }
    group.finish();
}

criterion_group!(benches, bench_tick);
criterion_main!(benches);
