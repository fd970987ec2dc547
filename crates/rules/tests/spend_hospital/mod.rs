//! `Hospital`, the seventeenth generator (session 31), held out: written by a helper who did
//! not run the rules, not run on them (no alert computed on its calls) until the lead runs it
//! once after the next rule change. A public health network in Melbourne (AEDT, UTC+11:
//! daylight saving began on 4 October) whose clinicians, nurses, patients, coders and
//! laboratory results go through Claude.
//!
//! DOC_BODY

use std::cell::RefCell;

use callwatch_core::classify::Usage;
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

pub use work::report_pages;
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
        Work::Job => job,
    };
    let out = work(rng, &run, start, end, base_per_min, scale);
    crate::clipped_calls((model, key), start, end, out)
}

/// A key this product does not know (the one-off batch): the harness's plain job.
fn job(
    rng: &mut StdRng,
    _run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    crate::plain_job(ARRIVALS, rng, start, end, base_per_min, scale)
}

#[cfg(test)]
mod tests;
