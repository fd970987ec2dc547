//! Cost of recording one finished call, beside what the alternatives cost for the same job.
//!
//! - `callwatch`: `Recorder::record` (the thread's hot series compared with the call, one
//!   atomic HDR increment, per-thread counters, headroom gauges), 1 thread and 2 threads
//!   recording the same series at once, and 1 thread cycling through 4 series (every call
//!   resolved through the thread cache's hash lookup).
//! - `otel_sdk`: an opentelemetry_sdk histogram `record` with the same 4 attributes, unbound.
//! - `metrics_rs`: `metrics::histogram!` with 4 static labels into a metrics-util `Registry` of
//!   `AtomicBucket` histograms (what metrics-exporter-prometheus users get).
//!
//! Run: `CARGO_PROFILE_BENCH_DEBUG=0 cargo bench -p callwatch-core --bench record --
//! "record_one_call/callwatch/1_thread$|otel_sdk_histogram/1_thread$" --warm-up-time 1
//! --measurement-time 4` (all of them: `cargo bench --bench record -- --warm-up-time 1
//! --measurement-time 3`).
//!
//! Measured 2026-12-01, session 26 (2 shared vCPUs, load average 1.3–3.4 from other builds, so
//! wall times swing; see BENCHMARKS.md, "Session 26"): callwatch 1 thread 16.1–25.6 ns in 6
//! runs (median 23.6) against the OTel SDK's 222–272 ns in the same runs, 9.4–14.8× (main,
//! alternating: median 34.0 ns); 197 instructions per record under callgrind (266 before the
//! session, 405 at the start of the hot-path work). Earlier, at load 5–8: 4 series in turn 30.3 ns, 2 threads
//! 48.8 ns (same series *and* same latency bucket, before threads had their own histograms);
//! OTel SDK 166.0 / 445.5 ns; metrics-rs 134.4 / 344.0 ns.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Headroom, Outcome, RateLimit, Usage};
use callwatch_core::record::Recorder;
use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;

fn success() -> Outcome {
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
    outcome
}

fn call(outcome: &Outcome) -> Call<'_> {
    Call {
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
    }
}

/// (model, key id) of the rotating benches' four series.
const ROTATION: [(&str, &str); 4] = [
    ("claude-sonnet-4-6", "k-52e6b438"),
    ("claude-haiku-4-5", "k-52e6b438"),
    ("claude-sonnet-4-6", "k-0b7c11d2"),
    ("claude-haiku-4-5", "k-0b7c11d2"),
];

/// Runs `op` `iters` times on each of `threads` threads at once; returns the mean wall time per
/// operation on one thread (what each caller pays while the others record too).
fn contended(threads: usize, iters: u64, op: Arc<dyn Fn() + Send + Sync>) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (barrier, op) = (Arc::clone(&barrier), Arc::clone(&op));
            std::thread::spawn(move || {
                op(); // first call per thread creates its shard: not what is measured
                barrier.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    op();
                }
                start.elapsed()
            })
        })
        .collect();
    let total: Duration = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total / threads as u32
}

fn bench_callwatch(c: &mut Criterion) {
    let recorder = Recorder::new();
    let outcome = success();
    let mut group = c.benchmark_group("record_one_call");
    group.bench_function("callwatch/1_thread", |b| {
        b.iter(|| recorder.record(black_box(&call(&outcome))))
    });
    // Four series in turn (2 models × 2 keys): every call misses the thread cache's
    // "series hit last" shortcut and takes the hash lookup.
    let rotating: Vec<Call<'_>> = ROTATION
        .iter()
        .map(|&(model, key_id)| Call {
            model,
            key_id,
            ..call(&outcome)
        })
        .collect();
    group.bench_function("callwatch/1_thread_4_series", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 3;
            recorder.record(black_box(&rotating[i]))
        })
    });
    let shared = Arc::new((recorder.clone(), success()));
    group.bench_function("callwatch/2_threads", |b| {
        let shared = Arc::clone(&shared);
        b.iter_custom(move |iters| {
            let shared = Arc::clone(&shared);
            contended(
                2,
                iters,
                Arc::new(move || shared.0.record(black_box(&call(&shared.1)))),
            )
        })
    });

    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .build()
        .expect("exporter builds");
    let reader = opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
        .with_interval(Duration::from_secs(3600))
        .build();
    let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_reader(reader)
        .build();
    let histogram = provider
        .meter("bench")
        .f64_histogram("gen_ai.client.operation.duration")
        .build();
    let attributes = Arc::new([
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.request.model", "claude-sonnet-4-6"),
        KeyValue::new("http.response.status_code", 200),
        KeyValue::new("callwatch.key_id", "k-52e6b438"),
    ]);
    group.bench_function("otel_sdk_histogram/1_thread", |b| {
        b.iter(|| histogram.record(black_box(0.812), &attributes[..]))
    });
    let rotating: Vec<[KeyValue; 4]> = ROTATION
        .iter()
        .map(|&(model, key_id)| {
            [
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.request.model", model),
                KeyValue::new("http.response.status_code", 200),
                KeyValue::new("callwatch.key_id", key_id),
            ]
        })
        .collect();
    group.bench_function("otel_sdk_histogram/1_thread_4_series", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 3;
            histogram.record(black_box(0.812), &rotating[i][..])
        })
    });
    group.bench_function("otel_sdk_histogram/2_threads", |b| {
        let (histogram, attributes) = (histogram.clone(), Arc::clone(&attributes));
        b.iter_custom(move |iters| {
            let (histogram, attributes) = (histogram.clone(), Arc::clone(&attributes));
            contended(
                2,
                iters,
                Arc::new(move || histogram.record(black_box(0.812), &attributes[..])),
            )
        })
    });

    let metrics_recorder = metrics_rs::AtomicRecorder::default();
    let record_metrics = || {
        metrics::histogram!(
            "gen_ai.client.operation.duration",
            "gen_ai.operation.name" => "chat",
            "gen_ai.request.model" => "claude-sonnet-4-6",
            "http.response.status_code" => "200",
            "callwatch.key_id" => "k-52e6b438",
        )
        .record(black_box(0.812));
    };
    metrics::with_local_recorder(&metrics_recorder, || {
        group.bench_function("metrics_rs_histogram/1_thread", |b| b.iter(record_metrics));
    });
    let _ = metrics::set_global_recorder(metrics_recorder);
    group.bench_function("metrics_rs_histogram/2_threads", |b| {
        b.iter_custom(|iters| contended(2, iters, Arc::new(record_metrics)))
    });
    group.finish();
    let _ = provider.shutdown();
}

mod metrics_rs {
    use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
    use metrics_util::registry::{AtomicStorage, Registry};

    /// The storage metrics-exporter-prometheus uses: a registry of atomic counters, gauges and
    /// `AtomicBucket` histograms, keyed by name + labels.
    pub struct AtomicRecorder(Registry<Key, AtomicStorage>);

    impl Default for AtomicRecorder {
        fn default() -> Self {
            AtomicRecorder(Registry::atomic())
        }
    }

    impl metrics::Recorder for AtomicRecorder {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            self.0
                .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
        }
        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            self.0
                .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            self.0
                .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
        }
    }
}

criterion_group!(benches, bench_callwatch);
criterion_main!(benches);
