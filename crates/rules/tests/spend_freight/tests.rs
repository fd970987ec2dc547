//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures. The clock, the day, the week, the storm
//! and the rates here; the work's own shapes (the caches, the jobs, the jump) in
//! `tests/work.rs`.

use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, calls_between as count, cost, quantile, spend_between, BaseRate,
    Generator,
};

mod work;

/// The exhaustion scenario's length.
const END: f64 = 64.0 * HOUR_S;
const OPUS: &str = "claude-opus-4-6";
const HAIKU: &str = "claude-haiku-4-5";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Freight, seed, end, scale);
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
        Generator::Freight,
        seed,
        model_key,
        (start, end),
        per_min,
        &|_| 1.0,
    );
    (current_run(), calls)
}

#[test]
fn the_run_opens_on_a_monday_night_in_rotterdam_and_the_shapes_average_one_on_thursday() {
    assert_eq!(local(0.0), (0, 1.0), "Monday 00:00 UTC is 01:00 in CET");
    assert_eq!(local(at_local(3, 14.25)), (3, 14.25));
    assert_eq!(at_local(0, AUDIT_HOUR), 1.5 * HOUR_S, "Monday's audit");
    assert_eq!(at_local(TYPICAL_DAY, 0.0), 71.0 * HOUR_S);
    assert_eq!(local(3.0 * HOUR_S), (0, 4.0), "the jump: Monday 04:00");
    assert_eq!(
        local(8.0 * HOUR_S),
        (0, 9.0),
        "the one-off batch: Monday 09:00"
    );
    for seed in 0..10 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        let mean = |day: i64, f: &dyn Fn(f64) -> f64| {
            minutes(at_local(day, 0.0), at_local(day + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        for (name, m) in [
            ("dispatch", mean(TYPICAL_DAY, &|t| run.dispatch(t))),
            ("drivers", mean(TYPICAL_DAY, &|t| run.drivers(t))),
            ("deliveries", mean(TYPICAL_DAY, &|t| run.deliveries(t))),
            ("exceptions", mean(TYPICAL_DAY, &|t| run.exceptions(t))),
            ("invoices", mean(TYPICAL_DAY - 1, &|t| run.invoices(t))),
        ] {
            assert!((m - 1.0).abs() < 1e-3, "{name} at {m:.4}");
        }
        // The storm is Tuesday's and its backlog is gone by Thursday.
        let s = &run.storm;
        assert_eq!(local(s.start).0, STORM_DAY);
        assert!(s.backlog(at_local(TYPICAL_DAY, 0.0)) < 1e-3);
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_the_storm_the_prompts_the_jobs_and_the_pods_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((1.15..1.35).contains(&run.monday_lift));
        let s = &run.storm;
        assert!((at_local(1, 4.0)..at_local(1, 10.0)).contains(&s.start));
        assert!((6.0..12.0).contains(&((s.end - s.start) / HOUR_S)));
        assert!((1800.0..5400.0).contains(&s.rise_s));
        assert!((1.6..2.4).contains(&s.drivers) && (1.4..2.0).contains(&s.dispatch));
        assert!((2.0..3.0).contains(&s.exceptions) && (0.5..1.0).contains(&s.catch_up));
        assert!((7_000..13_000).contains(&run.board) && (0.4..0.7).contains(&run.tool_share));
        assert!((700..1_200).contains(&run.driver_prompt));
        assert!((6_000..10_000).contains(&run.extraction));
        assert!((30.0..50.0).contains(&run.docs_per_min));
        let docs = run.docs_jobs();
        assert_eq!(docs.len(), 8 * 24);
        for (k, at) in docs.iter().enumerate() {
            let (day, h) = local(*at);
            assert_eq!(
                day * 24 + h.floor() as i64,
                k as i64 - 24,
                "job {k} in its hour"
            );
            let minute = h.fract() * 60.0;
            assert!((DOCS_CRON_MIN..=DOCS_CRON_MIN + 10.0 + 1e-9).contains(&minute));
        }
        assert!((2_500..4_000).contains(&run.audit_instructions));
        assert!((20..=40).contains(&run.tariffs.len()));
        assert!(run.tariffs.iter().all(|t| (6_000..16_000).contains(t)));
        assert!((run.carrier_shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(run.carrier_shares.windows(2).all(|w| w[0] > w[1]));
        assert!((15.0..25.0).contains(&run.audit_per_min));
        for (d, at) in run.audit_jobs().iter().enumerate() {
            let wait = (at - at_local(d as i64 - 1, AUDIT_HOUR)) / 60.0;
            assert!(
                (0.0..=40.0).contains(&wait),
                "the export's wait {wait:.0} min"
            );
        }
        assert!((9_000..14_000).contains(&run.agent_prefix));
        assert!((1_024..2_048).contains(&run.budget));
        assert!((3..=5).contains(&run.pods.len()));
        assert!(run.pods.iter().all(|o| (0.0..150.0).contains(o)));
    }
}

/// A freight day: the dispatchers' copilot busiest in the morning's departures (07:00–10:00)
/// and the afternoon's planning (14:00–17:00), a lunch dip between, a night desk; the drivers
/// from 04:00, their morning at loading many times their small hours; Monday the week's
/// heaviest day by its drawn lift.
#[test]
fn the_office_and_the_drivers_keep_a_freight_day_and_monday_is_the_heaviest() {
    let mut rows = Vec::new();
    for seed in [1, 2, 3] {
        let day = |key_model: (&'static str, &'static str), per_min: f64, d: i64| {
            one(
                seed,
                key_model,
                at_local(d, 0.0),
                at_local(d + 1, 0.0),
                per_min,
            )
        };
        let (run, thursday) = day((SONNET, PEOPLE), 6.0, TYPICAL_DAY);
        let per_h = |calls: &[Call], d: i64, a: f64, b: f64| {
            count(calls, at_local(d, a), at_local(d, b)) / (b - a)
        };
        let morning = per_h(&thursday, 3, 7.0, 10.0);
        let lunch = per_h(&thursday, 3, 12.0, 13.0);
        let afternoon = per_h(&thursday, 3, 14.0, 17.0);
        let night = per_h(&thursday, 3, 0.0, 4.0);
        assert!(
            morning > 12.0 * night,
            "seed {seed}: {morning:.0}/h, night {night:.0}/h"
        );
        assert!(
            afternoon > 12.0 * night && lunch < 0.9 * afternoon.min(morning),
            "seed {seed}: afternoon {afternoon:.0}/h, lunch {lunch:.0}/h"
        );
        let (_, drivers) = day((HAIKU, PEOPLE), 10.0, TYPICAL_DAY);
        let loading = per_h(&drivers, 3, 6.0, 8.0);
        let small_hours = per_h(&drivers, 3, 1.0, 3.0);
        let trunking = per_h(&drivers, 3, 22.0, 23.0);
        assert!(
            loading > 5.0 * small_hours && trunking > 1.5 * small_hours,
            "seed {seed}: loading {loading:.0}/h, 01:00-03:00 {small_hours:.0}/h, 22:00 {trunking:.0}/h"
        );
        // Monday's day against Thursday's (both from 05:00 to 20:00: no night in between).
        let (_, monday) = day((HAIKU, PEOPLE), 10.0, 0);
        let lift = per_h(&monday, 0, 5.0, 20.0) / per_h(&drivers, 3, 5.0, 20.0);
        assert!(
            (lift / run.monday_lift - 1.0).abs() < 0.06,
            "seed {seed}: Monday {lift:.2}× Thursday, drawn {:.2}",
            run.monday_lift
        );
        rows.push(format!(
            "{seed}: copilot calls/h morning {morning:.0}, lunch {lunch:.0}, afternoon {afternoon:.0}, night {night:.0}; drivers' messages/h loading {loading:.0}, small hours {small_hours:.0}, 22:00 departures {trunking:.0}; Monday {lift:.2}× Thursday (drawn {:.2})",
            run.monday_lift
        ));
    }
    println!("Freight day: {}", rows.join("; "));
}

/// Tuesday's storm: while the terminals are shut the drivers' messages and the copilot run
/// above the same hours of Thursday by about their drawn factors, the paperwork is held back
/// (the documents jobs in the storm read less than Thursday's at those hours) and the backlog
/// comes after the reopening (the two hours after it above Thursday's).
#[test]
fn the_storm_raises_the_drivers_and_the_dispatchers_and_holds_the_paperwork_back() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let s = run.storm.clone();
        let of = |rng: &mut StdRng, key_model, per_min| {
            stream(rng, key_model, 0.0, 96.0 * HOUR_S, per_min, &|_| 1.0)
        };
        let drivers = of(&mut rng, (HAIKU, PEOPLE), 10.0);
        let copilot = of(&mut rng, (SONNET, PEOPLE), 6.0);
        let docs = of(&mut rng, (SONNET, DOCUMENTS), 3.0);
        // The storm's height against the same local hours two days on (Thursday).
        let (a, b) = (s.start + s.rise_s, s.end);
        let thu = 2.0 * DAY_S;
        let ratio =
            |calls: &[Call], a: f64, b: f64| count(calls, a, b) / count(calls, a + thu, b + thu);
        let d = ratio(&drivers, a, b);
        let c = ratio(&copilot, a, b);
        assert!(
            (d / s.drivers - 1.0).abs() < 0.15,
            "seed {seed}: drivers {d:.2}× at a drawn {:.2}",
            s.drivers
        );
        assert!(
            c > 1.1 && c < 1.3 * s.dispatch,
            "seed {seed}: copilot {c:.2}×"
        );
        // The documents read by the jobs of the storm's height (their backlogs are its hours').
        let held = ratio(&docs, a + HOUR_S, b + 600.0);
        assert!(
            held < 0.75,
            "seed {seed}: documents {held:.2}× in the storm"
        );
        let after = ratio(&docs, b + 600.0, b + 2.0 * HOUR_S + 600.0);
        assert!(after > 1.1, "seed {seed}: documents {after:.2}× after it");
        rows.push(format!(
            "{seed}: {:.1} h from Tuesday {:.1}:00, drivers {d:.2}× (drawn {:.2}), copilot {c:.2}× (drawn {:.2}), documents {held:.2}× in it and {after:.2}× the two hours after",
            (s.end - s.start) / HOUR_S,
            local(s.start).1,
            s.drivers,
            s.dispatch
        ));
    }
    println!("Freight storm against Thursday: {}", rows.join("; "));
}

/// Each stream at its base rate over the typical weekday (Thursday), averaged over 20 runs.
#[test]
fn the_streams_honour_their_base_rates_over_a_typical_weekday() {
    let thu = at_local(TYPICAL_DAY, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, PEOPLE), 6.0, 0.03, 0.1),
        ((HAIKU, PEOPLE), 10.0, 0.02, 0.06),
        ((SONNET, DOCUMENTS), 3.0, 0.03, 0.08),
        ((SONNET, AUDIT), 1.0, 0.03, 0.1),
        ((OPUS, EXCEPTIONS), 4.0, 0.02, 0.06),
    ];
    crate::assert_base_rates(
        "Freight Thursday",
        thu,
        &streams,
        &|seed, stream, per_min| one(seed, stream, thu - HOUR_S, thu + DAY_S, per_min).1,
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance: realisations of one run with
/// other rngs differ call by call, not in their parameters, and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    crate::assert_one_run_realised_by_chance(Generator::Freight, begin_run, current_run);
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate; this
/// product's 36 h hold Monday, the week's heaviest day, and Tuesday's storm and audit in their
/// last day: the balance left must still last well over a day at the last day's rate.
#[test]
fn the_quiet_runs_stay_ample_through_monday_and_the_storm() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Freight seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// Two runs: each stream's calls cost what such calls do, a day's spend what a freight
/// platform's would; the spend per hour printed.
#[test]
fn two_runs_cost_what_a_freight_platform_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, END, &|_| 1.0);
        let costs = |model: &str, key: &str| crate::costs_of(&calls, model, key);
        let (mut copilot, mut drivers, mut docs, mut audit) = (
            costs(SONNET, PEOPLE),
            costs(HAIKU, PEOPLE),
            costs(SONNET, DOCUMENTS),
            costs(SONNET, AUDIT),
        );
        let c50 = quantile(&mut copilot, 0.5);
        let c99 = quantile(&mut copilot, 0.99);
        let d50 = quantile(&mut drivers, 0.5);
        let p50 = quantile(&mut docs, 0.5);
        let a50 = quantile(&mut audit, 0.5);
        assert!(
            (0.004..0.02).contains(&c50) && (0.03..0.12).contains(&c99),
            "a copilot call ${c50:.4} ${c99:.4}"
        );
        assert!(
            (0.001..0.004).contains(&d50),
            "a driver's message ${d50:.5}"
        );
        assert!((0.008..0.03).contains(&p50), "a document ${p50:.4}");
        assert!((0.008..0.03).contains(&a50), "an invoice ${a50:.4}");
        let monday = spend_between(&calls, 0.0, DAY_S);
        assert!(
            (100.0..600.0).contains(&monday),
            "the first day ${monday:.0}"
        );
        let mut hourly = vec![0.0; (END / HOUR_S) as usize];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        println!(
            "Freight seed {seed}: {} calls in 64 h, ${:.0}; the first day ${monday:.0}; median a copilot call ${c50:.4} (p99 ${c99:.4}), a driver's message ${d50:.5}, a document ${p50:.4}, an invoice ${a50:.4}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = Monday 01:00 CET): {}",
            row.join(" ")
        );
    }
}

/// The one-off batch is a job: 20× the background's call rate, all in its 10 minutes, without
/// a cache, on Monday morning and in Tuesday's storm.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    crate::assert_one_off_batch_is_a_plain_job(Generator::Freight, &[8.0, 31.0]);
}
