//! `Classroom`, the fourteenth generator (session 30). DOC TO COME.

use std::cell::RefCell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;

use super::{cost, exp, logistic, lognormal, minutes, normal, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]): sampled every 20 s,
/// so a lesson's bell (a rise over minutes) is never missed.
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};

pub const STUDENTS: &str = "k-app";
pub const GRADING: &str = "k-batch";
pub const TEACHERS: &str = "k-teacher";
pub const PLANNER: &str = "k-agent";
const SONNET: &str = "claude-sonnet-4-6";

/// The streams this product adds to the harness's three: the teachers' reviews of the grades.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(SONNET, TEACHERS, 0.5)];

mod grading;
mod planner;
mod school;
mod students;

pub use grading::{job_start, CLASS_SET, RUBRIC, SITTING_CALLS};
pub use planner::{loop_multiplier, loop_share, LoopDraws, Plan};
pub use school::{
    at_local, day_kind, local, DayKind, Run, DIA_DE_MUERTOS, LESSON_MIN, LESSON_STARTS, PLAIN_DAY,
    RECESS,
};
pub use students::{home_conversation, lesson_conversation, mean_gap, Turn, HOME_TURNS};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's schools, timetable use, calendar levels, prompts, pipeline and guard.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    planner::forget_loop_shares();
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_classroom::begin_run draws the run before its streams (background does)")
}

/// A prompt cached up to its last breakpoint for `ttl_s` after its last use.
pub struct PrefixCache {
    ttl_s: f64,
    cached: u64,
    touched: Option<f64>,
}

impl PrefixCache {
    pub fn new(ttl_s: f64) -> PrefixCache {
        PrefixCache {
            ttl_s,
            cached: 0,
            touched: None,
        }
    }

    /// A call at `t` whose cached part is `tokens` long: (cold, read, written). A warm cache
    /// serves what it holds of them and the rest is written; a cold one writes them all.
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

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Tutor,
    Exercises,
    Grading,
    Reviews,
    Planner,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            STUDENTS if model.contains("haiku") => Work::Exercises,
            STUDENTS => Work::Tutor,
            GRADING => Work::Grading,
            TEACHERS => Work::Reviews,
            PLANNER => Work::Planner,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a plain school day (Wednesday), times the scenario's `scale(t)`:
/// `k-app`'s tutor and exercise checks in lessons and at home, `k-batch`'s grading jobs after
/// the deadlines, `k-teacher`'s reviews, `k-agent`'s planner runs with `scale` above 1 the tool
/// loop's, anything else a plain job.
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
        Work::Tutor => students::tutor,
        Work::Exercises => students::exercises,
        Work::Grading => grading::grading,
        Work::Reviews => grading::reviews,
        Work::Planner => planner::planner,
        Work::Job => job,
    };
    let mut out = work(rng, &run, start, end, base_per_min, scale);
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

/// A key this product does not know (the one-off batch): calls at the harness's rate × its
/// scale, no day, no cache.
fn job(
    rng: &mut StdRng,
    _run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(ARRIVALS, rng, start, end, base_per_min, scale)
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

#[cfg(test)]
mod tests;
