//! The students' key, `k-app`: the tutor's conversations in lessons and at home (sonnet), and
//! the exercise checks (haiku).

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::school::{
    at_local, day_kind, local, DayKind, Run, INTRO_MIN, LESSON_MIN, LESSON_STARTS, WRAP_MIN,
};
use super::{exp, lognormal, thinned, PrefixCache, ARRIVALS, CACHE_5M_S, HOUR_S};

/// The spread (sd of the log) of a student's think time between tutor turns, in a lesson and
/// at home; the median at home (a lesson's is the run's).
pub const GAP_SIGMA: f64 = 0.9;
pub const HOME_GAP_S: f64 = 60.0;
/// A homework conversation's turns on average (geometric).
pub const HOME_TURNS: f64 = 7.0;

/// One tutor turn of a conversation, before the tutor's system prompt is added.
pub struct Turn {
    pub t: f64,
    /// The conversation's cache was cold: the system prompt is read or written too.
    pub cold: bool,
    pub read: u64,
    pub written: u64,
    pub message: u64,
    pub answer: u64,
}

/// The conversation's own context: the worksheet item or homework problem the student is on,
/// and the student's profile (grade, recent mistakes).
fn context(rng: &mut StdRng) -> u64 {
    lognormal(rng, 1_100.0, 0.5).min(6_000.0) as u64 + 100
}

/// A turn of a conversation at `t`: the history through the last answer on its cache
/// (breakpoint before the new message), the message sent fresh, the answer streamed back.
fn turn(rng: &mut StdRng, cache: &mut PrefixCache, history: &mut u64, t: f64) -> Turn {
    let message = lognormal(rng, 60.0, 0.6).min(800.0) as u64 + 5;
    let answer = lognormal(rng, 300.0, 0.5).min(1_500.0) as u64 + 20;
    let (cold, read, written) = cache.send(t, *history);
    *history += message + answer;
    Turn {
        t,
        cold,
        read,
        written,
        message,
        answer,
    }
}

/// The mean of a lognormal think time of median `median_s`.
pub fn mean_gap(median_s: f64) -> f64 {
    median_s * (GAP_SIGMA * GAP_SIGMA / 2.0).exp()
}

/// A student's conversation over a lesson's work phase `[from, to)`: turns a think time
/// apart, the first at the stationary renewal's first point (a uniform share of a
/// length-biased think time: for a lognormal its median × e^σ²), so a student makes
/// `(to − from) / mean think time` turns on average.
pub fn lesson_conversation(rng: &mut StdRng, run: &Run, from: f64, to: f64) -> Vec<Turn> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut history = context(rng);
    let biased = lognormal(
        rng,
        run.class_gap_s * (GAP_SIGMA * GAP_SIGMA).exp(),
        GAP_SIGMA,
    );
    let mut t = from + rng.random::<f64>() * biased;
    let mut out = Vec::new();
    while t < to {
        out.push(turn(rng, &mut cache, &mut history, t));
        t += lognormal(rng, run.class_gap_s, GAP_SIGMA);
    }
    out
}

/// A homework conversation from `s`: a geometric number of turns a think time apart.
pub fn home_conversation(rng: &mut StdRng, s: f64) -> Vec<Turn> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut history = context(rng);
    let mut t = s;
    let mut out = vec![turn(rng, &mut cache, &mut history, t)];
    while rng.random::<f64>() < 1.0 - 1.0 / HOME_TURNS {
        t += lognormal(rng, HOME_GAP_S, GAP_SIGMA);
        out.push(turn(rng, &mut cache, &mut history, t));
    }
    out
}

/// A Poisson count of mean `mean`.
fn poisson(rng: &mut StdRng, mean: f64) -> u32 {
    let (mut n, mut s) = (0, exp(rng, 1.0));
    while s < mean {
        n += 1;
        s += exp(rng, 1.0);
    }
    n
}

/// The tutor's turns over `[start, end)`: in lessons, each school's students in each lesson
/// (a Poisson count by the school's share and the lesson's use, × the scale at its bell) in
/// conversations over their work phases; at home, conversations starting at the homework's
/// rate. The tutor's system prompt is read while the key's last call is under 5 minutes old.
pub fn tutor(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut turns = Vec::new();
    // Students a unit of in-class activity holds: the turn rate base × share × in_class(t) a
    // minute, a student's one a mean think time.
    let students =
        base_per_min * run.tutor_in_class / run.lesson_mean() * mean_gap(run.class_gap_s) / 60.0;
    let (first, last) = (local(start - HOUR_S).0, local(end).0);
    for day in first..=last {
        if day_kind(day) != DayKind::School {
            continue;
        }
        for school in &run.schools {
            for (bell_min, use_) in LESSON_STARTS.iter().zip(&run.period_use) {
                let bell = at_local(day, 0.0) + 60.0 * (bell_min + school.offset_min);
                if bell + 60.0 * LESSON_MIN < start || bell > end {
                    continue;
                }
                let n = poisson(rng, students * school.weight * use_ * scale(bell).max(0.0));
                for _ in 0..n {
                    let intro = rng.random_range(INTRO_MIN.0..INTRO_MIN.1);
                    let wrap = rng.random_range(WRAP_MIN.0..WRAP_MIN.1);
                    let (from, to) = (bell + 60.0 * intro, bell + 60.0 * (LESSON_MIN - wrap));
                    turns.extend(lesson_conversation(rng, run, from, to));
                }
            }
        }
    }
    let home_rate = |t: f64| scale(t) * run.homework(t);
    let per_min = base_per_min * (1.0 - run.tutor_in_class) / HOME_TURNS;
    for s in thinned(ARRIVALS, rng, start - HOUR_S, end, per_min, &home_rate) {
        turns.extend(home_conversation(rng, s));
    }
    turns.sort_by(|a, b| a.t.total_cmp(&b.t));
    let mut last: Option<f64> = None;
    turns
        .into_iter()
        .map(|c| {
            let warm = last.is_some_and(|a| c.t - a < CACHE_5M_S);
            last = Some(c.t);
            let system = run.tutor_system;
            let (read, written) = match (c.cold, warm) {
                (false, _) => (system + c.read, c.written),
                (true, true) => (system, c.written),
                (true, false) => (0, system + c.written),
            };
            let usage = Usage {
                input_tokens: c.message,
                output_tokens: c.answer,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            (c.t, usage)
        })
        .collect()
}

/// The exercise checks over `[start, end)`: a student's short answer checked against the
/// answer key with a hint back, independent calls at the lessons' and the homework's rate,
/// uncached (under haiku's least cacheable prompt).
pub fn exercises(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let share = run.exercises_in_class;
    let rate = |t: f64| scale(t) * (share * run.in_class(t) + (1.0 - share) * run.homework(t));
    thinned(ARRIVALS, rng, start, end, base_per_min, &rate)
        .into_iter()
        .map(|t| {
            let usage = Usage {
                input_tokens: lognormal(rng, 700.0, 0.3).min(3_000.0) as u64 + 1,
                output_tokens: lognormal(rng, 90.0, 0.4).min(600.0) as u64 + 1,
                ..Usage::default()
            };
            (t, usage)
        })
        .collect()
}
