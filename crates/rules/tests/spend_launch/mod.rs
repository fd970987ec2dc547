//! `Launch`, the eighth generator (session 24), written while SpendRateSpike and CreditRunwayLow
//! were being tuned on the seven others, and held out: not run on the rules (and no alert
//! computed on its calls) until the session's rule changes are merged, then run once. A
//! consumer product in its launch week, on a shape none of the seven has:
//!
//! * **The run starts at a different hour of the users' day every time.** The harness stamps
//!   every run from 00:00 UTC, and those of the seven with a day put that instant at the same
//!   point of it every run (Diurnal and Saas on UTC, Fleet at 08:00 in UTC+8), so their first
//!   ramp, their night and the 3 h jump always come at the same hour of a run. But callwatch
//!   is started, and a balance set, at whatever hour a team gets to it. Here the users live on
//!   one local clock (one zone: a US product's day, nights at about a fifth of the afternoon)
//!   whose hour at the run's first instant is drawn per run, uniform over the day: a run may
//!   open in the night or on the morning's ramp, and the jump, the batch and the exhaustion
//!   land anywhere in the day (over seeds 0–19 the jump falls from local 00:36 to 20:48).
//! * **Launch-week growth.** A product after its launch (or a feature taking off) gains users
//!   every day: user traffic compounds at 20–35 % a day (drawn per run), so the baseline
//!   legitimately climbs, by 0.8–1.3 % an hour, slow enough that a user calls the burn steady,
//!   while a forecast at a trailing rate runs behind it (the last day's mean rate is 9–14 %
//!   under the current one).
//! * **An eval suite every 60–120 minutes, with extended thinking.** `k-evals` runs the same
//!   suite of cases on a fixed period (drawn per run: a CI schedule, not a daily job), eight
//!   cases at a time, until all are done: a fixed-size burst of about 10 minutes, at any hour,
//!   that neither grows nor follows the users' day. Its calls think before answering (a
//!   thinking budget of 16k tokens, billed as output), so output is nearly all of its cost and
//!   each call costs over ten times a user call on the same model: about a third of the
//!   run's spend arrives in these bursts.
//!
//! User calls are independent requests (a Poisson process at the key's rate × the day × the
//! growth) whose system prompt is cached for 5 minutes: read while the stream's previous call
//! is under 5 minutes old, written again after a gap. The one-off batch (`k-oneoff`) is a job:
//! like the evals it has no day and no growth. The scenarios (exhaustion at a known time,
//! ample runway, a daily swell, the 10-minute batch, the 6× jump at 3 h) are the harness's.

use std::cell::Cell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, logistic, lognormal, Call};

const HOUR_S: f64 = 3600.0;
const DAY_S: f64 = 86_400.0;

/// The product's own stream beside the shared background: (model, key, calls a minute on
/// average over a suite's period).
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [("claude-sonnet-4-6", EVALS, 0.5)];

const EVALS: &str = "k-evals";
/// The harness's one-off batch key: a job, not users.
const ONE_OFF: &str = "k-oneoff";

/// Cases the eval runner has in flight at once.
const EVAL_WORKERS: usize = 8;
/// The eval calls' thinking budget (tokens; thinking is billed as output).
const THINKING_BUDGET: f64 = 16_000.0;
/// How long a cached prompt lives without a read (the 5-minute TTL).
const CACHE_TTL_S: f64 = 300.0;

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// The users' local hour at the run's first instant.
    pub local_start_h: f64,
    /// User traffic's growth per day, compounding (0.3 is +30 % a day).
    pub growth_per_day: f64,
    /// The eval suite's period, and when its first suite starts.
    pub eval_period_s: f64,
    pub eval_first_s: f64,
}

impl Run {
    fn draw(rng: &mut StdRng) -> Run {
        let eval_period_s = rng.random_range(60.0..120.0) * 60.0;
        Run {
            local_start_h: rng.random_range(0.0..24.0),
            growth_per_day: rng.random_range(0.20..0.35),
            eval_period_s,
            eval_first_s: rng.random_range(0.0..eval_period_s),
        }
    }

    pub fn local_hour(&self, t: f64) -> f64 {
        (self.local_start_h + t / HOUR_S).rem_euclid(24.0)
    }

    /// User traffic at `t` relative to the run's start.
    pub fn growth(&self, t: f64) -> f64 {
        (1.0 + self.growth_per_day).powf(t / DAY_S)
    }

    /// When each eval suite in `[start, end)` begins.
    pub fn suites(&self, start: f64, end: f64) -> impl Iterator<Item = f64> + '_ {
        (0..)
            .map(|k| self.eval_first_s + f64::from(k) * self.eval_period_s)
            .take_while(move |s| *s < end)
            .filter(move |s| *s >= start)
    }

    /// Cases in a suite for a key of `per_min` calls a minute on average.
    pub fn suite_size(&self, per_min: f64) -> usize {
        (per_min * self.eval_period_s / 60.0).round().max(1.0) as usize
    }
}

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: Cell<Option<Run>> = const { Cell::new(None) };
}

/// Draws the run's clock, growth and eval schedule for the streams generated after it.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run));
    run
}

fn current_run() -> Run {
    RUN.get()
        .expect("spend_launch::begin_run draws the run before its streams (background does)")
}

/// The users' day at local hour `h`, before normalising: up from 07:00, a working-hours
/// shoulder from 09:00 to 17:00, down after 23:30, nights at a fifth of the afternoon.
fn raw_day(h: f64) -> f64 {
    // The evening's ramp crosses midnight: the small hours are read as hour 24–28.
    let h = if h < 4.0 { h + 24.0 } else { h };
    let awake = logistic((h - 7.0) / 0.8) * logistic((23.5 - h) / 0.8);
    let work = logistic((h - 9.0) / 0.5) * logistic((17.0 - h) / 0.5);
    0.25 + awake * (1.0 + 0.25 * work)
}

/// The users' day, 1 on average over a day.
pub fn day(h: f64) -> f64 {
    static MEAN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let mean =
        MEAN.get_or_init(|| (0..1440).map(|m| raw_day(f64::from(m) / 60.0)).sum::<f64>() / 1440.0);
    raw_day(h) / mean
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average, times the scenario's `scale(t)` (users' keys also × the day × the
/// growth; the eval suite is fixed-size and ignores `scale`).
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    if key == EVALS {
        return evals(rng, &run, model, start, end, base_per_min);
    }
    let users = key != ONE_OFF;
    let intensity = |t: f64| {
        let shape = if users {
            day(run.local_hour(t)) * run.growth(t)
        } else {
            1.0
        };
        scale(t) * shape
    };
    // Thinning at the peak intensity, sampled each minute.
    let peak = (0..=((end - start) / 60.0).ceil() as i64)
        .map(|i| intensity(start + 60.0 * i as f64))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let mean_gap = 60.0 / (base_per_min * peak);
    let system = rng.random_range(1_500u64..6_000);
    let mut last: Option<f64> = None;
    let mut out = Vec::new();
    let mut t = start + exp(rng, mean_gap);
    while t < end {
        if rng.random::<f64>() < intensity(t) / peak {
            let cached = last.is_some_and(|l| t - l < CACHE_TTL_S);
            out.push(Call {
                t,
                model,
                key,
                usage: Usage {
                    input_tokens: lognormal(rng, 500.0, 0.9).min(30_000.0) as u64 + 1,
                    output_tokens: lognormal(rng, 250.0, 0.8).min(8_000.0) as u64 + 1,
                    cache_read_input_tokens: if cached { system } else { 0 },
                    cache_creation_input_tokens: if cached { 0 } else { system },
                    cache_creation_1h_input_tokens: 0,
                },
            });
            last = Some(t);
        }
        t += exp(rng, mean_gap);
    }
    out
}

/// The eval suites starting in `[start, end)`: the same cases every time (their prompts drawn
/// once), eight in flight, each thinking then answering; calls after `end` are left out.
fn evals(
    rng: &mut StdRng,
    run: &Run,
    model: &'static str,
    start: f64,
    end: f64,
    per_min: f64,
) -> Vec<Call> {
    let system = rng.random_range(1_000u64..3_000);
    let cases: Vec<u64> = (0..run.suite_size(per_min))
        .map(|_| lognormal(rng, 1_500.0, 0.6).min(20_000.0) as u64 + 1)
        .collect();
    let mut out = Vec::new();
    for s in run.suites(start, end) {
        // When each worker is next free; the first round finds the cache empty (all eight
        // start together), later cases read the prompt the first round wrote.
        let mut free = [s; EVAL_WORKERS];
        for (i, &prompt) in cases.iter().enumerate() {
            let w = (0..EVAL_WORKERS)
                .min_by(|a, b| free[*a].total_cmp(&free[*b]))
                .unwrap_or(0);
            let t = free[w] + rng.random::<f64>();
            let thinking = lognormal(rng, 6_000.0, 0.6).min(THINKING_BUDGET);
            let answer = lognormal(rng, 300.0, 0.5);
            let output = (thinking + answer) as u64 + 1;
            let first_round = i < EVAL_WORKERS;
            if t < end {
                out.push(Call {
                    t,
                    model,
                    key: EVALS,
                    usage: Usage {
                        input_tokens: prompt,
                        output_tokens: output,
                        cache_read_input_tokens: if first_round { 0 } else { system },
                        cache_creation_input_tokens: if first_round { system } else { 0 },
                        cache_creation_1h_input_tokens: 0,
                    },
                });
            }
            // Time to first token, then the thought and the answer stream at ~70 tokens/s.
            free[w] = t + 1.5 + output as f64 / 70.0;
        }
    }
    out
}

#[cfg(test)]
mod tests;
