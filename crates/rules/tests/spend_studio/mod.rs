//! `Studio`, the eleventh generator (session 27), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the ten others, and held out: not run on the rules (no
//! alert computed on its calls) until the session's rule changes are merged, then run once.
//! A coding assistant in the IDE, for a software team in California (Pacific time, UTC−8 in
//! November): developers drive an agent from their editor, a CI bot reviews every push, and
//! background agents work the issue tracker. Four things, each of which matters to spend:
//!
//! * **Long IDE sessions on the 1-hour cache, contexts of 150k–400k tokens.** `k-app` (sonnet
//!   and opus) carries the developers' agent sessions: a session is a geometric number of
//!   prompts (mean 12), each an agent loop of a geometric number of tool-use turns (mean 7,
//!   seconds apart), with the developer's think time between prompts (lognormal, median 75 s)
//!   and, one prompt in twenty, a break of 15–120 minutes (a meeting, lunch). Every turn reads
//!   the whole conversation from the cache and writes what is new (a tool's result, lognormal
//!   median 1.2k tokens with a tail to 60k, and the last answer) with the **1-hour** TTL, so a
//!   break under an hour keeps the cache warm and a longer one rewrites the whole context at
//!   the 1-hour write price (a single call of $1–3). The context grows turn by turn from the
//!   product's prefix (18k–32k tokens, drawn per run, plus the project's memory) until the
//!   run's auto-compaction threshold (150k–400k tokens, drawn per run: past 200k is the
//!   1M-context window) compacts it into a summary: the cost per call climbs linearly within a
//!   session and falls back, a sawtooth in every session, on one key at one rate (a call's
//!   median 7 cents, a cold rewrite up to $3; with the threshold at 300k, a quarter of the
//!   calls send over 200k tokens). A session makes 84 calls on average, geometric twice over
//!   (a tenth of them run over 3 hours and several hundred calls): Sessions' have 6 turns on
//!   2k–20k tokens, Fleet's chains 8 steps on the 5-minute cache compacted at 150k.
//! * **A CI bot on a clock.** `k-batch` is the code-review bot: every 15 or 30 minutes (drawn
//!   per run, at a drawn phase) a CI job reviews the pushes since the last one, file by file,
//!   in a burst of 1–2 minutes: 10–30 calls at night, 80–200 in the working day (Poisson
//!   around the key's rate × the period × the developers' day, with a floor for scheduled
//!   builds and bots), its rubric cached for the burst; and every hour, at a drawn minute, a
//!   report call that reads the hour's reviews (10k–90k tokens in). Periodic and sized by the
//!   day, neither Markov (Helpdesk's regimes, Diurnal's on/off tenants) nor a daily sweep
//!   (Fleet) nor a fixed-size suite every 60–120 minutes (Launch).
//! * **A model router that drifts.** The IDE's "auto" model routes each new session to opus or
//!   sonnet by the headroom opus has, which moves with the platform's load, not the team's:
//!   opus's share of new sessions (a quarter on average) drifts over hours (a logit
//!   Ornstein–Uhlenbeck path, sd 0.5–0.9 and correlation time 2–6 h, drawn once per run),
//!   from 5–10 % to 50–75 % within a run. `k-app`'s sessions keep their rate; their spend moves
//!   between two models (opus costs 5/3 as much per token), back and forth (Saas migrates one
//!   stream once, one way).
//! * **A Californian week that opens on a Sunday.** The harness's first instant, Monday 00:00
//!   UTC, is Sunday 16:00 in California: the run's first 17 hours are a Sunday evening and a
//!   night (a weekend's working hours at 20–40 % of a weekday's, drawn per run), Monday's
//!   working day ramps from 17:00 UTC, and every day has a late-evening hump (21:00–00:30
//!   local, a third of the afternoon, weekend or not: people coding after dinner) as well as a
//!   lunch dip. The 6× jump at 3 h is 19:00 Sunday local; the quiet runs' 36 h end on Tuesday
//!   04:00 local, the exhaustion's 64 h on Wednesday 08:00 local.
//!
//! The shared background's other key: `k-app`'s haiku stream is the editor's inline
//! completions and edits, independent calls (1.8k tokens in, 45 out at the median) at the
//! developers' day, a few per cent of the spend.
//!
//! Against the ten, each differs in three or more of these: Steady, Tenants and Cascades have
//! no sessions of growing cached contexts, no clock, no router and no day; Diurnal has a day
//! but none of the other three; Sessions has short sessions (6 turns, 2k–20k contexts), no
//! day, no clock, no router; Fleet short chains on the 5-minute cache, a daily sweep, no
//! router and UTC+8's working week; Saas short conversations (mean 4 turns), a nightly sync, a
//! one-way migration and two regions' days in UTC; Launch growth, fixed-size eval suites of 10
//! minutes every 60–120, no sessions, no router; Contracts a few huge single calls, an IST
//! five-day week, no clock, no router; Helpdesk sparse keys, Markov regimes, a release, no
//! sessions. And the jump below is of a kind none has.
//!
//! **The jump is best-of-6: calls in groups of six, at once.** `k-agent` (the harness's jumping
//! key: opus, 4 calls a minute) runs background agents on tasks from the issue tracker around
//! the clock, about six tasks at a time: tasks of a geometric number of steps (mean 40) with a
//! test run between steps (lognormal, median 60 s; one in forty outlasts the 5-minute cache
//! the task's context is on, and the next step writes it afresh). The scenario's `scale`
//! on it is the number of candidates per step: a configuration meant for the evaluation
//! environment turns on best-of-n, and every step is sent as `scale` parallel candidates (the
//! runner keeps the first that passes), each reading the same cached prefix and writing the
//! same new tokens, so each costs what the one call did. The step rate does not move; at the
//! jump every step from then on (tasks in progress included) is six calls within 1.5 s, at
//! once, no ramp: 6× the spend from the first minute (5.6–6.2× in the 10 minutes after, over
//! seeds 0–19: a compaction is the runner's own call, one whatever the scale, and each
//! candidate's answer is its own). (Helpdesk's jump is more independent
//! calls ramping over 5 minutes, Contracts' bigger calls, the others' an abrupt step in
//! independent calls.) Below 1 the scale thins the tasks instead.
//!
//! What defines the run (the Sunday's level, the compaction threshold, the prefixes, the CI's
//! period, phase and report minute, the router's path) is drawn once by [`begin_run`]; which
//! sessions, tasks and pushes come, when, and their tokens are drawn from the `rng` each stream
//! is given, so realisations of one run differ by chance only. The one-off batch (`k-oneoff`),
//! and any key this product does not know, is a job: calls at the harness's rate × its scale,
//! no day, no cache, no session.

use std::cell::RefCell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{logistic, lognormal, normal, thinned, Call, Thinning};

const HOUR_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]).
const ARRIVALS: Thinning = Thinning {
    margin: 1.05,
    sample_s: 60.0,
};
const DAY_S: f64 = 86_400.0;

const IDE: &str = "k-app";
const CI: &str = "k-batch";
const AGENT: &str = "k-agent";
const OPUS: &str = "claude-opus-4-6";
const SONNET: &str = "claude-sonnet-4-6";
/// The compaction request's own tokens, after the cache breakpoint.
const COMPACT_PROMPT: u64 = 300;

/// The IDE's sessions routed to opus, beside the harness's `k-app` sonnet stream (6 calls a
/// minute): a quarter of the sessions' calls on average.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(OPUS, IDE, IDE_OPUS_PER_MIN)];
const IDE_OPUS_PER_MIN: f64 = 2.0;
const IDE_SONNET_PER_MIN: f64 = 6.0;
/// The router's opus share at the centre of its path (the logit's mean).
pub const OPUS_SHARE: f64 = IDE_OPUS_PER_MIN / (IDE_OPUS_PER_MIN + IDE_SONNET_PER_MIN);

/// The harness's first instant (Monday 00:00 UTC) in California: Sunday 16:00, counted from
/// Sunday 00:00 local.
const LOCAL_AT_START_S: f64 = 16.0 * HOUR_S;
/// A local day is counted from 04:00, so an evening's hump past midnight stays its day's.
const DAY_TURNS_AT_H: f64 = 4.0;
/// The night's floor under the developers' day.
const NIGHT: f64 = 0.06;
/// The late-evening hump's height, against the afternoon's.
const EVENING: f64 = 0.33;
/// The CI's floor: scheduled builds and bots, through the night and the weekend.
const CI_FLOOR: f64 = 0.25;

/// IDE sessions: prompts per session and turns per prompt (geometric means), and the calls a
/// session makes on average (compaction calls aside).
const PROMPTS_MEAN: f64 = 12.0;
const TURNS_MEAN: f64 = 7.0;
pub const SESSION_CALLS: f64 = PROMPTS_MEAN * TURNS_MEAN;
/// A prompt followed by a break of 15–120 minutes.
const BREAK_P: f64 = 0.05;
/// Background agent tasks: steps per task (geometric mean).
pub const TASK_STEPS: f64 = 40.0;
/// The cache's lives.
pub const CACHE_1H_S: f64 = 3600.0;
const CACHE_5M_S: f64 = 300.0;
/// Sessions and tasks start this long before a stream's start, so a stream opens mid-flow.
const BURN_IN_S: f64 = 6.0 * HOUR_S;
/// The router's path: knots every 10 minutes from the burn-in to 72 h.
const ROUTER_STEP_S: f64 = 600.0;
const ROUTER_END_S: f64 = 72.0 * HOUR_S;

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Sunday's (and Saturday's) level against a weekday's working hours.
    pub weekend_level: f64,
    /// The context (tokens) past which a session or task is compacted.
    pub compact_at: u64,
    /// The IDE's system prompt and tools, and the agent's repository map (tokens).
    pub ide_prefix: u64,
    pub agent_prefix: u64,
    /// The CI's period and the first burst's offset in it (seconds), and the hourly report's
    /// second of the hour.
    pub ci_period_s: f64,
    pub ci_phase_s: f64,
    pub report_at_s: f64,
    /// The code-review rubric the CI caches for a burst (tokens).
    pub ci_rubric: u64,
    /// The router's drift: its sd (logit), correlation time, and path.
    pub router_sd: f64,
    pub router_tau_s: f64,
    router_knots: Vec<f64>,
}

impl Run {
    fn draw(rng: &mut StdRng) -> Run {
        let router_sd = rng.random_range(0.5..0.9);
        let router_tau_s = rng.random_range(2.0..6.0) * HOUR_S;
        let a = (-ROUTER_STEP_S / router_tau_s).exp();
        let knots = ((ROUTER_END_S + BURN_IN_S) / ROUTER_STEP_S).ceil() as usize + 1;
        let mut x = router_sd * normal(rng);
        let mut router_knots = Vec::with_capacity(knots);
        for _ in 0..knots {
            router_knots.push(x);
            x = a * x + router_sd * (1.0 - a * a).sqrt() * normal(rng);
        }
        let ci_period_s = if rng.random::<f64>() < 0.5 {
            900.0
        } else {
            1800.0
        };
        Run {
            weekend_level: rng.random_range(0.2..0.4),
            compact_at: rng.random_range(150_000..=400_000),
            ide_prefix: rng.random_range(18_000..=32_000),
            agent_prefix: rng.random_range(12_000..=30_000),
            ci_period_s,
            ci_phase_s: rng.random_range(0.0..ci_period_s),
            report_at_s: rng.random_range(0.0..HOUR_S),
            ci_rubric: rng.random_range(3_000..=8_000),
            router_sd,
            router_tau_s,
            router_knots,
        }
    }

    /// The router's opus share of new sessions at `t`.
    pub fn opus_share(&self, t: f64) -> f64 {
        let x = ((t + BURN_IN_S) / ROUTER_STEP_S).max(0.0);
        let last = self.router_knots.len() - 1;
        let i = (x.floor() as usize).min(last);
        let j = (i + 1).min(last);
        let frac = (x - i as f64).clamp(0.0, 1.0);
        let drift = self.router_knots[i] + frac * (self.router_knots[j] - self.router_knots[i]);
        logistic((OPUS_SHARE / (1.0 - OPUS_SHARE)).ln() + drift)
    }

    /// The developers' activity at `t`: 1 on average over a weekday.
    pub fn day(&self, t: f64) -> f64 {
        let (weekday, h) = local(t);
        let level = if weekday == 0 || weekday == 6 {
            self.weekend_level
        } else {
            1.0
        };
        let (work, evening) = raw_day(h);
        (NIGHT + level * work + EVENING * evening) / weekday_mean()
    }

    /// The CI's pushes at `t`: the developers' day over a floor, 1 on average over a weekday.
    pub fn ci_day(&self, t: f64) -> f64 {
        CI_FLOOR + (1.0 - CI_FLOOR) * self.day(t)
    }

    /// The CI's bursts from `from` to `to`.
    pub fn ci_bursts(&self, from: f64, to: f64) -> Vec<f64> {
        let k0 = ((from - self.ci_phase_s) / self.ci_period_s).ceil() as i64;
        (k0..)
            .map(|k| self.ci_phase_s + k as f64 * self.ci_period_s)
            .take_while(|b| *b < to)
            .collect()
    }
}

/// The local working day at `t` (0 = Sunday … 6 = Saturday, turning at 04:00) and hour.
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    let weekday = ((s - DAY_TURNS_AT_H * HOUR_S) / DAY_S).floor() as i64;
    (weekday.rem_euclid(7), (s / HOUR_S).rem_euclid(24.0))
}

/// A weekday's shape at local hour `h`: (working hours with a lunch dip, the evening hump).
fn raw_day(h: f64) -> (f64, f64) {
    // The evening's hump runs past midnight: the small hours are read as hour 24–28.
    let h = if h < DAY_TURNS_AT_H { h + 24.0 } else { h };
    let work = logistic((h - 9.0) / 0.5) * logistic((18.0 - h) / 0.7);
    let lunch = 0.3 * logistic((h - 12.0) / 0.25) * logistic((13.0 - h) / 0.25);
    let evening = logistic((h - 20.5) / 0.5) * logistic((24.5 - h) / 0.5);
    (work - lunch, evening)
}

fn weekday_mean() -> f64 {
    static MEAN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *MEAN.get_or_init(|| {
        (0..1440)
            .map(|m| {
                let (work, evening) = raw_day(f64::from(m) / 60.0);
                NIGHT + work + EVENING * evening
            })
            .sum::<f64>()
            / 1440.0
    })
}

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's week, thresholds, CI clock and router path for the streams generated after.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_studio::begin_run draws the run before its streams (background does)")
}

/// A geometric count, at least 1, of mean `mean`, at most `cap`.
fn geometric(rng: &mut StdRng, mean: f64, cap: u32) -> u32 {
    let mut n = 1;
    while n < cap && rng.random::<f64>() > 1.0 / mean {
        n += 1;
    }
    n
}

/// A Poisson count of mean `mean` (a rounded normal past 50).
fn poisson(rng: &mut StdRng, mean: f64) -> u32 {
    if mean > 50.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let (limit, mut p, mut n) = ((-mean).exp(), rng.random::<f64>(), 0);
    while p > limit {
        p *= rng.random::<f64>();
        n += 1;
    }
    n
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// The developers' agent sessions, routed to opus or sonnet.
    Ide { opus: bool },
    /// Inline completions and edits on haiku.
    Completions,
    /// The CI's review bursts and hourly report.
    Ci,
    /// The background agents.
    Agent,
    /// A job: the one-off batch, or a key the product does not know.
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            IDE if model.contains("haiku") => Work::Completions,
            IDE => Work::Ide {
                opus: model.contains("opus"),
            },
            CI => Work::Ci,
            AGENT => Work::Agent,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average (over a weekday, where the product has a day), times the scenario's
/// `scale(t)`: `k-app`'s sessions × the day × the router's share, its completions × the day,
/// `k-batch` in bursts on its clock × the CI's day, `k-agent` flat with `scale` candidates a
/// step, anything else a plain job.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let call = |t: f64, usage: Usage| Call {
        t,
        model,
        key,
        usage,
    };
    let mut out: Vec<Call> = match Work::of(model, key) {
        Work::Ide { opus } => {
            let share = |t: f64| {
                let f = run.opus_share(t);
                if opus {
                    f / OPUS_SHARE
                } else {
                    (1.0 - f) / (1.0 - OPUS_SHARE)
                }
            };
            let rate = |t: f64| scale(t) * run.day(t) * share(t);
            thinned(
                ARRIVALS,
                rng,
                start - BURN_IN_S,
                end,
                base_per_min / SESSION_CALLS,
                &rate,
            )
            .into_iter()
            .flat_map(|s| ide_session(rng, &run, s, end))
            .map(|(t, u)| call(t, u))
            .collect()
        }
        Work::Completions => {
            let rate = |t: f64| scale(t) * run.day(t);
            thinned(ARRIVALS, rng, start, end, base_per_min, &rate)
                .into_iter()
                .map(|t| {
                    let usage = Usage {
                        input_tokens: lognormal(rng, 1_800.0, 0.6).min(12_000.0) as u64 + 1,
                        output_tokens: lognormal(rng, 45.0, 0.8).min(600.0) as u64 + 1,
                        ..Usage::default()
                    };
                    call(t, usage)
                })
                .collect()
        }
        Work::Ci => ci(rng, &run, start, end, base_per_min, scale)
            .into_iter()
            .map(|(t, u)| call(t, u))
            .collect(),
        Work::Agent => {
            let rate = |t: f64| scale(t).min(1.0);
            thinned(
                ARRIVALS,
                rng,
                start - BURN_IN_S,
                end,
                base_per_min / TASK_STEPS,
                &rate,
            )
            .into_iter()
            .flat_map(|s| agent_task(rng, &run, s, end, scale))
            .map(|(t, u)| call(t, u))
            .collect()
        }
        Work::Job => thinned(ARRIVALS, rng, start, end, base_per_min, scale)
            .into_iter()
            .map(|t| {
                let usage = Usage {
                    input_tokens: lognormal(rng, 1_500.0, 0.6) as u64 + 1,
                    output_tokens: lognormal(rng, 250.0, 0.5) as u64 + 1,
                    ..Usage::default()
                };
                call(t, usage)
            })
            .collect(),
    };
    out.retain(|c| (start..end).contains(&c.t));
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// A conversation's context and what the cache holds of it.
pub struct Context {
    /// The prefix that never changes (system prompt, tools, repository map).
    prefix: u64,
    /// Everything the next call sends before its new tokens.
    pub tokens: u64,
    cached: u64,
    touched: Option<f64>,
    ttl_s: f64,
}

impl Context {
    fn new(prefix: u64, ttl_s: f64) -> Context {
        Context {
            prefix,
            tokens: prefix,
            cached: 0,
            touched: None,
            ttl_s,
        }
    }

    /// A call at `t` sending the context and `new` tokens: (read, written). The cache holds the
    /// whole prompt after it; the answer is written by the next call.
    fn send(&mut self, t: f64, new: u64) -> (u64, u64) {
        if !self.touched.is_some_and(|a| t - a < self.ttl_s) {
            self.cached = 0;
        }
        let read = self.cached;
        self.tokens += new;
        let written = self.tokens - read;
        self.cached = self.tokens;
        self.touched = Some(t);
        (read, written)
    }

    fn answer(&mut self, output: u64) {
        self.tokens += output;
    }

    /// Compacted to the prefix (still cached) and a summary of `summary` tokens.
    fn compact(&mut self, summary: u64) {
        self.tokens = self.prefix + summary;
        self.cached = self.cached.min(self.prefix);
    }
}

fn usage(fresh: u64, output: u64, (read, written): (u64, u64), one_hour: bool) -> Usage {
    Usage {
        input_tokens: fresh,
        output_tokens: output,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: written,
        cache_creation_1h_input_tokens: if one_hour { written } else { 0 },
    }
}

/// A compaction call at `t` when the context is past the run's threshold: it reads the
/// context and writes a summary, which the context becomes. The time it took.
fn compact_if_due(
    rng: &mut StdRng,
    run: &Run,
    ctx: &mut Context,
    t: f64,
    one_hour: bool,
    out: &mut Vec<(f64, Usage)>,
) -> f64 {
    if ctx.tokens <= run.compact_at {
        return 0.0;
    }
    let summary = lognormal(rng, 5_000.0, 0.4).min(16_000.0) as u64 + 1;
    let sent = ctx.send(t, 0);
    out.push((t, usage(COMPACT_PROMPT, summary, sent, one_hour)));
    ctx.compact(summary);
    summary as f64 / 60.0 + 2.0
}

/// One developer's session from `s`: its calls before `end`.
fn ide_session(rng: &mut StdRng, run: &Run, s: f64, end: f64) -> Vec<(f64, Usage)> {
    let memory = lognormal(rng, 2_000.0, 0.8).min(20_000.0) as u64;
    let mut ctx = Context::new(run.ide_prefix + memory, CACHE_1H_S);
    let mut out = Vec::new();
    let mut t = s;
    for _ in 0..geometric(rng, PROMPTS_MEAN, 60) {
        // The developer's message, with a file attached one time in five.
        let mut new = lognormal(rng, 150.0, 1.0).min(4_000.0) as u64 + 1;
        if rng.random::<f64>() < 0.2 {
            new += lognormal(rng, 3_000.0, 0.8).min(40_000.0) as u64;
        }
        let turns = geometric(rng, TURNS_MEAN, 50);
        for turn in 0..turns {
            if t >= end {
                return out;
            }
            t += compact_if_due(rng, run, &mut ctx, t, true, &mut out);
            let output = lognormal(rng, 350.0, 0.9).min(16_000.0) as u64 + 1;
            let sent = ctx.send(t, new);
            out.push((t, usage(rng.random_range(1..200), output, sent, true)));
            ctx.answer(output);
            t += output as f64 / 70.0 + 1.5;
            if turn + 1 < turns {
                // A tool runs (a file read, a search, the tests) and its result is the next
                // turn's new tokens.
                t += lognormal(rng, 3.0, 1.0).min(600.0);
                new = lognormal(rng, 1_200.0, 1.1).min(60_000.0) as u64 + 1;
            }
        }
        t += if rng.random::<f64>() < BREAK_P {
            rng.random_range(15.0..120.0) * 60.0
        } else {
            lognormal(rng, 75.0, 1.0).min(HOUR_S)
        };
    }
    out
}

/// The candidates a step is sent as at scale `s` (≥ 1): `s` on average, rounded at random.
fn candidates(rng: &mut StdRng, s: f64) -> u32 {
    let s = s.max(1.0);
    let whole = s.floor();
    whole as u32 + u32::from(rng.random::<f64>() < s - whole)
}

/// One background task from `s`: its calls before `end`, each step `scale(t)` candidates.
fn agent_task(
    rng: &mut StdRng,
    run: &Run,
    s: f64,
    end: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let issue = lognormal(rng, 4_000.0, 0.8).min(40_000.0) as u64;
    let mut ctx = Context::new(run.agent_prefix + issue, CACHE_5M_S);
    let mut out = Vec::new();
    let mut t = s;
    let mut new = 0;
    for _ in 0..geometric(rng, TASK_STEPS, 200) {
        if t >= end {
            break;
        }
        t += compact_if_due(rng, run, &mut ctx, t, false, &mut out);
        // The extra candidates draw from a generator of their own, so the task's path is the
        // same whatever the scale.
        let mut extra = StdRng::seed_from_u64(rng.random());
        let output = lognormal(rng, 300.0, 0.9).min(16_000.0) as u64 + 1;
        let fresh = rng.random_range(1..200);
        let sent = ctx.send(t, new);
        out.push((t, usage(fresh, output, sent, false)));
        for _ in 1..candidates(&mut extra, scale(t)) {
            let other = lognormal(&mut extra, 300.0, 0.9).min(16_000.0) as u64 + 1;
            let at = t + extra.random_range(0.0..1.5);
            out.push((at, usage(fresh, other, sent, false)));
        }
        ctx.answer(output);
        t += output as f64 / 60.0 + 1.5 + lognormal(rng, 60.0, 0.8).min(1_800.0);
        new = lognormal(rng, 1_500.0, 1.0).min(60_000.0) as u64 + 1;
    }
    out
}

/// The CI's bursts and hourly reports over `[start, end)`.
fn ci(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    // From an hour before, for the first report's reviews.
    for b in run.ci_bursts(start - HOUR_S, end) {
        let mean = base_per_min * run.ci_period_s / 60.0 * run.ci_day(b) * scale(b);
        let n = poisson(rng, mean);
        let span = rng.random_range(60.0..120.0);
        let mut times: Vec<f64> = (0..n).map(|_| b + rng.random_range(0.0..span)).collect();
        times.sort_by(f64::total_cmp);
        let mut rubric = Context::new(run.ci_rubric, CACHE_5M_S);
        for t in times {
            let diff = lognormal(rng, 4_000.0, 1.0).min(100_000.0) as u64 + 1;
            let output = lognormal(rng, 350.0, 0.7).min(4_000.0) as u64 + 1;
            let sent = rubric.send(t, 0);
            out.push((t, usage(diff, output, sent, false)));
        }
    }
    let reviews_at: Vec<f64> = out.iter().map(|(t, _)| *t).collect();
    let first_hour = ((start - run.report_at_s) / HOUR_S).ceil() as i64;
    for h in first_hour.. {
        let at = run.report_at_s + h as f64 * HOUR_S;
        if at >= end {
            break;
        }
        let reviews = reviews_at
            .iter()
            .filter(|t| (at - HOUR_S..at).contains(*t))
            .count() as f64;
        let report = Usage {
            input_tokens: (6_000.0 + 250.0 * reviews) as u64,
            output_tokens: lognormal(rng, 1_800.0, 0.3) as u64 + 1,
            ..Usage::default()
        };
        out.push((at, report));
    }
    out
}

#[cfg(test)]
mod tests;
