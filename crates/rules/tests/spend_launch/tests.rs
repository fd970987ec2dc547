//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour.

use rand::SeedableRng;

use super::*;
use crate::{assert_quiet_runs_stay_ample, cost, spend_between, Generator};

const END: f64 = 36.0 * HOUR_S;
/// The shared background's user calls a minute (k-app sonnet and haiku, k-batch).
const USER_PER_MIN: f64 = 6.0 + 10.0 + 3.0;

fn run_of(seed: u64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Launch, seed, END, scale);
    (current_run(), calls)
}

#[test]
fn the_day_averages_one_with_quiet_nights_and_no_step_at_midnight() {
    let mean = (0..1440).map(|m| day(f64::from(m) / 60.0)).sum::<f64>() / 1440.0;
    assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    assert!(day(3.0) < 0.25 * day(14.0), "{} {}", day(3.0), day(14.0));
    assert!(day(20.0) > 0.7 * day(14.0) && day(20.0) < day(14.0));
    // Midnight (where the evening's ramp is read as hour 24) and 04:00 (where that stops).
    for (before, after) in [(24.0 - 1e-6, 0.0), (4.0 - 1e-6, 4.0)] {
        let step = (day(after) - day(before)).abs();
        assert!(step < 0.02, "a step of {step} at {after}:00");
    }
}

/// Two runs: the users' calls follow the day at the run's own local hour and grow by the run's
/// rate, the evals come as fixed-size bursts on their period, output is most of their cost.
#[test]
fn two_runs_have_the_users_day_the_growth_and_the_eval_bursts_meant() {
    let mut starts = Vec::new();
    for seed in [0, 1] {
        let (run, calls) = run_of(seed, &|_| 1.0);
        starts.push(run.local_start_h);
        let (evals, users): (Vec<&Call>, Vec<&Call>) = calls.iter().partition(|c| c.key == EVALS);

        // Users: as many calls as the day × the growth ask for.
        let expected: f64 = (0..(END / 60.0) as u32)
            .map(|m| {
                let t = 60.0 * f64::from(m) + 30.0;
                USER_PER_MIN * day(run.local_hour(t)) * run.growth(t)
            })
            .sum();
        let got = users.len() as f64;
        assert!(
            (got / expected - 1.0).abs() < 0.05,
            "{got} user calls, {expected:.0} meant"
        );

        // The growth: the second day's first 12 hours against the first day's same hours.
        let count = |a: f64, b: f64| users.iter().filter(|c| (a..b).contains(&c.t)).count() as f64;
        let grown = count(24.0 * HOUR_S, END) / count(0.0, 12.0 * HOUR_S);
        let meant = 1.0 + run.growth_per_day;
        assert!(
            (grown / meant - 1.0).abs() < 0.06,
            "grew {grown:.3}, meant {meant:.3}"
        );

        // The day: calls a minute per local hour, the growth taken out.
        let mut minutes = [0.0f64; 24];
        let mut weighted = [0.0f64; 24];
        for m in 0..(END / 60.0) as u32 {
            minutes[run.local_hour(60.0 * f64::from(m) + 30.0) as usize] += 1.0;
        }
        for c in &users {
            weighted[run.local_hour(c.t) as usize] += 1.0 / run.growth(c.t);
        }
        let per_min = |h: usize| weighted[h] / minutes[h];
        let night = (2..5).map(per_min).sum::<f64>() / 3.0;
        let afternoon = (13..16).map(per_min).sum::<f64>() / 3.0;
        assert!(
            (0.12..0.3).contains(&(night / afternoon)),
            "night {night:.1}, afternoon {afternoon:.1} calls a minute"
        );

        // The evals: one burst per suite, each the whole suite, on the period, ~10 minutes.
        let mut bursts: Vec<Vec<&Call>> = Vec::new();
        for c in &evals {
            match bursts.last_mut() {
                Some(b) if c.t - b[b.len() - 1].t < 15.0 * 60.0 => b.push(c),
                _ => bursts.push(vec![c]),
            }
        }
        let suites: Vec<f64> = run.suites(0.0, END).collect();
        let size = run.suite_size(EXTRA_STREAMS[0].2);
        assert_eq!(bursts.len(), suites.len(), "bursts against suites");
        let mut lengths = Vec::new();
        for (b, s) in bursts.iter().zip(&suites) {
            assert!(
                (b[0].t - s).abs() < 1.0,
                "a suite at {s} began at {}",
                b[0].t
            );
            if s + HOUR_S < END {
                assert_eq!(b.len(), size, "a whole suite");
                let length = (b[b.len() - 1].t - b[0].t) / 60.0;
                assert!((4.0..20.0).contains(&length), "a burst of {length:.1} min");
                lengths.push(length);
            }
        }
        let output_only = |c: &Call| Call {
            usage: Usage {
                output_tokens: c.usage.output_tokens,
                ..Usage::default()
            },
            ..c.clone()
        };
        let evals_cost: f64 = evals.iter().map(|c| cost(c)).sum();
        let evals_output: f64 = evals.iter().map(|c| cost(&output_only(c))).sum();
        let total: f64 = calls.iter().map(cost).sum();
        assert!(
            evals_output / evals_cost > 0.85,
            "output {evals_output:.2} of {evals_cost:.2}"
        );
        let share = evals_cost / total;
        assert!(
            (0.15..0.5).contains(&share),
            "evals {share:.2} of the spend"
        );

        // Spend per hour: printed to read, bounded to catch a price or rate gone wrong.
        let hourly: Vec<f64> = (0..36)
            .map(|h| spend_between(&calls, f64::from(h) * HOUR_S, f64::from(h + 1) * HOUR_S))
            .collect();
        let (lo, hi) = hourly
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(lo > 1.0 && hi < 40.0, "spend per hour ${lo:.2}–${hi:.2}");
        println!(
            "Launch seed {seed}: local start {:.1} h, growth {:.0} %/day, evals every {:.0} min ({size} cases, bursts {:.1}–{:.1} min, {:.0} % of spend, output {:.0} % of theirs); users {:.1} calls/min ({:.1} meant), day 2/day 1 {grown:.3} (meant {meant:.3}), night/afternoon {:.2}; spend/h ${lo:.2}–${hi:.2}, total ${total:.0}",
            run.local_start_h,
            100.0 * run.growth_per_day,
            run.eval_period_s / 60.0,
            lengths.iter().copied().fold(f64::MAX, f64::min),
            lengths.iter().copied().fold(0.0, f64::max),
            100.0 * share,
            100.0 * evals_output / evals_cost,
            got / (END / 60.0),
            expected / (END / 60.0),
            night / afternoon,
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from the run's start): {}",
            row.join(" ")
        );
    }
    assert!(
        (starts[0] - starts[1]).abs() > 1.0,
        "the runs start at local {:.1} h and {:.1} h",
        starts[0],
        starts[1]
    );
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate; with the
/// growth they must still be quiet by a user's measure: at the last day's mean rate, the
/// balance left lasts well over a day at every hour from 24 h on.
#[test]
fn the_quiet_runs_stay_ample_despite_the_growth() {
    for seed in [0, 1] {
        assert_quiet_runs_stay_ample(&format!("Launch seed {seed}"), END, &|scale| {
            run_of(seed, scale).1
        });
    }
}

/// The one-off batch is a job: its rate is the harness's, whatever the hour or the growth.
#[test]
fn the_one_off_batch_ignores_the_day_and_the_growth() {
    let mut rng = StdRng::seed_from_u64(3);
    begin_run(&mut rng);
    let at = 30.0 * HOUR_S;
    let calls = stream(
        &mut rng,
        ("claude-sonnet-4-6", ONE_OFF),
        at,
        at + 600.0,
        380.0,
        &|_| 1.0,
    );
    let n = calls.len() as f64;
    assert!((n / 3800.0 - 1.0).abs() < 0.05, "{n} calls in 10 minutes");
}
