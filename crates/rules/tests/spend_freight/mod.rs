//! `Freight`, the sixteenth generator (session 31): DOC TO WRITE.

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

pub use exceptions::{decision_cost, thinking_budget};
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
