//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures. The clock, the week, the rates and the
//! runs' cost here; the work's own shapes in `tests/shoppers.rs` (the conversations' caches,
//! the flash sales, the phones), `tests/catalogue.rs` (the nightly job, the re-run, the edits,
//! the style guide's cache) and `tests/agents.rs` (the recommendation agent's jump, the
//! returns agent's cases).

use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, calls_between as count, cost, quantile, spend_between, BaseRate,
    Generator,
};

mod agents;
mod catalogue;
mod shoppers;

/// The exhaustion scenario's length.
const END: f64 = 64.0 * HOUR_S;
const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Shop, seed, end, scale);
    (current_run(), calls)
}

/// One stream of a run (its parameters drawn from `seed`) over `[start, end)` at `scale`.
fn one(
    seed: u64,
    model_key: (&'static str, &'static str),
    span: (f64, f64),
    per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> (Run, Vec<Call>) {
    let calls = crate::one_stream(Generator::Shop, seed, model_key, span, per_min, scale);
    (current_run(), calls)
}

/// `f`'s mean over local `day`, minute by minute.
fn day_mean(day: i64, f: &dyn Fn(f64) -> f64) -> f64 {
    minutes(at_local(day, 0.0), at_local(day + 1, 0.0))
        .map(f)
        .sum::<f64>()
        / 1440.0
}

/// The spend of `calls` over local `day`.
fn day_spend(calls: &[Call], day: i64) -> f64 {
    spend_between(calls, at_local(day, 0.0), at_local(day + 1, 0.0))
}

/// Where the harness's instants fall in the shop's week (Berlin, CET): the run opens on the
/// Cyber weekend's Sunday at 18:00, the jump at 3 h is Sunday's 21:00 (its phones' peak), the
/// deals go live at 6 h, the day-2 jump at 27 h is Cyber Monday's 21:00 (its evening's peak,
/// two hours after the last flash sale's shoppers have gone), the deals end at 30 h.
#[test]
fn the_run_opens_on_the_cyber_weekends_sunday_evening_in_berlin_and_the_shapes_average_one_on_a_normal_monday(
) {
    let at = |h: f64| local(h * HOUR_S);
    assert_eq!(
        at(0.0),
        (CYBER_SUNDAY, 18.0),
        "Sunday 29 November, 18:00 CET"
    );
    assert_eq!(local(at_local(2, 14.25)), (2, 14.25));
    assert_eq!(at(3.0), (CYBER_SUNDAY, 21.0), "the jump: Sunday 21:00");
    assert_eq!(at(6.0), (CYBER_MONDAY, 0.0), "the deals go live");
    assert_eq!(
        at(8.0),
        (CYBER_MONDAY, NIGHTLY_HOUR),
        "the one-off batch: the nightly job's cron"
    );
    assert_eq!(at(24.0), (CYBER_MONDAY, 18.0), "a day of history");
    assert_eq!(
        at(27.0),
        (CYBER_MONDAY, 21.0),
        "the day-2 jump: Cyber Monday 21:00"
    );
    assert_eq!(
        at(30.0),
        (AFTER_TUESDAY, 0.0),
        "the deals end; out (cold start)"
    );
    assert_eq!(at(36.0), (AFTER_TUESDAY, 6.0), "the quiet runs end");
    assert_eq!(at(54.0), (WEDNESDAY, 0.0), "out (a day of history)");
    assert_eq!(at(64.0), (WEDNESDAY, 10.0), "the exhaustion's end");
    assert_eq!(NORMAL_MONDAY.rem_euclid(7), 1, "a Monday");
    for seed in 0..10 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        for (name, m) in [
            ("shoppers", day_mean(NORMAL_MONDAY, &|t| run.shoppers(t))),
            ("edits", day_mean(NORMAL_MONDAY, &|t| run.edits(t))),
            ("returns", day_mean(NORMAL_MONDAY, &|t| run.returns(t))),
            (
                "conversation calls",
                day_mean(NORMAL_MONDAY, &|t| {
                    run.conversations(t) * calls_per_conversation(run.abandon(t), run.tool_share)
                }),
            ),
        ] {
            assert!((m - 1.0).abs() < 1e-3, "{name} at {m:.4}");
        }
        let read = at_local(NORMAL_MONDAY - 1, NIGHTLY_HOUR);
        let changes = minutes(read, read + DAY_S)
            .map(|t| run.changes(t))
            .sum::<f64>()
            / 1440.0;
        assert!((changes - 1.0).abs() < 1e-3, "changes at {changes:.4}");
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_the_days_the_sales_the_catalogue_and_the_pods_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((1.2..1.5).contains(&run.sunday));
        assert!((2.5..4.0).contains(&run.cyber));
        assert!((0.6..0.8).contains(&run.hangover));
        assert!((2..=4).contains(&run.sales.len()));
        for s in &run.sales {
            let (day, h) = local(s.at);
            assert_eq!(day, CYBER_MONDAY);
            assert!(
                h.fract() == 0.0
                    && (f64::from(SALE_HOURS.0)..=f64::from(SALE_HOURS.1)).contains(&h)
            );
            assert!((120.0..300.0).contains(&s.rise_s) && (3.0..5.0).contains(&s.peak));
            assert!((1800.0..3600.0).contains(&s.decay_s));
        }
        assert!(run
            .sales
            .windows(2)
            .all(|w| w[1].at - w[0].at >= 2.0 * HOUR_S));
        // Every sale's shoppers gone (to 5 % of its excess) two hours before the day-2 jump.
        assert!(run.sales.iter().all(|s| s.at + s.decay_s <= 25.0 * HOUR_S));
        assert!((8_000..15_000).contains(&run.style_guide));
        assert!((60.0..80.0).contains(&run.job_per_min));
        let (day, h) = local(run.rerun_at);
        assert!(day == CYBER_MONDAY && (8.0..11.5).contains(&h));
        assert!((1200.0..2400.0).contains(&run.rerun_s));
        assert!((3..=6).contains(&run.pods.len()));
        assert!(run.pods.iter().all(|p| (0.0..90.0).contains(p)));
        for (k, at) in run.nightly_jobs().iter().enumerate() {
            let late = (at - at_local(world::FIRST_NIGHT + k as i64, NIGHTLY_HOUR)) / 60.0;
            assert!((0.0..=10.0).contains(&late), "the job {late:.1} min late");
        }
    }
}

/// Each stream at its base rate over the normal Monday, averaged over 20 runs. The returns
/// agent's calls come in cases of 5–30 steps (some 80 a day), so one run's day is within a
/// third of it and the mean within 8 %.
#[test]
fn the_streams_honour_their_base_rates_over_a_normal_monday() {
    let monday = at_local(NORMAL_MONDAY, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, SHOPPERS), 6.0, 0.03, 0.1),
        ((HAIKU, SHOPPERS), 10.0, 0.02, 0.06),
        ((SONNET, CATALOGUE), 3.0, 0.03, 0.1),
        ((OPUS, RECOMMENDER), 4.0, 0.02, 0.06),
        ((OPUS, RETURNS), 1.0, 0.08, 0.35),
    ];
    crate::assert_base_rates(
        "Shop normal Monday",
        monday,
        &streams,
        &|seed, stream, per_min| {
            one(
                seed,
                stream,
                (monday - HOUR_S, monday + DAY_S),
                per_min,
                &|_| 1.0,
            )
            .1
        },
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    crate::assert_one_run_realised_by_chance(Generator::Shop, begin_run, current_run);
}

/// The same seed, the same calls: the run and its realisation both come from the seed.
#[test]
fn the_same_seed_gives_the_same_calls() {
    let end = 30.0 * HOUR_S;
    let (a, b) = (run_of(9, end, &|_| 1.0).1, run_of(9, end, &|_| 1.0).1);
    assert_eq!(a.len(), b.len());
    assert!(a
        .iter()
        .zip(&b)
        .all(|(x, y)| x.t == y.t && x.key == y.key && x.model == y.model && x.usage == y.usage));
    let c = run_of(10, end, &|_| 1.0).1;
    assert_ne!(a.len(), c.len(), "another seed, another run");
}

/// The one-off batch is a job: all in its 10 minutes, without a cache, at the catalogue's
/// nightly hour (8 h: Cyber Monday 02:00) and in Cyber Monday's afternoon (20 h: 14:00).
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    crate::assert_one_off_batch_is_a_plain_job(Generator::Shop, &[8.0, 20.0]);
}

/// The quiet runs' 36 h end on the Tuesday at 06:00, Cyber Monday their last day: the balance
/// left must last well over a day at that day's rate.
#[test]
fn the_quiet_runs_stay_ample_through_cyber_monday() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Shop seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// Cyber Monday against the normal Monday two weeks before: the shoppers' spend on `k-app` at
/// the drawn level times what the flash sales add (within 8 %: the phones' share shifts the
/// conversations' cost a little), the sales adding a tenth to a half of a day; the Tuesday
/// after it at the drawn hangover of a normal Tuesday (within 8 %) and under a third of Cyber
/// Monday's; the whole shop's spend on the Tuesday under half of Monday's.
#[test]
fn cyber_monday_runs_at_its_drawn_multiple_of_a_normal_monday_and_the_tuesday_after_is_quieter() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let mut app = Vec::new();
        for (model, per_min) in [(SONNET, 6.0), (HAIKU, 10.0)] {
            for (from, to) in [
                (
                    at_local(NORMAL_MONDAY, 0.0),
                    at_local(NORMAL_MONDAY + 2, 0.0),
                ),
                (0.0, END),
            ] {
                app.extend(stream(
                    &mut rng,
                    (model, SHOPPERS),
                    from - HOUR_S,
                    to,
                    per_min,
                    &|_| 1.0,
                ));
            }
        }
        let flash = day_mean(CYBER_MONDAY, &|t| run.shoppers(t)) / run.cyber;
        assert!(
            (1.05..1.6).contains(&flash),
            "seed {seed}: sales ×{flash:.2}"
        );
        let monday = day_spend(&app, CYBER_MONDAY) / day_spend(&app, NORMAL_MONDAY);
        let meant = run.cyber * flash;
        assert!(
            (monday / meant - 1.0).abs() < 0.08,
            "seed {seed}: Cyber Monday {monday:.2}× a normal Monday's, {meant:.2} meant"
        );
        let tuesday = day_spend(&app, AFTER_TUESDAY) / day_spend(&app, NORMAL_MONDAY + 1);
        assert!(
            (tuesday / run.hangover - 1.0).abs() < 0.08,
            "seed {seed}: the Tuesday {tuesday:.2}× a normal one, drawn {:.2}",
            run.hangover
        );
        let after = day_spend(&app, AFTER_TUESDAY) / day_spend(&app, CYBER_MONDAY);
        assert!(
            after < 0.33,
            "seed {seed}: the Tuesday at {after:.2} of Monday"
        );
        let (_, all) = run_of(seed, 3.0 * DAY_S, &|_| 1.0);
        let shop = day_spend(&all, AFTER_TUESDAY) / day_spend(&all, CYBER_MONDAY);
        assert!(
            shop < 0.5,
            "seed {seed}: the shop's Tuesday at {shop:.2} of Monday"
        );
        rows.push(format!(
            "{seed}: Cyber Monday {monday:.2}× (drawn {:.2}, sales ×{flash:.2}, {} of them), the Tuesday {tuesday:.2}× a normal one (drawn {:.2}), {after:.2} of Monday's on k-app, {shop:.2} for the shop",
            run.cyber,
            run.sales.len(),
            run.hangover
        ));
    }
    println!("Shop Cyber Monday: {}", rows.join("; "));
}

/// Two runs: each stream's calls cost what such calls do, the spend per hour printed.
#[test]
fn two_runs_cost_what_a_shop_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, END, &|_| 1.0);
        let costs = |model: &str, key: &str| crate::costs_of(&calls, model, key);
        let (mut assistant, mut search, mut catalogue, mut returns) = (
            costs(SONNET, SHOPPERS),
            costs(HAIKU, SHOPPERS),
            costs(SONNET, CATALOGUE),
            costs(OPUS, RETURNS),
        );
        let a50 = quantile(&mut assistant, 0.5);
        let s50 = quantile(&mut search, 0.5);
        let c50 = quantile(&mut catalogue, 0.5);
        let r50 = quantile(&mut returns, 0.5);
        assert!(
            (0.006..0.02).contains(&a50),
            "an assistant's call ${a50:.4}"
        );
        assert!((0.0005..0.002).contains(&s50), "a search ${s50:.5}");
        assert!((0.007..0.02).contains(&c50), "a catalogue call ${c50:.4}");
        assert!((0.015..0.05).contains(&r50), "a returns step ${r50:.4}");
        let first = spend_between(&calls, 0.0, DAY_S);
        assert!(
            (300.0..1200.0).contains(&first),
            "the first day ${first:.0}"
        );
        let mut hourly = vec![0.0; (END / HOUR_S) as usize];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        println!(
            "Shop seed {seed}: {} calls in 64 h, ${:.0}; the first day ${first:.0}; median an assistant's call ${a50:.4}, a search ${s50:.5}, a catalogue call ${c50:.4}, a returns step ${r50:.4}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from Sunday 18:00 CET): {}",
            row.join(" ")
        );
    }
}
