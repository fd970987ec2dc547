//! `Fleet`, the sixth generator (session 22), written before any change to SpendRateSpike in
//! that session and never tuned on: an agent fleet on a team's working week.
//!
//! * **Runs as long tool-use chains.** Agent runs arrive as a Poisson process; nine in ten make
//!   a geometric number of steps with mean 8, one in ten a long run with mean 40 (at most 150). Each step is
//!   a call whose context is a cached system prompt (3k–12k tokens) and a transcript that grows
//!   by each tool's result (lognormal, median 700 tokens, wide) and the call's own output; the
//!   prefix is read from the cache while the last call is under 5 minutes old and written again
//!   after a slow tool; a context past 150k tokens is compacted to 20k. Tool time between steps
//!   is lognormal (median 3 s, a long tail to minutes).
//! * **Retries.** One step in twenty times out after streaming part of its answer: that attempt
//!   is billed and the step is retried after an exponential backoff (1, 2, 4 s, jittered), up
//!   to three times.
//! * **A working week, not a sine.** The team's clock is UTC+8 and the runs start on a Friday at
//!   08:00 local: a plateau from 08:30 to 18:30 with 30-minute ramps, a lunch dip, nights at a
//!   fifth of the day, and a Saturday at half the weekday's shape. Every day at 13:00 local
//!   (5 h and 29 h into a run) an evaluation sweep fans out over 15 minutes on `k-batch` to
//!   four times that key's rate and stops after 45 minutes: a rise that repeats daily, seen
//!   for the first time at 5 h.
//! * **More models and keys**: beside the shared background, a haiku router key (`k-router`,
//!   dense) and an opus planner key (`k-planner`, sparse).
//!
//! The quiet runs (ample runway, a daily swell on top of all this, a one-off 10-minute batch)
//! and the 6× jump (at 3 h, 11:00 local) are the other generators' scenarios.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, logistic, lognormal, Call};

/// Seconds from a run's start to the team's local midnight before it (UTC+8, starting 08:00).
const LOCAL_OFFSET_S: f64 = 8.0 * 3600.0;
const DAY_S: f64 = 86_400.0;

/// The fleet's own extra streams, beside the shared background: (model, key, calls a minute).
pub const EXTRA_STREAMS: [(&str, &str, f64); 2] = [
    ("claude-haiku-4-5", "k-router", 12.0),
    ("claude-opus-4-6", "k-planner", 1.5),
];

/// The working week's shape at `t` (seconds from the run's start), 1 on average over a workday.
fn week(t: f64) -> f64 {
    let local = t + LOCAL_OFFSET_S;
    let h = (local / 3600.0).rem_euclid(24.0);
    let saturday = (local / DAY_S).floor() as i64 % 7 == 1;
    let day = logistic((h - 8.5) / 0.3) * logistic((18.5 - h) / 0.3);
    let lunch = 0.35 * logistic((h - 12.0) / 0.15) * logistic((13.0 - h) / 0.15);
    let shape = 0.2 + 1.3 * (day - lunch);
    // The mean of `0.2 + 1.3 * (day - lunch)` over a workday is about 0.69.
    let workday = shape / 0.69;
    if saturday {
        0.5 * workday
    } else {
        workday
    }
}

/// The daily evaluation sweep's extra rate on `k-batch`, as a multiple of the key's own.
fn sweep(t: f64) -> f64 {
    let h = ((t + LOCAL_OFFSET_S) / 3600.0).rem_euclid(24.0);
    let since = (h - 13.0) * 60.0; // minutes
    if (0.0..45.0).contains(&since) {
        3.0 * (since / 15.0).min(1.0)
    } else {
        0.0
    }
}

/// The most steps a run makes (an agent's turn limit).
const MAX_STEPS: u32 = 150;

/// A geometric number of steps with mean `mean` (at least one, at most [`MAX_STEPS`]).
fn steps(rng: &mut StdRng, mean: f64) -> u32 {
    let mut n = 1;
    while rng.random::<f64>() > 1.0 / mean && n < MAX_STEPS {
        n += 1;
    }
    n
}

/// Calls per run on average: 0.9 × 8 + 0.1 × 40 steps, and one retry in twenty.
const CALLS_PER_RUN: f64 = (0.9 * 8.0 + 0.1 * 40.0) * 1.05;

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average, times the scenario's `scale(t)`.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let swept = key == "k-batch";
    let intensity = |t: f64| scale(t) * (week(t) + if swept { sweep(t) } else { 0.0 });
    // Thinning at the peak intensity (sampled each minute: the shape has steps of minutes).
    let peak = (0..=((end - start) / 60.0).ceil() as i64)
        .map(|i| intensity(start + 60.0 * i as f64))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let runs_per_s = base_per_min * peak / CALLS_PER_RUN / 60.0;
    let mut out = Vec::new();
    let mut s = start + exp(rng, 1.0 / runs_per_s);
    while s < end {
        if rng.random::<f64>() < intensity(s) / peak {
            run(rng, (model, key), s, end, &mut out);
        }
        s += exp(rng, 1.0 / runs_per_s);
    }
    out
}

/// One agent run starting at `s`: its calls before `end`.
fn run(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    s: f64,
    end: f64,
    out: &mut Vec<Call>,
) {
    let long = rng.random::<f64>() < 0.1;
    let n = steps(rng, if long { 40.0 } else { 8.0 });
    let system = rng.random_range(3_000u64..12_000);
    let mut transcript = lognormal(rng, 1_500.0, 0.7) as u64;
    // What the cache holds (tokens) and when it was last touched.
    let mut cached: Option<(u64, f64)> = None;
    let mut t = s;
    let mut step = 0;
    let mut attempt = 0;
    while step < n && t < end {
        let context = system + transcript;
        let (read, write, fresh) = match cached {
            Some((len, at)) if t - at < 300.0 && len <= context => (len, context - len, 0),
            _ => (0, context, 0),
        };
        let last = step + 1 == n;
        let mut output = lognormal(rng, if last { 900.0 } else { 250.0 }, 0.8) as u64 + 1;
        let timed_out = attempt < 3 && rng.random::<f64>() < 0.05;
        if timed_out {
            // Billed for what streamed before the timeout.
            output = (output as f64 * rng.random::<f64>()) as u64;
        }
        out.push(Call {
            t,
            model,
            key,
            usage: Usage {
                input_tokens: fresh + rng.random_range(20..200),
                output_tokens: output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: write,
                cache_creation_1h_input_tokens: 0,
            },
        });
        cached = Some((context, t));
        // The answer streams at about 60 tokens a second.
        t += output as f64 / 60.0;
        if timed_out {
            attempt += 1;
            t += f64::from(1u32 << (attempt - 1)) * (0.5 + rng.random::<f64>());
            continue;
        }
        attempt = 0;
        step += 1;
        let result = lognormal(rng, 700.0, 1.1).min(30_000.0) as u64;
        transcript += output + result;
        if system + transcript > 150_000 {
            transcript = 20_000;
        }
        t += lognormal(rng, 3.0, 1.3).min(600.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_averages_one_over_a_workday_and_halves_on_saturday() {
        let mean = |from: f64| {
            (0..1440)
                .map(|m| week(from + 60.0 * f64::from(m)))
                .sum::<f64>()
                / 1440.0
        };
        // The run starts Friday 08:00 local: Friday's local midnight is −8 h.
        let friday = mean(-LOCAL_OFFSET_S);
        let saturday = mean(DAY_S - LOCAL_OFFSET_S);
        assert!((friday - 1.0).abs() < 0.05, "{friday}");
        assert!((saturday / friday - 0.5).abs() < 0.01, "{saturday}");
        // The sweep runs at 5 h and 29 h into a run (13:00 local) and not at 4 h.
        assert!(sweep(5.0 * 3600.0 + 1200.0) == 3.0 && sweep(29.0 * 3600.0 + 1200.0) == 3.0);
        assert_eq!(sweep(4.0 * 3600.0), 0.0);
    }
}
