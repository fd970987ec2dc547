//! `Shop`, the eighteenth generator (session 32), held out: written by a helper who did not run
//! the rules, and run on them once, after that session's runway change (findings in
//! docs/rules.md, "Session 32"); seen since. A mid-size European fashion and electronics shop (its warehouse
//! and customer service in Germany, its pages in German and five to eight other languages) that
//! uses Claude for a shopping assistant on its site and app, for the questions on its product
//! pages, for rewriting what shoppers type in its search box, for recommendations, for writing
//! and translating its catalogue and for an agent working its returns desk's cases, over the
//! week of Black Friday and Cyber Monday.
//!
//! **The clock.** The harness's first instant is read as Sunday 29 November 2026, 18:00 in
//! Berlin (CET, UTC+1): the Cyber weekend's Sunday, with the week's busiest evening on phones to
//! come. The lines are stamped from 2 November 00:00 UTC; the rules know no calendar, only the
//! time since the first line, so the shop's week is this clock's alone. The scenarios' instants
//! in that week:
//!
//! * 3 h, the jump: Sunday 21:00, the phones' peak.
//! * 6 h: the deals go live (Cyber Monday 00:00).
//! * 8 h, the one-off batch: Cyber Monday 02:00, beside the catalogue's nightly job on its own
//!   key.
//! * 24 h, a day of history: Cyber Monday 18:00.
//! * 27 h, the day-2 jump: Cyber Monday 21:00, the sale's evening peak. The key then runs at
//!   1.3–2.6× the same hour the day before. The flash sales keep to 10:00–18:00, so the two
//!   hours before this jump hold no sale's rise, at most the 18:00 sale's last tail.
//! * 30 h: the deals end (the Tuesday's 00:00); the cold exhaustion's balance runs out.
//! * 36 h: the quiet runs end, on the Tuesday at 06:00, before the hangover's day.
//! * 54 h: the warm exhaustion's balance runs out (Wednesday 00:00), the hangover Tuesday its
//!   last day; its 64 h end on Wednesday at 10:00.
//!
//! The two jumps, a day apart, fall at the same hour of the evening's peak: one on the Cyber
//! weekend's Sunday, one on Cyber Monday. Every stream's base rate is its mean over a normal
//! Monday, 16 November, two weeks before, with no sale (local day −13, outside every run): each
//! day of the run is a multiple of it.
//!
//! * **The shoppers' day on `k-app`.** Its sonnet stream (6 calls a minute over the normal
//!   Monday; `shoppers.rs`) is the shopping assistant and the product questions. An assistant
//!   conversation sends the assistant's prompt, the shop's policies and the tools (3k–5k tokens,
//!   drawn per run), then the shopper's context (the cart, the pages viewed: 800 at the median).
//!   Both sit on the conversation's own **5-minute** cache: the first call writes them, and each
//!   later call reads all that came before and writes what the last call added, so the cache grows
//!   turn by turn. A shopper away for 5 minutes or more has it all written again (1 % of the later
//!   calls). A turn calls a tool in 20–35 % of cases (drawn): a catalogue search or an order's
//!   status, whose result (900 tokens) goes into a second call. After the first turn a quarter
//!   of the desktops' conversations (20–30 %, drawn) and half of the phones' (40–55 %) end; the
//!   others go on for three turns more on average. That makes 4.4 calls a conversation on a
//!   desktop and 3.4 on a phone. The product questions are 25–40 % of the stream's calls (drawn),
//!   one uncached call each: the instructions are under sonnet's least cacheable prompt, followed
//!   by the product's page with the live stock and its reviews (3.5k tokens), and 140 tokens
//!   back. A call costs 1.1–1.2 cents at the median. The haiku stream (10 a minute) rewrites each
//!   search typed in the box into a structured query: the instructions are 400–900 tokens,
//!   uncached, and a call costs a tenth of a cent. The shoppers' day: a small fraction at night
//!   (5 % of the evening peak at 04:00), the commute on phones, the office hours' browsing with a
//!   lunchtime bump at 12:00–13:00, and the evening peak 20:00–22:00. A weekend day starts later,
//!   and Sunday evening is the week's peak: 1.3× a weekday's, 80 % on phones against 38 % in a
//!   weekday's office hours. The phones' share of the hour sets how many conversations end after
//!   one turn, and so how many of the calls write a new cache. The Cyber weekend's Sunday runs at
//!   1.2–1.5× a normal Sunday (drawn). Cyber Monday runs at 2.5–4× a normal Monday (drawn per
//!   run) from 00:00, when the deals go live, a step at the minute. The Tuesday after it runs at
//!   0.6–0.8× a normal Tuesday (drawn) from its midnight, the hangover: some a sixth of Cyber
//!   Monday's spend on `k-app`, a third of it for the whole shop, whose jobs keep their size.
//!   Wednesday runs at 0.85–1×.
//! * **Flash sales: every shopper stream at once.** Cyber Monday has 2–4 flash sales (drawn), at
//!   whole hours the morning's newsletter announces (10:00–18:00, at least two hours apart, drawn),
//!   each pushed to the app at its hour; the evening's peak needs no sale. The shoppers arrive
//!   within 2–5 minutes (drawn per sale, linearly) at 3–5× (drawn) what they would have been, then
//!   leave over 30–60 minutes (drawn: the excess e-folds over a third of it). Every shopper stream
//!   moves together: the conversations and the questions (sonnet) and the searches (haiku) on
//!   `k-app`, and the recommendations (opus) on `k-agent`. That makes three groups on two keys in
//!   the jump runs, and two groups on one key in the quiet runs; the catalogue and the returns desk
//!   do not move. The five minutes after a sale's rise run at 2.9–3.6× the half hour before, the
//!   first minute at 1.1–1.8× (against the day's own curve, pooled over a run's sales); the sales
//!   add a tenth to a fifth to Cyber Monday's shoppers (×1.08–1.19 over 20 runs). An 18:00 sale on
//!   the evening's rise makes the run's dearest hour ($80).
//! * **The catalogue on `k-batch`** (sonnet, 3 calls a minute over the normal Monday;
//!   `catalogue.rs`). Every night at 02:00 the job starts (its delay drawn: a minute at the median,
//!   up to 10). It takes each product changed since the last job (the suppliers' feeds through the
//!   night, the merchandisers' flagged pages in the office's hours), writes its German master
//!   description and translates it into the run's 5–8 other languages (drawn), at the workers' pace
//!   (60–80 calls a minute, drawn). That is some 4,000–4,300 calls in 56–68 minutes, and
//!   4,800–4,950 in 64–81 on the Tuesday (Cyber Monday's changes, the deal pages: 1.2×): $42–55 in
//!   its hour. On Cyber Monday morning the merchandisers change prices and re-run the listings'
//!   deal copy (title, badge, a bullet) in every language, starting at a drawn time (08:00–11:30)
//!   for a drawn 20–40 minutes at the same pace (some 2,000–2,400 calls). Between the jobs the
//!   merchandisers' manual edits trickle in (4–7 % of the key's calls on a normal day, drawn): one
//!   every 2.5–4 minutes in the office's hours, a few an evening, next to none at night. They run
//!   at 0.4 on a weekend, and at 1.5 on Cyber Monday, its night included. Every call first sends
//!   the copywriters' style guide with every language's glossary (8k–15k tokens, drawn) on the
//!   **1-hour** cache. It is written when an hour has passed without a call (the nightly job after
//!   the quiet evening, the morning's first edit): 4–5 writes a day, 0.08 % of the calls, each at
//!   the 1-hour price. A call costs 1.1–1.2 cents at the median.
//! * **The returns agent on `k-returns`** (opus, an extra stream of 1 call a minute over the
//!   normal Monday; `returns.rs`). Each case the returns desk hands it (a high-value device, a
//!   serial returner, a parcel said to be empty) is a tool-using run of 5–30 steps (uniform), a
//!   few seconds apart. The run sits on its own 5-minute cache, growing step by step: the prompt,
//!   each country's returns policy and the fraud rules (6k–9k tokens, drawn), then the case
//!   (1.2k), the customer's order history read at the second step (5k at the median: the case's
//!   largest input in 9 of 10) and the other tools' results (tracking, payment checks, a serial
//!   number's history: 600). A case costs 54 cents at the median, 2.7–2.9 cents a step. The desk
//!   works 07:00–19:00, with the automated intake's small share at night: 5–7 cases an hour in a
//!   normal weekday's desk hours. A weekend runs at half, and Cyber Monday at 0.8 (half the desk
//!   lent to customer service). The Tuesday after runs at 1.6–2.2× a normal one (drawn: the
//!   returns of the weekend's orders), and Wednesday keeps three-fifths of that lift.
//!
//! A run costs some $480–600 on its first day (Sunday's evening and Cyber Monday to 18:00) and
//! $990–1,150 over 64 hours. Sunday's evening hours run at $17–24. Cyber Monday's daytime hours
//! run at $20–55, its hours with a sale or the evening's peak at $40–80. The nightly job's hour
//! costs $42–55. The Tuesday's day hours run at $7–18 and its small hours at $0.4–3 but for the
//! job's (see the tests).
//!
//! Against the seventeen, each differs in three or more of these. Steady, Tenants and Cascades
//! have no day, no week, no job and no sale. Sessions has no day and no jobs. Diurnal has a sine
//! day and tenants switching on at random, with no cache. Fleet has a UTC+8 working week and a
//! daily sweep of a fixed shape. Saas has two regions' working days and a nightly sync of a fixed
//! 30 minutes. Launch has growth of 20–35 % a day and eval suites on a period. Contracts has an
//! IST five-day week and a few huge opus calls. Helpdesk has sparse keys and Markov regimes.
//! Studio has IDE sessions on the 1-hour cache and a CI bot on a clock. CallCentre has a holiday
//! closing the whole centre and an Erlang queue. Newsroom has stories as shot noise at random
//! instants, on sizes of their own, moving every reader-facing key. Classroom has bells, a
//! holiday and a grading backlog. Arcade has a daily event stepping three groups up at the
//! minute. Freight has a storm of hours and an hourly job. Hospital has three handovers a day
//! and Cup Day. None has a day at 2.5–4× a normal one of its kind followed by one at 0.6–0.8× of
//! its own, the shoppers falling by some four-fifths at a midnight. None has surges at announced
//! hours of a single day that rise over minutes and fade over the hour on three groups at once,
//! or devices whose share sets how long the conversations are. None has a nightly job and a
//! day's manual trickle sharing one 1-hour cache, an ad-hoc second run of a job on one morning,
//! or base rates taken from a day outside the run.
//!
//! **The jump is a validator's loop: the same requests, each ranked five or six times.**
//! `k-agent` (opus, the harness's jumping key, 4 requests a minute over the normal Monday,
//! following the shoppers and the flash sales) is the recommendation agent
//! (`recommendations.rs`). For each request (the "complete the look" and "you may also like"
//! panels, the gift finder) it ranks the vector search's candidates for the shopper in one
//! streamed call. The candidates are 60–120 products rendered with the shopper's size's stock and
//! price (6k tokens at the median); the shopper's signals (the cart, the pages viewed) add 700.
//! The agent's prompt, tools and merchandising rules (3k–5k tokens, drawn) are on the 5-minute
//! cache. A request costs 4.6–4.7 cents. For Cyber Monday the merchandisers switch on a rule in
//! the admin (eight of the twelve must be on a deal) that the search's candidates cannot meet. The
//! agent's output validator sends each failing list back with its complaint for another pass,
//! every 6–12 seconds, until a pass happens to meet the rule or the loop's limit ends it. Each
//! pass re-sends the request's messages uncached (a one-call request never cached them), longer
//! each time by the list and the complaint (500 tokens). Each of the agent's 3–6 pods (drawn)
//! reads the rules from its own cache, which expires every 30–90 seconds (drawn, each pod's phase
//! drawn): a request on a pod loops once that pod has the rule. The scenario's `scale` above 1 is
//! read as the loop's length: each request makes k or k + 1 passes, the chance of the longer
//! solved so that a request costs `scale`× a one-pass one on average. For the harness's 6× that
//! is 5.34 passes (5 or 6). A request's first pass is the one it made before: each request's
//! draws come from a seed of its own, so the requests and their first passes are the same
//! whatever the scale. The stream runs at 2× in the first minute, 5.5× in the second and 6× from
//! the third on (pooled over seeds 0–19), its calls at 5.3×; the 10 minutes after the jump run at
//! 5.2–5.8× the same run without it (see the tests). Classroom's jump is also a loop re-sending a
//! growing uncached conversation, but on a share of the runs, geometric and heavy-tailed (its 10
//! minutes at 3.1–6.5×), set off by a broken tool. Here every request loops, to nearly the same
//! length, on the model's own output rejected by a rule. CallCentre's jump repeats each request
//! unchanged, Studio's sends six at once and Helpdesk's adds independent calls; the others make
//! the same calls bigger (Hospital, Contracts, Arcade, Freight) or dearer (Newsroom). Below 1 the
//! scale thins the requests instead.
//!
//! What defines the run is drawn once by [`begin_run`]: the days' levels, the flash sales, the
//! prompts and shares, the devices' chances of leaving after one turn, the style guide, the
//! languages and pace, the edits' share, the nights' delays, the re-run, the returns' lift, and
//! the agent's prefix and pods. Which conversations, questions, searches, changes, edits, cases
//! and requests come, when, and all their tokens are drawn from the `rng` each stream is given,
//! so realisations of one run differ by chance only. The scenario's `scale` multiplies each
//! stream's intensity: the conversations by the scale when they open, the changes by the scale
//! when they are made (the night's job reads what came), the re-run by the scale at its start,
//! the cases as they come. The one-off batch (`k-oneoff`), and any key this product does not
//! know, is a job: calls at the harness's rate × its scale, no day, no cache.

use std::cell::RefCell;

use rand::rngs::StdRng;

use super::spend_classroom::PrefixCache;
use super::{lognormal, minutes, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]): sampled every 20 s,
/// so a flash sale's minutes of rise and the deals' midnight are never missed.
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};

pub const SHOPPERS: &str = "k-app";
pub const CATALOGUE: &str = "k-batch";
pub const RECOMMENDER: &str = "k-agent";
pub const RETURNS: &str = "k-returns";
const OPUS: &str = "claude-opus-4-6";

/// The streams this product adds to the harness's three: the returns and fraud agent.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(OPUS, RETURNS, 1.0)];

mod catalogue;
mod recommendations;
mod returns;
mod run;
mod shoppers;
mod world;

pub use recommendations::{first_pass_cost, loop_cost, mean_passes};
pub use returns::{case, mean_steps, STEPS};
pub use run::Run;
pub use shoppers::{calls_per_conversation, conversation, Exchange};
pub use world::{
    at_local, local, AFTER_TUESDAY, CYBER_MONDAY, CYBER_SUNDAY, NIGHTLY_HOUR, NORMAL_MONDAY,
    SALE_HOURS, WEDNESDAY,
};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's days, flash sales, prompts, catalogue clocks and pace, and pods.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_shop::begin_run draws the run before its streams (background does)")
}

/// A token count drawn lognormal (median, sd of the log), capped, at least 1.
fn tokens(rng: &mut StdRng, (median, sigma): (f64, f64), cap: f64) -> u64 {
    lognormal(rng, median, sigma).min(cap) as u64 + 1
}

/// A lognormal's mean from its median and the sd of its log.
fn mean_of((median, sigma): (f64, f64)) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Assistant,
    Search,
    Catalogue,
    Recommendations,
    Returns,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            SHOPPERS if model.contains("haiku") => Work::Search,
            SHOPPERS => Work::Assistant,
            CATALOGUE => Work::Catalogue,
            RECOMMENDER => Work::Recommendations,
            RETURNS => Work::Returns,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a normal Monday (16 November), times the scenario's `scale(t)`:
/// `k-app`'s assistant and product questions (sonnet) and search rewriting (haiku), `k-batch`'s
/// catalogue jobs and edits, `k-agent`'s recommendations with `scale` above 1 the re-ranking
/// loop's passes, `k-returns`' cases, anything else a plain job.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let work = match Work::of(model, key) {
        Work::Assistant => shoppers::assistant,
        Work::Search => shoppers::search,
        Work::Catalogue => catalogue::catalogue,
        Work::Recommendations => recommendations::recommendations,
        Work::Returns => returns::returns,
        // A key this product does not know (the one-off batch): the harness's plain job.
        Work::Job => {
            |rng: &mut StdRng, _: &Run, start, end, per_min, scale: &dyn Fn(f64) -> f64| {
                crate::plain_job(ARRIVALS, rng, start, end, per_min, scale)
            }
        }
    };
    let out = work(rng, &run, start, end, base_per_min, scale);
    crate::clipped_calls((model, key), start, end, out)
}

#[cfg(test)]
mod tests;
