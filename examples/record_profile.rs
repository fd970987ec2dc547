//! Records the bench's call `n` times in a loop, for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect=record_loop target/release/examples/record_profile`
//! (the `Ir` of `record_loop` divided by `n` is the instructions one record costs).

use std::hint::black_box;
use std::time::Duration;

use callwatch::call::Call;
use callwatch::classify::{Class, Headroom, Outcome, RateLimit, Usage};
use callwatch::record::Recorder;

#[inline(never)]
fn record_loop(recorder: &Recorder, outcome: &Outcome, n: u64) {
    for _ in 0..n {
        recorder.record(black_box(&Call {
            operation: "chat",
            model: "claude-sonnet-4-6",
            key_id: "k-52e6b438",
            outcome,
            attempts: 1,
            latency: Duration::from_millis(812),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        }));
    }
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("calls: a number"));
    let mut outcome = Outcome::bare(Some(200), None, Class::Success);
    outcome.usage = Some(Usage {
        input_tokens: 1200,
        cache_read_input_tokens: 800,
        cache_creation_input_tokens: 0,
        output_tokens: 350,
    });
    outcome.rate_limit = RateLimit {
        requests: Some(Headroom {
            limit: 4000,
            remaining: 3990,
            reset: None,
        }),
        ..RateLimit::default()
    };
    let recorder = Recorder::new();
    record_loop(&recorder, &outcome, 1); // the series' first call: not what is measured
    let start = std::time::Instant::now();
    record_loop(&recorder, &outcome, n);
    let elapsed = start.elapsed();
    println!(
        "{} calls, {:.2} ns per call",
        recorder.snapshot().total_calls(),
        elapsed.as_nanos() as f64 / n as f64
    );
}
