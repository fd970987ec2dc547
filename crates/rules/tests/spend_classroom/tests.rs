//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour. The calendar, the
//! timetable, the evening and the rates here; the work's own shapes (the conversations' cache,
//! the grading backlog, the planner's jump) in `tests/work.rs`.

use callwatch_core::classify::Usage;
use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, cost, minutes, quantile, spend_between, BaseRate, Generator,
};

mod work;

/// A run long enough to hold the plain Wednesday the rates are normalised on (local day 3:
/// 54 h to 78 h).
const LONG: f64 = 78.0 * HOUR_S;
const HAIKU: &str = "claude-haiku-4-5";
const OPUS: &str = "claude-opus-4-6";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Classroom, seed, end, scale);
    (current_run(), calls)
}

/// One stream of a run (its parameters drawn from `seed`) over `[start, end)`.
fn one(
    seed: u64,
    model_key: (&'static str, &'static str),
    start: f64,
    end: f64,
    per_min: f64,
) -> (Run, Vec<Call>) {
    let calls = crate::one_stream(
        Generator::Classroom,
        seed,
        model_key,
        (start, end),
        per_min,
        &|_| 1.0,
    );
    (current_run(), calls)
}

/// The students' calls (both of `k-app`'s models) in `[from, to)`.
fn students_in(calls: &[Call], from: f64, to: f64) -> f64 {
    calls
        .iter()
        .filter(|c| c.key == STUDENTS && (from..to).contains(&c.t))
        .count() as f64
}

#[test]
fn the_run_opens_on_the_sunday_evening_before_dia_de_muertos_in_mexico_city() {
    assert_eq!(
        local(0.0),
        (0, 18.0),
        "Monday 00:00 UTC is Sunday 18:00 in UTC−6"
    );
    assert_eq!(local(at_local(2, 7.5)), (2, 7.5));
    let kinds: Vec<DayKind> = (0..8).map(day_kind).collect();
    use DayKind::*;
    assert_eq!(
        kinds,
        [Sunday, Holiday, School, School, School, School, Saturday, Sunday]
    );
    assert_eq!(day_kind(DIA_DE_MUERTOS), Holiday);
    assert_eq!(day_kind(8), School, "the next Monday is a school day");
    for seed in 0..10 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        // Essays due every evening before a weekday, the holiday's included; none on Friday
        // and Saturday.
        let nights: Vec<f64> = (0..8).map(|d| run.night_level(d)).collect();
        assert_eq!(
            nights,
            [
                run.sunday_night,
                run.holiday_night,
                1.0,
                1.0,
                1.0,
                0.0,
                0.0,
                run.sunday_night
            ]
        );
        // Every shape is 1 on average over the plain Wednesday.
        let plain = |f: &dyn Fn(f64) -> f64| {
            minutes(at_local(PLAIN_DAY, 0.0), at_local(PLAIN_DAY + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        for (name, mean) in [
            ("in class", plain(&|t| run.in_class(t))),
            ("homework", plain(&|t| run.homework(t))),
            ("review", plain(&|t| run.review(t))),
            ("planning", plain(&|t| run.planning(t))),
        ] {
            assert!((mean - 1.0).abs() < 1e-3, "{name} at {mean:.4}");
        }
        // No lesson on Día de Muertos, on the Sunday or the Saturday.
        for day in [0, DIA_DE_MUERTOS, 6] {
            assert!(
                minutes(at_local(day, 0.0), at_local(day + 1, 0.0)).all(|t| run.in_class(t) == 0.0)
            );
        }
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_the_schools_the_calendar_the_prompts_and_the_pipeline_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((25..60).contains(&run.schools.len()));
        let weights: f64 = run.schools.iter().map(|s| s.weight).sum();
        assert!((weights - 1.0).abs() < 1e-9);
        assert!(run.schools.iter().all(|s| s.offset_min.abs() <= 5.0));
        assert!(run.period_use.iter().all(|u| (0.5..1.25).contains(u)));
        assert!((0.45..0.6).contains(&run.tutor_in_class));
        assert!((0.55..0.7).contains(&run.exercises_in_class));
        assert!((80.0..120.0).contains(&run.class_gap_s));
        assert!((3_500..6_000).contains(&run.tutor_system));
        assert!((0.8..1.1).contains(&run.sunday_homework));
        assert!((0.6..0.9).contains(&run.holiday_homework));
        assert!((1.0..1.5).contains(&run.sunday_night));
        assert!((0.5..0.9).contains(&run.holiday_night));
        assert!((25.0..45.0).contains(&run.grading_per_min));
        assert!((5.0..20.0).contains(&run.cron_min));
        assert!((2_500..4_000).contains(&run.grader_instructions));
        assert!((1.3..2.0).contains(&run.sunday_planning));
        assert!((4_000..6_000).contains(&run.planner_system));
        assert!(run.programas.iter().all(|p| (18_000..30_000).contains(p)));
        assert!((40..60).contains(&run.max_turns));
    }
}

/// The in-class tutoring steps with the bells: busy in each lesson's work phase, near-silent
/// in the passing times' middle and in the recess, up within minutes of a lesson's start and
/// down at its end; over 10 runs, the students' calls (tutor and checks) on the plain
/// Wednesday.
#[test]
fn the_timetable_steps_at_the_bells_and_the_breaks_are_near_silent() {
    let day = PLAIN_DAY;
    let at = |min: f64| at_local(day, min / 60.0);
    let (mut lessons, mut passing, mut recess, mut ups, mut downs) =
        (Vec::new(), Vec::new(), 0.0, Vec::new(), Vec::new());
    for seed in 0..10 {
        let (_, calls) = run_of(seed, LONG, &|_| 1.0);
        // Calls a minute in the windows, minutes after local midnight.
        let rate = |a: f64, b: f64| students_in(&calls, at(a), at(b)) / (b - a);
        for (p, start) in LESSON_STARTS.iter().enumerate() {
            let busy = rate(start + 12.0, start + 45.0);
            lessons.push(busy);
            // Up: the lesson's 10th-15th minutes against the 5 minutes before its bell.
            ups.push(rate(start + 10.0, start + 15.0) / rate(start - 5.0, *start).max(0.2));
            // Down: its last minutes of work against the 5 minutes after its bell.
            let end = start + LESSON_MIN;
            downs.push(rate(end - 8.0, end - 3.0) / rate(end + 2.0, end + 7.0).max(0.2));
            if p + 1 < LESSON_STARTS.len() && LESSON_STARTS[p + 1] == end + 10.0 {
                passing.push(rate(end + 3.0, end + 7.0) / busy);
            }
        }
        recess += rate(RECESS.0 + 5.0, RECESS.1 - 5.0) / 10.0;
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let busy = mean(&lessons);
    let quiet = mean(&passing);
    let recess_share = recess / busy;
    assert!(busy > 25.0, "{busy:.1} calls a minute in lessons");
    assert!(
        quiet < 0.15,
        "passing at {:.0} % of the lessons",
        100.0 * quiet
    );
    assert!(
        recess_share < 0.08,
        "recess at {:.1} % of the lessons",
        100.0 * recess_share
    );
    let (up, down) = (
        quantile(&mut ups.clone(), 0.5),
        quantile(&mut downs.clone(), 0.5),
    );
    assert!(up > 4.0 && down > 4.0, "steps {up:.1}× up, {down:.1}× down");
    println!(
        "Classroom Wednesday students' calls, 10 runs: {busy:.1}/min in lessons' work, passing's middle at {:.1} %, recess at {:.1} %; the bell's step {up:.1}× up (min 10-15 against the 5 before), {down:.1}× down (medians)",
        100.0 * quiet,
        100.0 * recess_share
    );
}

/// The homework evening: a broad peak 17:00–22:00 (every hour of it at least half the
/// highest), the small hours near-silent, on a school day and on the holiday.
#[test]
fn the_homework_evening_is_a_broad_peak_and_the_night_near_silent() {
    let mut rows = Vec::new();
    for seed in [1, 2, 3] {
        // To Thursday 06:00 local: Wednesday's night.
        let (_, calls) = run_of(seed, at_local(PLAIN_DAY + 1, 6.0), &|_| 1.0);
        for day in [DIA_DE_MUERTOS, 2, PLAIN_DAY] {
            let hour = |h: f64| students_in(&calls, at_local(day, h), at_local(day, h + 1.0));
            let evening: Vec<f64> = (17..22).map(|h| hour(f64::from(h))).collect();
            let top = evening.iter().copied().fold(0.0, f64::max);
            let low = evening.iter().copied().fold(f64::MAX, f64::min);
            let night = (2..5).map(|h| hour(f64::from(h + 24))).sum::<f64>() / 3.0;
            assert!(
                low > 0.5 * top,
                "seed {seed} day {day}: evening {evening:?}"
            );
            assert!(
                top > 25.0 * night.max(1.0),
                "seed {seed} day {day}: {top} an hour at the peak, {night:.1} at night"
            );
            rows.push(format!(
                "{seed}/{day}: {:.0}-{top:.0}/h, night {night:.1}/h",
                low
            ));
        }
    }
    println!(
        "Classroom homework evenings 17:00-22:00 (seed/day: lowest-highest hour) and the next night 02:00-05:00: {}",
        rows.join("; ")
    );
}

/// Día de Muertos, the first Monday: no lessons (its school hours a few per cent of
/// Tuesday's), its evening at the run's holiday level; and so the run's first day costs
/// unlike the days after it.
#[test]
fn dia_de_muertos_has_no_lessons_and_its_day_is_unlike_the_others() {
    let mut rows = Vec::new();
    for seed in [4, 5, 6] {
        let (run, calls) = run_of(seed, LONG, &|_| 1.0);
        let hours = |day: i64, a: f64, b: f64| {
            students_in(&calls, at_local(day, a), at_local(day, b)) / (b - a)
        };
        let (holiday, tuesday) = (hours(1, 7.0, 14.2), hours(2, 7.0, 14.2));
        assert!(
            holiday < 0.15 * tuesday,
            "seed {seed}: {holiday:.0} an hour on the holiday's morning, {tuesday:.0} on Tuesday's"
        );
        let eve = |day: i64| hours(day, 17.0, 22.0);
        let level = eve(1) / eve(3);
        assert!(
            (level / run.holiday_homework - 1.0).abs() < 0.2,
            "seed {seed}: the holiday's evening at {level:.2} of Wednesday's, drawn {:.2}",
            run.holiday_homework
        );
        // The run's first day against the plain Wednesday.
        let day = |a: f64| spend_between(&calls, a, a + DAY_S);
        let (first, wednesday) = (day(0.0), day(at_local(PLAIN_DAY, 0.0)));
        let students = |a: f64, b: f64| {
            calls
                .iter()
                .filter(|c| c.key == STUDENTS && (a..b).contains(&c.t))
                .map(cost)
                .sum::<f64>()
        };
        let first_students = students(0.0, DAY_S) / students(at_local(3, 0.0), at_local(4, 0.0));
        assert!(
            first_students < 0.8,
            "the students' first day at {first_students:.2} of Wednesday's"
        );
        rows.push(format!(
            "{seed}: holiday 07:00-14:12 {holiday:.0}/h against Tuesday's {tuesday:.0}/h, its evening {level:.2} (drawn {:.2}); first day ${first:.0}, Wednesday ${wednesday:.0}, the students' first day {first_students:.2} of Wednesday's",
            run.holiday_homework
        ));
    }
    println!("Classroom Día de Muertos: {}", rows.join("; "));
}

/// Each stream at its base rate over the plain Wednesday, averaged over 20 runs.
#[test]
fn the_streams_honour_their_base_rates_over_a_plain_school_day() {
    let wed = at_local(PLAIN_DAY, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, STUDENTS), 6.0, 0.03, 0.12),
        ((HAIKU, STUDENTS), 10.0, 0.02, 0.05),
        ((SONNET, GRADING), 3.0, 0.03, 0.08),
        ((SONNET, TEACHERS), 0.5, 0.05, 0.3),
        ((OPUS, PLANNER), 4.0, 0.05, 0.2),
    ];
    crate::assert_base_rates(
        "Classroom Wednesday",
        wed,
        &streams,
        &|seed, stream, per_min| one(seed, stream, wed - HOUR_S, wed + DAY_S, per_min).1,
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance: realisations of one run with
/// other rngs differ call by call, not in their parameters, and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    crate::assert_one_run_realised_by_chance(Generator::Classroom, begin_run, current_run);
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate, and this
/// product's runs open on a Sunday evening and a holiday, with a grading night in each day:
/// the balance left must still last well over a day at the last day's rate at every hour from
/// 24 h on.
#[test]
fn the_quiet_runs_stay_ample_through_the_holiday_and_the_grading_nights() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Classroom seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// Two runs: each stream's calls cost what such calls do, a school day's spend and the
/// night's grading in proportion; the spend per hour printed.
#[test]
fn two_runs_cost_what_a_school_platform_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, LONG, &|_| 1.0);
        let costs = |model: &str, key: &str| crate::costs_of(&calls, model, key);
        let (mut tutor, mut checks, mut grades, mut reviews) = (
            costs(SONNET, STUDENTS),
            costs(HAIKU, STUDENTS),
            costs(SONNET, GRADING),
            costs(SONNET, TEACHERS),
        );
        let t50 = quantile(&mut tutor, 0.5);
        let t99 = quantile(&mut tutor, 0.99);
        let c50 = quantile(&mut checks, 0.5);
        let g50 = quantile(&mut grades, 0.5);
        let r50 = quantile(&mut reviews, 0.5);
        assert!(
            (0.005..0.02).contains(&t50) && t99 < 0.06,
            "tutor ${t50:.4} ${t99:.4}"
        );
        assert!((0.0005..0.003).contains(&c50), "a check ${c50:.5}");
        assert!((0.012..0.04).contains(&g50), "an essay ${g50:.4}");
        assert!((0.012..0.05).contains(&r50), "a review ${r50:.4}");
        let wed = at_local(PLAIN_DAY, 0.0);
        let day = spend_between(&calls, wed, wed + DAY_S);
        assert!((100.0..500.0).contains(&day), "Wednesday ${day:.0}");
        let grading: f64 = calls
            .iter()
            .filter(|c| c.key == GRADING && (wed..wed + DAY_S).contains(&c.t))
            .map(cost)
            .sum();
        assert!(
            (0.25..0.6).contains(&(grading / day)),
            "grading ${grading:.0} of ${day:.0}"
        );
        let mut hourly = vec![0.0; (LONG / HOUR_S) as usize];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        println!(
            "Classroom seed {seed}: {} calls in 78 h, ${:.0}; Wednesday ${day:.0}, its grading ${grading:.0}; median a tutor turn ${t50:.4} (p99 ${t99:.4}), a check ${c50:.5}, an essay ${g50:.4}, a review ${r50:.4}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = Sunday 18:00 local): {}",
            row.join(" ")
        );
    }
}

/// The one-off batch is a job: 20× the background's call rate, all in its 10 minutes, at any
/// hour, without a cache or a conversation.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    // 8 h (the harness's batch: Monday 02:00 local, in the night's grading) and 40 h (Tuesday
    // 10:00, in lessons).
    crate::assert_one_off_batch_is_a_plain_job(Generator::Classroom, &[8.0, 40.0]);
}
