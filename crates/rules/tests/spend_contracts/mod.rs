//! `Contracts`, the ninth generator (session 25), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the eight others, and held out: not run on the rules
//! (no alert computed on its calls) until the session's rule changes are merged, then run once.
//! A contract-review product for in-house legal teams in India, on three things none of the
//! eight has:
//!
//! * **A five-day week in IST (UTC+5:30), the runs opening on a Thursday or a Friday.** The
//!   harness's first instant, 00:00 UTC, is 05:30 IST; the run opens on a Thursday or a Friday
//!   (drawn per run), so a whole weekend — Saturday and Sunday, each at 10–22 % of a weekday's
//!   working hours (drawn per run: a few people catching up), nights at the floor the night
//!   always has — comes 42.5 h (Thursday) or 18.5 h (Friday) into the run, inside the
//!   exhaustion scenario's 64 hours (21.5 h or 45.5 h of it, the run ending on the Saturday
//!   or the Sunday evening; Monday is a weekday again after it). Fleet has a Saturday at half in
//!   UTC+8, Saas two regions in UTC, Launch one US clock at a drawn hour and no week. The day
//!   is an Indian office's: 09:30–18:30 with a lunch dip and a tail of late work to 22:00
//!   (04:00–16:30 UTC), nights at about a twentieth of the afternoon. A legal team keeps a
//!   five-day week; nothing of its own swells or grows from day to day.
//! * **Spend dominated by a few very expensive calls.** `k-review` (opus, 0.2 calls a minute
//!   over the week, 1 % of the calls) reviews a whole contract in one call: 100k tokens at
//!   the median (lognormal, at most 185k, inside a 200k window) written to the **1-hour**
//!   cache, because the reviewer comes back to the document; a quarter of its calls are such a
//!   second pass on a document reviewed less than an hour before and read it from the cache,
//!   at a tenth of the price. A first pass costs about $1.20, a clause-tagging call on haiku
//!   $0.002: about half of the run's spend is in 1 % of its calls, call by call (each review
//!   is one independent call, not a session of many). The many cheap calls: `k-app` tags
//!   clauses (haiku) and answers the reviewers' questions (sonnet, the document's excerpt
//!   cached for 5 minutes); `k-batch` summarises uploaded documents (sonnet, 5k tokens in at
//!   the median, a wide spread), following the uploads 45 minutes late, with a floor from
//!   the mailboxes it watches through the night and the weekend.
//! * **A 6× jump that is bigger calls, not more.** `k-agent` (the harness's jumping key: opus,
//!   4 calls a minute) is a drafting agent on a fixed pool of workers, busy around the clock
//!   (its rate follows neither the day nor the scenario's scale). The scenario's `scale` on it
//!   is the cost of a call: a loop that pastes a tool's output into every turn, after the cache
//!   breakpoint, so each turn carries (scale − 1) × a turn's mean cost in extra uncached
//!   input (about 30k tokens at 6× on opus): the same call rate, 6× the spend. The step
//!   comes as a ramp over 3 minutes (the scale averaged over the last 3 minutes: the pasted
//!   output grows over a few turns).
//!
//! What defines the run (the weekday it opens on, the weekend's level) is drawn once by
//! [`begin_run`]; which calls come, when, and their tokens are drawn from the `rng` each
//! stream is given, so several realisations of one run share its expected spend. The one-off
//! batch (`k-oneoff`), and any key this product does not know, is a job: calls at the
//! harness's rate × its scale, no day, no week. The scenarios (exhaustion at a known time,
//! ample runway, a daily swell, the 10-minute batch, the 6× jump at 3 h: 08:30 IST, the hour
//! before the office opens) are the harness's.

use std::cell::Cell;

use callwatch_core::classify::Usage;
use callwatch_core::cost::{PriceTable, TokenCounts};
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, logistic, lognormal, ramped, Call};

const HOUR_S: f64 = 3600.0;
const DAY_S: f64 = 86_400.0;
const WEEK_DAYS: i64 = 7;

/// The product's own stream beside the shared background: (model, key, calls a minute on
/// average over a week).
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [("claude-opus-4-6", REVIEW, 0.2)];

const APP: &str = "k-app";
const INGEST: &str = "k-batch";
const REVIEW: &str = "k-review";
const AGENT: &str = "k-agent";

/// IST at the harness's first instant (00:00 UTC), after that day's local midnight.
const LOCAL_AT_START_S: f64 = 5.5 * HOUR_S;
/// Local days counted from Thursday: Saturday and Sunday are the weekend.
const WEEKEND: [i64; 2] = [2, 3];
/// The share of a weekday's traffic the night keeps (the same every night).
const NIGHT: f64 = 0.06;
/// How late ingestion follows the uploads, and the share of it that watches mailboxes.
const INGEST_LAG_S: f64 = 45.0 * 60.0;
const INGEST_FLOOR: f64 = 0.35;
/// How long a prompt lives in the 5-minute and the 1-hour cache without a read.
const CACHE_5M_S: f64 = 300.0;
const CACHE_1H_S: f64 = HOUR_S;
/// The share of reviews that are a second pass on a document still in the 1-hour cache.
const SECOND_PASS: f64 = 0.25;
/// How long the jumping agent's pasted output takes to grow to its size.
const AGENT_RAMP_S: f64 = 180.0;

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    /// The local weekday the run opens on: 0 Thursday, 1 Friday.
    pub first_day: i64,
    /// A weekend day's working hours as a share of a weekday's.
    pub weekend_level: f64,
    /// The week's shape averaged over a week before normalising (it depends on the level).
    week_mean: f64,
}

impl Run {
    fn new(first_day: i64, weekend_level: f64) -> Run {
        let minutes = WEEK_DAYS * 1440;
        let sum: f64 = (0..minutes)
            .map(|m| raw_week(60.0 * m as f64, weekend_level))
            .sum();
        Run {
            first_day,
            weekend_level,
            week_mean: sum / minutes as f64,
        }
    }

    fn draw(rng: &mut StdRng) -> Run {
        let first_day = if rng.random::<bool>() { 1 } else { 0 };
        Run::new(first_day, rng.random_range(0.10..0.22))
    }

    /// Local time at `t`, in seconds after the Thursday midnight before the run.
    pub fn local_s(&self, t: f64) -> f64 {
        self.first_day as f64 * DAY_S + LOCAL_AT_START_S + t
    }

    pub fn local_hour(&self, t: f64) -> f64 {
        (self.local_s(t) / HOUR_S).rem_euclid(24.0)
    }

    /// Whether `t` falls on a Saturday or a Sunday, local.
    pub fn is_weekend(&self, t: f64) -> bool {
        WEEKEND.contains(&((self.local_s(t) / DAY_S).floor() as i64).rem_euclid(WEEK_DAYS))
    }

    /// The users' week at `t`, 1 on average over a week.
    pub fn week(&self, t: f64) -> f64 {
        raw_week(self.local_s(t), self.weekend_level) / self.week_mean
    }

    /// Ingestion at `t`: the uploads' week 45 minutes late, above the mailboxes' floor.
    pub fn ingest(&self, t: f64) -> f64 {
        INGEST_FLOOR + (1.0 - INGEST_FLOOR) * self.week(t - INGEST_LAG_S)
    }
}

/// The week at `local_s` seconds after a Thursday midnight, before normalising. A working
/// day is read from 04:00 to 04:00 the next morning, so the evening's tail belongs to the
/// day it started on (no step at midnight between a Friday and a Saturday).
fn raw_week(local_s: f64, weekend_level: f64) -> f64 {
    let shifted = local_s - 4.0 * HOUR_S;
    let day = (shifted / DAY_S).floor() as i64;
    let h = 4.0 + (shifted - day as f64 * DAY_S) / HOUR_S; // 4 ≤ h < 28
    let office = logistic((h - 9.5) / 0.4) * logistic((18.5 - h) / 0.5);
    let late = 0.25 * logistic((h - 9.5) / 0.4) * logistic((22.0 - h) / 0.6);
    let lunch = 0.2 * logistic((h - 13.0) / 0.2) * logistic((14.0 - h) / 0.2);
    let level = if WEEKEND.contains(&day.rem_euclid(WEEK_DAYS)) {
        weekend_level
    } else {
        1.0
    };
    NIGHT + level * (office + late - lunch)
}

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: Cell<Option<Run>> = const { Cell::new(None) };
}

/// Draws the run's first weekday and weekend level for the streams generated after it.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run));
    run
}

fn current_run() -> Run {
    RUN.get()
        .expect("spend_contracts::begin_run draws the run before its streams (background does)")
}

/// What a stream's calls are, by its key (and model, on `k-app`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Haiku tagging a document's clauses as it is opened.
    Tagging,
    /// The reviewers' questions on a document.
    Chat,
    /// A whole contract in one opus call.
    Review,
    /// Uploaded documents summarised.
    Ingest,
    /// The drafting agent's turns.
    Agent,
    /// A job: the one-off batch, or a key the product does not know.
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            APP if model.contains("haiku") => Work::Tagging,
            APP => Work::Chat,
            REVIEW => Work::Review,
            INGEST => Work::Ingest,
            AGENT => Work::Agent,
            _ => Work::Job,
        }
    }
}

/// The agent turn's parts (tokens, at their medians and spreads).
const AGENT_SYSTEM: u64 = 4_000;
const AGENT_CONTEXT: (f64, f64) = (20_000.0, 0.5);
const AGENT_FRESH: (f64, f64) = (800.0, 0.5);
const AGENT_OUTPUT: (f64, f64) = (400.0, 0.6);

fn lognormal_mean((median, sigma): (f64, f64)) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average, times the scenario's `scale(t)`: users' keys also × the week, the agent
/// at a flat rate with `scale` as the size of its calls.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let work = Work::of(model, key);
    let rate = |t: f64| match work {
        Work::Agent => 1.0,
        Work::Job => scale(t),
        Work::Ingest => scale(t) * run.ingest(t),
        Work::Tagging | Work::Chat | Work::Review => scale(t) * run.week(t),
    };
    let mut calls = Calls::new(work, model);
    for t in arrivals(rng, start, end, base_per_min, &rate) {
        let usage = match work {
            Work::Agent => calls.agent_turn(rng, t, agent_growth(scale, t)),
            _ => calls.next(rng, t),
        };
        calls.out.push(Call {
            t,
            model,
            key,
            usage,
        });
    }
    calls.out
}

/// A Poisson process of `per_min × rate(t)` calls a minute, by thinning at the peak rate
/// (sampled each minute: the week has no step shorter).
fn arrivals(
    rng: &mut StdRng,
    start: f64,
    end: f64,
    per_min: f64,
    rate: &dyn Fn(f64) -> f64,
) -> Vec<f64> {
    let peak = (0..=((end - start) / 60.0).ceil() as i64)
        .map(|i| rate(start + 60.0 * i as f64))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let mean_gap = 60.0 / (per_min * peak);
    let mut out = Vec::new();
    let mut t = start + exp(rng, mean_gap);
    while t < end {
        if rng.random::<f64>() < rate(t) / peak {
            out.push(t);
        }
        t += exp(rng, mean_gap);
    }
    out
}

/// The agent's spend multiple at `t`: the scale averaged over the last 3 minutes.
fn agent_growth(scale: &dyn Fn(f64) -> f64, t: f64) -> f64 {
    ramped(scale, t, AGENT_RAMP_S, 12)
}

/// One stream's calls and what its cache holds.
struct Calls {
    work: Work,
    model: &'static str,
    out: Vec<Call>,
    /// When the stream's 5-minute cached prompt was last touched.
    prompt_at: Option<f64>,
    /// Documents in the 1-hour cache: (tokens with the system prompt, last touched).
    documents: Vec<(u64, f64)>,
}

impl Calls {
    fn new(work: Work, model: &'static str) -> Calls {
        Calls {
            work,
            model,
            out: Vec::new(),
            prompt_at: None,
            documents: Vec::new(),
        }
    }

    /// A cached prompt of `tokens` at `t`: (read, written), a read when the stream's previous
    /// call touched it under 5 minutes ago.
    fn prompt(&mut self, t: f64, tokens: u64) -> (u64, u64) {
        let warm = self.prompt_at.is_some_and(|at| t - at < CACHE_5M_S);
        self.prompt_at = Some(t);
        if warm {
            (tokens, 0)
        } else {
            (0, tokens)
        }
    }

    fn next(&mut self, rng: &mut StdRng, t: f64) -> Usage {
        match self.work {
            Work::Tagging => {
                let (read, write) = self.prompt(t, 1_800);
                Usage {
                    input_tokens: lognormal(rng, 900.0, 0.6).min(20_000.0) as u64 + 1,
                    output_tokens: lognormal(rng, 120.0, 0.5) as u64 + 1,
                    cache_read_input_tokens: read,
                    cache_creation_input_tokens: write,
                    cache_creation_1h_input_tokens: 0,
                }
            }
            Work::Chat => {
                let excerpt = lognormal(rng, 6_000.0, 0.5).min(40_000.0) as u64;
                let (read, write) = self.prompt(t, excerpt);
                Usage {
                    input_tokens: lognormal(rng, 400.0, 0.8).min(8_000.0) as u64 + 1,
                    output_tokens: lognormal(rng, 450.0, 0.7).min(8_000.0) as u64 + 1,
                    cache_read_input_tokens: read,
                    cache_creation_input_tokens: write,
                    cache_creation_1h_input_tokens: 0,
                }
            }
            Work::Ingest => {
                let (read, write) = self.prompt(t, 1_200);
                Usage {
                    input_tokens: lognormal(rng, 5_000.0, 0.8).min(80_000.0) as u64 + 1,
                    output_tokens: lognormal(rng, 500.0, 0.5) as u64 + 1,
                    cache_read_input_tokens: read,
                    cache_creation_input_tokens: write,
                    cache_creation_1h_input_tokens: 0,
                }
            }
            Work::Review => self.review(rng, t),
            Work::Agent => self.agent_turn(rng, t, 1.0),
            Work::Job => Usage {
                input_tokens: lognormal(rng, 1_500.0, 0.6) as u64 + 1,
                output_tokens: lognormal(rng, 250.0, 0.5) as u64 + 1,
                ..Usage::default()
            },
        }
    }

    /// A review: a second pass reads a document still cached, a first pass writes a new one
    /// (with the 3k-token system prompt) to the 1-hour cache.
    fn review(&mut self, rng: &mut StdRng, t: f64) -> Usage {
        self.documents.retain(|(_, at)| t - at < CACHE_1H_S);
        let output = lognormal(rng, 2_500.0, 0.5).min(16_000.0) as u64 + 1;
        let input = lognormal(rng, 300.0, 0.6) as u64 + 1;
        if !self.documents.is_empty() && rng.random::<f64>() < SECOND_PASS {
            let i = rng.random_range(0..self.documents.len());
            self.documents[i].1 = t; // a read refreshes the TTL
            return Usage {
                input_tokens: input,
                output_tokens: output,
                cache_read_input_tokens: self.documents[i].0,
                ..Usage::default()
            };
        }
        let document = 3_000 + lognormal(rng, 100_000.0, 0.45).min(185_000.0) as u64;
        self.documents.push((document, t));
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: document,
            cache_creation_1h_input_tokens: document,
            ..Usage::default()
        }
    }

    /// An agent turn whose spend is `growth` times a turn's mean: the excess is a pasted
    /// tool output in uncached input (mean-matched, lognormal with a narrow spread).
    fn agent_turn(&mut self, rng: &mut StdRng, t: f64, growth: f64) -> Usage {
        let context = lognormal(rng, AGENT_CONTEXT.0, AGENT_CONTEXT.1) as u64;
        let (system_read, system_write) = self.prompt(t, AGENT_SYSTEM);
        let pasted = if growth > 1.0 {
            let sigma: f64 = 0.25;
            let mean = (growth - 1.0) * agent_turn_mean_usd(self.model) / input_usd(self.model);
            lognormal(rng, mean * (-sigma * sigma / 2.0).exp(), sigma) as u64
        } else {
            0
        };
        Usage {
            input_tokens: lognormal(rng, AGENT_FRESH.0, AGENT_FRESH.1) as u64 + 1 + pasted,
            output_tokens: lognormal(rng, AGENT_OUTPUT.0, AGENT_OUTPUT.1) as u64 + 1,
            // The transcript is cached turn to turn; the system prompt may have gone cold.
            cache_read_input_tokens: context + system_read,
            cache_creation_input_tokens: system_write,
            cache_creation_1h_input_tokens: 0,
        }
    }
}

fn price_of(model: &str, tokens: TokenCounts) -> f64 {
    PriceTable::embedded()
        .price(model)
        .unwrap_or_else(|| panic!("the price table prices the agent's model {model}"))
        .cost_usd(&tokens)
}

/// One uncached input token of `model`, in USD.
fn input_usd(model: &str) -> f64 {
    price_of(
        model,
        TokenCounts {
            input: 1_000_000,
            ..TokenCounts::default()
        },
    ) / 1e6
}

/// A warm agent turn's mean cost (prices are linear in tokens: the cost of the mean tokens).
fn agent_turn_mean_usd(model: &str) -> f64 {
    price_of(
        model,
        TokenCounts {
            input: lognormal_mean(AGENT_FRESH) as u64,
            output: lognormal_mean(AGENT_OUTPUT) as u64,
            cache_read: AGENT_SYSTEM + lognormal_mean(AGENT_CONTEXT) as u64,
            ..TokenCounts::default()
        },
    )
}

#[cfg(test)]
mod tests;
