//! `Freight`, the sixteenth generator (session 31), written while SpendRateSpike was changed on
//! the fifteen others, and held out: not run on the rules (no alert computed on its calls) until
//! the change was committed, then once (findings in docs/rules.md, "Session 31"). A road-freight platform in
//! Rotterdam (CET, UTC+1: summer time ended on 25 October) for hauliers and shippers across
//! Europe, which uses Claude for its dispatchers' copilot, for reading the drivers' messages,
//! for extracting the paperwork of every delivery, for auditing the carriers' invoices and for
//! an agent that decides on exceptions. Five things, each of which matters to spend:
//!
//! * **A freight day and a week that starts heaviest.** `k-app` (sonnet) is the dispatchers'
//!   copilot (`office.rs`): a dispatcher's conversation of 4 turns on average (geometric, the next
//!   turn a minute on at the median: on the phone to a driver or a terminal in between), 40–70 %
//!   of the turns (drawn per run) a lookup (a tool use for the trucks' positions or a terminal's
//!   free slots, then the answer streamed with the tool's result 1.5–4 s later: two calls), the
//!   copilot's prompt, its tools and the dispatcher's loads (7k–13k tokens, drawn per run, and
//!   the region's loads, 1.5k at the median) on the conversation's own **5-minute** cache: written
//!   by its first call (3 to 6 cents), each later call reading what is cached and writing what the
//!   last one added, a pause of 5 minutes or more (about 1 % of them) writing it all again; 1.2
//!   cents a call at the median, 6 at the 99th percentile. The office's day (`world.rs`): a
//!   night desk, the morning's departures and exceptions 07:00–10:00, a lunch dip, the afternoon
//!   planning tomorrow's loads 14:00–17:00, empty by 20:00 (the morning some 20 times a night's
//!   hour). `k-app`'s haiku stream reads the drivers' messages (typed or transcribed, in Polish,
//!   Romanian, Dutch, German…) with the trip's stops into a status and a translation for the
//!   dispatcher (the instructions, 700–1,200 tokens drawn per run, under haiku's least cacheable
//!   prompt: uncached; a fifth of a cent), on the drivers' day: night trunking at a sixth of it,
//!   starts from 04:00, loading 06:00–08:00 (seven times the small hours), the end of the
//!   deliveries 15:00–17:00, the night departures at 22:00. The week: Monday the heaviest day,
//!   1.15–1.35 times a midweek day (drawn per run: the weekend's orders, and the trucks the German
//!   Sunday ban held until 22:00 on the road), Tuesday to Thursday alike, Friday at 0.9, Saturday
//!   a morning's, Sunday near-still. The harness's first instant, Monday 2 November 2026 00:00
//!   UTC, is Monday 01:00 CET: the run's first day is its heaviest; the quiet runs' 36 h end on
//!   Tuesday 13:00, in the storm, the exhaustion's 64 h on Wednesday 17:00; the jump at 3 h is
//!   Monday 04:00, as the drivers start, the one-off batch at 8 h Monday 09:00.
//! * **Tuesday's storm.** An autumn gale (KNMI's code orange) over the Maasvlakte stops the
//!   container terminals' cranes from 04:00–10:00 on Tuesday (drawn per run) for 6–12 hours, the
//!   wind reaching the cranes' limit over 30–90 minutes, the terminals reopening over 20. Trucks
//!   queue at closed gates and miss their slots: the drivers' messages run at 1.6–2.4 times the
//!   day's, the copilot's replanning at 1.4–2.0 and the exceptions at 2–3 (all drawn), while the
//!   paperwork of the deliveries not made is held back (the documents at 0.4 times the day's in
//!   it) and comes after the reopening as a backlog (half to all of a peak hour's, decaying over
//!   1.5–3 hours: the two hours after at 1.2–4 times Thursday's). Several keys rise together for
//!   hours while one falls, and it lands in the quiet runs' last day.
//! * **An hourly job on the clock whose length is the hour's paperwork.** `k-batch` (sonnet) is
//!   the documents job (`jobs.rs`): at :05 past every hour, started a minute and a half later at
//!   the median, to 10 (each job's delay drawn per run: the host's queue, the mailbox pull), it
//!   reads the proofs of delivery, CMR consignment notes and customs papers uploaded since the
//!   last job's start (at the deliveries' rate: the receivers' dock hours 08:00–17:00, a
//!   twentieth at night) at its workers' pace (30–50 documents a minute, drawn per run; gaps
//!   within ±15 %), one call a document: the extraction instructions, the schema and the examples (6k–10k tokens, drawn per
//!   run) on the **1-hour** cache (the jobs an hour apart keep it warm: it is written at the
//!   1-hour price only when a night hour's job starts more than an hour after the last call of
//!   the one before, 7–9 times in 64 hours), then the scanned pages (1.5k tokens a page, 1.5 pages
//!   a document), the fields back as JSON (450 tokens, not streamed): 1.6 cents a document. So
//!   `k-batch` is a burst every hour, 10–15 minutes at 10–17 times the key's mean rate at a
//!   weekday's busiest hour, under a minute at night.
//! * **A nightly audit, carrier by carrier, on two caches.** `k-audit` (sonnet, 1 invoice a
//!   minute over the day before the typical one, an extra stream) audits the carriers' invoices
//!   received the day before (their billing desks keep office hours) against their tariffs: after
//!   02:30, when the ERP's export is in (a wait of 6 minutes at the median, to 40, drawn per
//!   night), at the workers' pace (15–25 invoices a minute, drawn per run), sorted by carrier
//!   (20–40 carriers, drawn per run, Zipf-sized). Each call's prompt has two breakpoints: the
//!   audit's instructions (2.5k–4k tokens) on the **1-hour** cache, written once a night, then
//!   the carrier's tariff sheet (6k–16k, drawn per carrier) on the **5-minute** cache, written
//!   at the carrier's first invoice and read by its others (the longer TTL before the shorter,
//!   as the API asks), then the invoice's lines and the shipments' records (2.2k at the median)
//!   and a verdict with its discrepancies (300, not streamed): 1.7 cents an invoice. Monday's
//!   night holds the weekend's invoices (some 180, 8–10 minutes), Tuesday's Monday's (the
//!   run's largest: 1,700–1,850, 80 minutes), Wednesday's 1,450–1,500 in 60–70.
//!
//! A run costs some $300–330 on its first day and $860–930 over 64 hours: $15–30 an hour in
//! the office's hours, $1–2 in the small hours, the Tuesday audit's hours $8–20 (see the tests).
//!
//! Against the fifteen, each differs in three or more of these: Steady, Tenants and Cascades
//! have no day, no week, no job on a clock and no incident; Sessions no day, no jobs, no
//! incident, agent sessions on a growing context; Diurnal a sine day peaking in the afternoon
//! and tenants switching on at random, no cache, no jobs; Fleet a UTC+8 working week with a
//! Saturday at half, one daily sweep of a fixed shape, tool chains with retries (here the week
//! opens at its heaviest and the jobs' lengths are their backlogs'); Saas two regions' working
//! days, a nightly sync of a fixed 30 minutes and a migration; Launch a drawn hour, growth of
//! 20–35 % a day, eval suites on a period; Contracts an IST five-day week, a few huge opus calls
//! on the 1-hour cache; Helpdesk sparse keys in three zones, Markov regimes, a release raising
//! every key's cost; Studio a Pacific week, IDE sessions on the 1-hour cache and a CI bot
//! bursting every 15 or 30 minutes; CallCentre a São Paulo roster clipping its day flat, Finados
//! and a QA job its queue triggers; Newsroom Tokyo's news as shot noise, Culture Day, an article
//! cache shared by readers; Classroom Mexico City's bells, Día de Muertos and one nightly grading
//! backlog on the 1-hour cache (here the nightly job goes carrier by carrier on two caches of two
//! TTLs, its size the week's day before, beside a second job every hour); Arcade a gamer's
//! evening, a daily event stepping three groups up at the minute, a maintenance silencing the
//! players then a rush (here an incident of hours raises three groups and holds a fourth back,
//! then its backlog). None has CET, a week whose first day is its heaviest, an hourly job whose
//! every run's length is the hour's arrivals, a prompt on the 1-hour and 5-minute caches at
//! once, an incident lowering one key while it raises others, or spend jumping in output tokens.
//!
//! **The jump is a raised thinking budget: the same calls, more output.** `k-agent` (the
//! harness's jumping key: opus, 4 calls a minute over a typical weekday) is the exceptions agent
//! (`exceptions.rs`): every exception (a missed slot, a delay past the customer's window, a
//! damage report, a customs hold; 30 % raised by the monitors round the clock, the rest following
//! the drivers, the storm's at 2–3×) is one streamed call with extended thinking that decides and
//! acts in one tool use (rebook, reassign, notify, escalate), which the platform executes without
//! a second turn. The system prompt, the tools and the network's policies (9k–14k tokens, drawn
//! per run) are on the **5-minute** cache, the case (3k tokens at the median) new every call;
//! out come the thinking, the case's difficulty (uniform 0.3–1) times the budget (1,024–2,048
//! tokens, drawn per run), and the answer (180): 5 to 6 cents a decision. A config change meant
//! for the offline evaluation, which grades the agent's decisions at a large budget, reaches
//! production with it: the scenario's `scale` above 1 is read as the deployed budget, solved so
//! that a decision costs `scale`× its own on average (for the harness's 6×, 15k–21k tokens:
//! 9k–12.5k more thinking tokens a call, output priced at five times input). A budget's change
//! invalidates the cached messages, not the system prompt's and the tools', so the prefix is
//! still read; the calls keep their times and their inputs (each is one call, so a longer
//! thinking means more requests in flight, not fewer cases), and the agent's 3–5 pods (drawn)
//! pick the config up in a rolling restart, one every 12–25 seconds (drawn): the stream at 2.3×
//! in the first minute, 5.4× in the second and 6× from the third on (pooled over seeds 0–19; the
//! 10 minutes after the jump at 5.1–6.2× the same run without it; see the tests). Newsroom's
//! jump keeps the tokens and changes their price, Arcade's grows one call of two's input,
//! Contracts' every call's input, Classroom's loops on a growing conversation, CallCentre's
//! repeats each request six times, Studio's sends six at once, Helpdesk's adds calls: here every
//! call's output grows. Below 1 the scale thins the cases instead.
//!
//! What defines the run (Monday's lift, the storm, the prompts, the lookups' share, the jobs'
//! delays, waits and paces, the carriers and their tariffs, the budget and the pods) is drawn
//! once by [`begin_run`]; which conversations, messages, documents, invoices and cases come,
//! when, and all their tokens are drawn from the `rng` each stream is given, so realisations of
//! one run differ by chance only. The scenario's `scale` multiplies each stream's intensity
//! (conversations by the scale when they open, the documents and the invoices by the scale when
//! they arrive: the jobs read what came). The one-off batch (`k-oneoff`), and any key this
//! product does not know, is a job: calls at the harness's rate × its scale, no day, no cache.

use std::cell::RefCell;

use rand::rngs::StdRng;

use super::spend_classroom::PrefixCache;
use super::{lognormal, minutes, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]): sampled every 20 s,
/// so the storm's rise and the rollout's minutes are never missed.
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};

pub const PEOPLE: &str = "k-app";
pub const DOCUMENTS: &str = "k-batch";
pub const AUDIT: &str = "k-audit";
pub const EXCEPTIONS: &str = "k-agent";
const SONNET: &str = "claude-sonnet-4-6";

/// The streams this product adds to the harness's three: the nightly carrier-invoice audit.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(SONNET, AUDIT, 1.0)];

mod exceptions;
mod jobs;
mod office;
mod world;

pub use exceptions::{decision_cost, thinking_budget, DIFFICULTY};
pub use office::{calls_per_conversation, conversation, Exchange, TURNS};
pub use world::{at_local, local, Run, AUDIT_HOUR, DOCS_CRON_MIN, STORM_DAY, TYPICAL_DAY};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's Monday, storm, prompts, jobs' clocks and paces, carriers and pods.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_freight::begin_run draws the run before its streams (background does)")
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Dispatch,
    Drivers,
    Documents,
    Audit,
    Exceptions,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            PEOPLE if model.contains("haiku") => Work::Drivers,
            PEOPLE => Work::Dispatch,
            DOCUMENTS => Work::Documents,
            AUDIT => Work::Audit,
            EXCEPTIONS => Work::Exceptions,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a typical weekday (Thursday), times the scenario's `scale(t)`:
/// `k-app`'s copilot and drivers' messages, `k-batch`'s hourly documents jobs, `k-audit`'s
/// nightly audit, `k-agent`'s decisions with `scale` above 1 the raised thinking budget's,
/// anything else a plain job.
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
        Work::Dispatch => office::dispatch,
        Work::Drivers => office::drivers,
        Work::Documents => jobs::documents,
        Work::Audit => jobs::audit,
        Work::Exceptions => exceptions::decisions,
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
