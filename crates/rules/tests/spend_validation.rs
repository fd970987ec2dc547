//! The spend rules over replayed event lines (tokens in the line, priced by the shipped
//! table), over many seeds and three traffic generators:
//!
//! * `Steady` — the generator the rules were tuned on: Poisson calls, each with its own token
//!   counts drawn around a mean, a few models and keys.
//! * `Sessions` — written differently and never tuned on: agent sessions arrive as a Poisson
//!   process; each makes a geometric number of turns with exponential gaps, its context grows
//!   every turn and is cached (a cache write on the first turn, 1-hour writes for some
//!   sessions, cache reads after), so the cost per call is heavy-tailed and bursty. Held out
//!   at first; its findings changed the spike baseline's variance, so it is "seen" now.
//! * `Cascades` — written in session 21 after the overdispersed-Poisson statistic was frozen,
//!   and run once: a self-exciting (Hawkes) process — each call sets off on average 0.6 more
//!   (tool calls, retries, sub-agents) after exponential delays of 20 s, so calls come in
//!   cascades of 2.5 on average with a long tail — and a two-point cost mixture: most calls
//!   small, one in eight a large cached-context call (20k–80k tokens read, 1k–4k out).
//! * `Tenants` — written after that change and held out: minute counts from a Poisson with a
//!   Gamma-mixed rate (overdispersed), tokens lognormal with a wide spread. Session 21 read its
//!   run of the new spike statistic before two changes to it, so it is "seen" now too; the
//!   next change to SpendRateSpike needs a generator written after it.
//! * `Diurnal` — written in session 21 after both rules were final and run once: a day-shaped
//!   rate, heavy tenants switching on and off, a work mix that shifts over the day.
//!
//! * `Fleet` — written in session 22 before any change to SpendRateSpike in that session and
//!   never tuned on (tests/spend_fleet/mod.rs): an agent fleet of long tool-use chains with
//!   retries, on a working week (a plateau, a lunch dip, a Saturday at half), a daily
//!   evaluation sweep on one key, and two more keys.
//! * `Saas` — written in session 23 before any rule change in that session, held out (not run
//!   until the changes were final, then once; tests/spend_saas/mod.rs): a multi-tenant SaaS of
//!   many small keys and one big one, human-paced conversations with Pareto-tailed documents,
//!   two regions' working days, a nightly sync and a model migration mid-run.
//! * `Launch` — written in session 24 while the two rules were tuned on the seven, held out
//!   (not run on the rules until the changes are merged, then once; tests/spend_launch/mod.rs):
//!   a consumer product in its launch week, each run starting at a different hour of the
//!   users' day, traffic growing 20–35 % a day, and an eval suite with extended thinking
//!   every 60–120 minutes.
//! * `Contracts` — written in session 25 while the two rules were changed on the eight, held
//!   out (not run on the rules until the changes are merged, then once;
//!   tests/spend_contracts/mod.rs): a contract-review product in IST (UTC+5:30) on a five-day
//!   week, runs opening on a Thursday or a Friday so a weekend comes within 64 h, half the
//!   spend in 1 % of the calls (opus reviews of 100k-token contracts written to the 1-hour
//!   cache), and the 6× jump as bigger calls at the same rate (a pasted tool output), ramping
//!   over 3 minutes.
//! * `Helpdesk` — written in session 26 while the two rules were changed on the nine, held out
//!   (run on the rules once, after the changes were merged;
//!   tests/spend_helpdesk/mod.rs): a B2B support-automation API, 30–60 sparse per-customer keys
//!   (0.05–2 calls a minute) on the business days of three zones (UTC−5, UTC+1, UTC+10), each
//!   customer's rate and the bulk endpoint's switching between normal and busy regimes of hours
//!   (a Markov chain), a release on the first day that raises every key's cost per call by
//!   30–60 % for good, and the 6× jump as more calls ramping over 5 minutes.
//! * `Studio` — written in session 27 while the two rules were changed on the ten, held out
//!   (not run on the rules until the changes are merged, then once; tests/spend_studio/mod.rs):
//!   a coding assistant in the IDE for a team in California (the runs open on a Sunday at
//!   16:00 local), developers' agent sessions of hundreds of turns on the 1-hour cache whose
//!   context grows to a compaction threshold of 150k–400k tokens (drawn per run), a router
//!   drifting the sessions between opus and sonnet over hours, a CI review bot bursting every
//!   15 or 30 minutes with an hourly report, and the 6× jump as best-of-6: every step of the
//!   background agents sent as six candidate calls at once.
//! * `CallCentre` — written in session 29 while the two rules were changed on the eleven, held
//!   out (not run on the rules until the changes are merged, then once;
//!   tests/spend_callcentre/mod.rs): an agent-assist copilot in a São Paulo (UTC−3) health
//!   insurer's contact centre, the runs opening on the Sunday evening before Finados (a
//!   holiday kept at Saturday's half day, a surge on the Tuesday after), conversations carried
//!   by a roster of 6-hour shifts through an Erlang-A queue (a day clipped flat at the seats),
//!   short streamed turns on a per-conversation 5-minute cache rewritten after holds over 5
//!   minutes, a QA job triggered when its queue fills (the rubric on the 1-hour cache), and the
//!   6× jump as a retry storm: a timeout shorter than every decision, each request billed for
//!   six sequential attempts over 1–2 minutes.
//! * `Newsroom` — written in session 29 while the two rules were changed on the twelve, held
//!   out (not run on the rules until the changes are merged, then once;
//!   tests/spend_newsroom/mod.rs): a Tokyo (UTC+9) news publisher, the runs opening on a Monday
//!   at 09:00 local with Culture Day (a holiday: no commute peak) on the Tuesday, readers'
//!   calls as shot noise (the run's stories a Poisson process, each a burst fading over 20–60
//!   minutes, Pareto-sized, moving every reader-facing key at once) on a commute-lunch-evening
//!   day, readers of a story sharing its article on the 5-minute cache, a partner's crawler
//!   paced by its rate limit in exact 20-article pages, a research desk with extended thinking,
//!   and the 6× jump as a cache regression: a timestamp at the top of the wire desk's system
//!   prompt, so the same calls with the same tokens write their 23k–40k-token prefix (the 1-hour
//!   and 5-minute write prices) instead of reading it, rolled out in three steps of 30 s.
//! * `Classroom` — written in session 30 while the two rules were changed on the thirteen,
//!   held out (not run on the rules until the changes are merged, then once;
//!   tests/spend_classroom/mod.rs): an education platform for Mexico City's (UTC−6) secundarias,
//!   the runs opening on the Sunday evening before Día de Muertos (no lessons on the Monday,
//!   homework and deadlines kept), the students' tutor turns (per-conversation 5-minute cache)
//!   and exercise checks stepping with a timetable's bells (seven 50-minute lessons from 07:00,
//!   the passing times and the recess near-silent), homework evenings 17:00–22:00 and silent
//!   nights, the essays due at 23:59 graded overnight in a backlog at the pipeline's pace
//!   (25–45 a minute, its length the day's submissions, each assignment's rubric on the
//!   1-hour cache), the teachers' reviews of the night's grades, and the 6× jump as a lesson
//!   planner's tool loop: searches reaching broken index replicas are retried, each call
//!   re-sending the agent's growing uncached conversation, at 6× within about 3 minutes.
//! * `Arcade` — written in session 30 after the two rules were changed on the fourteen, held
//!   out (not run on the rules until the next session's changes are merged, then once;
//!   tests/spend_arcade/mod.rs): a live-service online game studio in Seoul (UTC+9), the runs
//!   opening on a Monday at 09:00 local, its NPCs' dialogue (a per-conversation 5-minute cache of
//!   the persona and lore), chat moderation and a hint assistant on a gamer's day (a trough
//!   05:00–08:00, the peak 20:00–24:00, a tail to 02:00, weekends higher), a daily 20:00 world
//!   boss that steps those three groups up 2–4× at the minute (the run's first a kind not seen
//!   before), Wednesday's 06:00–10:00 maintenance silencing every player key before a login
//!   rush and a patch that enlarges every conversation's cache write, localisation batches into
//!   6–10 languages before and after it (glossaries on the 1-hour cache) over a trickle of
//!   support tickets, and the 6× jump as a live-ops game master's log tool returning the whole
//!   log after a config change: the same calls, each check's second call bigger, picked up by
//!   its workers within two minutes.
//! * `Freight` — written in session 31 while SpendRateSpike was changed on the fifteen, held
//!   out (run on the rules once, after the change was committed; tests/spend_freight/mod.rs):
//!   a road-freight
//!   platform in Rotterdam (CET, UTC+1), the runs opening on a Monday at 01:00 local, Monday the
//!   week's heaviest day (1.15–1.35× a midweek one), a dispatchers' copilot on each
//!   conversation's 5-minute cache (lookups as two calls) and the drivers' messages on a freight
//!   day (the morning's departures and the afternoon's planning, night trunking), Tuesday's storm
//!   closing the terminals for 6–12 hours (drivers, copilot and exceptions up, the paperwork held
//!   back, then its backlog), an hourly documents job at :05 (its delay drawn) reading the hour's
//!   paperwork at its workers' pace on the 1-hour cache, a nightly carrier-invoice audit after
//!   02:30 carrier by carrier (instructions on the 1-hour cache, each tariff on the 5-minute),
//!   and the 6× jump as a raised thinking budget: the exceptions agent's config for the offline
//!   evaluation rolled out to its pods within 150 s, the same calls with 9k–12.5k more output
//!   (thinking) tokens each.
//! * `Hospital` — written in session 31 by a helper who did not run the rules, held out (run
//!   on the rules once in session 32, after its one change; tests/spend_hospital/mod.rs): a
//!   Melbourne public health network (AEDT,
//!   UTC+11), the runs opening on a Monday at 11:00 local, at the clinics' peak: an ambient
//!   scribe on the clinicians' day with each specialty's templates on the 1-hour cache, a
//!   patient portal's evenings (Monday's the weekend's), three nursing handovers a day (07:00,
//!   13:30, 21:00) each a burst of every patient's summary on the wards' own 5-minute caches,
//!   a nightly coding job at 21:00 sized by the day's discharges and a discharge-summary job at
//!   05:30 sized by the day before's rounds, Melbourne Cup Day closing the clinics and the
//!   electives (the wards running) with the race's minutes a dip at 15:00, and the 6× jump as
//!   the laboratory's interface upgrade sending each result's cumulative report as PDF pages:
//!   the results agent's same calls, 10–16 pages more input each, picked up within a
//!   feature flag's refresh (30–90 s).
//! * `Shop` — written in session 32 by a helper who did not run the rules, held out (run on the
//!   rules once, after the session's runway change; tests/spend_shop/mod.rs): a European fashion and electronics shop in Berlin's
//!   clock (CET, UTC+1) across Cyber Monday, the runs opening on the Cyber weekend's Sunday at
//!   18:00 local (the 3 h jump at Sunday's 21:00, the 27 h one at Cyber Monday's). `k-app` is a
//!   shopping assistant on each conversation's 5-minute cache (a phone's conversation ending after
//!   one turn twice as often as a desktop's), uncached product questions and search rewriting, on
//!   the shoppers' day. That day has a lunchtime bump, an evening peak and Sunday evening on
//!   phones, with base rates from a normal Monday two weeks before. Cyber Monday runs at 2.5–4×
//!   it from midnight, with 2–4 flash sales at announced hours lifting every shopper stream
//!   (`k-app` and `k-agent`) 3–5× within 2–5 minutes and fading over 30–60; the Tuesday after
//!   runs at 0.6–0.8× a normal one. `k-batch` runs the catalogue's nightly job at 02:00 (40–90
//!   minutes of descriptions and translations) and Cyber Monday's re-run of the deal copy over
//!   the merchandisers' edits, all on one style guide on the 1-hour cache. A returns agent
//!   (`k-returns`, opus) works cases of 5–30 steps reading the order history, more on the
//!   Tuesday. The 6× jump is a validator's loop: a merchandising rule no list can meet sends
//!   every recommendation round 5–6 uncached passes, picked up as each pod's rules cache expires
//!   (30–90 s).
//!
//! Scenarios: a burn that exhausts the balance at a known time (warning ≥ 20 h and critical
//! ≥ 100 min ahead, within 10 % of the time left; tests/spend_exhaustion: a cold start, out at
//! 30 h, asserted on the steady burns, and a day of history, out at 54 h, asserted on all;
//! judged against the expected exhaustion given the spend so far, the realised one reported),
//! and quiet runs on ample runway, a daily swell and a one-off 10-minute batch; a 6× spend jump
//! on one model and key at 3 h (SpendRateSpike within 10 minutes, naming them), and, only when
//! `SPEND_ONLY` lists `spike_day2`, the same jump at 27 h, once the rule has a day of the key's
//! history (its spread learnt over a day, the same time of day the day before). The default
//! `cargo test` runs 1 seed
//! (CI time); `SPEND_SEEDS=20` runs the table the docs quote (`--release --nocapture`; the
//! other generators with `--include-ignored`):
//! `CARGO_TARGET_DIR=target-rel SPEND_SEEDS=20 cargo test --release -p callwatch-rules --test
//! spend_validation -- --include-ignored --nocapture`.

use std::collections::BTreeMap;

use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::classify::Usage;
use callwatch_core::cost::{Budget, Credit, PriceTable, SpendConfig, TokenCounts};
use callwatch_core::event::CallEvent;
use callwatch_rules::{default_rules, Engine, Replay};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spend_exhaustion::{exhaustion, RunwayTally, Start};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-02 00:00:00 UTC);

fn seeds() -> u64 {
    std::env::var("SPEND_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Generator {
    Steady,
    Sessions,
    Tenants,
    Cascades,
    Diurnal,
    Fleet,
    Saas,
    Launch,
    Contracts,
    Helpdesk,
    Studio,
    CallCentre,
    Newsroom,
    Classroom,
    Arcade,
    Freight,
    Hospital,
    Shop,
}

mod spend_arcade;
mod spend_callcentre;
mod spend_classroom;
mod spend_contracts;
mod spend_exhaustion;
mod spend_fleet;
mod spend_freight;
mod spend_helpdesk;
mod spend_hospital;
mod spend_launch;
mod spend_newsroom;
mod spend_saas;
mod spend_shop;
mod spend_studio;

/// Standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// One generated call.
#[derive(Clone)]
struct Call {
    t: f64,
    model: &'static str,
    key: &'static str,
    usage: Usage,
}

/// The logistic function: the generators' smooth steps (a day's ramps, a rollout).
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A scenario's `scale` averaged over the `span_s` seconds before `t` (at `n` points): a jump
/// that ramps over that span instead of stepping.
fn ramped(scale: &dyn Fn(f64) -> f64, t: f64, span_s: f64, n: u32) -> f64 {
    (0..n)
        .map(|i| scale(t - span_s * (f64::from(i) + 0.5) / f64::from(n)))
        .sum::<f64>()
        / f64::from(n)
}

/// Exponential draw with mean `mean`.
fn exp(rng: &mut StdRng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Lognormal draw with median `median` and log-scale spread `sigma`.
fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// How [`thinned`] bounds an hour's rate: its samples every `sample_s` seconds, times
/// `margin` for a peak between samples.
#[derive(Clone, Copy)]
struct Thinning {
    margin: f64,
    sample_s: f64,
}

/// A Poisson process of `per_min × rate(t)` a minute over `[start, end)`, by thinning hour
/// by hour at the hour's peak rate (a Poisson process restarted at an hour's edge is still
/// one: memoryless), so a day and a busy regime that put a run's peak at 4× its mean cost
/// little more than an hour's own peak.
fn thinned(
    how: Thinning,
    rng: &mut StdRng,
    start: f64,
    end: f64,
    per_min: f64,
    rate: &dyn Fn(f64) -> f64,
) -> Vec<f64> {
    const HOUR_S: f64 = 3600.0;
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + HOUR_S).min(end);
        let peak = how.margin
            * (0..=((to - from) / how.sample_s).ceil() as i64)
                .map(|i| rate((from + how.sample_s * i as f64).min(to)))
                .fold(0.0f64, f64::max);
        if peak > 0.0 {
            let mean_gap = 60.0 / (per_min * peak);
            let mut t = from + exp(rng, mean_gap);
            while t < to {
                if rng.random::<f64>() < rate(t) / peak {
                    out.push(t);
                }
                t += exp(rng, mean_gap);
            }
        }
        from = to;
    }
    out
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream whose intensity at time
/// `t` is `scale(t)` times the generator's base rate.
fn stream(
    g: Generator,
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let mut out = Vec::new();
    // Thinning: draw at the peak rate, keep with probability scale(t)/peak.
    let peak = (0..=200)
        .map(|i| scale(start + (end - start) * i as f64 / 200.0))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    match g {
        Generator::Steady => {
            let mean_gap = 60.0 / (base_per_min * peak);
            let mut t = start + exp(rng, mean_gap);
            while t < end {
                if rng.random::<f64>() < scale(t) / peak {
                    let usage = Usage {
                        input_tokens: rng.random_range(500..2500),
                        output_tokens: rng.random_range(200..800),
                        cache_read_input_tokens: rng.random_range(0..4000),
                        ..Usage::default()
                    };
                    out.push(Call {
                        t,
                        model,
                        key,
                        usage,
                    });
                }
                t += exp(rng, mean_gap);
            }
        }
        Generator::Tenants => {
            // Minute by minute: an overdispersed count (Poisson with a Gamma(2, 1/2) mixed
            // rate: tenants come and go), each call's tokens lognormal with a wide spread.
            let mut minute = (start / 60.0).floor();
            while minute * 60.0 < end {
                let t0 = minute * 60.0;
                let mix = exp(rng, 0.5) + exp(rng, 0.5);
                let lambda = base_per_min * scale(t0) * mix;
                let mut t = t0 + exp(rng, 60.0 / lambda.max(1e-9));
                while t < t0 + 60.0 {
                    if t >= start && t < end {
                        let input = (3000f64.ln() + 1.0 * normal(rng)).exp().min(400_000.0) as u64;
                        let output = (400f64.ln() + 0.8 * normal(rng)).exp().min(64_000.0) as u64;
                        let read = if rng.random::<f64>() < 0.5 {
                            input * 2
                        } else {
                            0
                        };
                        let usage = Usage {
                            input_tokens: input,
                            output_tokens: output,
                            cache_read_input_tokens: read,
                            ..Usage::default()
                        };
                        out.push(Call {
                            t,
                            model,
                            key,
                            usage,
                        });
                    }
                    t += exp(rng, 60.0 / lambda.max(1e-9));
                }
                minute += 1.0;
            }
        }
        Generator::Cascades => {
            // Immigrants at (1 − branching) of the rate, so the whole process runs at the
            // base rate; each call has Poisson(branching) children.
            let branching = 0.6;
            let mean_gap = 60.0 / (base_per_min * (1.0 - branching) * peak);
            let mut s = start + exp(rng, mean_gap);
            while s < end {
                if rng.random::<f64>() < scale(s) / peak {
                    let mut pending = vec![s];
                    while let Some(t) = pending.pop() {
                        if t >= end {
                            continue;
                        }
                        let large = rng.random::<f64>() < 0.125;
                        let usage = if large {
                            Usage {
                                input_tokens: rng.random_range(500..3000),
                                output_tokens: rng.random_range(1000..4000),
                                cache_read_input_tokens: rng.random_range(20_000..80_000),
                                ..Usage::default()
                            }
                        } else {
                            Usage {
                                input_tokens: rng.random_range(200..2000),
                                output_tokens: rng.random_range(100..600),
                                ..Usage::default()
                            }
                        };
                        out.push(Call {
                            t,
                            model,
                            key,
                            usage,
                        });
                        // Poisson(branching) children, by inversion.
                        let (mut k, mut p, u) = (0, (-branching).exp(), rng.random::<f64>());
                        let mut cdf = p;
                        while u > cdf && k < 20 {
                            k += 1;
                            p *= branching / k as f64;
                            cdf += p;
                        }
                        for _ in 0..k {
                            pending.push(t + exp(rng, 20.0));
                        }
                    }
                }
                s += exp(rng, mean_gap);
            }
        }
        Generator::Diurnal => {
            // A day-shaped rate (×0.5 at night to ×1.5 in the afternoon, on top of the
            // scenario's own scale), two heavy tenants that switch on for ~40 minutes every
            // ~3 hours and double the stream's rate while on (an on/off Markov-modulated
            // Poisson process), and a work mix that shifts over the day: mornings long-context
            // work (8k–40k tokens in, a third of it cache-read, long answers), evenings short
            // chat turns. Each call's kind is drawn at its time of day.
            let day = 86_400.0;
            let diurnal =
                |t: f64| 1.0 + 0.5 * (2.0 * std::f64::consts::PI * (t / day - 0.375)).sin();
            let morning = |t: f64| {
                let h = (t / 3600.0).rem_euclid(24.0);
                if (6.0..12.0).contains(&h) {
                    0.7
                } else if (12.0..18.0).contains(&h) {
                    0.35
                } else {
                    0.1
                }
            };
            // Each heavy tenant's on-periods over [start, end).
            let mut on: Vec<(f64, f64)> = Vec::new();
            for _ in 0..2 {
                let mut t = start + exp(rng, 3.0 * 3600.0);
                while t < end {
                    let len = exp(rng, 40.0 * 60.0);
                    on.push((t, t + len));
                    t += len + exp(rng, 3.0 * 3600.0);
                }
            }
            let tenants_on = |t: f64| on.iter().filter(|(a, b)| (*a..*b).contains(&t)).count();
            let top = peak * 1.5 * 3.0;
            let mean_gap = 60.0 / (base_per_min * top);
            let mut t = start + exp(rng, mean_gap);
            while t < end {
                let intensity = scale(t) * diurnal(t) * (1.0 + tenants_on(t) as f64);
                if rng.random::<f64>() < intensity / top {
                    let usage = if rng.random::<f64>() < morning(t) {
                        let input: u64 = rng.random_range(8_000..40_000);
                        Usage {
                            input_tokens: input * 2 / 3,
                            output_tokens: rng.random_range(800..3000),
                            cache_read_input_tokens: input / 3,
                            ..Usage::default()
                        }
                    } else {
                        Usage {
                            input_tokens: rng.random_range(300..1500),
                            output_tokens: rng.random_range(50..400),
                            ..Usage::default()
                        }
                    };
                    out.push(Call {
                        t,
                        model,
                        key,
                        usage,
                    });
                }
                t += exp(rng, mean_gap);
            }
        }
        // The generators with a module of their own share its `stream`'s signature.
        Generator::Fleet
        | Generator::Saas
        | Generator::Launch
        | Generator::Contracts
        | Generator::Helpdesk
        | Generator::Studio
        | Generator::CallCentre
        | Generator::Newsroom
        | Generator::Classroom
        | Generator::Arcade
        | Generator::Freight
        | Generator::Hospital
        | Generator::Shop => {
            let module_stream = match g {
                Generator::Fleet => spend_fleet::stream,
                Generator::Saas => spend_saas::stream,
                Generator::Contracts => spend_contracts::stream,
                Generator::Helpdesk => spend_helpdesk::stream,
                Generator::Studio => spend_studio::stream,
                Generator::CallCentre => spend_callcentre::stream,
                Generator::Newsroom => spend_newsroom::stream,
                Generator::Classroom => spend_classroom::stream,
                Generator::Arcade => spend_arcade::stream,
                Generator::Freight => spend_freight::stream,
                Generator::Hospital => spend_hospital::stream,
                Generator::Shop => spend_shop::stream,
                _ => spend_launch::stream,
            };
            out.extend(module_stream(
                rng,
                (model, key),
                start,
                end,
                base_per_min,
                scale,
            ));
        }
        Generator::Sessions => {
            // Sessions of on average 6 turns: session rate = calls rate / 6.
            let turns_mean = 6.0;
            let mean_gap = 60.0 * turns_mean / (base_per_min * peak);
            let mut s = start + exp(rng, mean_gap);
            while s < end {
                if rng.random::<f64>() < scale(s) / peak {
                    let one_hour = rng.random::<f64>() < 0.3;
                    let mut context: u64 = rng.random_range(2_000..20_000);
                    let mut t = s;
                    let mut turn = 0;
                    loop {
                        let fresh: u64 = rng.random_range(100..1500);
                        let (read, write) = if turn == 0 {
                            (0, context)
                        } else {
                            (context, fresh)
                        };
                        let usage = Usage {
                            input_tokens: fresh,
                            output_tokens: rng.random_range(50..1500),
                            cache_read_input_tokens: read,
                            cache_creation_input_tokens: write,
                            cache_creation_1h_input_tokens: if one_hour { write } else { 0 },
                        };
                        if t < end {
                            out.push(Call {
                                t,
                                model,
                                key,
                                usage,
                            });
                        }
                        context += fresh + usage.output_tokens;
                        turn += 1;
                        if rng.random::<f64>() < 1.0 / turns_mean {
                            break;
                        }
                        t += exp(rng, 20.0);
                    }
                }
                s += exp(rng, mean_gap);
            }
        }
    }
    out
}

/// A stream's timed usages as (model, key)'s calls, those in `[start, end)` and in order:
/// how the generators with a module of their own finish their `stream`.
fn clipped_calls(
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    mut out: Vec<(f64, Usage)>,
) -> Vec<Call> {
    out.retain(|(t, _)| (start..end).contains(t));
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter()
        .map(|(t, usage)| Call {
            t,
            model,
            key,
            usage,
        })
        .collect()
}

/// A key a generator's product does not know (the quiet runs' one-off batch): calls at the
/// harness's rate × its scale, thinned as `how`, no day, no cache, 1.5k tokens in and 250 out
/// (medians).
fn plain_job(
    how: Thinning,
    rng: &mut StdRng,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(how, rng, start, end, base_per_min, scale)
        .into_iter()
        .map(|t| {
            let usage = Usage {
                input_tokens: lognormal(rng, 1_500.0, 0.6) as u64 + 1,
                output_tokens: lognormal(rng, 250.0, 0.5) as u64 + 1,
                ..Usage::default()
            };
            (t, usage)
        })
        .collect()
}

fn cost(c: &Call) -> f64 {
    PriceTable::embedded()
        .price(c.model)
        .map_or(0.0, |p| p.cost_usd(&TokenCounts::of(&c.usage)))
}

/// A run's background streams for generator `g` over `[0, end)` at `scale`, the run drawn from
/// `seed`, in time order (the generators' shape tests).
fn background_sorted(g: Generator, seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> Vec<Call> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut calls = background(g, &mut rng, end, scale);
    calls.sort_by(|a, b| a.t.total_cmp(&b.t));
    calls
}

/// What each call of one (model, key) stream cost, in the order of `calls` (the generators'
/// shape tests).
fn costs_of(calls: &[Call], model: &str, key: &str) -> Vec<f64> {
    calls
        .iter()
        .filter(|c| c.model == model && c.key == key)
        .map(cost)
        .collect()
}

/// Each minute's midpoint over `[from, to)` (the generators' shape tests).
fn minutes(from: f64, to: f64) -> impl Iterator<Item = f64> {
    (0..((to - from) / 60.0) as u32).map(move |m| from + 60.0 * f64::from(m) + 30.0)
}

/// The `q` quantile of `xs` (sorted in place), the nearest rank below.
fn quantile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() - 1) as f64 * q) as usize]
}

/// One stream of a run of generator `g` (its parameters drawn from `seed`) over `[start, end)`
/// at `scale`: the generators' shape tests draw a stream alone with it (the module's
/// `current_run()` is then the run drawn).
fn one_stream(
    g: Generator,
    seed: u64,
    (model, key): (&'static str, &'static str),
    (start, end): (f64, f64),
    per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let mut rng = StdRng::seed_from_u64(seed);
    begin_run(g, &mut rng);
    stream(g, &mut rng, (model, key), start, end, per_min, scale)
}

/// How many of `calls` fall in `[from, to)` (seconds).
fn calls_between(calls: &[Call], from: f64, to: f64) -> f64 {
    calls.iter().filter(|c| (from..to).contains(&c.t)).count() as f64
}

fn spend_between(calls: &[Call], from: f64, to: f64) -> f64 {
    calls
        .iter()
        .filter(|c| (from..to).contains(&c.t))
        .map(cost)
        .sum()
}

/// The least runway (seconds) from 24 h to 36 h into a run, each hour at the last day's rate,
/// of a balance of `days` days of the calls' mean spend over `[0, end)`: how ample the quiet
/// runs' balance is as a day of history reads it (the generators' shape checks).
fn least_runway_at_last_days_rate(calls: &[Call], end: f64, days: f64) -> f64 {
    const DAY: f64 = 86_400.0;
    let spent = |a: f64, b: f64| spend_between(calls, a, b);
    let balance = spent(0.0, end) / end * days * DAY;
    (24..=36)
        .map(|h| {
            let now = f64::from(h) * 3600.0;
            (balance - spent(0.0, now)) / (spent(now - DAY, now) / DAY)
        })
        .fold(f64::MAX, f64::min)
}

/// Replays `calls` as event lines; the alerts, in order.
fn replay(calls: &mut [Call], budget: Budget) -> Vec<Alert> {
    calls.sort_by(|a, b| a.t.total_cmp(&b.t));
    // `SPEND_RULES`: another rule file (an experiment on a rule's parameters), else the default.
    let rules = std::env::var_os("SPEND_RULES").map_or_else(default_rules, |path| {
        callwatch_rules::load_rules_file(std::path::Path::new(&path))
            .unwrap_or_else(|e| panic!("SPEND_RULES: {e}"))
    });
    let engine = Engine::new(rules).with_spend(SpendConfig {
        budget,
        ..SpendConfig::default()
    });
    let mut replay = Replay::new(engine);
    let mut alerts = Vec::new();
    for c in calls.iter() {
        let mut e = CallEvent::new(T0 + Duration::seconds_f64(c.t), Some(200), None);
        e.model = Some(c.model.into());
        e.key_id = Some(c.key.into());
        e.operation = Some("chat".into());
        e.usage = Some(c.usage);
        replay.line(e.to_line().as_bytes(), &mut alerts).unwrap();
    }
    replay.finish(&mut alerts);
    alerts
}

fn first(alerts: &[Alert], rule: &str, label: Option<(&str, &str)>) -> Option<Alert> {
    alerts
        .iter()
        .find(|a| {
            a.rule == rule
                && a.state == AlertState::Firing
                && label.is_none_or(|(k, v)| a.labels.get(k).map(String::as_str) == Some(v))
        })
        .cloned()
}

fn hours(s: f64) -> f64 {
    s / 3600.0
}

/// Everyone's steady background: two models, three keys (and a generator's own), for a run
/// whose parameters are drawn first.
fn background(g: Generator, rng: &mut StdRng, end: f64, scale: &dyn Fn(f64) -> f64) -> Vec<Call> {
    begin_run(g, rng);
    streams(g, rng, end, scale)
}

/// Draws the run's own parameters, for generators that have some (its clock, its growth).
fn begin_run(g: Generator, rng: &mut StdRng) {
    if g == Generator::Launch {
        spend_launch::begin_run(rng);
    }
    if g == Generator::Contracts {
        spend_contracts::begin_run(rng);
    }
    if g == Generator::Helpdesk {
        spend_helpdesk::begin_run(rng);
    }
    if g == Generator::Studio {
        spend_studio::begin_run(rng);
    }
    if g == Generator::CallCentre {
        spend_callcentre::begin_run(rng);
    }
    if g == Generator::Newsroom {
        spend_newsroom::begin_run(rng);
    }
    if g == Generator::Classroom {
        spend_classroom::begin_run(rng);
    }
    if g == Generator::Arcade {
        spend_arcade::begin_run(rng);
    }
    if g == Generator::Freight {
        spend_freight::begin_run(rng);
    }
    if g == Generator::Hospital {
        spend_hospital::begin_run(rng);
    }
    if g == Generator::Shop {
        spend_shop::begin_run(rng);
    }
}

/// The background's streams for the run [`begin_run`] drew last: called again with another
/// `rng`, another realisation of the same run.
fn streams(g: Generator, rng: &mut StdRng, end: f64, scale: &dyn Fn(f64) -> f64) -> Vec<Call> {
    let mut calls = Vec::new();
    for (model, key, per_min) in [
        ("claude-sonnet-4-6", "k-app", 6.0),
        ("claude-haiku-4-5", "k-app", 10.0),
        ("claude-sonnet-4-6", "k-batch", 3.0),
    ] {
        calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
    }
    if g == Generator::Fleet {
        for (model, key, per_min) in spend_fleet::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Saas {
        for (model, key, per_min) in spend_saas::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Launch {
        for (model, key, per_min) in spend_launch::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Contracts {
        for (model, key, per_min) in spend_contracts::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Helpdesk {
        for (model, key, per_min) in spend_helpdesk::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Studio {
        for (model, key, per_min) in spend_studio::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Newsroom {
        for (model, key, per_min) in spend_newsroom::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Classroom {
        for (model, key, per_min) in spend_classroom::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Arcade {
        for (model, key, per_min) in spend_arcade::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Freight {
        for (model, key, per_min) in spend_freight::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Hospital {
        for (model, key, per_min) in spend_hospital::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    if g == Generator::Shop {
        for (model, key, per_min) in spend_shop::EXTRA_STREAMS {
            calls.extend(stream(g, rng, (model, key), 0.0, end, per_min, scale));
        }
    }
    calls
}

#[derive(Default)]
struct Tally {
    runs: u64,
    failures: Vec<String>,
    /// CreditRunwayLow's pages, the balance running out 30 h / 54 h in.
    cold: RunwayTally,
    warm: RunwayTally,
    /// The 6× jumps at 3 h (no day of history: the trailing baseline judges alone).
    jumps: Jumps,
    /// The 6× jumps at 27 h (a day of history: the same time of day the day before judges
    /// too), run with `SPEND_ONLY=spike_day2` only.
    jumps_day2: Jumps,
    quiet_false_runway: u64,
    quiet_false_spike: u64,
    /// Quiet runs (ample, swell) with a SpendRateSpike firing once the history has a day
    /// (from 24 h on, first or not): where the same time of day on previous days is known.
    quiet_false_spike_day2: u64,
}

/// One kind of jump run's figures.
#[derive(Default)]
struct Jumps {
    delay_min: Vec<f64>,
    /// Each jump's realised ratio and rise in USD per hour ([`realised_jump`]).
    realised: Vec<f64>,
    rise_per_hour: Vec<f64>,
    /// Jumps whose first SpendRateSpike after the jump named the jumping model and key.
    named_right: u64,
    runs: u64,
    /// SpendRateSpike fires on another group, or before the jump.
    false_fires: u64,
}

/// A scenario's scale: the stream's intensity at `t` seconds, as a multiple of its base rate.
type Scale<'a> = &'a dyn Fn(f64) -> f64;

/// The quiet runs' daily swell: the scenario's scale from ×0.4 to ×1.6 over a day.
fn swell(s: f64) -> f64 {
    1.0 + 0.6 * (2.0 * std::f64::consts::PI * s / 86_400.0).sin()
}

/// A quiet run's balance in days at its mean rate: 4 (3 for the swell, whose peak is 1.6× the
/// mean, so its runway at the peak is still ~2 days).
fn quiet_days(case: &str) -> f64 {
    if case == "swell" {
        3.0
    } else {
        4.0
    }
}

/// A generator's shape check, without the rules: its ample and swell runs (`calls_of` a scale,
/// over `[0, end)`) leave, at the last day's rate, well over a day (30 h) at every hour from
/// 24 h on, so they are quiet by a user's measure too, whatever the generator's own shape.
fn assert_quiet_runs_stay_ample(label: &str, end: f64, calls_of: &dyn Fn(Scale<'_>) -> Vec<Call>) {
    for (case, scale) in [("ample", &(|_| 1.0) as Scale<'_>), ("swell", &swell)] {
        let least = least_runway_at_last_days_rate(&calls_of(scale), end, quiet_days(case));
        println!(
            "{label} {case}: least runway at the last day's rate {:.1} h",
            least / 3600.0
        );
        assert!(
            least > 30.0 * 3600.0,
            "{label} {case}: {:.1} h",
            least / 3600.0
        );
    }
}

/// One stream's base rate as a generator's shape test checks it: the stream (model, key), its
/// base calls a minute, and how far from it the 20 runs' mean and each run may be.
type BaseRate = ((&'static str, &'static str), f64, f64, f64);

/// Each stream's calls over the day from `from`, over its base rate, in 20 runs
/// (`calls_of(seed, stream, per_min)`, which may start before `from` to warm up): their mean
/// within its tolerance of 1, each run within its own; the figures printed under `label`.
fn assert_base_rates(
    label: &str,
    from: f64,
    streams: &[BaseRate],
    calls_of: &dyn Fn(u64, (&'static str, &'static str), f64) -> Vec<Call>,
) {
    const RUNS: u64 = 20;
    let to = from + 86_400.0;
    let mut rows = Vec::new();
    for &((model, key), per_min, tol_mean, tol_run) in streams {
        let rates: Vec<f64> = (0..RUNS)
            .map(|seed| {
                let calls = calls_of(seed, (model, key), per_min);
                let n = calls.iter().filter(|c| (from..to).contains(&c.t)).count();
                n as f64 / 1440.0 / per_min
            })
            .collect();
        let mean = rates.iter().sum::<f64>() / RUNS as f64;
        assert!(
            (mean - 1.0).abs() < tol_mean,
            "{label}: {model} {key}: {mean:.3} of the base"
        );
        for r in &rates {
            assert!(
                (r - 1.0).abs() < tol_run,
                "{label}: {model} {key}: a run at {r:.2}"
            );
        }
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        rows.push(format!("{key}/{model} {mean:.3} ({lo:.2}-{hi:.2})"));
    }
    println!(
        "{label} call rates over the base, {RUNS} runs (mean, range): {}",
        rows.join("; ")
    );
}

/// Generator `g`'s one-off batch (the quiet runs' 10 minutes at 380 calls a minute on an
/// unknown key) at each of `hours` is a plain job: about 3800 calls, all within its 10 minutes,
/// none cached, whatever the product's hour.
fn assert_one_off_batch_is_a_plain_job(g: Generator, hours: &[f64]) {
    let mut rng = StdRng::seed_from_u64(3);
    begin_run(g, &mut rng);
    for at in hours.iter().map(|h| h * 3600.0) {
        let calls = stream(
            g,
            &mut rng,
            ("claude-sonnet-4-6", "k-oneoff"),
            at,
            at + 600.0,
            380.0,
            &|_| 1.0,
        );
        let n = calls.len() as f64;
        assert!(
            (n / 3800.0 - 1.0).abs() < 0.05,
            "{g:?}: {n} calls in 10 minutes"
        );
        assert!(calls.iter().all(|c| c.usage.cache_read_input_tokens
            + c.usage.cache_creation_input_tokens
            == 0
            && (at..at + 600.0).contains(&c.t)));
    }
}

/// `begin` defines generator `g`'s run (its parameters, as `current` reads them back), the
/// streams' `rng` the chance: two realisations of one run with other rngs draw no parameter,
/// differ call by call and spend alike (within 5 %).
fn assert_one_run_realised_by_chance<R: PartialEq + std::fmt::Debug>(
    g: Generator,
    begin: fn(&mut StdRng) -> R,
    current: fn() -> R,
) {
    let run = begin(&mut StdRng::seed_from_u64(5));
    let realise = |seed: u64| streams(g, &mut StdRng::seed_from_u64(seed), 36.0 * 3600.0, &|_| 1.0);
    let (a, b) = (realise(100), realise(101));
    assert_eq!(current(), run, "the streams drew no parameter");
    let (spend_a, spend_b) = assert_realisations_differ_by_chance(&a, &b, 0.05);
    println!(
        "{g:?} run of seed 5: two realisations ${spend_a:.0} and ${spend_b:.0}, {} and {} calls",
        a.len(),
        b.len()
    );
}

/// Two realisations `a` and `b` of one run (its parameters drawn once by the generator's
/// `begin_run`, the calls by other rngs): they differ call by call and spend within `tolerance`
/// of each other. Returns their spends.
fn assert_realisations_differ_by_chance(a: &[Call], b: &[Call], tolerance: f64) -> (f64, f64) {
    assert!(a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.t != y.t));
    let spend = |c: &[Call]| c.iter().map(cost).sum::<f64>();
    let (sa, sb) = (spend(a), spend(b));
    let ratio = sa / sb;
    assert!(
        (ratio - 1.0).abs() < tolerance,
        "realisations spend {ratio:.3}× each other"
    );
    (sa, sb)
}

/// Runs that must not fire CreditRunwayLow: ample runway, a daily swell, a one-off batch.
fn quiet(g: Generator, seed: u64, t: &mut Tally) {
    let end = 36.0 * 3600.0;
    for case in ["ample", "swell", "batch"] {
        let mut rng = StdRng::seed_from_u64(seed * 10 + case.len() as u64);
        let mut calls = match case {
            "swell" => background(g, &mut rng, end, &swell),
            _ => background(g, &mut rng, end, &|_| 1.0),
        };
        let rate: f64 = calls.iter().map(cost).sum::<f64>() / end; // USD per second
        if case == "batch" {
            // 10 minutes at 20× the whole background's call rate, on one key, at 8 h.
            let at = 8.0 * 3600.0;
            calls.extend(stream(
                g,
                &mut rng,
                ("claude-sonnet-4-6", "k-oneoff"),
                at,
                at + 600.0,
                19.0 * 20.0,
                &|_| 1.0,
            ));
        }
        let days = quiet_days(case);
        let budget = Budget {
            credit: Some(Credit {
                balance_usd: rate * days * 86_400.0,
                as_of: T0,
            }),
            monthly_spend_limit_usd: None,
        };
        let alerts = replay(&mut calls, budget);
        t.runs += 1;
        if let Some(a) = first(&alerts, "CreditRunwayLow", None) {
            t.quiet_false_runway += 1;
            t.failures.push(format!(
                "{g:?} seed {seed} {case}: CreditRunwayLow fired at {:.2} h: {}",
                hours((a.at - T0).as_seconds_f64()),
                a.summary
            ));
        }
        if case != "batch" {
            if alerts.iter().any(|a| {
                a.rule == "SpendRateSpike"
                    && a.state == AlertState::Firing
                    && (a.at - T0).as_seconds_f64() >= 24.0 * 3600.0
            }) {
                t.quiet_false_spike_day2 += 1;
                if std::env::var_os("SPEND_DEBUG").is_some() {
                    for a in alerts.iter().filter(|a| {
                        a.rule == "SpendRateSpike"
                            && a.state == AlertState::Firing
                            && (a.at - T0).as_seconds_f64() >= 24.0 * 3600.0
                    }) {
                        println!(
                            "  {g:?} seed {seed} {case}: from 24 h on, SpendRateSpike fired at {:.2} h: {}",
                            hours((a.at - T0).as_seconds_f64()),
                            a.summary
                        );
                    }
                }
            }
            if let Some(a) = first(&alerts, "SpendRateSpike", None) {
                t.quiet_false_spike += 1;
                t.failures.push(format!(
                    "{g:?} seed {seed} {case}: SpendRateSpike fired at {:.2} h: {}",
                    hours((a.at - T0).as_seconds_f64()),
                    a.summary
                ));
            }
        }
    }
}

/// One model and key's spend jumps 6× at `jump_h` hours, the run ending an hour later: at 3 h
/// (no day of history) or at 27 h (a day of it).
fn spike(g: Generator, seed: u64, jump_h: f64, j: &mut Jumps, failures: &mut Vec<String>) {
    let mut rng = StdRng::seed_from_u64(seed + 1000);
    let end = (jump_h + 1.0) * 3600.0;
    let jump = jump_h * 3600.0;
    let mut calls = background(g, &mut rng, end, &|_| 1.0);
    calls.extend(stream(
        g,
        &mut rng,
        ("claude-opus-4-6", "k-agent"),
        0.0,
        end,
        4.0,
        &|s| if s >= jump { 6.0 } else { 1.0 },
    ));
    let (realised, rise_per_hour) = realised_jump(&calls, jump);
    j.realised.push(realised);
    j.rise_per_hour.push(rise_per_hour);
    let alerts = replay(&mut calls, Budget::default());
    j.runs += 1;
    if std::env::var_os("SPEND_DEBUG").is_some() {
        spike_windows(g, seed, &calls, jump, &alerts);
    }
    let fired: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.rule == "SpendRateSpike" && a.state == AlertState::Firing)
        .collect();
    let at_h = if jump_h > 3.0 {
        format!(" (jump at {jump_h} h)")
    } else {
        String::new()
    };
    for a in &fired {
        let at = (a.at - T0).as_seconds_f64();
        let right = a.labels.get("model").map(String::as_str) == Some("claude-opus-4-6")
            && a.labels.get("key_id").map(String::as_str) == Some("k-agent");
        if !right || at < jump {
            j.false_fires += 1;
            failures.push(format!(
                "{g:?} seed {seed}{at_h}: SpendRateSpike fired at {:.2} h on {:?}",
                hours(at),
                a.labels
            ));
        }
    }
    if fired
        .iter()
        .find(|a| (a.at - T0).as_seconds_f64() >= jump)
        .is_some_and(|a| {
            a.labels.get("model").map(String::as_str) == Some("claude-opus-4-6")
                && a.labels.get("key_id").map(String::as_str) == Some("k-agent")
        })
    {
        j.named_right += 1;
    }
    match fired.iter().find(|a| {
        (a.at - T0).as_seconds_f64() >= jump
            && a.labels.get("key_id").map(String::as_str) == Some("k-agent")
    }) {
        None => failures.push(format!(
            "{g:?} seed {seed}{at_h}: the 6× jump did not fire SpendRateSpike (realised {realised:.1}×)"
        )),
        Some(a) => {
            let delay = ((a.at - T0).as_seconds_f64() - jump) / 60.0;
            j.delay_min.push(delay);
            if delay > 10.0 {
                failures.push(format!(
                    "{g:?} seed {seed}{at_h}: SpendRateSpike after {delay:.1} min (realised {realised:.1}×)"
                ));
            }
        }
    }
}

/// What the jump realised: the jumping key's spend over the 10 minutes after it, over its
/// spend per 10 minutes over the two hours before (the trailing level the rule sees). The
/// scenario's 6× is of the stream's intensity at that moment; a generator whose key was busier
/// in the two hours before (a tenant on, a higher point of its day), or whose heavy-tailed
/// calls fell short in those 10 minutes, realises less against what the rule can know.
/// Also its rise in USD per hour (the 10 minutes after at their rate, less the two hours
/// before at theirs): what the jump costs, beside `min_rise_usd_per_hour`.
fn realised_jump(calls: &[Call], jump: f64) -> (f64, f64) {
    let agent = |from: f64, to: f64| -> f64 {
        calls
            .iter()
            .filter(|c| c.key == "k-agent" && (from..to).contains(&c.t))
            .map(cost)
            .sum()
    };
    let (after, before) = (agent(jump, jump + 600.0), agent(jump - 7200.0, jump));
    (after / (before / 12.0), after * 6.0 - before / 2.0)
}

/// Diagnosis (`SPEND_DEBUG`): the jumping key's windows after the jump, each as its spend less
/// its largest call over the spend the two hours before expect, beside the bound a Poisson
/// compound of those calls' own costs would ask for (4 sd, Farrington): the least the rule can
/// ask (it takes the larger of that and the windows' observed spread).
fn spike_windows(g: Generator, seed: u64, calls: &[Call], jump: f64, alerts: &[Alert]) {
    let agent: Vec<(f64, f64)> = calls
        .iter()
        .filter(|c| c.key == "k-agent")
        .map(|c| (c.t, cost(c)))
        .collect();
    let before: Vec<f64> = agent
        .iter()
        .filter(|(t, _)| (jump - 7200.0..jump).contains(t))
        .map(|(_, x)| *x)
        .collect();
    let sum: f64 = before.iter().sum();
    let expected = sum / 24.0; // per 5 minutes
    let d = before.iter().map(|x| x * x).sum::<f64>() / sum.max(1e-12);
    let bound = (1.0 + 2.0 / 3.0 * 4.0 * (d / expected).sqrt()).powf(1.5);
    let fired = alerts
        .iter()
        .find(|a| {
            a.rule == "SpendRateSpike"
                && a.state == AlertState::Firing
                && a.labels.get("key_id").map(String::as_str) == Some("k-agent")
                && (a.at - T0).as_seconds_f64() >= jump
        })
        .map(|a| {
            (
                ((a.at - T0).as_seconds_f64() - jump) / 60.0,
                a.values.get("ratio").copied().unwrap_or(f64::NAN),
                a.values.get("threshold").copied().unwrap_or(f64::NAN),
            )
        });
    let windows: Vec<String> = (1..=12)
        .map(|m| {
            let end = jump + f64::from(m) * 60.0;
            let xs: Vec<f64> = agent
                .iter()
                .filter(|(t, _)| (end - 300.0..end).contains(t))
                .map(|(_, x)| *x)
                .collect();
            let largest = xs.iter().copied().fold(0.0, f64::max);
            format!("{:.1}", (xs.iter().sum::<f64>() - largest) / expected)
        })
        .collect();
    println!(
        "  {g:?} seed {seed}: fired (after min, ratio, ratio asked) {fired:.1?}; 5m baseline ${expected:.2}, D/E {:.2}, calls' bound {bound:.1}x; windows less largest, min 1..12: {}",
        d / expected,
        windows.join(" ")
    );
}

fn summary(v: &[f64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    format!(
        "min {:.2} median {:.2} max {:.2}",
        s[0],
        s[s.len() / 2],
        s[s.len() - 1]
    )
}

/// Whether `SPEND_ONLY` (a comma-separated list of `exhaustion`, `quiet`, `spike`; all
/// without it) selects `scenario`: a diagnosis reruns one scenario, not the table.
/// `spike_day2` (the jump at 27 h: 28 h of calls a run) runs only when listed.
fn selected(scenario: &str) -> bool {
    std::env::var("SPEND_ONLY").map_or(scenario != "spike_day2", |only| {
        only.split(',').any(|s| s == scenario)
    })
}

fn run(g: Generator) -> Tally {
    let mut t = Tally::default();
    for seed in 0..seeds() {
        if selected("exhaustion") {
            exhaustion(g, seed, Start::Cold, &mut t.cold, &mut t.failures);
            exhaustion(g, seed, Start::Warm, &mut t.warm, &mut t.failures);
            t.runs += 2;
        }
        if selected("quiet") {
            quiet(g, seed, &mut t);
        }
        if selected("spike") {
            spike(g, seed, 3.0, &mut t.jumps, &mut t.failures);
        }
        if selected("spike_day2") {
            spike(g, seed, 27.0, &mut t.jumps_day2, &mut t.failures);
        }
    }
    t.runs += t.jumps.runs + t.jumps_day2.runs;
    // The jump runs' fires on another group or before the jump count with the quiet runs'.
    t.quiet_false_spike += t.jumps.false_fires;
    println!("{g:?}: {} seeds, {} runs", seeds(), t.runs);
    let mut table = BTreeMap::new();
    table.insert("SpendRateSpike delay (min)", summary(&t.jumps.delay_min));
    table.insert(
        "jumps realised (10 min after over the 2 h before)",
        summary(&t.jumps.realised),
    );
    table.insert(
        "jumps' rise (USD per hour)",
        summary(&t.jumps.rise_per_hour),
    );
    for (k, v) in table {
        println!("  {k}: {v}");
    }
    let d2 = &t.jumps_day2;
    if d2.runs > 0 {
        println!(
            "  jumps at 27 h (a day of history): delay (min) {}; realised {}; named right {} of {}; fires on another group or before the jump {}",
            summary(&d2.delay_min),
            summary(&d2.realised),
            d2.named_right,
            d2.runs,
            d2.false_fires
        );
    }
    let cold = if spend_exhaustion::steady_burn(g) {
        "CreditRunwayLow, cold start (out at 30 h)"
    } else {
        "CreditRunwayLow, cold start (out at 30 h; a day-shaped burn: reported, not asserted)"
    };
    t.cold.report(cold, summary);
    t.warm
        .report("CreditRunwayLow, a day of history (out at 54 h)", summary);
    println!(
        "  false CreditRunwayLow (quiet runs): {}; false SpendRateSpike: {} (quiet runs firing from 24 h on, first or not: {}); jumps named right (model and key): {} of {}",
        t.quiet_false_runway, t.quiet_false_spike, t.quiet_false_spike_day2, t.jumps.named_right, t.jumps.runs
    );
    for f in &t.failures {
        println!("  FAIL {f}");
    }
    t
}

#[test]
fn tuned_generator_steady() {
    let t = run(Generator::Steady);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Held out at first, run once after tuning on `Steady` (3 seeds): CreditRunwayLow held
/// (warning 21.4–24.2 h ahead, critical 111–125 min ahead, no false fire) but one seed's runway
/// was said 11 % long; SpendRateSpike caught every 6× jump (2–6 min) but also fired on bursty
/// session spend in 8 of 9 runs without a jump. The variance then learned from winsorised
/// minutes; it now takes each minute whole (the mean stays winsorised). Seen since: no longer
/// held out (`Tenants` is). After the change (3 seeds): CreditRunwayLow unchanged; SpendRateSpike
/// still fires falsely in 7 of 9 runs without a jump (windows 3.1–4.5× the baseline).
///
/// Session 20, 20 seeds, after the baseline's freeze was capped at two windows (found on
/// `Steady`): CreditRunwayLow never fired falsely, warning 21.4–29.4 h and critical 94–132
/// min ahead, but 11 of 40 runway figures were off by more than 10 % (up to 31 %) and 7 of 40
/// leads fell outside the bands (critical 94 min ahead three times, one warning 29.4 h
/// ahead): a heavy-tailed burn makes the 30-minute rate noisy; SpendRateSpike caught every jump in 2–7 min (19 of 20 named first right) and
/// fired 57 false times in 60 runs, mostly on the sparse `k-batch` key (0.5 sessions a
/// minute: a 5-minute window holds 2–3 sessions, so 3–5× windows are ordinary).
///
/// Session 21, 20 seeds, SpendRateSpike judged as an overdispersed Poisson count (the window's
/// spend less its largest call against a bound 4 sd up, the dispersion learnt from the calls
/// and the windows, docs/rules.md). First version (the baseline learning each window before
/// judging it): 3 false fires, but 10 of 20 jumps missed (the jump's own first minutes lifted
/// the dispersion out of its reach). With a guard band (minutes learnt 10 minutes late, a
/// fired rise never) and the dispersion at its upper 95 % bound, learnt over 24 h: 9 false
/// fires in 60 runs (sparse keys, 3.4–8.4× windows), 18 of 20 jumps caught (3–11 min, 3 of
/// them at 11), 2 missed. CreditRunwayLow unchanged (the runway figures above).
///
/// Session 21, CreditRunwayLow on the evidence-backed rate (docs/rules.md): warning 21.4–29.4 h
/// and critical 96–133 min ahead, 9 of 40 runways said > 10 % off (was 11), 3 leads outside
/// the bands (was 7). The rest is the future's own spread: this stream's next 2 hours vary by
/// ±5.6–9.7 % (`SPEND_DEBUG`), and the rate at those pages was within 0–6 % of the truth. The
/// late and missed jumps: the 6× session rate realises 3–10× windows, the key's bound asks
/// 3.3–5.4× (docs/rules.md).
///
/// Session 25 (run starts counted beside spend, four looks at 4.32 sd): 4 false fires in 60
/// runs (was 7), every jump named right and within 3–10 minutes (was 18 in time).
#[test]
#[ignore = "findings: at 20 seeds SpendRateSpike fires falsely 3 times in 60 runs (session 29; 3 on the code before its changes too; 0 in session 26) and catches 20 of 20 jumps in time; CreditRunwayLow says 1 of 40 cold-start and 0 of 40 day-of-history runways >10% off the expected time left (session 29); see docs/rules.md"]
fn seen_generator_sessions() {
    let t = run(Generator::Sessions);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written after the fix above and never tuned on: overdispersed minute counts, lognormal
/// tokens. First and only run (3 seeds): CreditRunwayLow held everywhere (warning 23.1–25.5 h
/// ahead, critical 113–119 min ahead, runway within 9 %, no false fire); SpendRateSpike caught
/// every 6× jump in 2–5 min but fired falsely in 4 of 9 runs without one (3.1–3.7× windows,
/// once per ~80 group-hours). The per-minute CUSUM trusts a variance the overdispersion
/// outruns; a 6× jump is far from those windows, so the next step is evidence over the window
/// rather than per minute, validated on a generator written after it.
///
/// Session 20, 20 seeds (still never tuned on; the breadth test was chosen on `Steady` and
/// then dropped for doing little here): CreditRunwayLow held everywhere (warning 22.6–25.5 h,
/// critical 104–127 min ahead, runway within 9 %, no false fire); SpendRateSpike caught every
/// jump, named right 20 of 20, in 2–11 min (one over 10), and fired 32 false times in 60
/// runs, most on the daily swell's rise (windows 3.1–5.8×). With the breadth test: 25.
///
/// Session 21, 20 seeds, the overdispersed-Poisson statistic. Its first version, run once
/// before any change: every jump caught in 1–10 min, named right 20 of 20, 7 false fires in
/// 60 runs (3.1–5.6× windows, all on dense or swelling keys). That was the honest held-out
/// figure; the guard band and the dispersion's confidence bound came after reading this run
/// and the `Sessions` one, so this generator is no longer held out. With them: every jump
/// caught in 2–10 min, 20 of 20 named right, 8 false fires in 60 runs (3.2–6.0× windows).
#[test]
#[ignore = "findings: SpendRateSpike false fires on overdispersed spend, 2 in 60 runs at 20 seeds (sessions 24 to 29; 6 in session 23), 20 of 20 jumps in time; CreditRunwayLow 1 of 40 day-of-history runways >10% off the expected time left (session 29); see the comment above"]
fn held_out_generator_tenants() {
    let t = run(Generator::Tenants);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written after the overdispersed-Poisson statistic was frozen (session 21) and run once at
/// 1 seed (a smoke run) and once at 20 seeds, with no change between or after: the held-out
/// figure for SpendRateSpike. CreditRunwayLow: warning 22.8–29.4 h and critical 103–141 min
/// ahead, runway said within 3 % (median, max 23 %), no false fire, 6 failures of the bands
/// (as on `Sessions`). SpendRateSpike: 19 of 20 jumps caught in 3–11 min (two at 11), one
/// missed, 19 of 20 named right, and 15 false fires in 60 runs — sparse keys at a swell's trough
/// or cascades of large cached-context calls, windows of 3.2–9.5× the baseline.
///
/// CreditRunwayLow's evidence-backed rate came after that run (read for the runway, so seen
/// for it now): warning 22.8–25.2 h, critical 105–141 min ahead, 1 of 40 runways said > 10 %
/// off (was 4), 1 lead outside the bands. SpendRateSpike's figures are unchanged.
#[test]
#[ignore = "findings: SpendRateSpike fires falsely 12 times in 60 runs at 20 seeds (sessions 23 to 29; 15 when held out), 18 of 20 jumps in 3-10 min (one at 16 min, one missed); CreditRunwayLow 1 of 40 cold-start runways >10% off the expected time left (session 29); see the comment above"]
fn held_out_generator_cascades() {
    let t = run(Generator::Cascades);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 21 after CreditRunwayLow's evidence-backed rate and the SpendRateSpike
/// findings were final, different in shape from the four above (a day-shaped rate, heavy
/// tenants switching on and off, a work mix that shifts over the day), and run once at 20
/// seeds with no change after: the held-out figure for both rules. It fails both:
/// CreditRunwayLow 23 false warnings in 60 quiet runs and 24 of 40 runways said > 10 % off
/// (max 41 %) — the trailing 6h rate measures the mornings, which cost 3.5–4× the day's
/// mean; SpendRateSpike 41 false fires in 60 runs (29 at the generator's abrupt 06:00 mix
/// step, 12 at heavy tenants switching on), 15 of 20 jumps caught (11 in 2–10 min, 4 in
/// 13–20), 5 missed, 15 of 20 named right first (docs/rules.md).
///
/// Session 22, with the same-time-of-day reference (tuned here): the first day's 06:00 step
/// still fires every run; quiet runs firing from 24 h on 40 → 18 of 40; 41 false fires in 60
/// runs as before (the first), the jumps unchanged.
///
/// After that run (so no longer held out for the runway), the warning's long window became 24h,
/// the critical page's staying 6h: 0 false warnings in 60 quiet runs (was 23), warnings
/// 19.6–20.7 h ahead, 32 of 40 runways said > 10 % off; the other four generators unchanged.
///
/// Session 24, CreditRunwayLow forecasting from the same hours of the previous days once the
/// history has a day (docs/rules.md): critical pages 99–202 min ahead, 8 of 20 said > 10 % off
/// (was 12), 6 outside the band (was 10); the 20 warnings unchanged (all before a day of
/// history, at the rate of the night and morning seen: said 13–18 % long).
#[test]
#[ignore = "findings: on day-shaped spend SpendRateSpike fires falsely 12 times in 60 runs (sessions 26 to 29; 28 in sessions 24 and 25) and catches 12 of 20 jumps within 10 min (2 late, 6 missed; session 29); CreditRunwayLow is quiet in 60 but, with a day of history, says 14 of 40 runways >10% off the expected time left (session 29; 20 in session 27); see the comment above and docs/rules.md"]
fn held_out_generator_diurnal() {
    let t = run(Generator::Diurnal);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 22 before any change to SpendRateSpike in that session (committed on its
/// own), never tuned on: agent runs of long tool-use chains with retries, a working week, a
/// daily evaluation sweep (tests/spend_fleet/mod.rs). Run once at 20 seeds after the rule
/// change (the same-time-of-day reference), no change after. It fails both rules:
/// SpendRateSpike 57 false fires (37 in the first 2 hours, the working day's first ramp on a
/// history of minutes; 17 on the sparse planner key), 10 of 20 jumps within 10 minutes (7
/// missed, 3 at 11–14), 13 of 20 named right; CreditRunwayLow 16 false warnings (swell runs,
/// 8.7–10.3 h), warnings 28.1–29.0 h ahead (Saturday burns at half), critical 55–111 min.
///
/// Session 23, seen and tuned on (the young baseline, the 4-unit floor, demand; docs/rules.md):
/// SpendRateSpike 32 false fires (13 in the first 2 hours, was 37; the planner's 17 → 12, those
/// on a silent baseline gone), jumps as before but one a minute later (13 of 20 named right,
/// 7 missed, 4 at 11–14 min, was 3). CreditRunwayLow unchanged.
///
/// Session 24, CreditRunwayLow forecasting from the same hours of the previous days once the
/// history has a day: critical pages 73–146 min ahead (was 55–111), 12 of 20 said > 10 % off
/// (was 19), 10 outside the band (was 19). The warnings (1.0–1.9 h into a run, on Friday's
/// working day, with Saturday at half to come) and the 16 false warnings (swell runs at
/// 8.7–10.3 h) come before a day of history and are unchanged.
///
/// Session 24 (bursts as units, a second look at 10 minutes; docs/rules.md): 20 false fires
/// (planner 12, `k-batch` 5), but 4 of 20 jumps in time (13 missed): the burst dispersion in
/// the bound and the split deviations each cost some (both out: 10 in time, 20 seeds).
///
/// Session 25 (run starts counted beside spend: a call that writes a cached prefix without
/// reading one opens a run; docs/rules.md): 19 false fires (planner 12, `k-batch` 4), 18 of 20
/// jumps in time, 19 named right (1 missed, 1 at 12 min).
#[test]
#[ignore = "findings: on an agent fleet's working week SpendRateSpike fires falsely 17 times in 60 runs (sessions 26 to 29; 57 held out), mostly a sparse opus key's 6-19x, and catches 17 of 20 jumps within 10 min; CreditRunwayLow is quiet in 60 (session 27) but, out at 54 h, says 28 of 40 runways >10% off the expected time left (warnings 46-52 h ahead: a weekend within the 54 h that one day of history cannot show); see docs/rules.md"]
fn held_out_generator_fleet() {
    let t = run(Generator::Fleet);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 23 before any change to either spend rule in that session (committed on
/// its own), never tuned on and not run until the changes were final: a multi-tenant SaaS
/// (tests/spend_saas/mod.rs). Run once at 20 seeds, in the same command as the six, no change
/// after. It fails both rules. SpendRateSpike: 41 false fires in 60 runs, 33 of them on the
/// small tenant keys at 14–360× a baseline of nearly nothing (one conversation of a few turns
/// on a key of under a call a minute), 3 at `k-big`'s first nightly sync; the jump at 03:00 is
/// caught in 6–16 min in 8 runs, named right 8 of 20, missed 12. CreditRunwayLow: quiet in all
/// 60 quiet runs, but warnings 16.7–17.3 h and critical pages 191–514 min ahead, runways said
/// 34–78 % off (a two-region working day read at trailing rates).
///
/// Session 24 (seen since session 23's run), CreditRunwayLow forecasting from the same hours of
/// the previous days once the history has a day: the 5 critical pages that come after a day
/// are 105–125 min ahead (was 191–220), 4 of them within 10 %; the other 15 come at 21.4–22.3 h,
/// before a day (the Americas' evening, the night unseen), and every warning at 12.7–13.3 h,
/// as before: 36 of 40 runways said > 10 % off (was 40).
///
/// Session 24, seen and tuned on (bursts as units, a second look at 10 minutes): 15 false
/// fires (small tenants 33 → 7), 8 of 20 jumps named (12 missed, 6 over 10 minutes).
///
/// Session 25 (run starts counted beside spend): 16 false fires (`k-big`'s first nightly sync
/// 3 → 8, small tenants 7 → 2), 16 of 20 jumps named (4 missed, 7 at 11–19 min; 9 in time).
#[test]
#[ignore = "findings (held out in session 23, seen since): on a multi-tenant SaaS SpendRateSpike fires falsely 11 times in 60 runs (session 29, min_share; 12 in session 26, 41 in session 23) and catches 9 of 20 jumps within 10 min (5 at 12-19 min, 6 missed, 14 named first; session 30, the same on session 29's last commit, whose '15' was wrong); CreditRunwayLow is quiet in 60 but, with a day of history, says 25 of 40 runways >10% off the expected time left (session 29); see the comment above and docs/rules.md"]
fn held_out_generator_saas() {
    let t = run(Generator::Saas);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 24 while SpendRateSpike and CreditRunwayLow were tuned on the seven above
/// (committed on its own), never tuned on and not yet run on the rules: a consumer product's
/// launch week (tests/spend_launch/mod.rs). Its shape is checked without the rules
/// (`spend_launch::tests`); the lead runs this once at 20 seeds after the session's rule
/// changes are merged.
///
/// Run once, at 20 seeds, on the merged rules (no change after): SpendRateSpike names 20 of 20
/// jumps, 2–11 minutes after them (one at 11), and fires falsely once in 60 runs (`k-batch` at
/// 5.5× in a swell run, 22.9 h in); CreditRunwayLow never warns falsely in 60, but 26 of its 40
/// pages say a runway > 10 % off the truth (warnings 14.6–29.4 h ahead, 10 of 20 outside the
/// band; critical pages 64–209 minutes ahead, 14 of 20 outside): a launch week grows 20–35 % a
/// day and its runs start at any hour of the users' day, so every warning (before a day of
/// history) reads the hours seen, and the critical pages read a level the growth has moved.
///
/// Session 25, seen (run starts counted beside spend): 20 of 20 jumps named (one at 11 min),
/// no false fire in 60 runs (was 1).
#[test]
#[ignore = "findings (held out in session 24, seen since): on a launch week SpendRateSpike names 19 of 20 jumps (one at 11 min; session 30: seed 7's jump, coinciding with the eval suite's burst on another key, is read as demand once the others' spread is no longer inflated) and fires falsely 0 times in 60 runs (sessions 25 to 30); CreditRunwayLow is quiet in 60 but, with a day of history, says 35 of 40 runways >10% off the expected time left (session 29; growth 20-35 % a day and eval suites the same hours of the day before do not predict); see the comment above and docs/rules.md"]
fn held_out_generator_launch() {
    let t = run(Generator::Launch);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 25 while SpendRateSpike and CreditRunwayLow were changed on the eight
/// above (committed on its own), never tuned on and not yet run on the rules: a contract-review
/// product on an Indian five-day week (tests/spend_contracts/mod.rs). Its shape is checked
/// without the rules (`spend_contracts::tests`); the lead runs this once at 20 seeds after the
/// session's rule changes are merged.
///
/// How it was run: its exhaustion scenario was run once by accident before the merge (8 seeds,
/// a command without a test filter, on a CreditRunwayLow try that was then dropped for doing
/// nothing on the eight seen generators; no rule was changed after it); its quiet and jump
/// scenarios, and all three at 20 seeds, once on the merged rules (docs/rules.md, "Session 25").
/// SpendRateSpike: 20 of 20 jumps named, 3–10 minutes after them, one false fire in 60 runs
/// (`k-app` at 5.9× in a swell run, 3.5 h in). CreditRunwayLow: 10 false warnings in 60 quiet
/// runs (swell runs at 10–12 h, a weekday's working hours read as the week) and, with the
/// balance out at 54 h, 38 of 40 pages > 10 % off the expected time left: every warning comes
/// 3–12 h into the run, before a day of history, at a weekday's rate with a weekend ahead
/// (42.5–51.1 h before the expected exhaustion), and the critical pages 112–244 minutes ahead
/// (a daily profile does not know the week).
#[test]
#[ignore = "held-out findings (held out in session 25, run once, seen since): on a contract-review product's five-day week SpendRateSpike names 19 of 20 jumps in 3-9 min (one missed) and fires falsely once in 60 runs (session 29); CreditRunwayLow is quiet in 60 (session 27) and, out at 54 h, says 36 of 40 runways >10% off the expected time left (warnings 25-48 h ahead: a weekend to come that one day of history cannot show); see docs/rules.md"]
fn held_out_generator_contracts() {
    let t = run(Generator::Contracts);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 26 while SpendRateSpike and CreditRunwayLow were changed on the nine
/// above (committed on its own), never tuned on: a B2B support-automation API of many sparse
/// per-customer keys in three zones, regime-switching rates and a release that raises every
/// key's cost per call (tests/spend_helpdesk/mod.rs). Its shape is checked without the rules
/// (`spend_helpdesk::tests`). Run once at 20 seeds (2026-12-01 05:54–06:07 UTC) after the
/// session's SpendRateSpike change was committed, nothing changed after; the findings are in
/// the ignore text and docs/rules.md ("Session 26").
#[test]
#[ignore = "held-out findings (held out in session 26, run once, seen since): on a B2B support API of 30-60 sparse per-customer keys SpendRateSpike names 20 of 20 jumps in 4-6 min but fires falsely in 35 of 60 runs (session 29: the first 3-5x backfill on k-batch, customers entering a busy period; from the second day on 9, was 28, since levels held before are remembered); CreditRunwayLow is quiet in 60 (session 27) and, out at 54 h, says 19 of 40 runways >10% off the expected time left; see docs/rules.md"]
fn held_out_generator_helpdesk() {
    let t = run(Generator::Helpdesk);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 27 while SpendRateSpike and CreditRunwayLow were changed on the ten above
/// (committed on its own), never tuned on and not yet run on the rules: a coding assistant in
/// the IDE (long sessions on the 1-hour cache, a drifting model router, a CI bot on a clock,
/// the jump as best-of-6; tests/spend_studio/mod.rs). Its shape is checked without the rules
/// (`spend_studio::tests`); the lead runs this once at 20 seeds after the session's rule
/// changes are merged.
#[test]
#[ignore = "findings (held out for CreditRunwayLow until session 27's first two changes, for SpendRateSpike until its jump run in session 28, seen since): CreditRunwayLow is quiet in 60 runs (session 29; 28 false on the first two changes, before the cap) and, out at 54 h, says 25 of 40 runways >10% off the expected time left; SpendRateSpike names 20 of 20 jumps in 2-10 min, fires falsely 10 times in 60 runs (3 of them before the jump); see docs/rules.md"]
fn held_out_generator_studio() {
    let t = run(Generator::Studio);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 29 while SpendRateSpike and CreditRunwayLow were changed on the eleven
/// above (committed on its own), never tuned on: an agent-assist
/// copilot in a São Paulo contact centre (a roster's Erlang-A queue clipping the day flat, a
/// holiday on the first day, short streamed turns on a per-conversation 5-minute cache, a QA
/// job its queue triggers, the jump as a retry storm; tests/spend_callcentre/mod.rs). Its shape
/// is checked without the rules (`spend_callcentre::tests`). Run once at 20 seeds
/// (2026-12-02 00:31–00:33 UTC) after the session's two SpendRateSpike changes were committed;
/// only the alert text changed after. Findings in the ignore text and docs/rules.md
/// ("Sessions 28–29").
#[test]
#[ignore = "held-out findings (held out in session 29, run once after its rule changes, seen since): on a São Paulo contact centre SpendRateSpike names 20 of 20 jumps (18 within 10 min) but fires falsely in 41 of 60 runs (the morning shift's start on the redaction stream, the QA key's first job after a silent night; session 30: the same 41, now the QA key's first job on the first day and the Tuesday surge on the second, the cents-an-hour redaction pages and the QA key's later jobs gone); CreditRunwayLow warns falsely in 19 of 60 (a one-off batch on a near-silent night, two runs in their first 40 minutes; 14 after the one_off change tuned on it, 4 after session 30's finished-batch clause) and, with a day of history that is a holiday, warns late (13-14 h ahead realised, saying 22-24 h: 39 of 40 >10% off); see docs/rules.md"]
fn held_out_generator_callcentre() {
    let t = run(Generator::CallCentre);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 29 while SpendRateSpike and CreditRunwayLow were changed on the twelve
/// above (committed on its own), never tuned on: a Tokyo news
/// publisher (readers' calls set off by the news as shot noise, a commute-lunch-evening day and
/// Culture Day, a story's article shared on the 5-minute cache, a partner's paced crawl in
/// exact pages, a research desk with extended thinking, the jump as a cache regression that
/// turns the wire desk's prefix reads into writes; tests/spend_newsroom/mod.rs). Its shape is
/// checked without the rules (`spend_newsroom::tests`). Run once at 20 seeds (2026-12-02
/// 00:52–01:15 UTC) on the session's final rules, nothing changed after; findings in the
/// ignore text and docs/rules.md ("Sessions 28–29").
#[test]
#[ignore = "held-out findings (held out in session 29, run once on its final rules, seen since): on a Tokyo news publisher SpendRateSpike names 19 of 20 jumps in 2-7 min (one missed) and fires falsely in 10 of 60 runs (news bursts on the reader Q&A and research keys); CreditRunwayLow is quiet in 60 and, with a day of history, says 22 of 40 runways >10% off the expected time left (warnings 18-27 h ahead); see docs/rules.md"]
fn held_out_generator_newsroom() {
    let t = run(Generator::Newsroom);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 30 while SpendRateSpike and CreditRunwayLow were changed on the thirteen
/// above (committed on its own), never tuned on: an education platform for Mexico City's
/// secundarias (tutoring synchronised by the schools' bells, homework evenings, Día de Muertos
/// on the first Monday, essays graded in a nightly backlog after the 23:59 deadline on the
/// 1-hour cache, the jump as a lesson planner's tool loop re-sending its growing conversation;
/// tests/spend_classroom/mod.rs). Its shape is checked without the rules
/// (`spend_classroom::tests`). Run once at 20 seeds (2026-12-02 05:57–05:59 UTC) on the
/// session's first three SpendRateSpike changes; the fourth (a group's day profile learns the
/// engine's watch before its first call as silence) answers its finding, so it is seen since.
/// Findings in the ignore text and docs/rules.md ("Session 30").
#[test]
#[ignore = "held-out findings (held out in session 30, run once, seen since): on a school platform SpendRateSpike names 20 of 20 jumps in 3-10 min but fired falsely in 40 of 60 runs (the grading key's second night: its day profile began with its first call; 6 after the fix tuned on it); CreditRunwayLow warns falsely in 1 of 60 (the one-off batch) and, with a day of history, says 17 of 40 runways >10% off the expected time left; see docs/rules.md"]
fn held_out_generator_classroom() {
    let t = run(Generator::Classroom);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 30 after SpendRateSpike was changed on the fourteen above (committed on
/// its own), never tuned on: a live-service game studio in Seoul (a gamer's day, a daily 20:00
/// world boss stepping three groups up at the minute, Wednesday's maintenance and login rush
/// with a patch that enlarges every conversation's cache write, localisation batches on the
/// 1-hour cache, the jump as a game master's log tool returning the whole log;
/// tests/spend_arcade/mod.rs). Its shape is checked without the rules (`spend_arcade::tests`).
/// Run once at 20 seeds, every scenario, on the final rules (`bb0f500`, 2026-12-02 13:05–13:08
/// UTC), nothing changed after; findings in the ignore text and docs/rules.md ("Session 31").
#[test]
#[ignore = "held-out findings (held out in session 30, run once in session 31 on the final rules, seen since): on a Seoul live-service game SpendRateSpike names 20 of 20 jumps right (19 within 10 min, one at 12) and fires in all 40 quiet runs (ample, swell), 39 first on the localisation key's batches (its first job on the first day, a bigger and longer one on the second: rises by the rule's definition, nothing saying they were planned; route that key's alerts to who runs its jobs, as docs/examples/alertmanager-teams.yml does); CreditRunwayLow is quiet in 60 and, with a day of history ending in a maintenance and a patch, pages critical outside 1.67-2.2 h ahead in 12 of 20; see docs/rules.md"]
fn held_out_generator_arcade() {
    let t = run(Generator::Arcade);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 31 by a helper who did not run the rules, while SpendRateSpike was changed
/// on the fifteen above, never tuned on: a road-freight
/// platform in Rotterdam (a dispatch office's and the drivers' day, Monday the week's heaviest,
/// Tuesday's storm closing the terminals, an hourly documents job on the 1-hour cache, a nightly
/// carrier-invoice audit with the tariffs on the 5-minute cache, the jump as a rollout that
/// raises the exceptions agent's thinking budget; tests/spend_freight/mod.rs). Its shape is
/// checked without the rules (`spend_freight::tests`). Run once at 20 seeds (every scenario,
/// `spike_day2` too; 2026-12-02 14:41–14:45 UTC) after the session's one kept change (the same
/// time yesterday expects a job at its rate), nothing changed after; findings in the ignore
/// text and docs/rules.md ("Session 31").
#[test]
#[ignore = "held-out findings (held out in session 31, run once, seen since): on a Rotterdam freight platform SpendRateSpike names 20 of 20 jumps at 3 h (2-5 min) and 20 of 20 at 27 h (2-7 min), and fires in 12 of 40 quiet runs, none from 24 h on (the hourly documents job's second run on a young history, the dispatchers' first morning), plus one jump run's documents job every hour as it grows with the day; CreditRunwayLow is quiet in 60 and, with the storm's day as the day of history, warns early in 8 of 20 (26.5-27.7 h ahead) and pages critical outside 1.67-2.2 h in 11 of 20; see docs/rules.md"]
fn held_out_generator_freight() {
    let t = run(Generator::Freight);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 31 by a helper who did not run the rules, held out: a Melbourne public
/// health network (an ambient scribe on the specialties' 1-hour caches, a patient portal's
/// evenings, three nursing handovers a day drafting every patient's summary on the wards'
/// 5-minute caches, a nightly coding job and a morning discharge-summary job, Melbourne Cup
/// Day's closed clinics and the race's minutes, the jump as the laboratory's results arriving
/// with their cumulative reports as PDF pages; tests/spend_hospital/mod.rs). Its shape is
/// checked without the rules (`spend_hospital::tests`). Run once at 20 seeds (every scenario,
/// `spike_day2` too; 2026-12-02 16:19–16:22 UTC, on 4b06d16) after session 32's one kept change
/// (the same time yesterday at today's level), nothing changed after; findings in the ignore
/// text and docs/rules.md ("Session 32").
#[test]
#[ignore = "held-out findings (held out in session 31, run once in session 32, seen since): on a Melbourne health network SpendRateSpike names 20 of 20 jumps at 3 h (2-6 min) and 20 of 20 at 27 h (2-5 min), and fires in every run on the first afternoon's handover (k-handover, 5-22x a mid-shift trickle: the key's first burst, a rise by the rule's definition; none from 24 h on); CreditRunwayLow is quiet in 60 and, with Melbourne Cup Day as the day of history, warns 10.5-19.7 h ahead in 20 of 20 (the holiday's level read as the next day's) and pages critical 2.3-2.5 h ahead; see docs/rules.md"]
fn held_out_generator_hospital() {
    let t = run(Generator::Hospital);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}

/// Written in session 32 by a helper who did not run the rules, held out: a European fashion and
/// electronics shop across Cyber Monday (the shoppers' day on the assistant, the product
/// questions and the search box, Cyber Monday at 2.5–4× a normal Monday with 2–4 flash sales
/// lifting every shopper stream at once, the hangover Tuesday, the catalogue's nightly job and
/// Cyber Monday's re-run on the 1-hour cache over the merchandisers' edits, a returns agent
/// busier after the sale, the jump as a merchandising rule that sends the recommendation agent
/// round a re-ranking loop; tests/spend_shop/mod.rs). Its shape is checked without the rules
/// (`spend_shop::tests`). Run once at 20 seeds (every scenario, `spike_day2` too; 2026-12-02
/// 17:35–17:38 UTC, on 448894e) after session 32's runway change (a quiet spell lasts 6 h
/// more), nothing changed after; findings in the ignore text and docs/rules.md ("Session 32").
#[test]
#[ignore = "held-out findings (held out in session 32, run once, seen since): on a Berlin shop across Cyber Monday SpendRateSpike names 20 of 20 jumps at 3 h (2-4 min) and 20 of 20 at 27 h (2-6 min), and fires in 40 of 60 runs, first on the catalogue key's first nightly job (8 h) or the returns agent's first cases, and in 13 of 40 quiet runs at Cyber Monday's 18:00 flash sale (k-app 3.1-4.5x); CreditRunwayLow is quiet in 60 and, with Cyber Monday as the day of history, warns early in 20 of 20 (28.9-33.2 h ahead: the sale's day read as the next); the same figures on the code before session 32; see docs/rules.md"]
fn held_out_generator_shop() {
    let t = run(Generator::Shop);
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
}
