//! `CallCentre`, the twelfth generator (session 29), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the eleven others, and held out: not run on the rules
//! (no alert computed on its calls) until the session's rule changes are merged, then run once.
//! An agent-assist copilot in the contact centre of a health insurer in São Paulo (UTC−3, no
//! summer time since 2019): every human agent on the phone has Claude listening to the call's
//! live transcript and suggesting the next answer; a quality-assurance job scores the recorded
//! calls; a back-office reviewer decides prior-authorisation requests around the clock. Four
//! things, each of which matters to spend:
//!
//! * **A day clipped flat by the seats.** The copilot's calls follow the conversations the
//!   human agents carry, and agents are a roster, not a demand curve. Callers arrive as a
//!   demand with a morning peak, a lunch dip and an afternoon peak, 1.25–1.6× what the morning
//!   shift's seats can take at the peak (drawn per run); when every seat is busy they wait in
//!   the queue (an Erlang-A queue, solved here as its fluid limit minute by minute: handle time
//!   5–7.5 minutes, callers hanging up after 1.5–4 minutes of waiting on average, both drawn per
//!   run). So conversations start at the rate the seats free up, whatever the demand: a flat top
//!   of 3.5–4.5 hours from the opening into the lunch hour and again in the afternoon, its height
//!   the roster's, its edges where the demand crosses it; the callers it cuts off (a fifth to
//!   nearly half of those who call in those hours) hang up, lost rather than deferred. The
//!   roster is Brazil's call-centre one (NR-17 Annex II: 6-hour shifts): a morning shift logging
//!   in over half an hour from 07:50, an afternoon shift at 85–100 % of it (drawn) from 13:50,
//!   an overlap at the handover, and a night crew of 8–15 % (drawn) on the 24/7 line for
//!   urgent authorisations that a health plan must keep open. The line opens at 08:00 into the
//!   callers who waited for it, so the morning's ramp is the log-ins' ramp, not the callers'.
//! * **A calendar with a holiday.** The harness's first instant, Monday 2 November 2026 00:00
//!   UTC, is Sunday 21:00 in São Paulo, and Monday 2 November is Finados, a national holiday:
//!   the centre keeps Saturday's hours (a half day, 08:00–14:00, at 25–40 % of the weekday's
//!   seats and 20–35 % of its callers, drawn per run), Sunday is the night crew all day, and
//!   Tuesday, the first working day after a long weekend, brings 15–35 % more callers (drawn),
//!   which the seats clip. The run's first 35 hours are a Sunday evening, a holiday and two
//!   nights; the quiet runs' 36 h end on Tuesday 09:00 local, the exhaustion's 64 h on
//!   Wednesday 13:00 local; the jump at 3 h is the holiday's midnight.
//! * **Short streamed turns of a live call, on the 5-minute cache.** `k-app` (sonnet) is the
//!   copilot: one call per caller utterance (a Poisson stream, one every 20 s of talk) plus an
//!   after-call summary (the wrap-up and the protocol number every SAC call gets). A call
//!   sends the shared instructions (4k–9k tokens, drawn per run), the member's record (median
//!   2.5k) and the transcript so far (growing 140 tokens an utterance), all on the **5-minute**
//!   cache, plus retrieved knowledge passages after the breakpoint (median 1.2k, uncached), and
//!   streams a suggestion of 70 tokens at the median: a call costs about a cent, a conversation
//!   of 13–20 calls about 13 cents. One call in six puts the caller on hold (median 3 minutes,
//!   a medical auditor consulted); a hold over 5 minutes lets the conversation's cache expire,
//!   and the next call writes the record and the transcript afresh. The shared instructions stay
//!   warm while the key has a call every 5 minutes (all day; not always at night). `k-app`'s
//!   haiku stream redacts personal data (CPF numbers, LGPD) from every utterance and tags its
//!   intent: small independent calls, uncached (under haiku's least cacheable prompt), at the
//!   same clipped rate.
//! * **A QA job triggered by its queue, not a clock.** `k-batch` (sonnet) scores finished
//!   conversations against the QA rubric: the conversations sampled for QA queue up at the
//!   key's rate × the centre's clipped day, and when the queue holds 250–600 (drawn per run) a
//!   job scores them all at 40–80 calls a minute (drawn per run; 3–15 minutes), then writes a
//!   report for the supervisors. So jobs come every hour or two in the working day, once in
//!   many hours at night and on the holiday, and never at a fixed time. The rubric (6k–12k
//!   tokens) is on the **1-hour** cache, so a job within an hour of the last reads it and a job
//!   after a longer gap writes it at the 1-hour price.
//!
//! Against the eleven, each differs in three or more of these: Steady, Tenants and Cascades
//! have no day, no cached conversations, no queue-triggered job and no holiday; Sessions no
//! day, no cap, no job and 6-turn agent sessions on 2k–20k contexts; Diurnal a sine day that
//! nothing clips, on/off tenants and a work mix, no cache, no job; Fleet a UTC+8 working week
//! whose plateau is the demand's own shape (here demand peaks and dips under a flat top the
//! seats set, the excess callers hanging up), a daily sweep at a fixed hour and long tool
//! chains; Saas two regions in UTC, a nightly sync at 02:00 and a migration; Launch a drawn
//! hour, growth and eval suites on a period; Contracts an IST five-day week, a few huge calls
//! and no job; Helpdesk sparse keys in three zones, Markov regimes and a release; Studio a
//! Pacific week, long IDE sessions on the 1-hour cache with compaction, a drifting router and
//! a CI on a clock. None has a holiday, a roster's cap or a job its own queue triggers.
//!
//! **The jump is a retry storm.** `k-agent` (the harness's jumping key: opus, 4 calls a
//! minute) is the prior-authorisation reviewer: a queue consumer that decides each request in
//! one non-streaming call (the coverage rules, 25k–45k tokens drawn per run, read from the
//! 5-minute cache; the request's documents, median 6k tokens, uncached; a reasoned decision,
//! median 1.5k tokens out, 20–60 s to generate), at a steady pace day and night. The scenario's
//! `scale` on it is the attempts each request is billed for: a shared-config deploy gives the
//! reviewer the copilot's tight client timeout (3–6 s, drawn per run), shorter than every
//! decision takes, so each attempt times out on the client while the server finishes it (the
//! gateway that logs usage reads the whole response, and the request is billed), the SDK
//! retries twice with its backoff (0.5 s, 1 s, jittered), the consumer gives up and the queue
//! redelivers the request after its visibility timeout (15–30 s, drawn), for three more
//! attempts: 6 at `scale` 6 (3 attempts × 2 deliveries), `scale` on average in general. Each
//! attempt re-sends the same prompt and is billed the same (its documents uncached, its output
//! its own), so the spend is `scale` times the requests', the request rate unmoved. The storm builds as the
//! retries come due: requests from the jump on make their attempts over the next 1–2 minutes,
//! one after another, never at once (the deploy restarts the consumers, so the requests in
//! flight are redelivered at once and storm too): the stream is at 2.7× in the first minute,
//! at 6× from the third and stays there (the 10 minutes after the jump at 5.1–6.3× the same
//! run without it, median 5.9, over seeds 0–19; see the tests). (Studio's jump is six
//! candidates at once, Contracts' bigger calls, Helpdesk's more calls ramping over 5
//! minutes, the others' an abrupt step in independent calls.) Below 1 the scale thins the
//! requests instead.
//!
//! What defines the run (the roster, the callers' peak, the handle time and patience, the
//! holiday's level and Tuesday's surge, the prompts' sizes, the QA job's trigger and pace, the
//! storm's timeouts) is drawn once by [`begin_run`], and the centre's carried rate solved from
//! them (`centre.rs`); which conversations, utterances, requests and QA samples come, when, and their tokens
//! are drawn from the `rng` each stream is given, so realisations of one run differ by chance
//! only. The scenario's `scale` multiplies the carried rate (the harness's contract: a stream's
//! intensity is its scale times the base). The one-off batch (`k-oneoff`), and any key this
//! product does not know, is a job: calls at the harness's rate × its scale, no day, no cache.

use std::cell::RefCell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{exp, logistic, lognormal, normal, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]).
const ARRIVALS: Thinning = Thinning {
    margin: 1.05,
    sample_s: 20.0,
};
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

pub const DESK: &str = "k-app";
pub const QA: &str = "k-batch";
pub const AGENT: &str = "k-agent";

/// Caller utterances: one every this many seconds of talk (a Poisson stream).
pub const UTTER_S: f64 = 20.0;
const TALK_SIGMA: f64 = 0.55;
pub const HOLD_P: f64 = 1.0 / 6.0;
const HOLD_MEDIAN_S: f64 = 180.0;
const HOLD_SIGMA: f64 = 0.6;
/// After-call work, in the seat's handle time.
const WRAP_UP_MIN: f64 = 0.5;
/// The SDK's attempts per delivery (two retries).
pub const ATTEMPTS_PER_DELIVERY: u32 = 3;
/// The after-call summary's instruction (its fresh input): tells it from an utterance's.
pub const SUMMARY_PROMPT: u64 = 250;

mod centre;
pub use centre::{day_kind, local, DayKind, Run, FINADOS, LOCAL_AT_START_S};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's roster, callers, prompts, QA trigger and timeouts, and solves its queue.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_callcentre::begin_run draws the run before its streams (background does)")
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Copilot,
    Redaction,
    Qa,
    Reviewer,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            DESK if model.contains("haiku") => Work::Redaction,
            DESK => Work::Copilot,
            QA => Work::Qa,
            AGENT => Work::Reviewer,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a plain weekday (where the product has a day), times the scenario's
/// `scale(t)`: `k-app`'s copilot conversations and redactions at the centre's carried rate,
/// `k-batch`'s QA jobs as its queue fills at that rate, `k-agent` flat with `scale` attempts
/// a request, anything else a plain job.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let carried = |t: f64| scale(t) * run.day(t);
    let out: Vec<(f64, Usage)> = match Work::of(model, key) {
        Work::Copilot => copilot(rng, &run, start, end, base_per_min, &carried),
        Work::Redaction => thinned(ARRIVALS, rng, start, end, base_per_min, &carried)
            .into_iter()
            .map(|t| {
                let usage = Usage {
                    input_tokens: lognormal(rng, 450.0, 0.4).min(3_000.0) as u64 + 1,
                    output_tokens: lognormal(rng, 110.0, 0.4).min(800.0) as u64 + 1,
                    ..Usage::default()
                };
                (t, usage)
            })
            .collect(),
        Work::Qa => qa(rng, &run, start, end, base_per_min, &carried),
        Work::Reviewer => reviewer(rng, &run, start, end, base_per_min, scale),
        Work::Job => crate::plain_job(ARRIVALS, rng, start, end, base_per_min, scale),
    };
    crate::clipped_calls((model, key), start, end, out)
}

/// A prompt cached up to its last breakpoint for `ttl_s` after its last use.
pub struct Cache {
    ttl_s: f64,
    cached: u64,
    touched: Option<f64>,
}

impl Cache {
    pub fn new(ttl_s: f64) -> Cache {
        Cache {
            ttl_s,
            cached: 0,
            touched: None,
        }
    }

    /// A call at `t` whose cached part is `tokens`: (cold, read, written).
    pub fn send(&mut self, t: f64, tokens: u64) -> (bool, u64, u64) {
        let cold = !self.touched.is_some_and(|a| t - a < self.ttl_s);
        if cold {
            self.cached = 0;
        }
        let read = self.cached.min(tokens);
        self.cached = tokens;
        self.touched = Some(t);
        (cold, read, tokens - read)
    }
}

/// One copilot call of a conversation, before the shared instructions are added.
pub struct Turn {
    pub t: f64,
    /// The conversation's cache was cold: the shared instructions are read or written too.
    pub cold: bool,
    pub read: u64,
    pub written: u64,
    pub fresh: u64,
    pub output: u64,
}

/// One conversation from `s` (its first utterance's moment): a call per caller utterance and
/// the after-call summary.
pub fn conversation(rng: &mut StdRng, run: &Run, s: f64) -> Vec<Turn> {
    let record = lognormal(rng, 2_500.0, 0.5).min(12_000.0) as u64;
    let talk =
        run.talk_min * 60.0 * (TALK_SIGMA * normal(rng) - TALK_SIGMA * TALK_SIGMA / 2.0).exp();
    let hold = (rng.random::<f64>() < HOLD_P).then(|| {
        (
            rng.random::<f64>() * talk,
            lognormal(rng, HOLD_MEDIAN_S, HOLD_SIGMA).min(1_200.0),
        )
    });
    let clock = |x: f64| s + x + hold.map_or(0.0, |(at, len)| if x >= at { len } else { 0.0 });
    let mut cache = Cache::new(CACHE_5M_S);
    let mut transcript = record;
    let mut out = Vec::new();
    let mut x = exp(rng, UTTER_S);
    let mut turn = |t: f64, transcript: u64, fresh: u64, output: u64| {
        let (cold, read, written) = cache.send(t, transcript);
        Turn {
            t,
            cold,
            read,
            written,
            fresh,
            output,
        }
    };
    while x < talk {
        transcript += lognormal(rng, 140.0, 0.5).min(1_500.0) as u64 + 1;
        let fresh = lognormal(rng, 1_200.0, 0.5).min(6_000.0) as u64 + 30;
        let output = lognormal(rng, 70.0, 0.5).min(400.0) as u64 + 1;
        out.push(turn(clock(x), transcript, fresh, output));
        x += exp(rng, UTTER_S);
    }
    transcript += lognormal(rng, 140.0, 0.5).min(1_500.0) as u64 + 1;
    let at = clock(talk) + lognormal(rng, 6.0, 0.5).min(60.0);
    let output = lognormal(rng, 250.0, 0.4).min(1_200.0) as u64 + 1;
    out.push(turn(at, transcript, SUMMARY_PROMPT, output));
    out
}

/// The copilot's conversations over `[start, end)` (from an hour before, so the stream opens
/// mid-call), the shared instructions read while the key's last call is under 5 minutes old.
fn copilot(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    carried: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let per_min = base_per_min / run.calls_per_conversation();
    let mut turns: Vec<Turn> = thinned(ARRIVALS, rng, start - HOUR_S, end, per_min, carried)
        .into_iter()
        .flat_map(|s| conversation(rng, run, s))
        .collect();
    turns.sort_by(|a, b| a.t.total_cmp(&b.t));
    let mut last: Option<f64> = None;
    turns
        .into_iter()
        .map(|c| {
            let warm = last.is_some_and(|a| c.t - a < CACHE_5M_S);
            last = Some(c.t);
            let (read, written) = match (c.cold, warm) {
                (false, _) => (run.desk_prefix + c.read, c.written),
                (true, true) => (run.desk_prefix, c.written),
                (true, false) => (0, run.desk_prefix + c.written),
            };
            let usage = Usage {
                input_tokens: c.fresh,
                output_tokens: c.output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            (c.t, usage)
        })
        .collect()
}

/// The QA jobs over `[start, end)`: samples queue up from a day before (the queue's fill then
/// drawn), a job runs when the queue reaches its trigger, then a report.
fn qa(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    carried: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    let mut fill = rng.random_range(0..run.qa_queue);
    let mut rubric = Cache::new(CACHE_1H_S);
    for sampled in thinned(ARRIVALS, rng, start - DAY_S, end, base_per_min, carried) {
        fill += 1;
        if fill < run.qa_queue {
            continue;
        }
        fill = 0;
        let gap = 60.0 / run.qa_per_min;
        let mut t = sampled + rng.random_range(5.0..60.0);
        for _ in 0..run.qa_queue {
            let (_, read, written) = rubric.send(t, run.qa_rubric);
            let usage = Usage {
                input_tokens: lognormal(rng, 2_200.0, 0.5).min(15_000.0) as u64 + 1,
                output_tokens: lognormal(rng, 400.0, 0.4).min(2_000.0) as u64 + 1,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: written,
            };
            out.push((t, usage));
            t += gap * rng.random_range(0.5..1.5);
        }
        let report = Usage {
            input_tokens: 1_000 + 70 * u64::from(run.qa_queue),
            output_tokens: lognormal(rng, 1_500.0, 0.3) as u64 + 1,
            ..Usage::default()
        };
        out.push((t + 20.0, report));
    }
    out
}

/// The attempts a request is billed for at scale `s` (≥ 1): `s` on average, rounded at random.
fn attempts(rng: &mut StdRng, s: f64) -> u32 {
    let s = s.max(1.0);
    let whole = s.floor();
    whole as u32 + u32::from(rng.random::<f64>() < s - whole)
}

/// When each of `n` attempts of a request starts, after the first: each attempt times out
/// after `timeout_s`; within a delivery the SDK backs off 0.5 s, then 1 s (jittered down by up
/// to a quarter); the next delivery waits out the visibility timeout.
pub fn attempt_offsets(rng: &mut StdRng, run: &Run, n: u32) -> Vec<f64> {
    let mut at = 0.0;
    (0..n)
        .map(|i| {
            if i > 0 {
                let within = i % ATTEMPTS_PER_DELIVERY;
                at += run.timeout_s
                    + if within == 0 {
                        run.visibility_s
                    } else {
                        0.5 * f64::from(1u32 << (within - 1)) * (1.0 - 0.25 * rng.random::<f64>())
                    };
            }
            at
        })
        .collect()
}

/// An opus decision's time to the last token: a couple of seconds, then 40 tokens a second.
fn latency(output: u64) -> f64 {
    2.0 + output as f64 / 40.0
}

/// The reviewer's requests over `[start, end)`, each billed `scale` attempts, the coverage
/// rules read from the 5-minute cache while the key's last call is under 5 minutes old.
fn reviewer(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    // (logged at, documents, output)
    let mut calls: Vec<(f64, u64, u64)> = Vec::new();
    for s in thinned(ARRIVALS, rng, start - 600.0, end, base_per_min, &|t| {
        scale(t).min(1.0)
    }) {
        // The retries draw from a generator of their own, so the requests' path is the same
        // whatever the scale.
        let mut extra = StdRng::seed_from_u64(rng.random());
        let documents = lognormal(rng, 6_000.0, 0.6).min(40_000.0) as u64 + 200;
        let output = lognormal(rng, 1_500.0, 0.5).min(8_000.0) as u64 + 100;
        let done = s + latency(output);
        calls.push((done, documents, output));
        // The storm: the request's further attempts; or, for a request in flight when the
        // deploy restarts the consumers, a redelivery at once, with the new timeout.
        let (from, offsets) = if scale(s) > 1.0 {
            let n = attempts(&mut extra, scale(s));
            (s, attempt_offsets(&mut extra, run, n)[1..].to_vec())
        } else if scale(done) > 1.0 {
            let restart = (1..)
                .map(|k| s + f64::from(k))
                .find(|u| *u >= done || scale(*u) > 1.0)
                .unwrap_or(done);
            let n = attempts(&mut extra, scale(restart));
            (restart, attempt_offsets(&mut extra, run, n - 1))
        } else {
            (s, Vec::new())
        };
        for offset in offsets {
            let again = lognormal(&mut extra, 1_500.0, 0.5).min(8_000.0) as u64 + 100;
            calls.push((from + offset + latency(again), documents, again));
        }
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rules = Cache::new(CACHE_5M_S);
    calls
        .into_iter()
        .map(|(t, documents, output)| {
            let (_, read, written) = rules.send(t, run.rules_prefix);
            let usage = Usage {
                input_tokens: documents,
                output_tokens: output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            (t, usage)
        })
        .collect()
}

#[cfg(test)]
mod tests;
