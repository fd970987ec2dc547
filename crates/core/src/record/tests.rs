use std::time::Duration;

use super::*;
use crate::classify::{Class, Headroom, Outcome, RateLimit, Usage};
use crate::names::OVERFLOW_VALUE;

fn call<'a>(model: &'a str, outcome: &'a Outcome, latency_ms: u64) -> Call<'a> {
    Call {
        operation: "chat",
        model,
        key_id: "k-0000abcd",
        outcome,
        attempts: 1,
        latency: Duration::from_millis(latency_ms),
        retry_wait: Duration::ZERO,
        futile_retries: 0,
        server_address: "api.anthropic.com",
        server_port: 443,
    }
}

fn success() -> Outcome {
    let mut outcome = Outcome::bare(Some(200), None, Class::Success);
    outcome.usage = Some(Usage {
        input_tokens: 10,
        cache_read_input_tokens: 5,
        cache_creation_input_tokens: 1,
        output_tokens: 100,
        cache_creation_1h_input_tokens: 0,
    });
    outcome
}

#[test]
fn concurrent_records_reconcile_exactly() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 20_000;
    let recorder = Recorder::new();
    let ok = success();
    let overloaded = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (recorder, ok, overloaded) = (&recorder, &ok, &overloaded);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let outcome = if i % 4 == 0 { overloaded } else { ok };
                    let mut c = call("claude-sonnet-4-6", outcome, 100 + t);
                    c.attempts = 1 + (i % 3) as u32;
                    c.retry_wait = Duration::from_micros(10);
                    recorder.record(&c);
                }
            });
        }
        // Snapshots taken while threads record must never panic or go backwards: neither
        // the counters nor the latency histograms (shared and threads' own).
        let (mut last, mut last_latencies) = (0, 0);
        for _ in 0..20 {
            let snapshot = recorder.snapshot();
            let now = snapshot.total_calls();
            let latencies: u64 = snapshot.series.iter().map(|s| s.latency_ms.len()).sum();
            assert!(now >= last);
            assert!(latencies >= last_latencies);
            (last, last_latencies) = (now, latencies);
        }
    });
    // Every recording thread has exited: its shards were folded into the retired totals.
    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.total_calls(), THREADS * PER_THREAD);
    assert_eq!(snapshot.series.len(), 2);
    let failed = snapshot
        .series
        .iter()
        .find(|s| s.labels.class == Class::Overloaded)
        .unwrap();
    let succeeded = snapshot
        .series
        .iter()
        .find(|s| s.labels.class == Class::Success)
        .unwrap();
    assert_eq!(failed.calls(), THREADS * PER_THREAD / 4);
    assert_eq!(succeeded.calls(), THREADS * PER_THREAD * 3 / 4);
    assert_eq!(succeeded.latency_ms.len(), succeeded.calls());
    assert_eq!(succeeded.totals.input_tokens, 16 * succeeded.calls());
    assert_eq!(succeeded.totals.output_tokens, 100 * succeeded.calls());
    let all: u64 = snapshot.series.iter().map(|s| s.totals.attempts_sum).sum();
    let expected_attempts: u64 = (0..PER_THREAD).map(|i| 1 + i % 3).sum::<u64>() * THREADS;
    assert_eq!(all, expected_attempts);
    let wait: u64 = snapshot.series.iter().map(|s| s.totals.retry_wait_us).sum();
    assert_eq!(wait, 10 * THREADS * PER_THREAD);
    assert_eq!(
        failed.labels.error_type.as_deref(),
        Some("overloaded_error")
    );
    assert_eq!(snapshot.overflowed_records, 0);
}

#[test]
fn a_million_distinct_models_stay_bounded() {
    let recorder = Recorder::builder().max_models(16).build();
    let ok = success();
    let mut name = String::new();
    for i in 0..1_000_000u32 {
        name.clear();
        use std::fmt::Write;
        write!(name, "user-model-{i}").unwrap();
        recorder.record(&call(&name, &ok, 5));
    }
    let snapshot = recorder.snapshot();
    assert_eq!(
        snapshot.series.len(),
        17,
        "16 admitted models + the overflow series"
    );
    assert_eq!(snapshot.overflowed_records, 1_000_000 - 16);
    let overflow = snapshot
        .series
        .iter()
        .find(|s| s.labels.model == OVERFLOW_VALUE)
        .unwrap();
    assert_eq!(overflow.calls(), 1_000_000 - 16);
    assert_eq!(snapshot.total_calls(), 1_000_000);
}

#[test]
fn series_bound_caps_combinations() {
    let recorder = Recorder::builder().max_series(3).build();
    let ok = success();
    for model in ["a", "b", "c", "d", "e"] {
        recorder.record(&call(model, &ok, 5));
    }
    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.series.len(), 4);
    assert_eq!(snapshot.overflowed_records, 2);
    assert_eq!(snapshot.total_calls(), 5);
}

#[test]
fn percentiles_come_from_the_hdr_histogram() {
    let recorder = Recorder::new();
    let ok = success();
    for ms in 1..=1000 {
        recorder.record(&call("claude-haiku-4-5", &ok, ms));
    }
    let snapshot = recorder.snapshot();
    let series = &snapshot.series[0];
    // Exact below 256 ms; above, the top of a bucket at most 1/128 of the value wide.
    assert_eq!(series.latency_quantile_ms(0.2), 200);
    assert_within_precision(series.latency_quantile_ms(0.5), 500);
    assert_within_precision(series.latency_quantile_ms(0.95), 950);
    assert_within_precision(series.latency_quantile_ms(0.99), 990);
    assert_eq!(
        series.totals.latency_sum_us,
        (1..=1000u64).sum::<u64>() * 1000
    );
    let (totals, merged) = snapshot.merged(|l| l.model == "claude-haiku-4-5");
    assert_eq!(totals.calls, 1000);
    assert_within_precision(merged.value_at_quantile(0.5), 500);
}

/// `got` is what a 2-significant-digit histogram reports for a true quantile of `exact` ms.
fn assert_within_precision(got: u64, exact: u64) {
    assert!(
        (exact..=exact + exact / 128).contains(&got),
        "{got} ms for a true {exact} ms"
    );
}

#[test]
fn headroom_keeps_the_last_value_per_model_key_and_kind() {
    let recorder = Recorder::new();
    let mut outcome = success();
    for remaining in [90, 40] {
        outcome.rate_limit = RateLimit {
            requests: Some(Headroom {
                limit: 100,
                remaining,
                reset: None,
            }),
            ..RateLimit::default()
        };
        recorder.record(&call("claude-opus-4-1", &outcome, 5));
    }
    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.headroom.len(), 1);
    let gauge = &snapshot.headroom[0];
    assert_eq!(
        (gauge.kind, gauge.limit, gauge.remaining),
        ("requests", 100, 40)
    );
    assert!((gauge.ratio() - 0.4).abs() < 1e-9);
}

#[test]
fn truncation_futile_retries_and_attempts_are_counted() {
    let recorder = Recorder::new();
    let mut ok = success();
    ok.truncated = true;
    let failed = Outcome::bare(Some(500), Some("api_error"), Class::Server);
    let mut c = call("m", &ok, 5);
    recorder.record(&c);
    c.outcome = &failed;
    c.attempts = 3;
    c.futile_retries = 2;
    recorder.record(&c);
    c.attempts = 40;
    recorder.record(&c);
    let snapshot = recorder.snapshot();
    let (totals, _) = snapshot.merged(|_| true);
    assert_eq!(totals.truncated, 1);
    assert_eq!(totals.futile_retries, 4);
    assert_eq!(totals.attempts[1], 1);
    assert_eq!(totals.attempts[3], 1);
    assert_eq!(totals.attempts[ATTEMPT_SLOTS - 1], 1);
    let server = snapshot
        .series
        .iter()
        .find(|s| s.labels.class == Class::Server)
        .unwrap();
    assert_eq!(
        server.labels.exported_error_type().as_deref(),
        Some("api_error")
    );
}

#[test]
fn interleaved_series_on_one_thread_each_get_their_own_calls() {
    // The thread cache compares the series hit last first: alternating series (same lengths,
    // one byte apart) must still each land in their own.
    let recorder = Recorder::new();
    let ok = success();
    let models = ["claude-model-a", "claude-model-b", "claude-model-c"];
    let pattern = [0, 0, 1, 0, 2, 2, 1, 0];
    for round in 0..10 {
        for &m in &pattern {
            recorder.record(&call(models[m], &ok, 100 + round));
        }
    }
    let snapshot = recorder.snapshot();
    let calls_of = |model: &str| {
        let series = snapshot.series.iter().find(|s| s.labels.model == model);
        series.map_or(0, |s| s.calls())
    };
    assert_eq!(calls_of(models[0]), 40);
    assert_eq!(calls_of(models[1]), 20);
    assert_eq!(calls_of(models[2]), 20);
    assert_eq!(snapshot.total_calls(), 80);
}

#[test]
fn attempts_are_series_of_their_own_and_keep_the_429_a_retry_absorbed() {
    let recorder = Recorder::new();
    let limited = Outcome::bare(Some(429), Some("rate_limit_error"), Class::RateLimit);
    let ok = success();
    let attempt = |outcome, number, latency_ms| crate::call::Attempt {
        operation: "chat",
        model: "claude-sonnet-4-6",
        key_id: "k-0000abcd",
        outcome,
        number,
        latency: Duration::from_millis(latency_ms),
        server_address: "api.anthropic.com",
        server_port: 443,
    };
    recorder.observe_attempt(&attempt(&limited, 1, 40));
    recorder.observe_attempt(&attempt(&ok, 2, 900));
    let mut c = call("claude-sonnet-4-6", &ok, 1500);
    c.attempts = 2;
    recorder.record(&c);

    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.series.len(), 1, "the call ended in success only");
    assert_eq!(snapshot.series[0].labels.status, Some(200));
    let by_status = |status| {
        snapshot
            .attempts
            .iter()
            .find(|s| s.labels.status == Some(status))
            .unwrap_or_else(|| panic!("no attempt series for {status}"))
    };
    let rate_limited = by_status(429);
    assert_eq!(rate_limited.calls(), 1);
    assert_eq!(
        rate_limited.labels.error_type.as_deref(),
        Some("rate_limit_error")
    );
    assert_eq!(rate_limited.latency_quantile_ms(0.5), 40);
    assert_eq!(by_status(200).calls(), 1);
    assert_eq!(snapshot.attempts.len(), 2);
    assert_eq!(snapshot.total_calls(), 1, "attempts are not calls");
}

/// The capped millisecond conversion lands every latency in the histogram bucket the plain
/// one (microseconds rounded to the nearest millisecond, saturating) did.
#[test]
fn capped_millis_land_in_the_same_bucket() {
    let plain = |d: Duration| {
        let micros = d.as_secs().saturating_mul(1_000_000);
        micros
            .saturating_add(u64::from(d.subsec_micros()))
            .saturating_add(500)
            / 1000
    };
    let mut durations = vec![
        Duration::ZERO,
        Duration::MAX,
        Duration::new(u64::MAX / 1000, 0),
    ];
    for secs in [0u64, 1, 59, 599, 600, 601, 3_600, 1 << 40] {
        for nanos in [0u32, 499_999, 500_000, 999_499, 999_500, 999_999_999] {
            durations.push(Duration::new(secs, nanos));
        }
    }
    for d in durations {
        assert_eq!(
            atomic_hdr::index_of(millis(d)),
            atomic_hdr::index_of(plain(d)),
            "{d:?}"
        );
        if plain(d) < atomic_hdr::HIGHEST_MS {
            assert_eq!(millis(d), plain(d), "{d:?}");
        }
    }
}

/// The repeat check read straight from the call agrees with the labels' own compare.
#[test]
fn matches_agrees_with_same_as() {
    let ok = success();
    let limited = Outcome::bare(Some(429), Some("rate_limit_error"), Class::RateLimit);
    let overloaded = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
    let other_kind = Outcome::bare(Some(429), Some("rate_limit_errox"), Class::RateLimit);
    let calls = [
        call("claude-sonnet-4-6", &ok, 1),
        call("claude-sonnet-4-7", &ok, 1),
        call("claude-haiku-4-5", &ok, 1),
        call("claude-sonnet-4-6", &limited, 1),
        call("claude-sonnet-4-6", &other_kind, 1),
        call("claude-sonnet-4-6", &overloaded, 1),
        Call {
            key_id: "k-0000abce",
            ..call("claude-sonnet-4-6", &ok, 1)
        },
        Call {
            server_port: 8443,
            ..call("claude-sonnet-4-6", &ok, 1)
        },
        Call {
            operation: "chaT",
            ..call("claude-sonnet-4-6", &ok, 1)
        },
        Call {
            server_address: "api.anthropic.con",
            ..call("claude-sonnet-4-6", &ok, 1)
        },
    ];
    for a in &calls {
        let series = LabelsRef::of(a).to_owned();
        for b in &calls {
            let expected = LabelsRef::of(a).same_as(&LabelsRef::of(b));
            // Both hand-written compares against plain field-by-field equality.
            assert_eq!(
                expected,
                LabelsRef::of(a) == LabelsRef::of(b),
                "{a:?} vs {b:?}"
            );
            assert_eq!(series.matches(b), expected, "{a:?} vs {b:?}");
        }
    }
}

/// A thread's hot series belongs to one recorder: recorders made and dropped on one thread
/// (their thread caches dropped with them) each count only their own calls, and a label
/// buffer rewritten in place between calls (same address, new bytes) finds its new series.
#[test]
fn hot_series_follow_their_recorder_and_the_label_bytes() {
    let ok = success();
    for round in 1..=4u64 {
        let recorder = Recorder::new();
        let mut model = String::from("claude-model-a");
        for _ in 0..round * 10 {
            recorder.record(&call(&model, &ok, 100));
        }
        // Same length, same buffer, one byte changed: a new series, not the hot one.
        model.replace_range(13.., "b");
        for _ in 0..round {
            recorder.record(&call(&model, &ok, 100));
        }
        // Calls and attempts of one recorder alternate (as in the proxy).
        let attempt = crate::call::Attempt {
            operation: "chat",
            model: &model,
            key_id: "k-0000abcd",
            outcome: &ok,
            number: 1,
            latency: Duration::from_millis(100),
            server_address: "api.anthropic.com",
            server_port: 443,
        };
        for _ in 0..3 {
            recorder.record_attempt(&attempt);
            recorder.record(&call(&model, &ok, 100));
        }
        let snapshot = recorder.snapshot();
        let calls_of = |m: &str| {
            let series = snapshot.series.iter().find(|s| s.labels.model == m);
            series.map_or(0, |s| s.calls())
        };
        assert_eq!(calls_of("claude-model-a"), round * 10);
        assert_eq!(calls_of("claude-model-b"), round + 3);
        assert_eq!(snapshot.attempts.len(), 1);
        assert_eq!(snapshot.attempts[0].calls(), 3);
        drop(recorder);
    }
}

/// Waits (up to 10 s) until `series` has `expected` own histograms. A scoped thread counts as
/// joined once its closure returns, before its thread-locals (the cache whose drop retires its
/// shards) are torn down.
fn own_histograms_become(series: &series::Series, expected: usize) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while series.own_histograms() != expected {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// The only series of `recorder`'s call registry.
fn only_series(recorder: &Recorder) -> Arc<series::Series> {
    let all = recorder.shared.registry.all_series();
    assert_eq!(all.len(), 1);
    Arc::clone(&all[0])
}

#[test]
fn a_thread_that_keeps_recording_a_series_gets_its_own_histogram_and_loses_no_count() {
    let recorder = Recorder::new();
    let ok = success();
    let mut reference = atomic_hdr::empty_histogram();
    let latencies = (0..1000u64).map(|i| 50 + (i * 37) % 3000);
    for ms in latencies.clone() {
        recorder.record(&call("claude-sonnet-4-6", &ok, ms));
        reference.record(ms).unwrap();
    }
    let series = only_series(&recorder);
    assert_eq!(
        series.own_histograms(),
        1,
        "this thread's shard was promoted"
    );
    // What went into the shared histogram (the first calls) and into the own one add up.
    let check = |snapshot: &Snapshot, reference: &hdrhistogram::Histogram<u64>| {
        let got = &snapshot.series[0].latency_ms;
        assert_eq!(got.len(), reference.len());
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(
                got.value_at_quantile(q),
                reference.value_at_quantile(q),
                "q={q}"
            );
        }
    };
    check(&recorder.snapshot(), &reference);
    // Another thread records the series and exits: its own histogram is handed to the series.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for ms in latencies.clone() {
                recorder.record(&call("claude-sonnet-4-6", &ok, ms + 5000));
            }
            assert_eq!(only_series(&recorder).own_histograms(), 2);
        });
    });
    for ms in latencies {
        reference.record(ms + 5000).unwrap();
    }
    assert!(
        own_histograms_become(&series, 1),
        "the exited thread's shard is retired"
    );
    check(&recorder.snapshot(), &reference);
}

#[test]
fn own_histograms_are_bounded_and_calls_past_the_bound_still_count() {
    let threads = own_latency::MAX_OWN + 16;
    let per_thread = 2 * own_latency::PROMOTE_EVERY;
    let recorder = Recorder::new();
    let ok = success();
    let barrier = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (recorder, ok, barrier) = (&recorder, &ok, &barrier);
            scope.spawn(move || {
                for _ in 0..per_thread {
                    recorder.record(&call("claude-sonnet-4-6", ok, 120));
                }
                barrier.wait(); // every thread alive, each with its shard
                barrier.wait();
            });
        }
        barrier.wait();
        // Read while every thread holds its shard, asserted once they may exit (a failed
        // assertion here would leave them waiting).
        let series = only_series(&recorder);
        let (in_use, own) = (own_latency::in_use(), series.own_histograms());
        let recorded = recorder.snapshot().series[0].latency_ms.len();
        barrier.wait();
        // Other tests in this process hold some too: the bound is the process's.
        assert!(in_use <= own_latency::MAX_OWN, "{in_use}");
        assert!(own <= own_latency::MAX_OWN && own > 0, "{own}");
        assert_eq!(recorded, threads as u64 * per_thread);
    });
    assert!(own_histograms_become(&only_series(&recorder), 0));
    let snapshot = recorder.snapshot();
    assert_eq!(
        snapshot.series[0].latency_ms.len(),
        threads as u64 * per_thread
    );
}

#[test]
fn a_latency_lands_in_the_bucket_of_its_rounded_milliseconds() {
    let nanos = [
        0,
        1,
        499_999,
        500_000,
        999_499_999,
        999_500_000,
        999_999_999,
    ];
    let secs = [
        0,
        1,
        2,
        255,
        256,
        598,
        599,
        600,
        601,
        3_600,
        u64::MAX / 2,
        u64::MAX,
    ];
    for s in secs {
        for n in nanos {
            let latency = Duration::new(s, n);
            assert_eq!(
                atomic_hdr::index_of_latency(latency),
                atomic_hdr::index_of(millis(latency)),
                "{latency:?}"
            );
        }
    }
    // Every millisecond past the top bucket, on both sides of its rounding edge.
    for ms in 0..=atomic_hdr::HIGHEST_MS + 2_000 {
        for micros in [ms * 1000 + 499, ms * 1000 + 500] {
            let latency = Duration::from_micros(micros);
            assert_eq!(
                atomic_hdr::index_of_latency(latency),
                atomic_hdr::index_of(millis(latency)),
                "{latency:?}"
            );
        }
    }
}

/// The hot slot's repeat check (with and without the usual shape's unchecked reads) sends a
/// call that differs from the hot series in any one byte of any label, or in any fixed label,
/// to a series of its own.
#[test]
fn the_repeat_check_tells_every_label_byte_apart() {
    // Room for every variant below as its own label value (8 server addresses by default).
    let recorder = Recorder::builder().max_server_addresses(64).build();
    let ok = success();
    let failed = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
    let no_response = Outcome::bare(None, None, Class::Connection);
    // Each fixed label changed alone, the shape kept (a status, no error type).
    let created = Outcome::bare(Some(201), None, Class::Success);
    let other_class = Outcome::bare(Some(200), None, Class::Server);
    let with_error_type = Outcome::bare(Some(200), Some("unexpected"), Class::Success);
    let mut bedrock = success();
    bedrock.provider = crate::classify::Provider::Bedrock;
    let base = |outcome| Call {
        operation: "chat",
        model: "claude-sonnet-4-6",
        key_id: "k-0000abcd",
        outcome,
        attempts: 1,
        latency: Duration::from_millis(800),
        retry_wait: Duration::ZERO,
        futile_retries: 0,
        server_address: "api.anthropic.com",
        server_port: 443,
    };
    // Every one-byte change of every string label (same length), and a label of another
    // length case (past the usual shape).
    let mut strings: Vec<(usize, String)> = Vec::new();
    let originals = base(&ok);
    let fields = [
        originals.operation,
        originals.model,
        originals.key_id,
        originals.server_address,
    ];
    for (field, original) in fields.iter().enumerate() {
        for i in 0..original.len() {
            let mut bytes = original.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            strings.push((field, String::from_utf8(bytes).unwrap()));
        }
        strings.push((field, format!("{original}-and-a-suffix-past-32-bytes")));
    }
    let mut variants: Vec<Call<'_>> = strings
        .iter()
        .map(|(field, value)| {
            let mut call = base(&ok);
            match field {
                0 => call.operation = value,
                1 => call.model = value,
                2 => call.key_id = value,
                _ => call.server_address = value,
            }
            call
        })
        .collect();
    variants.push(Call {
        server_port: 8443,
        ..base(&ok)
    });
    variants.push(base(&failed));
    variants.push(base(&no_response));
    variants.push(base(&created));
    variants.push(base(&other_class));
    variants.push(base(&bedrock));
    variants.push(base(&with_error_type));
    for variant in &variants {
        // Twice: the base series is then the hot one when the variant comes.
        recorder.record(&base(&ok));
        recorder.record(&base(&ok));
        recorder.record(variant);
        // And the variant hot, the base compared against it.
        recorder.record(variant);
    }
    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.series.len(), variants.len() + 1);
    for series in &snapshot.series {
        let labels = &series.labels;
        let is_base = labels.as_ref() == LabelsRef::of(&base(&ok));
        let expected = if is_base {
            2 * variants.len() as u64
        } else {
            2
        };
        assert_eq!(series.totals.calls, expected, "{labels:?}");
    }
}
