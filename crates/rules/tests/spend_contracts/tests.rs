//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour.

use rand::SeedableRng;

use super::*;
use crate::{assert_quiet_runs_stay_ample, cost, spend_between, Generator};

/// The exhaustion scenario's length: the traffic must hold its shape this long.
const END: f64 = 64.0 * HOUR_S;
/// The shared background's calls a minute beside `k-review` (k-app haiku and sonnet, k-batch).
const APP_PER_MIN: f64 = 10.0 + 6.0;
const INGEST_PER_MIN: f64 = 3.0;

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Contracts, seed, end, scale);
    (current_run(), calls)
}

/// The first seeds whose runs open on a Thursday and on a Friday.
fn a_thursday_and_a_friday() -> [u64; 2] {
    let first = |day: i64| {
        (0..)
            .find(|s| begin_run(&mut StdRng::seed_from_u64(*s)).first_day == day)
            .unwrap_or(0)
    };
    [first(0), first(1)]
}

#[test]
fn the_week_averages_one_with_a_quiet_weekend_and_nights_and_no_steps() {
    for first_day in [0, 1] {
        for level in [0.10, 0.22] {
            let run = Run::new(first_day, level);
            let week_s = 7.0 * DAY_S;
            let minute = |m: i64| run.week(60.0 * m as f64);
            let mean = (0..7 * 1440).map(minute).sum::<f64>() / (7.0 * 1440.0);
            assert!((mean - 1.0).abs() < 1e-9, "{mean}");
            // Local 15:00 and 03:00 on the Thursday after the run opens (any day but a weekend).
            let at = |day: f64, h: f64| {
                let t = (day * DAY_S + h * HOUR_S - run.local_s(0.0)).rem_euclid(week_s);
                run.week(t)
            };
            let (thursday, saturday, sunday) = (at(7.0, 15.0), at(9.0, 15.0), at(10.0, 15.0));
            assert!(at(7.0, 3.0) < 0.06 * thursday, "{}", at(7.0, 3.0));
            for weekend in [saturday, sunday] {
                let share = weekend / thursday;
                // The level, plus the night's floor (a twentieth of the afternoon) it keeps.
                assert!(
                    (level..level + 0.06).contains(&share),
                    "a weekend afternoon at {share:.3} of a weekday's, level {level}"
                );
            }
            assert!(run.is_weekend(9.0 * DAY_S + 15.0 * HOUR_S - run.local_s(0.0)));
            // No step: consecutive minutes differ by under 3 % of the weekday's peak, midnights
            // and the weekend's edges included.
            let steepest = (0..7 * 1440)
                .map(|m| (minute(m + 1) - minute(m)).abs())
                .fold(0.0f64, f64::max);
            assert!(steepest < 0.03 * thursday, "a step of {steepest:.3}");
        }
    }
}

#[test]
fn runs_open_on_a_thursday_or_a_friday_at_0530_ist_and_a_weekend_comes_within_64_hours() {
    let mut days = [0; 2];
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        days[run.first_day as usize] += 1;
        assert!((run.local_hour(0.0) - 5.5).abs() < 1e-9);
        assert!((0.10..0.22).contains(&run.weekend_level));
        let weekend_h = (0..64 * 60)
            .filter(|m| run.is_weekend(60.0 * f64::from(*m)))
            .count() as f64
            / 60.0;
        let first: f64 = if run.first_day == 0 { 42.5 } else { 18.5 };
        assert!(
            (weekend_h - (64.0 - first).min(48.0)).abs() < 0.02,
            "{weekend_h} h of weekend"
        );
    }
    assert!(
        days[0] >= 5 && days[1] >= 5,
        "Thursdays and Fridays {days:?}"
    );
}

/// One run opening on a Thursday, one on a Friday, 64 hours each: the users' calls follow the
/// week, the weekend is there, half the spend is in 1 % of the calls.
#[test]
fn two_runs_have_the_week_the_weekend_and_the_heavy_calls_meant() {
    for seed in a_thursday_and_a_friday() {
        let (run, calls) = run_of(seed, END, &|_| 1.0);
        let users: Vec<&Call> = calls.iter().filter(|c| c.key == APP).collect();

        // As many calls as the week asks for, on `k-app` and on `k-batch`.
        let meant = |per_min: f64, shape: &dyn Fn(f64) -> f64| -> f64 {
            (0..(END / 60.0) as u32)
                .map(|m| per_min * shape(60.0 * f64::from(m) + 30.0))
                .sum()
        };
        let expected = meant(APP_PER_MIN, &|t| run.week(t));
        let got = users.len() as f64;
        assert!(
            (got / expected - 1.0).abs() < 0.05,
            "{got} k-app calls, {expected:.0} meant"
        );
        let ingest = calls.iter().filter(|c| c.key == INGEST).count() as f64;
        let ingest_meant = meant(INGEST_PER_MIN, &|t| run.ingest(t));
        assert!(
            (ingest / ingest_meant - 1.0).abs() < 0.06,
            "{ingest} k-batch calls, {ingest_meant:.0} meant"
        );

        // The weekend: k-app's calls a minute in working hours (10:00–18:00 local), weekend
        // days against weekdays.
        let working = |c: &&Call| (10.0..18.0).contains(&run.local_hour(c.t));
        let minutes = |weekend: bool| {
            (0..(END / 60.0) as u32)
                .map(|m| 60.0 * f64::from(m) + 30.0)
                .filter(|t| {
                    run.is_weekend(*t) == weekend && (10.0..18.0).contains(&run.local_hour(*t))
                })
                .count() as f64
        };
        let per_min = |weekend: bool| {
            users
                .iter()
                .filter(|c| working(c) && run.is_weekend(c.t) == weekend)
                .count() as f64
                / minutes(weekend)
        };
        let (weekday, weekend) = (per_min(false), per_min(true));
        let share = weekend / weekday;
        assert!(
            (0.08..0.35).contains(&share),
            "weekend {weekend:.1}, weekday {weekday:.1} calls a minute"
        );
        // Nights (01:00–05:00 local) against weekday working hours.
        let nights = users
            .iter()
            .filter(|c| (1.0..5.0).contains(&run.local_hour(c.t)))
            .count() as f64
            / (0..(END / 60.0) as u32)
                .filter(|m| (1.0..5.0).contains(&run.local_hour(60.0 * f64::from(*m) + 30.0)))
                .count() as f64;
        assert!(nights < 0.1 * weekday, "nights {nights:.2} calls a minute");

        // Heavy calls: k-review is about 1 % of the calls and about half of the spend; its
        // first passes write 1-hour cache entries of whole contracts, under the 200k window.
        let total: f64 = calls.iter().map(cost).sum();
        let reviews: Vec<&Call> = calls.iter().filter(|c| c.key == REVIEW).collect();
        let review_calls = reviews.len() as f64 / calls.len() as f64;
        let review_spend = reviews.iter().map(|c| cost(c)).sum::<f64>() / total;
        assert!(
            (0.005..0.02).contains(&review_calls),
            "reviews {review_calls:.3} of the calls"
        );
        assert!(
            (0.35..0.7).contains(&review_spend),
            "reviews {review_spend:.2} of the spend"
        );
        let first_passes = reviews
            .iter()
            .filter(|c| c.usage.cache_creation_1h_input_tokens > 0)
            .count() as f64
            / reviews.len() as f64;
        assert!(
            (0.6..0.9).contains(&first_passes),
            "first passes {first_passes:.2}"
        );
        let largest_context = reviews
            .iter()
            .map(|c| {
                c.usage.input_tokens
                    + c.usage.cache_read_input_tokens
                    + c.usage.cache_creation_input_tokens
            })
            .max()
            .unwrap_or(0);
        assert!(largest_context < 200_000, "{largest_context}");
        // The tail is per call: the costliest 1 % of calls carry at least 40 % of the spend.
        let mut costs: Vec<f64> = calls.iter().map(cost).collect();
        costs.sort_by(|a, b| b.total_cmp(a));
        let top = costs[..costs.len() / 100].iter().sum::<f64>() / total;
        assert!(
            top > 0.4,
            "the top 1 % of calls carry {top:.2} of the spend"
        );

        // Spend per hour: printed to read, bounded to catch a price or rate gone wrong.
        let hourly: Vec<f64> = (0..64)
            .map(|h| spend_between(&calls, f64::from(h) * HOUR_S, f64::from(h + 1) * HOUR_S))
            .collect();
        let (lo, hi) = hourly
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(lo > 0.5 && hi < 120.0, "spend per hour ${lo:.2}–${hi:.2}");
        let weekend_spend = (0..64)
            .filter(|h| run.is_weekend((f64::from(*h) + 0.5) * HOUR_S))
            .map(|h| hourly[h as usize])
            .sum::<f64>();
        println!(
            "Contracts seed {seed}: opens {} 05:30 IST, weekend level {:.2}; k-app {:.1} calls/min ({:.1} meant), k-batch {:.2} ({:.2} meant); working hours weekend/weekday {share:.2} ({weekend:.1}/{weekday:.1} calls/min), nights {nights:.2}/min; reviews {:.1} % of calls, {:.0} % of spend, first passes {:.0} %, largest context {largest_context}; top 1 % of calls {:.0} % of spend; spend/h ${lo:.2}–${hi:.2}, weekend ${weekend_spend:.0} of ${total:.0}",
            if run.first_day == 0 { "Thursday" } else { "Friday" },
            run.weekend_level,
            got / (END / 60.0),
            expected / (END / 60.0),
            ingest / (END / 60.0),
            ingest_meant / (END / 60.0),
            100.0 * review_calls,
            100.0 * review_spend,
            100.0 * first_passes,
            100.0 * top,
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = 05:30 IST): {}",
            row.join(" ")
        );
    }
}

/// `begin_run` defines the run, the stream's `rng` the chance: the same seed gives the same
/// run; realisations of one run with other rngs differ call by call, not in their parameters,
/// and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    let run = begin_run(&mut StdRng::seed_from_u64(5));
    assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(5)));
    let realise = |seed: u64| {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut calls = Vec::new();
        for (model, key, per_min) in [
            ("claude-sonnet-4-6", APP, 6.0),
            ("claude-haiku-4-5", APP, 10.0),
            ("claude-sonnet-4-6", INGEST, 3.0),
            EXTRA_STREAMS[0],
        ] {
            calls.extend(stream(&mut rng, (model, key), 0.0, END, per_min, &|_| 1.0));
        }
        calls
    };
    let (a, b) = (realise(100), realise(101));
    assert_eq!(current_run(), run, "the streams drew no parameter");
    let (spend_a, spend_b) = crate::assert_realisations_differ_by_chance(&a, &b, 0.1);
    println!(
        "Contracts run {run:?}: two realisations ${:.0} and ${:.0}, {} and {} calls",
        spend_a,
        spend_b,
        a.len(),
        b.len()
    );
}

/// The jump on `k-agent`: the same call rate, each call 6× the spend, reached over 3 minutes.
#[test]
fn the_agents_jump_is_bigger_calls_at_the_same_rate_ramping_over_three_minutes() {
    let mut rng = StdRng::seed_from_u64(11);
    begin_run(&mut rng);
    let jump = 3.0 * HOUR_S;
    let calls = stream(
        &mut rng,
        ("claude-opus-4-6", AGENT),
        0.0,
        2.0 * jump,
        4.0,
        &|s| if s >= jump { 6.0 } else { 1.0 },
    );
    let span = |a: f64, b: f64| -> (f64, f64) {
        let xs: Vec<&Call> = calls.iter().filter(|c| (a..b).contains(&c.t)).collect();
        let per_min = xs.len() as f64 / ((b - a) / 60.0);
        let per_call = xs.iter().map(|c| cost(c)).sum::<f64>() / xs.len() as f64;
        (per_min, per_call)
    };
    // Three hours each side (about 700 calls).
    let (rate_before, cost_before) = span(0.0, jump);
    let (rate_after, cost_after) = span(jump + AGENT_RAMP_S, 2.0 * jump);
    let (_, cost_ramp) = span(jump + 60.0, jump + 120.0);
    // The harness's 4 calls a minute on both sides (10 % is 2.6 standard deviations).
    for rate in [rate_before, rate_after] {
        assert!(
            (rate / 4.0 - 1.0).abs() < 0.1,
            "{rate_before:.2} → {rate_after:.2} calls/min"
        );
    }
    let grown = cost_after / cost_before;
    assert!((grown / 6.0 - 1.0).abs() < 0.1, "each call {grown:.2}×");
    let mid = cost_ramp / cost_before;
    assert!(
        (1.5..5.0).contains(&mid),
        "the ramp's second minute {mid:.2}×"
    );
    println!(
        "Contracts k-agent: {rate_before:.2} → {rate_after:.2} calls/min, ${cost_before:.4} → ${cost_after:.4} a call ({grown:.2}×; {mid:.2}× in the ramp's second minute)"
    );
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate; a run that
/// opens on a Thursday spends the whole weekday, one on a Friday meets the weekend: by a user's
/// measure both must stay ample, the balance left lasting well over a day at the last day's
/// rate at every hour from 24 h on.
#[test]
fn the_quiet_runs_stay_ample_on_either_weekday() {
    let end = 36.0 * HOUR_S;
    for seed in a_thursday_and_a_friday() {
        assert_quiet_runs_stay_ample(&format!("Contracts seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// The one-off batch is a job: its rate is the harness's, on a weekend night too.
#[test]
fn the_one_off_batch_ignores_the_week() {
    // A Sunday 02:00 local, the week's quietest, for the run the harness's seed 3 draws.
    let run = begin_run(&mut StdRng::seed_from_u64(3));
    let at = (3.0 * DAY_S + 2.0 * HOUR_S - run.local_s(0.0)).rem_euclid(7.0 * DAY_S);
    assert!(run.is_weekend(at));
    crate::assert_one_off_batch_is_a_plain_job(Generator::Contracts, &[at / HOUR_S]);
}
