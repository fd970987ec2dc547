//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour.

use std::collections::BTreeMap;

use rand::SeedableRng;

use super::*;
use crate::{assert_quiet_runs_stay_ample, cost, Generator};

/// The exhaustion scenario's length: the traffic must hold its shape this long.
const END: f64 = 64.0 * HOUR_S;
const DAY_S: f64 = 86_400.0;

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Helpdesk, seed, end, scale);
    (current_run(), calls)
}

fn is_customer(key: &str) -> bool {
    CUSTOMER_KEYS.contains(&key)
}

/// Each minute's midpoint over `[0, end)`.
fn minutes(end: f64) -> impl Iterator<Item = f64> {
    (0..(end / 60.0) as u32).map(|m| 60.0 * f64::from(m) + 30.0)
}

#[test]
fn the_desks_day_averages_one_with_quiet_nights_and_no_steps() {
    let at = |m: u32| day(f64::from(m) / 60.0);
    let mean = (0..1440).map(at).sum::<f64>() / 1440.0;
    assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    let afternoon = day(14.0);
    for h in [0.0, 2.0, 4.0, 5.0] {
        assert!(
            day(h) < 0.15 * afternoon,
            "{h}:00 at {:.3}",
            day(h) / afternoon
        );
    }
    assert!(day(11.0) > day(19.0) && day(19.0) > 3.0 * day(23.5));
    // No step: consecutive minutes differ by under 3 % of the afternoon, midnight included.
    let steepest = (0..1440)
        .map(|m| (at(m + 1) - at(m)).abs())
        .fold(0.0f64, f64::max);
    assert!(steepest < 0.03 * afternoon, "a step of {steepest:.3}");
    // The three zones put local 14:00 at 19:00, 13:00 and 04:00 UTC.
    for (r, utc) in Region::ALL.iter().zip([19.0, 13.0, 4.0]) {
        assert!((r.local_hour(utc * HOUR_S) - 14.0).abs() < 1e-9, "{r:?}");
    }
}

/// Twenty runs' draws: 30–60 customers at 0.05–2 calls a minute, a few large, in all three
/// zones; the release on the first day; the same seed, the same run.
#[test]
fn begin_run_draws_many_sparse_customers_in_three_zones_and_a_first_day_release() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        let n = run.customers.len();
        assert!((30..=MAX_CUSTOMERS).contains(&n), "{n} customers");
        let rates: Vec<f64> = run.customers.iter().map(|c| c.per_min).collect();
        assert!(rates.iter().all(|r| (0.05..=2.0).contains(r)), "{rates:?}");
        let sparse = rates.iter().filter(|r| **r < 0.5).count();
        let large = rates.iter().filter(|r| **r >= 1.0).count();
        assert!(sparse * 4 >= n * 3, "{sparse} of {n} under 0.5 calls/min");
        assert!(
            (2..=4).contains(&large),
            "{large} of {n} at 1 call/min or more"
        );
        for (r, share) in Region::ALL.iter().zip(run.region_share) {
            assert!(share > 0.03, "{r:?} has {share:.3} of the calls");
        }
        assert!((run.region_share.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((8.0 * HOUR_S..16.0 * HOUR_S).contains(&run.release_at_s));
        assert!((0.3..0.6).contains(&run.release_shift));
        for r in run
            .customers
            .iter()
            .map(|c| c.regimes)
            .chain([run.backfills])
        {
            assert!(
                r.busy_level >= 2.0 && r.busy_mean_s < r.normal_mean_s,
                "{r:?}"
            );
        }
    }
}

/// A chain's path over 2000 hours: busy as often and as long as its parameters say, its level
/// 1 on average, switches ramped.
#[test]
fn the_regimes_switch_for_hours_and_keep_the_mean_rate() {
    let regimes = Regimes {
        busy_level: 2.5,
        normal_mean_s: 8.0 * HOUR_S,
        busy_mean_s: 2.0 * HOUR_S,
    };
    let end = 2000.0 * HOUR_S;
    let path = regimes.path(&mut StdRng::seed_from_u64(7), 0.0, end);
    let samples = (end / 60.0) as u32;
    let t = |m: u32| 60.0 * f64::from(m) + 30.0;
    let busy = (0..samples).filter(|m| path.busy(t(*m))).count() as f64 / f64::from(samples);
    let level = (0..samples).map(|m| path.level(t(m))).sum::<f64>() / f64::from(samples);
    // About 200 busy periods: the share's standard error is about 5 % of it.
    assert!(
        (busy / regimes.busy_share() - 1.0).abs() < 0.15,
        "busy {busy:.3}"
    );
    assert!((level - 1.0).abs() < 0.05, "mean level {level:.3}");
    let periods = path.switches.len() as f64 / 2.0;
    let busy_mean_h = busy * 2000.0 / periods;
    assert!(
        (busy_mean_h / 2.0 - 1.0).abs() < 0.2,
        "busy periods {busy_mean_h:.2} h"
    );
    // A switch takes 10 minutes: 5 minutes in, the level is halfway.
    let s = path.switches[0];
    let (before, after) = (path.level(s - 1.0), path.level(s + REGIME_RAMP_S));
    let mid = path.level(s + REGIME_RAMP_S / 2.0);
    assert!(((mid - before) / (after - before) - 0.5).abs() < 0.01);
    println!(
        "Helpdesk regimes: busy {:.1} % of the time ({:.1} % meant), busy periods {busy_mean_h:.2} h, mean level {level:.3}",
        100.0 * busy,
        100.0 * regimes.busy_share()
    );
}

/// Two runs of 64 hours (55 customers and 32): the customers' calls as many as meant, sparse keys, three humps a
/// day, busy regimes, the release raising the cost per call at the same call rate.
#[test]
fn two_runs_have_the_customers_the_regimes_and_the_release_meant() {
    let mut batch_swings = Vec::new();
    for seed in [1, 2] {
        let (run, calls) = run_of(seed, END, &|_| 1.0);
        let customers: Vec<&Call> = calls.iter().filter(|c| is_customer(c.key)).collect();

        // As many customer calls as their days ask for (the regimes are 1 on average; 45
        // customers' chains over 64 h leave a spread of a few per cent).
        let meant: f64 = minutes(END)
            .map(|t| {
                run.customers
                    .iter()
                    .map(|c| c.per_min * day(c.region.local_hour(t)))
                    .sum::<f64>()
            })
            .sum();
        let got = customers.len() as f64;
        assert!(
            (got / meant - 1.0).abs() < 0.15,
            "{got} customer calls, {meant:.0} meant"
        );
        // Every customer's key is used, most of them sparsely: under a call every two minutes.
        let mut per_key: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &customers {
            *per_key.entry(c.key).or_default() += 1;
        }
        assert_eq!(per_key.len(), run.customers.len());
        let sparse = per_key
            .values()
            .filter(|n| (**n as f64) < 0.5 * END / 60.0)
            .count();
        assert!(
            sparse * 4 >= per_key.len() * 3,
            "{sparse} of {} keys sparse",
            per_key.len()
        );

        // The customers' day: the busiest hour of a day against its quietest.
        let mut hourly_calls = vec![0.0; 64];
        for c in &customers {
            hourly_calls[(c.t / HOUR_S) as usize] += 1.0;
        }
        let (quiet, busy) = hourly_calls[..24]
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(busy > 2.0 * quiet, "customer calls per hour {quiet}–{busy}");

        // The bulk endpoint's backfills: its busiest hour against its median hour.
        let mut bulk = vec![0.0; 64];
        for c in calls.iter().filter(|c| c.key == BULK) {
            bulk[(c.t / HOUR_S) as usize] += 1.0;
        }
        bulk.sort_by(f64::total_cmp);
        batch_swings.push(bulk[63] / bulk[32]);

        // The release: the dashboard's calls cost (1 + shift)× as much after it, at the rate
        // its day asks for on both sides (six hours each side, the rollout left out).
        let release = run.release_at_s;
        let after = release + ROLLOUT_S;
        for model in ["claude-haiku-4-5", "claude-sonnet-4-6"] {
            let span = |a: f64, b: f64| {
                let xs: Vec<&Call> = calls
                    .iter()
                    .filter(|c| c.key == APP && c.model == model && (a..b).contains(&c.t))
                    .collect();
                let day_minutes: f64 = minutes(b - a).map(|t| run.all_regions_day(a + t)).sum();
                let per_call = xs.iter().map(|c| cost(c)).sum::<f64>() / xs.len() as f64;
                (xs.len() as f64 / day_minutes, per_call)
            };
            let (rate_before, cost_before) = span(release - 6.0 * HOUR_S, release);
            let (rate_after, cost_after) = span(after, after + 6.0 * HOUR_S);
            let grown = cost_after / cost_before / (1.0 + run.release_shift);
            assert!((grown - 1.0).abs() < 0.08, "{model}: {grown:.3}");
            assert!(
                (rate_after / rate_before - 1.0).abs() < 0.1,
                "{model}: {rate_before:.2} → {rate_after:.2} calls/min of the day"
            );
        }
        // And every customer's: each key's cost per call from 0 h to the release against the
        // same hours a day later (the same hours, as a sparse key's cache writes follow its
        // day; keys with 30 calls or more on both sides), the median of them.
        let mut grown: Vec<f64> = run
            .customers
            .iter()
            .zip(CUSTOMER_KEYS)
            .filter_map(|(_, key)| {
                let side = |from: f64| {
                    let xs: Vec<f64> = customers
                        .iter()
                        .filter(|c| c.key == key && (from..from + release).contains(&c.t))
                        .map(|c| cost(c))
                        .collect();
                    (xs.len() >= 30).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
                };
                Some(side(DAY_S)? / side(0.0)? / (1.0 + run.release_shift))
            })
            .collect();
        grown.sort_by(f64::total_cmp);
        let median_grown = grown[grown.len() / 2];
        assert!(
            grown.len() * 2 >= run.customers.len() && (median_grown - 1.0).abs() < 0.1,
            "{} keys, median {median_grown:.3} of the release's",
            grown.len()
        );
        // Every product key has calls on the new version after the rollout, none before.
        let new_prompt = |c: &Call| {
            let base = if c.key == APP && c.model.contains("haiku") {
                1_500
            } else if c.key == APP {
                3_000
            } else if c.key == BULK {
                2_000
            } else {
                return None;
            };
            Some(c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens > base + 1)
        };
        let before_new = calls
            .iter()
            .filter(|c| c.t < release && new_prompt(c) == Some(true))
            .count();
        let after_old = calls
            .iter()
            .filter(|c| c.t >= after && new_prompt(c) == Some(false))
            .count();
        assert_eq!((before_new, after_old), (0, 0));

        // Spend per hour: printed to read, bounded to catch a price or rate gone wrong.
        let mut hourly = vec![0.0; 64];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        let (lo, hi) = hourly
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(lo > 1.0 && hi < 80.0, "spend per hour ${lo:.2}–${hi:.2}");
        let total: f64 = hourly.iter().sum();
        let customer_spend = customers.iter().map(|c| cost(c)).sum::<f64>() / total;
        let day_spend = |d: usize| hourly[d * 24..(d + 1) * 24].iter().sum::<f64>();
        println!(
            "Helpdesk seed {seed}: {} customers ({} Americas, {} Europe, {} Pacific by calls: {:.2}/{:.2}/{:.2}); customer calls {got:.0} ({meant:.0} meant), {sparse} of {} keys under 0.5/min, customer calls/h on day 1 {quiet:.0}–{busy:.0}; k-batch busiest/median hour {:.1}; release at {:.2} h +{:.0} % (customers' cost per call × {:.3} of it, median of {} keys); customers {:.0} % of spend; spend/h ${lo:.2}–${hi:.2}, days ${:.0} / ${:.0}",
            run.customers.len(),
            run.customers.iter().filter(|c| c.region == Region::Americas).count(),
            run.customers.iter().filter(|c| c.region == Region::Europe).count(),
            run.customers.iter().filter(|c| c.region == Region::Pacific).count(),
            run.region_share[0],
            run.region_share[1],
            run.region_share[2],
            per_key.len(),
            batch_swings[batch_swings.len() - 1],
            release / HOUR_S,
            100.0 * run.release_shift,
            median_grown,
            grown.len(),
            100.0 * customer_spend,
            day_spend(0),
            day_spend(1),
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!("  spend per hour ($, from 00:00 UTC): {}", row.join(" "));
    }
    // Backfills of 3–5× for 1.5–3 hours every 6–12: the busiest k-batch hour is well above
    // the median one (a run of 64 h without a backfill: at most about 1 in 200).
    assert!(
        batch_swings.iter().all(|s| *s > 2.0),
        "k-batch busiest/median hour {batch_swings:.2?}"
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance: the same seed gives the same
/// run; realisations of one run with other rngs differ call by call (and in when the regimes
/// come), not in their parameters, and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    let mut rng = StdRng::seed_from_u64(5);
    let run = begin_run(&mut rng);
    let realise = |seed: u64| {
        let mut rng = StdRng::seed_from_u64(seed);
        crate::streams(Generator::Helpdesk, &mut rng, END, &|_| 1.0)
    };
    let (a, b) = (realise(100), realise(101));
    assert_eq!(current_run(), run, "the streams drew no parameter");
    // The regimes are chance: a backfill more or less moves a realisation's spend by several
    // per cent, not by a fifth.
    let (spend_a, spend_b) = crate::assert_realisations_differ_by_chance(&a, &b, 0.2);
    println!(
        "Helpdesk run of seed 5: {} customers; two realisations ${:.0} and ${:.0}, {} and {} calls",
        run.customers.len(),
        spend_a,
        spend_b,
        a.len(),
        b.len()
    );
}

/// The jump on `k-agent`: 6× the calls, each the same size, reached over 5 minutes.
#[test]
fn the_agents_jump_is_more_calls_of_the_same_size_ramping_over_five_minutes() {
    let mut rng = StdRng::seed_from_u64(11);
    begin_run(&mut rng);
    let jump = 3.0 * HOUR_S;
    let calls = stream(
        &mut rng,
        ("claude-opus-4-6", AGENT),
        0.0,
        jump + HOUR_S,
        4.0,
        &|s| if s >= jump { 6.0 } else { 1.0 },
    );
    let span = |a: f64, b: f64| -> (f64, f64) {
        let xs: Vec<&Call> = calls.iter().filter(|c| (a..b).contains(&c.t)).collect();
        let per_min = xs.len() as f64 / ((b - a) / 60.0);
        let per_call = xs.iter().map(|c| cost(c)).sum::<f64>() / xs.len() as f64;
        (per_min, per_call)
    };
    // Two hours before (480 calls), the hour after (1400).
    let (rate_before, cost_before) = span(jump - 2.0 * HOUR_S, jump);
    let (rate_after, cost_after) = span(jump + AGENT_RAMP_S, jump + HOUR_S);
    let (ramp, _) = span(jump + 60.0, jump + 240.0);
    assert!(
        (rate_before / 4.0 - 1.0).abs() < 0.12,
        "{rate_before:.2} calls/min"
    );
    assert!(
        (rate_after / 24.0 - 1.0).abs() < 0.08,
        "{rate_after:.2} calls/min"
    );
    // Minutes 1–4 of the ramp: 1 + 5 × 2.5/5 = 3.5× on average.
    let mid = ramp / rate_before;
    assert!(
        (2.0..5.0).contains(&mid),
        "the ramp's minutes 1-4 {mid:.2}×"
    );
    let size = cost_after / cost_before;
    assert!((size - 1.0).abs() < 0.15, "each call {size:.2}×");
    println!(
        "Helpdesk k-agent: {rate_before:.2} → {rate_after:.2} calls/min ({mid:.2}× in minutes 1-4), ${cost_before:.4} → ${cost_after:.4} a call"
    );
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate; the release
/// raises the rate by a third or more from the first day on: by a user's measure the runs must
/// stay ample, the balance left lasting well over a day at the last day's rate at every hour
/// from 24 h on. Checked on the largest release of the first 20 seeds (the last day's rate
/// furthest above the run's mean).
#[test]
fn the_quiet_runs_stay_ample_through_the_release() {
    let end = 36.0 * HOUR_S;
    let shift = |s: u64| begin_run(&mut StdRng::seed_from_u64(s)).release_shift;
    let seed = (0..20)
        .max_by(|a, b| shift(*a).total_cmp(&shift(*b)))
        .unwrap_or(0);
    assert!(
        shift(seed) > 0.55,
        "the largest release +{:.2}",
        shift(seed)
    );
    assert_quiet_runs_stay_ample(&format!("Helpdesk seed {seed}"), end, &|scale| {
        run_of(seed, end, scale).1
    });
}

/// The one-off batch is a job: its rate is the harness's, without a prompt to cache, on the
/// second morning (after the release) too.
#[test]
fn the_one_off_batch_ignores_the_day_the_regimes_and_the_release() {
    // The second morning, 32 h: after the release.
    let run = begin_run(&mut StdRng::seed_from_u64(3));
    assert!(DAY_S + 8.0 * HOUR_S > run.release_at_s + ROLLOUT_S);
    crate::assert_one_off_batch_is_a_plain_job(Generator::Helpdesk, &[32.0]);
}
