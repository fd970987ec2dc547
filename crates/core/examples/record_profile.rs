//! Records the bench's call `n` times in a loop, for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='*record_loop*' target/release/examples/record_profile 100000`
//! (the `Ir` collected divided by `n` is the instructions one record costs). A second argument
//! `4` cycles through 4 series (2 models × 2 keys) instead of repeating one; anything else: 1.
//! Without valgrind it prints the wall and on-CPU time per call.

use std::hint::black_box;
use std::time::{Duration, Instant};

use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Headroom, Outcome, RateLimit, Usage};
use callwatch_core::record::Recorder;

const SERIES: [(&str, &str); 4] = [
    ("claude-sonnet-4-6", "k-52e6b438"),
    ("claude-haiku-4-5", "k-52e6b438"),
    ("claude-sonnet-4-6", "k-0b7c11d2"),
    ("claude-haiku-4-5", "k-0b7c11d2"),
];

#[inline(never)]
fn record_loop(recorder: &Recorder, outcome: &Outcome, n: u64, series: usize) {
    for i in 0..n {
        let (model, key_id) = SERIES[i as usize & (series - 1)]; // a mask: no division
        recorder.record(black_box(&Call {
            operation: "chat",
            model,
            key_id,
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
    let arg = |n: usize, default: u64| {
        std::env::args()
            .nth(n)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (n, series) = (arg(1, 1_000_000), arg(2, 1).clamp(1, 4) as usize);
    let series = if series == 4 { 4 } else { 1 };
    let mut outcome = Outcome::bare(Some(200), None, Class::Success);
    outcome.usage = Some(Usage {
        input_tokens: 1200,
        cache_read_input_tokens: 800,
        cache_creation_input_tokens: 0,
        output_tokens: 350,
        cache_creation_1h_input_tokens: 0,
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
    // Each series' first call creates it: not what is measured.
    record_loop(&recorder, &outcome, series as u64, series);
    let (cpu_before, start) = (on_cpu_ns(), Instant::now());
    record_loop(&recorder, &outcome, n, series);
    let (elapsed, cpu_after) = (start.elapsed(), on_cpu_ns());
    let per_call = |ns: f64| ns / n as f64;
    print!(
        "{} calls over {series} series, {:.2} ns per call",
        recorder.snapshot().total_calls(),
        per_call(elapsed.as_nanos() as f64)
    );
    // On a shared machine the wall time includes waiting for a core; the time this thread was
    // on a core does not (Linux's schedstat), so A/B runs compare under load.
    match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => {
            println!(
                ", on-CPU {:.2} ns per call",
                per_call((after - before) as f64)
            )
        }
        _ => println!(),
    }
}

/// Nanoseconds this thread has spent on a core, when the kernel says (`schedstat`).
fn on_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
