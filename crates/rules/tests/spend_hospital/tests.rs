//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures.

use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, calls_between as count, cost, quantile, spend_between, BaseRate,
    Generator,
};

/// The exhaustion scenario's length.
const END: f64 = 64.0 * HOUR_S;
const OPUS: &str = "claude-opus-4-6";
const HAIKU: &str = "claude-haiku-4-5";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Hospital, seed, end, scale);
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
    let calls = crate::one_stream(Generator::Hospital, seed, model_key, span, per_min, scale);
    (current_run(), calls)
}

fn day_mean(day: i64, f: &dyn Fn(f64) -> f64) -> f64 {
    minutes(at_local(day, 0.0), at_local(day + 1, 0.0))
        .map(f)
        .sum::<f64>()
        / 1440.0
}

#[test]
fn the_run_opens_on_a_monday_morning_in_melbourne_and_the_shapes_average_one_on_wednesday() {
    assert_eq!(local(0.0), (0, 11.0), "Monday 00:00 UTC is 11:00 in AEDT");
    assert_eq!(local(at_local(2, 14.25)), (2, 14.25));
    assert_eq!(local(3.0 * HOUR_S), (0, 14.0), "the jump: Monday 14:00");
    assert_eq!(local(8.0 * HOUR_S), (0, 19.0), "the batch: Monday 19:00");
    assert_eq!(
        local(36.0 * HOUR_S),
        (1, 23.0),
        "the quiet runs end on Cup Day night"
    );
    assert_eq!(
        at_local(CUP_DAY, RACE_HOUR),
        28.0 * HOUR_S,
        "the race at 28 h"
    );
    for seed in 0..10 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        for (name, m) in [
            ("scribe", day_mean(TYPICAL_DAY, &|t| run.scribe(t))),
            ("portal", day_mean(TYPICAL_DAY, &|t| run.portal(t))),
            ("handover", day_mean(TYPICAL_DAY, &|t| run.handover(t))),
            ("results", day_mean(TYPICAL_DAY, &|t| run.results(t))),
        ] {
            assert!((m - 1.0).abs() < 1e-3, "{name} at {m:.4}");
        }
        let window = |hour: f64, f: &dyn Fn(f64) -> f64| {
            let from = at_local(TYPICAL_DAY - 1, hour);
            minutes(from, from + DAY_S).map(f).sum::<f64>() / 1440.0
        };
        assert!((window(CODING_HOUR, &|t| run.discharges(t)) - 1.0).abs() < 1e-3);
        assert!((window(PREP_HOUR, &|t| run.flags(t)) - 1.0).abs() < 1e-3);
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_cup_day_the_prompts_the_jobs_and_the_workers_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        let cup = &run.cup;
        assert!((1.15..1.3).contains(&run.monday_portal));
        assert!((0.25..0.45).contains(&cup.clinics) && (0.3..0.5).contains(&cup.race_dip));
        let race = at_local(CUP_DAY, RACE_HOUR);
        assert!(cup.race_start < race && cup.race_start + cup.race_s > race + 240.0);
        assert!((8..=14).contains(&run.specialties.len()));
        assert!((run.specialty_shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((18..=28).contains(&run.wards.len()));
        assert!((10_000..16_000).contains(&run.coding_standards));
        assert!((4..=8).contains(&run.workers.len()));
        assert!(run.workers.iter().all(|w| (0.0..90.0).contains(w)));
        for (d, at) in run.coding_jobs().iter().enumerate() {
            let late = (at - at_local(d as i64 - 1, CODING_HOUR)) / 60.0;
            assert!((0.0..=10.0).contains(&late), "coding {late:.1} min late");
        }
        for (d, at) in run.prep_jobs().iter().enumerate() {
            let late = (at - at_local(d as i64 - 1, PREP_HOUR)) / 60.0;
            assert!((0.0..=10.0).contains(&late), "drafting {late:.1} min late");
        }
    }
}

/// Each stream at its base rate over the typical weekday (Wednesday), averaged over 20 runs.
#[test]
fn the_streams_honour_their_base_rates_over_a_typical_weekday() {
    let wed = at_local(TYPICAL_DAY, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, PEOPLE), 6.0, 0.03, 0.08),
        ((HAIKU, PEOPLE), 10.0, 0.02, 0.06),
        ((SONNET, JOBS), 3.0, 0.03, 0.1),
        ((SONNET, HANDOVER), 1.5, 0.03, 0.1),
        ((OPUS, RESULTS_AGENT), 4.0, 0.02, 0.06),
    ];
    crate::assert_base_rates(
        "Hospital Wednesday",
        wed,
        &streams,
        &|seed, stream, per_min| {
            one(seed, stream, (wed - HOUR_S, wed + DAY_S), per_min, &|_| 1.0).1
        },
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    crate::assert_one_run_realised_by_chance(Generator::Hospital, begin_run, current_run);
}

/// The one-off batch is a job: all in its 10 minutes, without a cache, on Monday evening and
/// during the race.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    crate::assert_one_off_batch_is_a_plain_job(Generator::Hospital, &[8.0, 27.9]);
}

/// The quiet runs' 36 h end on Cup Day night: the balance left must last well over a day at
/// the last day's rate, its holiday and two nightly coding jobs in it.
#[test]
fn the_quiet_runs_stay_ample_through_cup_day() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Hospital seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// The jump: the same results at the same instants with the same context and answers, each
/// with its cumulative report's pages once its worker has picked the flag up (within the
/// flag's 90 s), so `k-agent`'s spend is at ~6× from the second minute on (pooled over 20
/// seeds) and 5–7× over the ten minutes after the jump in every run.
#[test]
fn the_results_agents_jump_is_pdf_reports_at_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let span = (0.0, 4.0 * HOUR_S);
    let mut minute = [(0.0, 0.0); 10];
    let mut tens = Vec::new();
    for seed in 0..20 {
        let (run, jumped) = one(seed, (OPUS, RESULTS_AGENT), span, 4.0, &|t| {
            if t >= jump {
                6.0
            } else {
                1.0
            }
        });
        let (_, flat) = one(seed, (OPUS, RESULTS_AGENT), span, 4.0, &|_| 1.0);
        assert_eq!(jumped.len(), flat.len(), "the same results");
        let last = run.workers.iter().fold(0.0f64, |a, b| a.max(*b));
        for (j, f) in jumped.iter().zip(&flat) {
            assert_eq!(j.t, f.t);
            assert_eq!(j.usage.output_tokens, f.usage.output_tokens);
            assert_eq!(
                j.usage.cache_read_input_tokens,
                f.usage.cache_read_input_tokens
            );
            if j.t < jump {
                assert_eq!(j.usage, f.usage);
            } else if j.t >= jump + last {
                assert!(j.usage.input_tokens > f.usage.input_tokens + run.page_tokens);
            }
        }
        let spend = |c: &[Call], a: f64, b: f64| spend_between(c, jump + a, jump + b);
        for (m, acc) in minute.iter_mut().enumerate() {
            let (a, b) = (60.0 * m as f64, 60.0 * (m + 1) as f64);
            acc.0 += spend(&jumped, a, b);
            acc.1 += spend(&flat, a, b);
        }
        let ten = spend(&jumped, 0.0, 600.0) / spend(&flat, 0.0, 600.0);
        assert!(
            (5.0..7.0).contains(&ten),
            "seed {seed}: 10 min at {ten:.2}×"
        );
        tens.push(ten);
        let c = result_cost(&run);
        assert!((0.022..0.032).contains(&c), "seed {seed}: a result ${c:.4}");
        let mut flat_costs = crate::costs_of(&flat, OPUS, RESULTS_AGENT);
        let median = quantile(&mut flat_costs, 0.5);
        assert!(
            (0.018..0.032).contains(&median),
            "seed {seed}: median ${median:.4}"
        );
        let pages = report_pages(&run, 6.0);
        assert!(
            (6.0..25.0).contains(&pages),
            "seed {seed}: {pages:.1} pages"
        );
    }
    let ratios: Vec<f64> = minute.iter().map(|(j, f)| j / f).collect();
    println!("Hospital jump, pooled over 20 seeds, minute by minute: {ratios:.2?}; each run's 10 min {tens:.2?}");
    assert!(ratios[0] > 3.0, "the first minute at {:.2}×", ratios[0]);
    assert!(
        ratios[1..].iter().all(|r| (5.3..6.7).contains(r)),
        "{ratios:.2?}"
    );
}

/// The handovers: the summaries come in bursts before 07:00, 13:30 and 21:00, each ward's
/// instructions written on its 5-minute cache once a handover and read through the burst.
#[test]
fn the_handovers_burst_before_each_shift_and_write_each_wards_prompt_once() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2] {
        let wed = at_local(TYPICAL_DAY, 0.0);
        let (run, calls) = one(
            seed,
            (SONNET, HANDOVER),
            (wed - HOUR_S, wed + DAY_S),
            1.5,
            &|_| 1.0,
        );
        for hour in HANDOVERS {
            let at = at_local(TYPICAL_DAY, hour);
            let burst = count(&calls, at - 2700.0, at);
            let between = count(&calls, at + 2.0 * HOUR_S, at + 2.0 * HOUR_S + 2700.0);
            assert!(
                burst > 8.0 * between.max(1.0),
                "seed {seed} {hour}: {burst} against {between}"
            );
            let writes: Vec<&Call> = calls
                .iter()
                .filter(|c| (at - 2.0 * HOUR_S..at + 600.0).contains(&c.t))
                .filter(|c| c.usage.cache_creation_input_tokens > 0)
                .collect();
            // Each ward's first summary writes; a straggler minutes after the burst writes again.
            assert!(
                writes.len() <= 5 * run.wards.len() && (writes.len() as f64) < 0.15 * burst,
                "seed {seed}: {} writes, {burst} summaries",
                writes.len()
            );
            let reads = calls
                .iter()
                .filter(|c| (at - 2700.0..at).contains(&c.t) && c.usage.cache_read_input_tokens > 0)
                .count() as f64;
            assert!(reads > 0.85 * burst, "seed {seed}: {reads} of {burst} read");
            rows.push(format!(
                "{seed} {hour:.1}: {burst} summaries in the 45 min before, {between} mid-shift, {} writes for {} wards",
                writes.len(),
                run.wards.len()
            ));
        }
        assert!(calls
            .iter()
            .all(|c| c.usage.cache_creation_1h_input_tokens == 0));
    }
    println!("Hospital handovers: {}", rows.join("; "));
}

/// The scribe's specialties are on the 1-hour cache: every write is a 1-hour write, and a
/// clinic day's calls read their prefix far more often than they write it.
#[test]
fn the_scribe_writes_its_specialties_on_the_hour_cache_and_reads_them() {
    let wed = at_local(TYPICAL_DAY, 0.0);
    let (run, calls) = one(4, (SONNET, PEOPLE), (wed, wed + DAY_S), 6.0, &|_| 1.0);
    let writes = calls
        .iter()
        .filter(|c| c.usage.cache_creation_input_tokens > 0)
        .count();
    assert!(calls
        .iter()
        .all(|c| c.usage.cache_creation_1h_input_tokens == c.usage.cache_creation_input_tokens));
    assert!(calls.iter().all(|c| c.usage.cache_read_input_tokens
        + c.usage.cache_creation_input_tokens
        == 0
        || run
            .specialties
            .contains(&(c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens))));
    assert!(
        writes * 20 < calls.len(),
        "{writes} writes in {} calls",
        calls.len()
    );
}

/// Monday's portal evening above Wednesday's by its drawn lift; Cup Day: the scribe's clinic hours at a third or so of Wednesday's, the portal's morning
/// lower, the race's minutes a dip in the people's streams, and the nightly coding after it
/// smaller (fewer discharges on the holiday) than Wednesday's.
#[test]
fn monday_brings_the_weekends_messages_and_cup_day_closes_the_clinics_stops_for_the_race_and_codes_less(
) {
    let mut rows = Vec::new();
    for seed in [0, 1, 2] {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let of = |rng: &mut StdRng, key_model, per_min| {
            stream(rng, key_model, 0.0, END, per_min, &|_| 1.0)
        };
        let scribe = of(&mut rng, (SONNET, PEOPLE), 6.0);
        let portal = of(&mut rng, (HAIKU, PEOPLE), 10.0);
        let jobs = of(&mut rng, (SONNET, JOBS), 3.0);
        let hours = |c: &[Call], d: i64, a: f64, b: f64| count(c, at_local(d, a), at_local(d, b));
        let clinics = hours(&scribe, CUP_DAY, 9.0, 12.0) / hours(&scribe, TYPICAL_DAY, 9.0, 12.0);
        assert!(
            clinics < 0.6,
            "seed {seed}: the clinics {clinics:.2}× Wednesday's"
        );
        let race = (run.cup.race_start, run.cup.race_start + run.cup.race_s);
        let dip = count(&portal, race.0, race.1) / count(&portal, race.0 + DAY_S, race.1 + DAY_S);
        assert!(dip < 0.7, "seed {seed}: the portal {dip:.2}× in the race");
        let evening = hours(&portal, 0, 18.0, 22.0) / hours(&portal, TYPICAL_DAY, 18.0, 22.0);
        assert!(
            (evening / run.monday_portal - 1.0).abs() < 0.1,
            "seed {seed}: Monday's evening {evening:.2}× Wednesday's, drawn {:.2}",
            run.monday_portal
        );
        let job = |c: &[Call], day: i64| count(c, at_local(day, CODING_HOUR), at_local(day, 23.9));
        let (tue, wed) = (job(&jobs, CUP_DAY), job(&jobs, TYPICAL_DAY));
        assert!(tue < 0.85 * wed, "seed {seed}: coding {tue} against {wed}");
        rows.push(format!("{seed}: Monday's portal evening {evening:.2}× Wednesday's, Cup Day's clinics {clinics:.2}×, portal in the race {dip:.2}×, coding {tue} then {wed} documents"));
    }
    println!("Hospital Cup Day: {}", rows.join("; "));
}

/// Two runs: each stream's calls cost what such calls do, the spend per hour printed.
#[test]
fn two_runs_cost_what_a_hospital_network_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, END, &|_| 1.0);
        let costs = |model: &str, key: &str| crate::costs_of(&calls, model, key);
        let (mut scribe, mut portal, mut jobs, mut handover) = (
            costs(SONNET, PEOPLE),
            costs(HAIKU, PEOPLE),
            costs(SONNET, JOBS),
            costs(SONNET, HANDOVER),
        );
        let s50 = quantile(&mut scribe, 0.5);
        let p50 = quantile(&mut portal, 0.5);
        let j50 = quantile(&mut jobs, 0.5);
        let h50 = quantile(&mut handover, 0.5);
        assert!((0.01..0.04).contains(&s50), "a note ${s50:.4}");
        assert!((0.001..0.004).contains(&p50), "a portal message ${p50:.5}");
        assert!((0.008..0.04).contains(&j50), "a job's call ${j50:.4}");
        assert!((0.01..0.04).contains(&h50), "a handover summary ${h50:.4}");
        let first = spend_between(&calls, 0.0, DAY_S);
        assert!((100.0..600.0).contains(&first), "the first day ${first:.0}");
        let mut hourly = vec![0.0; (END / HOUR_S) as usize];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        println!(
            "Hospital seed {seed}: {} calls in 64 h, ${:.0}; the first day ${first:.0}; median a note ${s50:.4}, a portal message ${p50:.5}, a job's call ${j50:.4}, a handover summary ${h50:.4}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = Monday 11:00 AEDT): {}",
            row.join(" ")
        );
    }
}
