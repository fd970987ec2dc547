//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures and its spend per hour.

use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, cost, minutes, quantile, spend_between, BaseRate, Generator,
};

/// The exhaustion scenario's length; and a run long enough to hold the plain Wednesday the
/// rates are normalised on (local day 2: 39 h to 63 h).
const END: f64 = 64.0 * HOUR_S;
const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Newsroom, seed, end, scale);
    (current_run(), calls)
}

/// The UTC instant (seconds into a run) of local `hour` on local day `day` (0 = the Monday the
/// run opens on, 1 = Culture Day, 2 = Wednesday, …).
fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
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
        Generator::Newsroom,
        seed,
        model_key,
        (start, end),
        per_min,
        &|_| 1.0,
    );
    (current_run(), calls)
}

#[test]
fn the_run_opens_on_a_monday_morning_in_tokyo_with_culture_day_on_the_tuesday() {
    assert_eq!(local(0.0), (0, 9.0), "Monday 00:00 UTC is Monday 09:00 JST");
    assert_eq!(local(at_local(CULTURE_DAY, 10.0)), (CULTURE_DAY, 10.0));
    let run = begin_run(&mut StdRng::seed_from_u64(0));
    let mean = |day: i64, f: &dyn Fn(f64) -> f64| {
        minutes(at_local(day, 0.0), at_local(day + 1, 0.0))
            .map(f)
            .sum::<f64>()
            / 1440.0
    };
    let wed = mean(2, &|t| run.readers(t));
    assert!((wed - 1.0).abs() < 1e-3, "Wednesday's readers at {wed:.4}");
    assert!((mean(2, &|t| run.desk(t)) - 1.0).abs() < 1e-3);
    let holiday = mean(CULTURE_DAY, &|t| run.readers(t));
    assert!((holiday - run.holiday_level).abs() < 1e-3);
    let r = |d: i64, h: f64| run.readers(at_local(d, h));
    // The working day: the commute, the evening the highest, the small hours low.
    assert!(r(2, 7.6) > 1.5 && r(2, 22.0) > r(2, 7.6) && r(2, 4.0) < 0.3);
    // The holiday: no commute, a late morning.
    assert!(r(CULTURE_DAY, 7.6) < 0.5 * r(2, 7.6));
    assert!(r(CULTURE_DAY, 10.5) > r(CULTURE_DAY, 7.6) * 1.5);
    println!(
        "Newsroom readers (Wednesday, Culture Day): 04:00 {:.2}/{:.2}, 07:36 {:.2}/{:.2}, 10:30 {:.2}/{:.2}, 12:24 {:.2}/{:.2}, 22:00 {:.2}/{:.2}",
        r(2, 4.0),
        r(1, 4.0),
        r(2, 7.6),
        r(1, 7.6),
        r(2, 10.5),
        r(1, 10.5),
        r(2, 12.4),
        r(1, 12.4),
        r(2, 22.0),
        r(1, 22.0)
    );
}

/// Twenty runs' draws in their ranges; the same seed, the same run; the regression's cost
/// multiplier over 6, so the rollout's weight for the harness's 6× is a share.
#[test]
fn begin_run_draws_the_news_the_prompts_and_the_crawl_in_their_ranges() {
    let mut ms = Vec::new();
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((0.35..0.55).contains(&run.news_share));
        assert!((0.75..1.0).contains(&run.holiday_level));
        assert!((3_000..5_000).contains(&run.app_system));
        assert!((4_500..6_500).contains(&run.guidelines));
        assert!((150..400).contains(&run.pass_pages) && (1..PAGE).contains(&run.last_page));
        assert!((300.0..1_200.0).contains(&run.pause_s));
        assert!((15_000..24_000).contains(&run.style_guide));
        assert!((8_000..16_000).contains(&run.story_list));
        assert!((12_000..24_000).contains(&run.thinking_budget));
        // 98 hours of news at one story every two hours.
        assert!((25..80).contains(&run.events.len()), "{}", run.events.len());
        assert!(run
            .events
            .iter()
            .all(|e| (1.0..=30.0).contains(&e.size) && e.article > 300));
        let m = run.regression_multiplier();
        assert!((6.0..8.5).contains(&m), "seed {seed}: M {m:.2}");
        ms.push(m);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "Newsroom regression multiplier M over seeds 0-19: {:.2}/{:.2}/{:.2} (min/median/max)",
        ms[0], ms[10], ms[19]
    );
}

/// The news is shot noise: 1 on average over runs, most of the time under it, now and then a
/// burst of several times; its stories Pareto-sized.
#[test]
fn the_news_averages_to_one_in_heavy_tailed_bursts() {
    let (mut means, mut peaks, mut below) = (Vec::new(), Vec::new(), 0.0);
    for seed in 0..40 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        let xs: Vec<f64> = minutes(0.0, 80.0 * HOUR_S).map(|t| run.news(t)).collect();
        means.push(xs.iter().sum::<f64>() / xs.len() as f64);
        peaks.push(xs.iter().copied().fold(0.0, f64::max));
        below += xs.iter().filter(|x| **x < 1.0).count() as f64 / xs.len() as f64 / 40.0;
    }
    let grand = means.iter().sum::<f64>() / means.len() as f64;
    assert!(
        (grand - 1.0).abs() < 0.12,
        "the news at {grand:.3} on average"
    );
    assert!(
        below > 0.55,
        "under its mean {:.0} % of the time",
        100.0 * below
    );
    let (mean_sorted, peak_sorted) = {
        let (mut a, mut b) = (means.clone(), peaks.clone());
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        (a, b)
    };
    assert!(
        peak_sorted[20] > 4.0,
        "median run's peak {:.1}",
        peak_sorted[20]
    );
    println!(
        "Newsroom news over 80 h, 40 runs: mean {grand:.3} (runs {:.2}-{:.2}), under the mean {:.0} % of minutes, peak {:.1}/{:.1}/{:.1} (min/median/max)",
        mean_sorted[0],
        mean_sorted[39],
        100.0 * below,
        peak_sorted[0],
        peak_sorted[20],
        peak_sorted[39]
    );
}

/// Each stream at its base rate over a plain working day (Wednesday), averaged over 20 runs
/// (the readers' streams carry each run's news, so a run is near its rate, not at it).
#[test]
fn the_streams_honour_their_base_rates_over_a_working_day() {
    let wed = at_local(2, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, APP), 6.0, 0.12, 0.5),
        ((HAIKU, APP), 10.0, 0.12, 0.5),
        ((SONNET, PARTNER), 3.0, 0.03, 0.06),
        ((OPUS, RESEARCH), 0.25, 0.12, 0.6),
        ((OPUS, WIRE), 4.0, 0.03, 0.06),
    ];
    crate::assert_base_rates(
        "Newsroom Wednesday",
        wed,
        &streams,
        &|seed, stream, per_min| one(seed, stream, wed, wed + DAY_S, per_min).1,
    );
}

/// The readers' questions are over-dispersed well past Poisson on their day (the news), the
/// partner's pages under-dispersed (its pace): index of dispersion of 10-minute counts.
#[test]
fn the_readers_come_in_bursts_and_the_partner_at_a_pace() {
    let (from, to) = (at_local(2, 0.0), at_local(3, 0.0));
    let (mut readers, mut partner) = (Vec::new(), Vec::new());
    for seed in 0..10 {
        let (run, q) = one(seed, (SONNET, APP), from, to, 6.0);
        let (_, p) = one(seed, (SONNET, PARTNER), from, to, 3.0);
        let bins = |calls: &[Call]| {
            let mut n = vec![0.0; 144];
            for c in calls {
                n[((c.t - from) / 600.0) as usize] += 1.0;
            }
            n
        };
        // Against the readers' day alone (the news at its mean).
        let expected: Vec<f64> = (0..144)
            .map(|i| 60.0 * run.readers(from + 600.0 * f64::from(i) + 300.0))
            .collect();
        let d = |n: &[f64], e: &[f64]| {
            n.iter().zip(e).map(|(n, e)| (n - e).powi(2)).sum::<f64>() / e.iter().sum::<f64>()
        };
        readers.push(d(&bins(&q), &expected));
        // The partner within its passes (its pace there above the base): bins with a pause
        // left out.
        let pn = bins(&p);
        let top = pn.iter().copied().fold(0.0, f64::max);
        let full: Vec<f64> = pn.iter().copied().filter(|n| *n >= 0.9 * top).collect();
        let mean = full.iter().sum::<f64>() / full.len() as f64;
        let var = full.iter().map(|n| (n - mean).powi(2)).sum::<f64>() / full.len() as f64;
        partner.push(var / mean);
    }
    for (seed, (r, p)) in readers.iter().zip(&partner).enumerate() {
        assert!(*r > 2.0, "seed {seed}: readers' dispersion {r:.2}");
        assert!(*p < 0.3, "seed {seed}: partner's dispersion {p:.2}");
    }
    println!(
        "Newsroom Wednesday 10-min counts' dispersion, seeds 0-9: readers (against their day alone) {:.1?}; partner (within passes) {:.2?}",
        readers, partner
    );
}

/// A story's readers share its article on the cache: in a burst most questions read the whole
/// prefix and cost less; off the news the archive's articles are written.
#[test]
fn a_storys_readers_share_its_article_on_the_cache() {
    let (mut hot_read, mut cold_read, mut hot_cost, mut cold_cost) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for seed in 0..6 {
        let (run, calls) = one(seed, (SONNET, APP), 0.0, END, 6.0);
        for c in &calls {
            let all_read = c.usage.cache_creation_input_tokens == 0;
            let news = run.news(c.t);
            if news > 4.0 {
                hot_read.push(f64::from(u8::from(all_read)));
                hot_cost.push(cost(c));
            } else if news < 0.3 {
                cold_read.push(f64::from(u8::from(all_read)));
                cold_cost.push(cost(c));
            }
            assert!(c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens > 3_000);
        }
    }
    let share = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (hot, cold) = (share(&hot_read), share(&cold_read));
    let (hot_c, cold_c) = (quantile(&mut hot_cost, 0.5), quantile(&mut cold_cost, 0.5));
    assert!(
        hot > 0.6 && cold < 0.1,
        "all-read shares {hot:.2} and {cold:.2}"
    );
    assert!(
        hot_c < 0.75 * cold_c,
        "medians ${hot_c:.4} and ${cold_c:.4}"
    );
    println!(
        "Newsroom questions: in a burst (news > 4) {:.0} % read the whole prefix, median ${hot_c:.4}; off the news (< 0.3) {:.0} %, median ${cold_c:.4} ({} and {} calls)",
        100.0 * hot,
        100.0 * cold,
        hot_read.len(),
        cold_read.len()
    );
}

/// The partner's crawl: pages of exactly 20 articles at near-constant gaps, each pass's last
/// page the remainder and then a pause; nothing cached; each page's cost within a few percent.
#[test]
fn the_partner_crawls_exact_pages_at_its_pace() {
    for seed in [3, 4] {
        let (run, calls) = one(seed, (SONNET, PARTNER), 0.0, 24.0 * HOUR_S, 3.0);
        let gaps: Vec<f64> = calls.windows(2).map(|w| w[1].t - w[0].t).collect();
        let mut sorted = gaps.clone();
        let median = quantile(&mut sorted, 0.5);
        let (pace, pauses): (Vec<f64>, Vec<f64>) = gaps.iter().partition(|g| **g < 2.0 * median);
        let mean = pace.iter().sum::<f64>() / pace.len() as f64;
        let sd = (pace.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / pace.len() as f64).sqrt();
        assert!(sd / mean < 0.07, "gaps' cv {:.3}", sd / mean);
        let passes = 24.0 * 60.0 * 3.0 / f64::from(run.pass_pages);
        assert!(
            (pauses.len() as f64 - passes).abs() <= 2.0,
            "{} pauses for {passes:.1} passes",
            pauses.len()
        );
        // The pages before each pause are the remainders (each article 20-820 tokens in, the
        // template on top); the others full, their input within a few percent of each other.
        let mut full_inputs = Vec::new();
        for (i, g) in gaps.iter().enumerate() {
            let u = &calls[i].usage;
            assert_eq!(u.cache_read_input_tokens + u.cache_creation_input_tokens, 0);
            let articles = if *g >= 2.0 * median {
                run.last_page
            } else {
                full_inputs.push(u.input_tokens as f64);
                PAGE
            };
            let n = u64::from(articles);
            assert!(
                (PAGE_TEMPLATE + 20 * n..=PAGE_TEMPLATE + 820 * n).contains(&u.input_tokens)
                    && (10 * n..=310 * n).contains(&u.output_tokens),
                "seed {seed}: a page of {articles} articles with {} tokens in, {} out",
                u.input_tokens,
                u.output_tokens
            );
        }
        let fm = full_inputs.iter().sum::<f64>() / full_inputs.len() as f64;
        let fsd = (full_inputs.iter().map(|x| (x - fm).powi(2)).sum::<f64>()
            / full_inputs.len() as f64)
            .sqrt();
        assert!(fsd / fm < 0.1, "full pages' input cv {:.3}", fsd / fm);
        let mut costs: Vec<f64> = calls.iter().map(cost).collect();
        let c50 = quantile(&mut costs, 0.5);
        assert!((0.02..0.08).contains(&c50), "a page ${c50:.4}");
        println!(
            "Newsroom seed {seed} partner: {} pages in 24 h, passes of {} (last {}), gaps {mean:.1} s ± {sd:.1}, {} pauses of {:.0} s at the median (drawn {:.0}); full page {fm:.0} tokens in ± {fsd:.0}, ${c50:.4}",
            calls.len(),
            run.pass_pages,
            run.last_page,
            pauses.len(),
            quantile(&mut pauses.clone(), 0.5),
            run.pause_s
        );
    }
}

/// The research desk: extended thinking billed as output within the run's budget, a quarter
/// of a dollar a call, on the desk's roster.
#[test]
fn the_research_desk_thinks_within_its_budget_on_its_roster() {
    let (run, calls) = one(6, (OPUS, RESEARCH), 0.0, END, 0.25);
    for c in &calls {
        assert!(c.usage.output_tokens <= run.thinking_budget + 200 + 4_000);
        assert_eq!(
            c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens,
            0
        );
    }
    let mut out: Vec<f64> = calls.iter().map(|c| c.usage.output_tokens as f64).collect();
    let o50 = quantile(&mut out, 0.5);
    assert!((4_000.0..9_000.0).contains(&o50), "median output {o50:.0}");
    let mut costs: Vec<f64> = calls.iter().map(cost).collect();
    let c50 = quantile(&mut costs, 0.5);
    assert!((0.12..0.4).contains(&c50), "a research call ${c50:.3}");
    let day = calls
        .iter()
        .filter(|c| (7.0..24.0).contains(&local(c.t).1))
        .count() as f64
        / 17.0;
    let night = calls
        .iter()
        .filter(|c| !(7.0..24.0).contains(&local(c.t).1))
        .count() as f64
        / 7.0;
    assert!(
        day > 2.0 * night,
        "{day:.1} an hour by day, {night:.1} at night"
    );
    println!(
        "Newsroom research: {} calls in 64 h, output {o50:.0} tokens at the median (budget {}), ${c50:.3} a call, {day:.1} an hour by day against {night:.1} at night",
        calls.len(),
        run.thinking_budget
    );
}

/// Two runs: the calls' costs sane, the spend per hour printed.
#[test]
fn two_runs_cost_what_a_news_publisher_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, END, &|_| 1.0);
        let median_of = |model: &str, key: &str| {
            let mut xs: Vec<f64> = calls
                .iter()
                .filter(|c| c.model == model && c.key == key)
                .map(cost)
                .collect();
            quantile(&mut xs, 0.5)
        };
        let (q, m) = (median_of(SONNET, APP), median_of(HAIKU, APP));
        assert!((0.005..0.03).contains(&q), "a question ${q:.4}");
        assert!((0.0003..0.003).contains(&m), "a moderation ${m:.5}");
        let mut hourly = vec![0.0; 64];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        let (lo, hi) = hourly
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        assert!(lo > 1.0 && hi < 150.0, "spend per hour ${lo:.2}-${hi:.2}");
        println!(
            "Newsroom seed {seed}: {} calls in 64 h, ${:.0}; a question ${q:.4}, a moderation ${m:.5}; spend/h ${lo:.2}-${hi:.2}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = 09:00 JST): {}",
            row.join(" ")
        );
    }
}

/// `begin_run` defines the run, the stream's `rng` the chance: realisations of one run with
/// other rngs differ call by call, not in their parameters or their news, and spend alike.
#[test]
fn the_same_run_gives_the_same_news_and_realisations_differ_by_chance_only() {
    let mut rng = StdRng::seed_from_u64(5);
    let run = begin_run(&mut rng);
    let realise = |seed: u64| {
        let mut rng = StdRng::seed_from_u64(seed);
        crate::streams(Generator::Newsroom, &mut rng, END, &|_| 1.0)
    };
    let (a, b) = (realise(100), realise(101));
    assert_eq!(current_run(), run, "the streams drew no parameter");
    let (spend_a, spend_b) = crate::assert_realisations_differ_by_chance(&a, &b, 0.05);
    println!(
        "Newsroom run of seed 5: two realisations ${spend_a:.0} and ${spend_b:.0}, {} and {} calls",
        a.len(),
        b.len()
    );
}

/// The jump on `k-agent`: the same requests with the same tokens, before and after; from it on
/// a growing share of them writes the prefix the others read, so the stream's spend is 6× from
/// the rollout's last step and the 10 minutes after cost 5–7× the same run without it.
#[test]
fn the_wire_desks_jump_is_a_cache_regression_at_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let (mut first_min, mut settled, mut tens) = ((0.0, 0.0), (0.0, 0.0), Vec::new());
    for seed in 0..20 {
        let wire = |scale: &dyn Fn(f64) -> f64| {
            let mut rng = StdRng::seed_from_u64(seed);
            begin_run(&mut rng);
            stream(&mut rng, (OPUS, WIRE), 0.0, jump + HOUR_S, 4.0, scale)
        };
        let jumped = wire(&|s| if s >= jump { 6.0 } else { 1.0 });
        let flat = wire(&|_| 1.0);
        let run = current_run();
        let prefix = run.style_guide + run.story_list;
        // The same calls, the same tokens: only the prefix's kind moves.
        assert_eq!(jumped.len(), flat.len());
        let mut written = 0;
        for (j, f) in jumped.iter().zip(&flat) {
            assert_eq!(j.t, f.t);
            assert_eq!(
                (j.usage.input_tokens, j.usage.output_tokens),
                (f.usage.input_tokens, f.usage.output_tokens)
            );
            assert_eq!(f.usage.cache_read_input_tokens, prefix);
            let u = &j.usage;
            assert_eq!(
                u.cache_read_input_tokens + u.cache_creation_input_tokens,
                prefix
            );
            if u.cache_creation_input_tokens > 0 {
                assert!(j.t >= jump);
                assert_eq!(u.cache_creation_1h_input_tokens, run.style_guide);
                written += 1;
            }
        }
        let after = flat.iter().filter(|c| c.t >= jump + 60.0).count();
        let share = f64::from(written) / after as f64;
        let weight = 5.0 / (run.regression_multiplier() - 1.0);
        assert!(
            (share / weight - 1.0).abs() < 0.25,
            "seed {seed}: {share:.2} on the new build"
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
    }
    let (first, steady) = (first_min.0 / first_min.1, settled.0 / settled.1);
    assert!(
        first < 5.0,
        "the first minute already at {first:.2}×: a step, not a rollout"
    );
    assert!(
        (5.6..6.4).contains(&steady),
        "from 3 minutes on at {steady:.2}×"
    );
    tens.sort_by(f64::total_cmp);
    println!(
        "Newsroom k-agent: 10 min after the jump at {:.2}/{:.2}/{:.2}× (min/median/max over seeds 0-19) the same run without it; the first minute {first:.2}×, from 3 min to 55 min {steady:.2}×",
        tens[0],
        tens[tens.len() / 2],
        tens[tens.len() - 1]
    );
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate: the balance
/// left must last well over a day at the last day's rate at every hour from 24 h on, whatever
/// the run's news and the holiday.
#[test]
fn the_quiet_runs_stay_ample_through_the_news_and_the_holiday() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Newsroom seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// The one-off batch is a job: 20× the background's call rate, all in its 10 minutes, without
/// a cache, a page or the news.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    crate::assert_one_off_batch_is_a_plain_job(Generator::Newsroom, &[8.0, 37.0]);
}
