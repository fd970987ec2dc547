//! `Classroom`, the fourteenth generator (session 30), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the thirteen others, and held out: not run on the rules
//! (no alert computed on its calls) until the session's rule changes are merged, then run once. An
//! education platform for secondary schools (secundarias) in Mexico City (UTC−6, no summer time
//! since 2022): students ask a tutor in lessons and at home and check their exercises, an overnight
//! pipeline grades the essays handed in by each 23:59 deadline, the teachers review those grades,
//! and a lesson-planning agent drafts their planeaciones. Four things, each of which matters to
//! spend:
//!
//! * **A timetable: the students' key steps with the bells.** The schools keep the morning shift's
//!   timetable (`school.rs`): seven lessons of 50 minutes from 07:00, 10 minutes' passing between
//!   them and a 30-minute recess (10:50–11:20), the day over at 14:10. A lesson that uses the tutor
//!   opens it after the teacher's introduction (2–8 minutes) and closes it at the bell; the
//!   platform's 25–60 schools (drawn per run) ring within a couple of minutes of the official times
//!   (their offsets drawn per run, sd 0.7–2 minutes), so the in-class calls of every school's
//!   classes rise within minutes of a lesson's start, hold for 40 minutes and stop at the bell: on
//!   a plain school day a lesson's 10th to 15th minutes bring some 45 times the students' calls of
//!   the 5 minutes before its bell, its last minutes as many times those of the 5 after it, and the
//!   passing times' middle and the recess run at 2 % of a lesson's rate. Each lesson's use of the
//!   tutor is the run's (drawn; the first and last lessons less). `k-app` (sonnet) is the tutor: a
//!   student's conversation runs over the lesson's work phase (a turn every 80–120 s at the median,
//!   drawn per run: 15–22 turns a lesson on average), or at home (7 turns a minute apart), streamed
//!   answers (300 tokens at the median) to short messages (60), the tutor's system prompt (3.5k–6k
//!   tokens, drawn per run) and the conversation's own history on the **5-minute** cache: its first
//!   turn writes the student's worksheet and profile (median 1.1k), each later turn reads the
//!   history and writes the last exchange, a think time of 5 minutes or more (about 7 % of turns)
//!   rewrites it all; a turn costs a cent. `k-app`'s haiku stream checks a student's short answer
//!   against the answer key with a hint back (700 tokens in, 90 out, uncached: under haiku's least
//!   cacheable prompt), in lessons and at home.
//! * **Homework evenings and silent nights.** Away from the bells the students come at their own
//!   hours: after the family's comida a broad evening from 17:00 to 22:00 (no hour of it under half
//!   its highest), a tenth of it by midnight, the small hours near-silent (the evening's peak hour
//!   50–140× a night hour's), a few at home during school hours and before school. In lessons go
//!   45–60 % of a school day's tutor turns and 55–70 % of its checks (drawn per run); on a plain
//!   school day the lessons run at about twice the evening's height.
//! * **A calendar with Día de Muertos.** The harness's first instant, Monday 2 November 2026 00:00
//!   UTC, is Sunday 1 November 18:00 in Mexico City, and Monday 2 November is Día de Muertos, a day
//!   without classes in SEP's calendar: no lessons at all, its school hours at about 6 % of
//!   Tuesday's students' calls; homework goes on, its evening at 60–90 % of a school evening's
//!   (work due on Tuesday), the Sunday evening at 80–110 % (the weekend's essays due at midnight;
//!   both drawn per run). So the run's first day (Sunday evening to Monday evening) holds no lesson
//!   and costs the students about 55 % of a school day, and Tuesday, the first school day, brings
//!   the lessons, the largest daytime spend, which a day of history has not seen. The quiet runs'
//!   36 h end on Tuesday 06:00 local, the exhaustion's 64 h on Wednesday 10:00; the jump at 3 h is
//!   Sunday 21:00, the one-off batch at 8 h Monday 02:00, in the night's grading.
//! * **The essays, graded overnight in a backlog at the pipeline's pace.** `k-batch` (sonnet) is
//!   the grading pipeline (`grading.rs`). Essays are due at 23:59 on every evening before a
//!   weekday, the holiday's included; they are handed in through the evening with a rush in the
//!   last hour, and at the cron's minute after midnight (00:05–00:20, drawn per run) the pipeline
//!   grades the night's backlog first in, first out at its worker pool's pace (25–45 essays a
//!   minute, drawn per run; gaps within ±15 %), one call an essay, until it is done: a plain
//!   night's 4,320 essays (the key's 3 calls a minute over the day) in 1.6–2.9 hours, Sunday
//!   night's weekend essays (1.0–1.5× a plain night's, drawn) in up to 4.3, the holiday's
//!   (0.5–0.9×) in 0.8–2.6. Each call sends the grader's instructions (2.5k–4k tokens, drawn per
//!   run) and the assignment's rubric with its two anchor essays (5k–12k, drawn per assignment of
//!   35 essays on average) on the **1-hour** cache, the essay after them (700–1,500 words of
//!   Spanish: 1.8k tokens at the median, to 9k), and gets a score and a comment per criterion (750
//!   tokens): 2.2 cents an essay. The essays come in the order they were handed in, so an
//!   assignment's essays are spread over the whole job, minutes apart: a 5-minute TTL would rewrite
//!   the rubric again and again; on the 1-hour one each assignment's rubric is written once at the
//!   1-hour price and read by its other essays. The grading is 40 % of a school day's spend, and
//!   its hours (from 00:05 local for 1–4 hours) the day's most expensive. `k-teacher` (sonnet, 0.5
//!   calls a minute, an extra stream) is the teachers' review of those grades: sittings of a few
//!   essays of one assignment (4 calls on average, two minutes apart), each call the essay, its
//!   feedback and the teacher's note to regenerate it (uncached) after the reviewer's instructions
//!   and the rubric (the reviewer shares the grader's request builder, so those are on the 1-hour
//!   cache too, written at a sitting's first call), in free periods, after school and in the
//!   evening, as many as the night before graded: on Día de Muertos, a day off, about a quarter of
//!   a plain day's.
//!
//! Against the thirteen, each differs in three or more of these: Steady, Tenants and Cascades have
//! no day, no clock of bells, no deadline and no calendar; Sessions no day, no bells, no backlog,
//! agent sessions of 6 turns; Diurnal a sine day and on/off tenants, no bells, no backlog, no
//! holiday; Fleet a UTC+8 working week, a daily sweep at a fixed hour and of a fixed shape (here
//! the night's job lasts as long as the day's essays take), tool chains on the 5-minute cache; Saas
//! two regions in UTC, a nightly sync of a fixed 30 minutes and a migration; Launch a drawn hour,
//! growth and eval suites on a period; Contracts an IST five-day week and a few huge calls;
//! Helpdesk sparse keys in three zones, Markov regimes and a release; Studio a Pacific week, IDE
//! sessions on the 1-hour cache and a CI bot bursting every 15 or 30 minutes on one key (here the
//! students' key, every school's classes, moves as one square wave of unequal blocks with a recess,
//! down and up every hour); CallCentre a roster clipping São Paulo's day flat, a QA job of a fixed
//! size its queue triggers and Finados kept as a Saturday's half day (here the same day, Día de
//! Muertos, empties the lessons while the homework and the deadlines go on, and the grading's size
//! follows the calendar); Newsroom Tokyo's news as shot noise, a shared article cache, a crawler
//! paced round the clock. None has UTC−6, a timetable of bells that moves its biggest key in steps,
//! a deadline's backlog whose length is the day's submissions, or spend highest in the small hours.
//!
//! **The jump is a tool loop: an agent re-sending its growing conversation.** `k-agent` (the
//! harness's jumping key: opus, 4 calls a minute over a plain school day) is the teachers' lesson
//! planner (`planner.rs`): a run drafts a planeación in a tool step after another (geometric, 6 on
//! average; 70 % of them search the Libros de Texto Gratuitos' index), then writes the plan (2.5k
//! tokens). Its prefix, the system prompt (4k–6k tokens) and the campo formativo's programa
//! sintético (18k–30k each, drawn per run), is on the **1-hour** cache; the conversation after it
//! (the teacher's request, each tool's result, the agent's turns) is re-sent whole every call,
//! uncached: affordable for a run of 7 calls (52 cents on average, 28 at the median). Teachers plan
//! in free periods, after school and in the evening, Sunday evening most (the week's planeación at
//! 1.3–2.0× a school evening's, drawn per run: 21 calls a minute before the jump). A deploy of the
//! textbook index rolls out replicas whose search returns the same irrelevant page (1.2k tokens)
//! for any query; a search that reaches one gets that page, and the agent searches again with
//! another query (a terse 70-token tool use, a call every 4–5 seconds), re-sending its
//! conversation, longer by the page every time, until a search reaches a sound replica or the
//! runner's guard (40–60 calls a run, drawn per run) stops the run without a plan. Each failing
//! search so loops a geometric number of times and costs with the square of its length; runs in
//! progress loop at their next search. The scenario's `scale` above 1 is the rollout's reach: the
//! share of searches the broken replicas take, solved per run so the planner's spend is `scale`
//! times its own (0.79–0.86 for the harness's 6×). The stream is at 2× in the first minute, 3.4× in
//! the second and about 6× from the third on (pooled over seeds 0–19, 6.1× from 5 to 50 minutes;
//! the 10 minutes after the jump at 3.1–6.5× the same run without it, median 5.1, the loops'
//! chance; see the tests). Both more calls and bigger ones, the calls' growth within each run:
//! Newsroom's jump keeps the calls and their tokens (a cache regression), CallCentre's repeats each
//! request unchanged six times in a row, Studio's sends six identical candidates at once,
//! Contracts' makes every call bigger by the same paste, Helpdesk's adds independent calls over 5
//! minutes, the others' steps independent calls. Below 1 the scale thins the runs instead.
//!
//! What defines the run (the schools and their bells, the lessons' use, the calendar's levels, the
//! prompts, the pipeline's pace and cron, the guard) is drawn once by [`begin_run`]; which
//! students, conversations, exercises, essays, assignments, sittings and planner runs come, when,
//! their tokens and the loops' chance are drawn from the `rng` each stream is given, so
//! realisations of one run differ by chance only. The scenario's `scale` multiplies each stream's
//! intensity (the students in a lesson by the scale at its bell, the essays handed in by the scale
//! when they are). The one-off batch (`k-oneoff`), and any key this product does not know, is a
//! job: calls at the harness's rate × its scale, no day, no cache.

use std::cell::RefCell;

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
