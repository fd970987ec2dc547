//! The teachers' essays: the grading pipeline on `k-batch` (sonnet), a backlog worked off at
//! its pace after each 23:59 deadline, and the teachers' reviews of the grades on `k-teacher`
//! (sonnet).

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::school::{at_local, local, Run};
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_1H_S, DAY_S, HOUR_S};

/// Essays in one teacher's assignment (a class set) on average.
pub const CLASS_SET: f64 = 35.0;
/// An assignment's rubric with its two anchor essays (tokens), drawn per assignment.
pub const RUBRIC: (u64, u64) = (5_000, 12_000);
/// The reviewer's own instructions before the rubric (tokens).
pub const REVIEWER_INSTRUCTIONS: u64 = 1_500;
/// A teacher's review sitting: calls on average (geometric).
pub const SITTING_CALLS: f64 = 4.0;
/// The pipeline's gaps between essays vary by this much either way (the workers' own pace).
pub const PACE_JITTER: f64 = 0.15;

/// A student's essay (tokens): 700–1,500 words of Spanish at the median, a long tail.
fn essay(rng: &mut StdRng) -> u64 {
    lognormal(rng, 1_700.0, 0.45).min(9_000.0) as u64 + 120
}

/// A graded essay's feedback: a score and a comment for each of the rubric's criteria.
fn feedback(rng: &mut StdRng) -> u64 {
    lognormal(rng, 750.0, 0.3).min(2_500.0) as u64 + 50
}

/// When the grading job for the deadline at the end of local day `day` starts: the cron's
/// minute past midnight.
pub fn job_start(run: &Run, day: i64) -> f64 {
    at_local(day + 1, 0.0) + 60.0 * run.cron_min
}

/// The grading jobs over `[start, end)`: for each deadline at 23:59, the essays submitted in
/// the 24 hours before it (a plain night's `base_per_min × 1440` × the night's level × the
/// scale at their submission), graded first in, first out from the cron's minute at the
/// pipeline's pace: one call an essay, the grader's instructions and the essay's rubric on the
/// 1-hour cache (an assignment's essays are spread over the whole job, minutes apart), the
/// essay uncached.
pub fn grading(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    // A job runs for hours at most: a deadline a day before `start` is the earliest that
    // matters.
    for day in local(start - DAY_S).0..=local(end).0 {
        let level = run.night_level(day);
        let job = job_start(run, day);
        if level == 0.0 || job >= end {
            continue;
        }
        let deadline = at_local(day + 1, 0.0) - 60.0;
        let submitted = thinned(
            ARRIVALS,
            rng,
            deadline - DAY_S,
            deadline,
            base_per_min * level,
            &|t| scale(t) * run.submissions(t, deadline),
        );
        out.extend(job_calls(rng, run, job, submitted.len()));
    }
    out
}

/// One job of `essays` essays from `job`: the night's assignments (class sets, each with its
/// rubric), the essays in submission order, each of any assignment.
pub fn job_calls(rng: &mut StdRng, run: &Run, job: f64, essays: usize) -> Vec<(f64, Usage)> {
    let sets = ((essays as f64 / CLASS_SET).round() as usize).max(1);
    let assignments: Vec<(u64, f64)> = (0..sets)
        .map(|_| {
            (
                rng.random_range(RUBRIC.0..RUBRIC.1),
                rng.random_range(0.5..1.5),
            )
        })
        .collect();
    let total: f64 = assignments.iter().map(|a| a.1).sum();
    let mut rubrics: Vec<PrefixCache> = (0..sets).map(|_| PrefixCache::new(CACHE_1H_S)).collect();
    let mut instructions = PrefixCache::new(CACHE_1H_S);
    let gap = 60.0 / run.grading_per_min;
    let mut t = job;
    (0..essays)
        .map(|_| {
            let mut x = rng.random::<f64>() * total;
            let a = assignments
                .iter()
                .position(|(_, w)| {
                    x -= w;
                    x < 0.0
                })
                .unwrap_or(sets - 1);
            let (_, ir, iw) = instructions.send(t, run.grader_instructions);
            let (_, rr, rw) = rubrics[a].send(t, assignments[a].0);
            let usage = Usage {
                input_tokens: essay(rng),
                output_tokens: feedback(rng),
                cache_read_input_tokens: ir + rr,
                cache_creation_input_tokens: iw + rw,
                cache_creation_1h_input_tokens: iw + rw,
            };
            let at = t;
            t += gap * rng.random_range(1.0 - PACE_JITTER..1.0 + PACE_JITTER);
            (at, usage)
        })
        .collect()
}

/// The teachers' reviews over `[start, end)`: sittings at the review's rate (the night graded
/// before, the teachers' hours), each a few essays of one assignment a couple of minutes
/// apart: the essay, its feedback and the teacher's note sent to regenerate the feedback, the
/// reviewer's instructions and the rubric on the 1-hour cache (the reviewer shares the
/// grader's request builder, TTL and all), written on the sitting's first call.
pub fn reviews(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    let rate = |t: f64| scale(t) * run.review(t);
    for s in thinned(
        ARRIVALS,
        rng,
        start - HOUR_S,
        end,
        base_per_min / SITTING_CALLS,
        &rate,
    ) {
        let prefix = REVIEWER_INSTRUCTIONS + rng.random_range(RUBRIC.0..RUBRIC.1);
        let mut cache = PrefixCache::new(CACHE_1H_S);
        let mut t = s;
        loop {
            let (_, read, written) = cache.send(t, prefix);
            let note = lognormal(rng, 60.0, 0.6).min(600.0) as u64 + 5;
            let usage = Usage {
                input_tokens: essay(rng) + feedback(rng) + note,
                output_tokens: lognormal(rng, 650.0, 0.35).min(2_500.0) as u64 + 50,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: written,
            };
            out.push((t, usage));
            if rng.random::<f64>() >= 1.0 - 1.0 / SITTING_CALLS {
                break;
            }
            t += lognormal(rng, 100.0, 0.6).min(1_800.0);
        }
    }
    out
}
