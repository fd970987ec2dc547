//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour.

use rand::SeedableRng;

use super::*;
use crate::{assert_quiet_runs_stay_ample, cost, minutes, quantile, spend_between, Generator};

/// The exhaustion scenario's length; and a run long enough to hold the plain Wednesday the
/// rates are normalised on (local day 3: 51 h to 75 h).
const END: f64 = 64.0 * HOUR_S;
const LONG: f64 = 76.0 * HOUR_S;
const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";
const OPUS: &str = "claude-opus-4-6";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::CallCentre, seed, end, scale);
    (current_run(), calls)
}

/// The UTC instant (seconds into a run) of local `hour` on local day `day` (0 = the Sunday the
/// run opens on, 1 = Finados, 2 = Tuesday, …).
fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
}

#[test]
fn the_run_opens_on_a_sunday_evening_before_finados_kept_as_a_saturday_half_day() {
    assert_eq!(local(0.0), (0, 21.0), "Monday 00:00 UTC is Sunday 21:00");
    assert_eq!(local(at_local(1, 10.0)), (FINADOS, 10.0));
    assert_eq!(day_kind(0), DayKind::Sunday);
    assert_eq!(day_kind(FINADOS), DayKind::Saturday);
    assert_eq!(day_kind(2), DayKind::Weekday);
    assert_eq!(day_kind(3), DayKind::Weekday);
    assert_eq!(day_kind(-1), DayKind::Saturday);
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        let seats = |d: i64, h: f64| run.seats(at_local(d, h));
        let near = |a: f64, b: f64| (a - b).abs() < 0.01;
        // Sunday and the nights: the night crew; Finados: Saturday's roster to 14:00.
        assert!(near(seats(0, 22.0), run.night_seats) && near(seats(2, 3.0), run.night_seats));
        assert!(near(seats(1, 11.0), run.saturday_seats) && near(seats(1, 16.0), run.night_seats));
        assert!(near(seats(2, 10.0), 1.0) && near(seats(2, 17.0), run.afternoon_seats));
        // The regular line: shut on Sunday and at night, open 08:00-14:00 on the holiday.
        let offered = |d: i64, h: f64| run.offered(at_local(d, h));
        assert!(offered(0, 23.0) < 0.07 && offered(2, 5.0) < 0.07);
        assert!(offered(1, 10.0) > 0.25 && offered(1, 15.0) < 0.07);
        // Tuesday's callers, after the long weekend, above Wednesday's.
        assert!(offered(2, 10.0) > 1.1 * offered(3, 10.0));
        // The carried rate is 1 over a plain weekday (Wednesday).
        let wed = minutes(at_local(3, 0.0), at_local(4, 0.0))
            .map(|t| run.day(t))
            .sum::<f64>()
            / 1440.0;
        assert!((wed - 1.0).abs() < 1e-3, "Wednesday at {wed:.4}");
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_the_roster_the_callers_the_prompts_and_the_timeouts_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((4.0..6.5).contains(&run.talk_min) && (1.5..4.0).contains(&run.patience_min));
        assert!((5.0..7.7).contains(&run.handle_min()));
        assert!((0.85..1.0).contains(&run.afternoon_seats));
        assert!((0.08..0.15).contains(&run.night_seats));
        assert!((0.25..0.4).contains(&run.saturday_seats));
        assert!((1.25..1.6).contains(&run.peak_load));
        assert!((1.15..1.35).contains(&run.after_holiday));
        assert!((250..=600).contains(&run.qa_queue) && (40.0..80.0).contains(&run.qa_per_min));
        assert!((3.0..6.0).contains(&run.timeout_s) && (15.0..30.0).contains(&run.visibility_s));
        assert!((25_000..=45_000).contains(&run.rules_prefix));
    }
}

/// The carried rate is the seats', not the callers': wherever callers wait, the conversations
/// start at the rate the seats free up (seats over handle time), flat while the demand moves;
/// the morning's top is clipped well under the demand's peak, and the callers the seats cannot
/// take hang up.
#[test]
fn the_day_is_clipped_flat_by_the_seats_and_the_excess_callers_hang_up() {
    let mut rows = Vec::new();
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        let handle = run.handle_min();
        for day in [2, 3] {
            // The morning shift's hours, once logged in.
            let morning: Vec<f64> = minutes(at_local(day, 8.75), at_local(day, 13.25)).collect();
            let saturated: Vec<f64> = morning
                .iter()
                .copied()
                .filter(|t| run.queue_at(*t) > 0.01)
                .collect();
            let span_h = saturated.len() as f64 / 60.0;
            assert!(
                span_h > 1.5,
                "seed {seed} day {day}: saturated {span_h:.2} h"
            );
            // Flat at the seats' rate while saturated.
            for t in &saturated {
                let cap = run.seats(*t) / handle;
                let got = run.starts_at(*t);
                assert!(
                    (got / cap - 1.0).abs() < 0.02,
                    "seed {seed}: starts {got:.4} against the seats' {cap:.4}"
                );
            }
            let demand: Vec<f64> = saturated.iter().map(|t| run.offered(*t)).collect();
            let (lo, hi) = demand
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
            assert!(
                hi / lo > 1.15,
                "seed {seed}: the demand moved only {:.2}×",
                hi / lo
            );
            // Clipped: the carried top well under the demand's top.
            let top = morning
                .iter()
                .map(|t| run.starts_at(*t))
                .fold(0.0, f64::max);
            let wanted = morning
                .iter()
                .map(|t| run.offered(*t) / handle)
                .fold(0.0, f64::max);
            assert!(
                top < 0.85 * wanted,
                "seed {seed}: top {top:.3} of {wanted:.3}"
            );
            // The excess waits, then hangs up: lost, not deferred.
            let carried: f64 = saturated.iter().map(|t| run.starts_at(*t)).sum();
            let arrived: f64 = saturated.iter().map(|t| run.offered(*t) / handle).sum();
            let lost = 1.0 - carried / arrived;
            assert!((0.05..0.5).contains(&lost), "seed {seed}: {lost:.2} lost");
            rows.push((seed, day, span_h, wanted / top, lost));
        }
    }
    println!(
        "CallCentre mornings (seed, day, saturated h, demand's peak over the carried top, callers lost while saturated): {}",
        rows.iter()
            .map(|r| format!("{}/{}: {:.1} h {:.2}× {:.0} %", r.0, r.1, r.2, r.3, 100.0 * r.4))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// Conversations one by one: as many calls as meant, short streamed answers, the
/// conversation's cache read between utterances and written afresh after a hold over 5 minutes.
#[test]
fn a_conversation_is_short_turns_whose_cache_a_hold_over_five_minutes_loses() {
    let mut rng = StdRng::seed_from_u64(21);
    let run = begin_run(&mut rng);
    let convs: Vec<Vec<Turn>> = (0..4000)
        .map(|i| conversation(&mut rng, &run, f64::from(i) * HOUR_S))
        .collect();
    let calls: usize = convs.iter().map(Vec::len).sum();
    let per = calls as f64 / convs.len() as f64;
    let meant = run.calls_per_conversation();
    assert!(
        (per / meant - 1.0).abs() < 0.04,
        "{per:.1} calls, {meant:.1} meant"
    );
    let (mut cold_after_hold, mut warm, mut holds) = (0, 0, 0);
    let mut outputs = Vec::new();
    for c in &convs {
        assert!(c[0].cold && c[0].read == 0 && c[0].written >= 200);
        let last = &c[c.len() - 1];
        assert_eq!(last.fresh, SUMMARY_PROMPT);
        for w in c.windows(2) {
            let gap = w[1].t - w[0].t;
            if gap >= CACHE_5M_S {
                assert!(w[1].cold && w[1].read == 0 && w[1].written > w[0].read);
                cold_after_hold += 1;
            } else {
                assert!(!w[1].cold && w[1].read >= w[0].read + w[0].written);
                warm += 1;
            }
            holds += usize::from(gap > 60.0);
        }
        outputs.extend(c[..c.len() - 1].iter().map(|t| t.output as f64));
    }
    let median_out = quantile(&mut outputs, 0.5);
    assert!(
        (50.0..100.0).contains(&median_out),
        "median answer {median_out}"
    );
    let rewritten = cold_after_hold as f64 / convs.len() as f64;
    assert!(
        (0.02..0.10).contains(&rewritten),
        "{rewritten:.3} rewritten"
    );
    println!(
        "CallCentre conversations: {per:.1} calls ({meant:.1} meant), answers {median_out:.0} tokens at the median, {warm} warm calls, {holds} gaps over a minute, {cold_after_hold} rewrites after a hold over 5 min ({:.1} % of conversations)",
        100.0 * rewritten
    );
}

/// Two runs: each stream at its rate over a plain weekday, shaped by the centre's day, its
/// calls' costs sane; the spend per hour printed.
#[test]
fn two_runs_honour_the_rates_and_the_costs_meant() {
    for seed in [1, 2] {
        let (run, calls) = run_of(seed, LONG, &|_| 1.0);
        let (wed, thu) = (at_local(3, 0.0), at_local(4, 0.0));
        let of = |model: &str, key: &str| -> Vec<&Call> {
            calls
                .iter()
                .filter(|c| c.model == model && c.key == key)
                .collect()
        };
        let count = |xs: &[&Call], a: f64, b: f64| {
            xs.iter().filter(|c| (a..b).contains(&c.t)).count() as f64
        };
        let copilot = of(SONNET, DESK);
        let redaction = of(HAIKU, DESK);
        let qa = of(SONNET, QA);
        let rates = [
            count(&copilot, wed, thu) / 1440.0 / 6.0,
            count(&redaction, wed, thu) / 1440.0 / 10.0,
            count(&qa, wed, thu) / 1440.0 / 3.0,
        ];
        assert!((rates[0] - 1.0).abs() < 0.12, "copilot at {:.2}", rates[0]);
        assert!(
            (rates[1] - 1.0).abs() < 0.05,
            "redaction at {:.2}",
            rates[1]
        );
        assert!((rates[2] - 1.0).abs() < 0.25, "QA at {:.2}", rates[2]);
        // The day: Tuesday's morning plateau against its small hours, and Finados' half day.
        let hour = |xs: &[&Call], d: i64, h: f64| count(xs, at_local(d, h), at_local(d, h + 1.0));
        let (plateau, night, holiday) = (
            hour(&redaction, 2, 10.0),
            hour(&redaction, 2, 4.0),
            hour(&redaction, 1, 10.0),
        );
        assert!(plateau > 6.0 * night && plateau > 1.3 * holiday && holiday > 2.0 * night);
        // Costs per call.
        let costs = |xs: &[&Call]| xs.iter().map(|c| cost(c)).collect::<Vec<f64>>();
        let mut c = costs(&copilot);
        let (c50, c99, cmax) = (
            quantile(&mut c, 0.5),
            quantile(&mut c, 0.99),
            quantile(&mut c, 1.0),
        );
        assert!(
            (0.004..0.02).contains(&c50) && c99 < 0.08 && cmax < 0.3,
            "copilot ${c50:.4} ${c99:.4} ${cmax:.3}"
        );
        let mut r = costs(&redaction);
        let r50 = quantile(&mut r, 0.5);
        assert!((0.0003..0.003).contains(&r50), "redaction ${r50:.4}");
        let mut q = costs(&qa);
        let q50 = quantile(&mut q, 0.5);
        assert!((0.008..0.03).contains(&q50), "QA ${q50:.4}");
        let mut hourly = vec![0.0; 64];
        for c in calls.iter().filter(|c| c.t < END) {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        let (lo, hi) = hourly
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(lo > 0.01 && hi < 40.0, "spend per hour ${lo:.2}-${hi:.2}");
        println!(
            "CallCentre seed {seed}: Wednesday's rates {:.2?} of the bases; redactions an hour Tuesday 10:00 {plateau}, 04:00 {night}, Finados 10:00 {holiday}; call cost median/p99/max copilot ${c50:.4}/${c99:.4}/${cmax:.3}, redaction ${r50:.4}, QA ${q50:.4}; handle {:.1} min; spend/h ${lo:.2}-${hi:.2}",
            rates,
            run.handle_min()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = 21:00 local): {}",
            row.join(" ")
        );
    }
}

/// The QA jobs: each the trigger's size then a report, run at the job's pace, the rubric
/// written at the 1-hour price only after an hour without a job; the jobs come as the queue
/// fills, hours apart at night and often in the working day, at no fixed period.
#[test]
fn the_qa_job_runs_when_its_queue_fills_not_on_a_clock() {
    for seed in [3, 4] {
        let (run, calls) = run_of(seed, LONG, &|_| 1.0);
        let qa: Vec<&Call> = calls.iter().filter(|c| c.key == QA).collect();
        // Jobs: runs of calls less than 10 minutes apart.
        let mut jobs: Vec<Vec<&Call>> = Vec::new();
        for c in qa {
            match jobs.last_mut() {
                Some(j) if c.t - j[j.len() - 1].t < 600.0 => j.push(c),
                _ => jobs.push(vec![c]),
            }
        }
        let whole = &jobs[1..jobs.len() - 1];
        assert!(whole.len() >= 8, "{} jobs", whole.len());
        let mut prev_end: Option<f64> = Some(jobs[0][jobs[0].len() - 1].t);
        for j in whole {
            assert_eq!(j.len() as u32, run.qa_queue + 1);
            let report = j[j.len() - 1];
            assert_eq!(
                report.usage.input_tokens,
                1_000 + 70 * u64::from(run.qa_queue)
            );
            let minutes = (report.t - j[0].t) / 60.0;
            let meant = f64::from(run.qa_queue) / run.qa_per_min;
            assert!(
                (minutes / meant - 1.0).abs() < 0.15,
                "a job of {minutes:.1} min"
            );
            let first = &j[0].usage;
            let cold = prev_end.is_some_and(|e| j[0].t - e >= CACHE_1H_S);
            // The report is not on the cache: the rubric's last read is the last review.
            assert_eq!(first.cache_creation_1h_input_tokens > 0, cold);
            assert!(j[1..j.len() - 1]
                .iter()
                .all(|c| c.usage.cache_read_input_tokens == run.qa_rubric));
            prev_end = Some(j[j.len() - 2].t);
        }
        let starts: Vec<f64> = whole.iter().map(|j| j[0].t).collect();
        let gaps: Vec<f64> = starts.windows(2).map(|w| (w[1] - w[0]) / HOUR_S).collect();
        let (lo, hi) = gaps
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), g| (lo.min(*g), hi.max(*g)));
        assert!(hi > 3.0 * lo, "gaps {lo:.2}-{hi:.2} h: a clock");
        let working = |t: &f64| {
            let (d, h) = local(*t);
            day_kind(d) == DayKind::Weekday && (9.0..19.0).contains(&h)
        };
        let in_day = starts.iter().filter(|t| working(t)).count();
        assert!(
            in_day * 2 > starts.len(),
            "{in_day} of {} jobs in working hours",
            starts.len()
        );
        println!(
            "CallCentre seed {seed}: QA trigger {} at {:.0}/min; {} jobs, {in_day} in working hours; gaps {lo:.2}-{hi:.2} h; starts (local day, hour): {}",
            run.qa_queue,
            run.qa_per_min,
            whole.len(),
            starts
                .iter()
                .map(|t| {
                    let (d, h) = local(*t);
                    format!("{d}/{h:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

/// `begin_run` defines the run, the stream's `rng` the chance: realisations of one run with
/// other rngs differ call by call, not in their parameters, and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    let mut rng = StdRng::seed_from_u64(5);
    let run = begin_run(&mut rng);
    let realise = |seed: u64| {
        let mut rng = StdRng::seed_from_u64(seed);
        crate::streams(Generator::CallCentre, &mut rng, END, &|_| 1.0)
    };
    let (a, b) = (realise(100), realise(101));
    assert_eq!(current_run(), run, "the streams drew no parameter");
    let (spend_a, spend_b) = crate::assert_realisations_differ_by_chance(&a, &b, 0.1);
    println!(
        "CallCentre run of seed 5: two realisations ${spend_a:.0} and ${spend_b:.0}, {} and {} calls",
        a.len(),
        b.len()
    );
}

/// The attempts of a request in the storm: each after the last timed out, a backoff within a
/// delivery, the visibility timeout between the two deliveries; one after another.
#[test]
fn a_request_in_the_storm_is_six_attempts_one_after_another() {
    let mut rng = StdRng::seed_from_u64(8);
    let run = begin_run(&mut rng);
    for _ in 0..100 {
        let offsets = attempt_offsets(&mut rng, &run, 6);
        assert_eq!(offsets[0], 0.0);
        for (k, w) in offsets.windows(2).enumerate() {
            let gap = w[1] - w[0];
            if (k + 1) as u32 % ATTEMPTS_PER_DELIVERY == 0 {
                assert!((gap - run.timeout_s - run.visibility_s).abs() < 1e-9);
            } else {
                assert!(gap >= run.timeout_s + 0.37 && gap <= run.timeout_s + 1.0);
            }
        }
        assert!(offsets[5] < 100.0);
    }
}

/// The jump on `k-agent`: the same requests up to it; from it on each request is billed six
/// attempts that come due over the next minutes, so the stream builds to 6× within 3
/// minutes and stays there, and the 10 minutes after cost 5–7× the same run without it.
#[test]
fn the_reviewers_jump_is_a_retry_storm_that_reaches_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let (mut first_min, mut settled, mut tens) = ((0.0, 0.0), (0.0, 0.0), Vec::new());
    let (mut after_sum, mut before_sum, mut flat_after_sum) = (0.0, 0.0, 0.0);
    for seed in 0..20 {
        let reviewer = |scale: &dyn Fn(f64) -> f64| {
            let mut rng = StdRng::seed_from_u64(seed);
            begin_run(&mut rng);
            stream(&mut rng, (OPUS, AGENT), 0.0, jump + HOUR_S, 4.0, scale)
        };
        let jumped = reviewer(&|s| if s >= jump { 6.0 } else { 1.0 });
        let flat = reviewer(&|_| 1.0);
        let times = |xs: &[Call]| {
            xs.iter()
                .filter(|c| c.t < jump)
                .map(|c| c.t)
                .collect::<Vec<f64>>()
        };
        assert_eq!(
            times(&jumped),
            times(&flat),
            "the same calls up to the jump"
        );
        let ratio = |a: f64, b: f64| spend_between(&jumped, a, b) / spend_between(&flat, a, b);
        let ten = ratio(jump, jump + 600.0);
        assert!(
            (5.0..7.0).contains(&ten),
            "seed {seed}: 10 min after at {ten:.2}×"
        );
        tens.push(ten);
        first_min.0 += spend_between(&jumped, jump, jump + 60.0);
        first_min.1 += spend_between(&flat, jump, jump + 60.0);
        settled.0 += spend_between(&jumped, jump + 180.0, jump + HOUR_S - 300.0);
        settled.1 += spend_between(&flat, jump + 180.0, jump + HOUR_S - 300.0);
        // Every call a full prompt: the documents uncached, the rules read.
        let run = current_run();
        assert!(jumped
            .iter()
            .filter(|c| c.t > 600.0)
            .all(|c| c.usage.cache_read_input_tokens == run.rules_prefix
                && c.usage.input_tokens > 200));
        after_sum += spend_between(&jumped, jump, jump + 600.0);
        flat_after_sum += spend_between(&flat, jump, jump + 600.0);
        before_sum += spend_between(&jumped, jump - 2.0 * HOUR_S, jump) / 12.0;
    }
    let (first, steady) = (first_min.0 / first_min.1, settled.0 / settled.1);
    assert!(
        first < 5.0,
        "the first minute already at {first:.2}×: a step, not a storm"
    );
    assert!(
        (5.6..6.4).contains(&steady),
        "from 3 minutes on at {steady:.2}×"
    );
    let pace = after_sum / before_sum;
    let flat_pace = flat_after_sum / before_sum;
    assert!((4.8..7.2).contains(&pace), "{pace:.2}× the pace before");
    assert!(
        (0.8..1.2).contains(&flat_pace),
        "without the jump {flat_pace:.2}×"
    );
    tens.sort_by(f64::total_cmp);
    println!(
        "CallCentre k-agent: 10 min after the jump at {:.2}/{:.2}/{:.2}× (min/median/max over seeds 0-19) the same run without it; the first minute {first:.2}×, from 3 min to 55 min {steady:.2}×; 20 runs' 10 min after at {pace:.2}× the 2 h before's pace (without the jump {flat_pace:.2}×)",
        tens[0],
        tens[tens.len() / 2],
        tens[tens.len() - 1]
    );
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate, and this
/// product's runs open on a Sunday evening and a holiday: the balance left must still last
/// well over a day at the last day's rate at every hour from 24 h on.
#[test]
fn the_quiet_runs_stay_ample_after_a_sunday_and_a_holiday() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1] {
        assert_quiet_runs_stay_ample(&format!("CallCentre seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// The one-off batch is a job: 20× the background's call rate, all in its 10 minutes, at any
/// hour, without a cache or a conversation.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    // 8 h (the harness's batch: Finados, 05:00 local) and 37 h (Tuesday 10:00).
    crate::assert_one_off_batch_is_a_plain_job(Generator::CallCentre, &[8.0, 37.0]);
}
