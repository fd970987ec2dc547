//! `Hospital`, the seventeenth generator (session 31), held out: written by a helper who did
//! not run the rules, and not run on them (no alert computed on its calls) until the lead runs
//! it once after the next rule change. A public health network in Melbourne (AEDT, UTC+11:
//! daylight saving began on 4 October; three hospitals, an emergency department, outpatient
//! clinics, some 25 wards) that uses Claude for an ambient scribe writing up the clinicians'
//! consultations, for triaging its patient portal's messages, for the nurses' shift handover
//! summaries, for the clinical coding of discharged episodes and the drafting of discharge
//! summaries, and for an agent reading every laboratory and imaging result. Five things, each
//! of which matters to spend:
//!
//! * **A hospital's day, on three clocks.** `k-app` (sonnet) is the scribe (`work.rs`): each
//!   consultation (a clinic's, a ward round's, the emergency department's) transcribed and
//!   written up once the clinician closes it (a transcript of 3.5k tokens at the median, the
//!   note back, 600, streamed: 2.2 cents a note), on the clinicians' day: ward rounds from
//!   08:00, clinics 09:00–17:00 with a lunch dip, the emergency department and the wards at a
//!   sixteenth of it through the night. Its prompt and note templates are per specialty (8–14,
//!   drawn, 2.5k–5k tokens each, Zipf-used: the emergency department and general medicine
//!   busy, the small clinics a consultation every ten minutes or more) on the **1-hour**
//!   cache, so the small specialties' prompts stay warm between their consultations and every
//!   write is a 1-hour write (a write in twenty calls or fewer). `k-app`'s haiku stream triages
//!   the patient portal's messages (a symptom, a repeat script, an appointment: urgency, the
//!   clinic to route to, a drafted reply; the instructions of 800–1,300 tokens under haiku's
//!   least cacheable prompt, uncached; a quarter of a cent), on the patients' day: before work,
//!   at lunch, and most after dinner, 19:00–21:00; Monday's at 1.15–1.3 times a midweek day's
//!   (the messages kept over the weekend). `k-agent`'s results (below) follow the laboratory:
//!   the morning bloods drawn 05:00–07:00 resulted 07:00–10:00 over the emergency department's
//!   round-the-clock floor (a third of the peak). The harness's first instant, Monday 2
//!   November 2026 00:00 UTC, is Monday 11:00 AEDT: the run opens at the clinics' peak; the
//!   jump at 3 h is Monday 14:00, the one-off batch at 8 h Monday 19:00, the quiet runs' 36 h
//!   end on Tuesday at 23:00, the exhaustion's 64 h on Thursday at 03:00. The base rates are
//!   Wednesday's.
//! * **Three handovers a day, a burst on every ward's own cache.** `k-handover` (sonnet, 1.5
//!   calls a minute over Wednesday, an extra stream) drafts every patient's handover summary
//!   (ISBAR, 350 tokens) from the chart since the last shift (4k tokens at the median) before
//!   each nursing handover: 07:00 (night to morning, every patient), 13:30 (morning to
//!   afternoon, a shorter update, 0.7 of it) and 21:00 (afternoon to night, 0.9), the drafts a
//!   bell 12–20 minutes before the handover (drawn per run) with a spread of 6–10 minutes: some
//!   500–750 summaries in the 45 minutes before each, a dozen in a mid-shift 45 minutes (the
//!   emergency department's admissions). Each ward (18–28, drawn) has its handover
//!   instructions, template and standing orders (3k–6k tokens) on its own **5-minute** cache:
//!   written by the ward's first summary of the handover, read by the rest, cold between
//!   handovers (2–3 writes a ward a handover, with the bell's stragglers): 2 cents a summary.
//! * **Two nightly jobs of two kinds on one key, each the size of its day.** `k-batch` (sonnet)
//!   runs at 21:00 the clinical coding of the episodes discharged since the last run (their
//!   documents filed at the discharges' rate: from the 10:00 discharge target into the
//!   afternoon; 75–85 % of the key's calls, drawn), one call a document (a progress note, an
//!   operation report, a result: 2.5k tokens) with the coding standards (ICD-10-AM, ACHI and the
//!   Australian Coding Standards' excerpts, 10k–16k tokens) on the **5-minute** cache the job's
//!   calls keep warm, the codes back as JSON (200 tokens, not streamed), at the workers' pace
//!   (45–70 documents a minute, drawn): some 3,500 documents, an hour at $45–75; and at 05:30 it
//!   drafts a discharge summary for every discharge the consultants flagged on the day before's
//!   rounds (the admission's notes, 14k tokens, fresh; 900 back) at 12–20 a minute: 650–1,100
//!   summaries at 6 cents, an hour or so at some $50. Each job's start is drawn (a minute late at the median, to
//!   10).
//! * **Melbourne Cup Day.** Tuesday 3 November is a public holiday in Victoria: the outpatient
//!   clinics and the elective lists are closed (the scribe's clinic hours at 0.25–0.45 of a
//!   weekday's above the wards' floor, drawn), the patients' morning later (the portal at
//!   0.6–0.8 before noon), fewer results (0.6–0.85 above the floor) and fewer discharges
//!   (0.55–0.75), so Tuesday night's coding job is some three-fifths of Wednesday's; the wards
//!   and their handovers run as on any day. At 15:00 the race that stops the nation stops the
//!   people's streams for a few minutes: from 5–12 minutes before the start to 4–8 after it
//!   the scribe and the portal run at 0.3–0.5 of their rate, back over 10 minutes. It lands at
//!   28 h, in the quiet runs' last day and the day-2 jump's hour.
//! * **The results agent.** `k-agent` (opus, the harness's jumping key, 4 results a minute
//!   over Wednesday) reads every pathology and imaging result filed against the patient's
//!   problems and medicines and flags the abnormal ones to the treating team with a drafted
//!   action: one streamed call a result on one of the agent's workers (4–8, drawn), its prompt,
//!   the reference ranges and the escalation protocols (8k–12k tokens, drawn) on the
//!   **5-minute** cache (4 a minute keep it warm), the patient's context (2.5k) and the result
//!   (400) fresh, the flag and the action back (220): 2.7 cents a result.
//!
//! A run costs some $370–420 on its first day and $900–970 over 64 hours: $15–30 an hour in
//! the clinics' hours, $1–3 in the small hours, the coding job's hour $45–75 and the
//! drafting job's with the morning handover's $70–75 (see the tests).
//!
//! Against the sixteen, each differs in three or more of these: Steady, Tenants and Cascades
//! have no day, no week, no job on a clock and no holiday; Sessions no day, no jobs, agent
//! sessions on one growing context (here no call carries a conversation: each stands alone on
//! a prefix it shares); Diurnal a sine day, tenants switching on at random, no cache, no jobs;
//! Fleet a UTC+8 working week, one daily sweep of a fixed shape, tool chains with retries;
//! Saas two regions' working days, a nightly sync of a fixed 30 minutes, a migration; Launch a
//! drawn hour, growth of 20–35 % a day, eval suites on a period; Contracts an IST five-day
//! week, a few huge opus calls on the 1-hour cache; Helpdesk sparse keys in three zones,
//! Markov regimes, a release raising every key's cost; Studio a Pacific week, IDE sessions on
//! the 1-hour cache, a CI bot every 15 or 30 minutes; CallCentre a São Paulo roster, Finados
//! closing the whole centre, a QA job its queue triggers; Newsroom Tokyo's news as shot noise,
//! Culture Day moving the readers, an article cache shared by readers; Classroom Mexico City's
//! bells, Día de Muertos, one nightly grading backlog on the 1-hour cache; Arcade a gamer's
//! evening, a daily event stepping three groups up at the minute, a maintenance and its rush;
//! Freight CET, a Monday heaviest, a storm of hours, an hourly documents job, a nightly audit
//! on two caches. None has UTC+11 (the run opening at a day's peak), bursts on three fixed
//! clocks a day each writing some 25 small caches at once (one a ward), a 1-hour cache chosen
//! for a stream's sparse parts, two nightly jobs of two kinds on one key sized by the day's
//! discharges and the day before's rounds, a holiday that closes some of the work and keeps
//! the rest (the wards, the emergency department), or a minutes-long dip at a known instant
//! (the race).
//!
//! **The jump is reports as PDF pages: the same calls, each with page images.** The
//! laboratory information system's upgrade sends each result with its cumulative report as a
//! PDF (the history of the patient's tests, rendered: each page sent as a document block, its
//! image and its text charged as input, 1,800–2,600 tokens a page, drawn per run) where the
//! result's text alone came before. The agent's workers read the feature flag that switches
//! the new interface on each on its own clock (a refresh every 30–90 seconds, drawn, each
//! worker's phase drawn): the scenario's `scale` above 1 is read as the reports' size, solved
//! so that a result costs `scale`× its own on average (for the harness's 6×, 10–16 pages, some
//! 27k more input tokens a call, each report's pages 0.5–1.5 times the mean). The pages come
//! after the cached prefix and are new every call, so the prefix is still read, the outputs
//! and the calls' instants are unchanged (one result, one call): the stream at 4× in the first
//! minute, 6× from the second on (pooled over seeds 0–19; the 10 minutes after the jump at
//! 5.4–6.4× the same run without it; see the tests). Contracts' jump pastes a tool's output
//! into every turn of a loop and ramps over 3 minutes, Arcade's returns a whole log in one
//! call of two, Freight's grows the output (thinking) by a rolling restart, Newsroom's keeps
//! the tokens and changes their price, Classroom's loops on a growing conversation,
//! CallCentre's repeats each request, Studio's sends six at once, Helpdesk's adds calls: here
//! an upstream system's format grows each call's fresh input by attachments, the agent's code
//! and prompt unchanged, picked up within one flag refresh. Below 1 the scale thins the
//! results instead.
//!
//! What defines the run (Monday's portal, Cup Day's factors and the race's minutes, the
//! specialties and their prompts, the wards and their prompts, the handovers' lead and
//! spread, the jobs' shares, prompts, paces and delays, the agent's prefix, the page's tokens
//! and the workers' flag refreshes) is drawn once by [`begin_run`]; which consultations,
//! messages, summaries, documents, discharges and results come, when, and all their tokens
//! are drawn from the `rng` each stream is given, so realisations of one run differ by chance
//! only. The scenario's `scale` multiplies each stream's intensity (the consultations, the
//! messages, the summaries and the results as they come; the documents and the flagged
//! discharges as they are filed: the jobs read what came). The one-off batch (`k-oneoff`),
//! and any key this product does not know, is a job: calls at the harness's rate × its scale,
//! no day, no cache.

use std::cell::RefCell;

use rand::rngs::StdRng;

use super::spend_classroom::PrefixCache;
use super::{lognormal, minutes, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]): sampled every 20 s,
/// so the handovers' bursts, the race's minutes and the flag's pick-up are never missed.
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};

pub const PEOPLE: &str = "k-app";
pub const JOBS: &str = "k-batch";
pub const HANDOVER: &str = "k-handover";
pub const RESULTS_AGENT: &str = "k-agent";
const SONNET: &str = "claude-sonnet-4-6";

/// The streams this product adds to the harness's three: the wards' handover summaries.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(SONNET, HANDOVER, 1.5)];

mod work;
mod world;

pub use work::{report_pages, result_cost};
pub use world::{
    at_local, local, Run, CODING_HOUR, CUP_DAY, HANDOVERS, PREP_HOUR, RACE_HOUR, TYPICAL_DAY,
};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's Cup Day, prompts, wards, specialties, jobs' clocks and paces, and workers.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_hospital::begin_run draws the run before its streams (background does)")
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Scribe,
    Portal,
    Handovers,
    Nightly,
    Results,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            PEOPLE if model.contains("haiku") => Work::Portal,
            PEOPLE => Work::Scribe,
            HANDOVER => Work::Handovers,
            JOBS => Work::Nightly,
            RESULTS_AGENT => Work::Results,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a typical weekday (Wednesday), times the scenario's `scale(t)`:
/// `k-app`'s scribe and portal, `k-handover`'s handovers, `k-batch`'s nightly coding and
/// drafting, `k-agent`'s results with `scale` above 1 the PDF reports', anything else a plain
/// job.
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
        Work::Scribe => work::scribe,
        Work::Portal => work::portal,
        Work::Handovers => work::handovers,
        Work::Nightly => work::jobs,
        Work::Results => work::results,
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
