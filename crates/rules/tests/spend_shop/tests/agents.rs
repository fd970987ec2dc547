//! The agents' shapes: the recommendation agent's jump (a re-ranking loop) on `k-agent`, the
//! returns agent's cases on `k-returns`.

use super::*;

/// The jump on `k-agent` at 3 h (Sunday 21:00 CET): the same requests at the same instants,
/// their first passes the same, each request then re-ranked round the loop once its pod has read
/// the new rule (within the rules cache's 90 s). So the stream's spend is at 6× from the third
/// minute on (pooled over 20 seeds and minutes 3–10, within 5 %; each pooled minute within
/// 5.2–6.8: some 300 requests a minute, their candidates spread ±30 %, each loop's k or k + 1
/// passes drawn), at 4.8–6.8× over the ten minutes after the jump in every run (some 150
/// requests on Sunday evening, the first minutes' at part of the level), and under 5× in the
/// first minute. The passes are solved for the scale from a request's mean cost.
#[test]
fn the_recommendation_agents_jump_is_a_re_ranking_loop_at_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let span = (0.0, 4.0 * HOUR_S);
    let mut minute = [(0.0, 0.0); 10];
    let mut tens = Vec::new();
    let mut calls_ratio = Vec::new();
    for seed in 0..20 {
        let (run, jumped) = one(seed, (OPUS, RECOMMENDER), span, 4.0, &|t| {
            if t >= jump {
                6.0
            } else {
                1.0
            }
        });
        let (_, flat) = one(seed, (OPUS, RECOMMENDER), span, 4.0, &|_| 1.0);
        let before = |c: &[Call]| c.iter().filter(|c| c.t < jump).count();
        assert_eq!(
            before(&jumped),
            before(&flat),
            "the same requests before it"
        );
        for (j, f) in jumped.iter().zip(&flat).filter(|(j, _)| j.t < jump) {
            assert_eq!((j.t, j.usage), (f.t, f.usage));
        }
        // Each request's first pass is in both: the loop adds passes, it moves none.
        let passes: std::collections::BTreeSet<(u64, u64)> = jumped
            .iter()
            .map(|c| (c.t.to_bits(), c.usage.input_tokens))
            .collect();
        assert!(
            flat.iter()
                .all(|c| passes.contains(&(c.t.to_bits(), c.usage.input_tokens))),
            "seed {seed}: every first pass kept"
        );
        let spend = |c: &[Call], a: f64, b: f64| spend_between(c, jump + a, jump + b);
        for (m, acc) in minute.iter_mut().enumerate() {
            let (a, b) = (60.0 * m as f64, 60.0 * (m + 1) as f64);
            acc.0 += spend(&jumped, a, b);
            acc.1 += spend(&flat, a, b);
        }
        let ten = spend(&jumped, 0.0, 600.0) / spend(&flat, 0.0, 600.0);
        assert!(
            (4.8..6.8).contains(&ten),
            "seed {seed}: 10 min at {ten:.2}×"
        );
        tens.push(ten);
        calls_ratio.push(
            count(&jumped, jump + 180.0, jump + 600.0) / count(&flat, jump + 180.0, jump + 600.0),
        );
        let c = first_pass_cost(&run);
        assert!((0.03..0.06).contains(&c), "seed {seed}: a request ${c:.4}");
        let mut flat_costs = crate::costs_of(&flat, OPUS, RECOMMENDER);
        let median = quantile(&mut flat_costs, 0.5);
        assert!(
            (0.03..0.06).contains(&median),
            "seed {seed}: median ${median:.4}"
        );
        let passes = mean_passes(&run, 6.0);
        assert!(
            (4.0..7.0).contains(&passes),
            "seed {seed}: {passes:.2} passes"
        );
        assert!((loop_cost(&run, 1) / c - 1.0).abs() < 1e-9);
    }
    let ratios: Vec<f64> = minute.iter().map(|(j, f)| j / f).collect();
    println!(
        "Shop jump, pooled over 20 seeds, minute by minute: {ratios:.2?}; each run's 10 min {tens:.2?}; calls from the 3rd minute {calls_ratio:.2?}"
    );
    assert!(ratios[0] < 5.0, "the first minute at {:.2}×", ratios[0]);
    assert!(
        ratios[2..].iter().all(|r| (5.2..6.8).contains(r)),
        "{ratios:.2?}"
    );
    let (j, f) = minute[2..]
        .iter()
        .fold((0.0, 0.0), |(a, b), (j, f)| (a + j, b + f));
    assert!(
        (j / f / 6.0 - 1.0).abs() < 0.05,
        "from the third minute {:.2}×",
        j / f
    );
}

/// A returns case is 5–30 steps a few seconds apart on its own 5-minute cache: the first writes
/// the prompt and the policies, each later step reads all before it and writes the step
/// before's tool result and output; the second step reads the customer's order history, the
/// case's largest input.
#[test]
fn a_returns_case_reads_the_order_history_in_five_to_thirty_steps_on_its_own_cache() {
    let mut rng = StdRng::seed_from_u64(31);
    let run = begin_run(&mut rng);
    let (mut steps, mut history_largest) = (Vec::new(), 0);
    let n = 2000;
    for i in 0..n {
        let c = case(&mut rng, &run, f64::from(i) * 600.0);
        assert!((STEPS.0..=STEPS.1).contains(&(c.len() as u32)));
        steps.push(c.len() as f64);
        let u0 = &c[0].1;
        assert_eq!(
            (u0.cache_read_input_tokens, u0.cache_creation_input_tokens),
            (0, run.returns_prompt)
        );
        for w in c.windows(2) {
            let (a, b) = (&w[0].1, &w[1].1);
            assert!(w[1].0 - w[0].0 < 15.0);
            assert_eq!(
                b.cache_read_input_tokens,
                a.cache_read_input_tokens + a.cache_creation_input_tokens
            );
            assert_eq!(
                b.cache_creation_input_tokens,
                a.input_tokens + a.output_tokens
            );
            assert_eq!(b.cache_creation_1h_input_tokens, 0);
        }
        let largest = c.iter().map(|x| x.1.input_tokens).max().unwrap();
        history_largest += usize::from(c[1].1.input_tokens == largest);
    }
    let mean = steps.iter().sum::<f64>() / f64::from(n);
    assert!((mean / mean_steps() - 1.0).abs() < 0.03, "{mean:.2} steps");
    let share = history_largest as f64 / f64::from(n);
    assert!(
        share > 0.75,
        "the order history the largest input in {share:.2}"
    );
    let mut costs: Vec<f64> = (0..200)
        .map(|i| {
            case(&mut rng, &run, f64::from(i) * 600.0)
                .iter()
                .map(|(_, u)| {
                    let call = Call {
                        t: 0.0,
                        model: OPUS,
                        key: RETURNS,
                        usage: *u,
                    };
                    cost(&call)
                })
                .sum::<f64>()
        })
        .collect();
    let median = quantile(&mut costs, 0.5);
    assert!((0.2..1.0).contains(&median), "a case ${median:.2}");
    println!(
        "Shop returns cases: {mean:.1} steps on average, the order history the largest input in {:.0} %, a case ${median:.2} at the median",
        100.0 * share
    );
}

/// The returns agent works a few cases an hour in the desk's hours on a normal Monday, and the
/// Tuesday after the sale brings its drawn lift of a normal Tuesday's cases: in each run at
/// least 1.2× (some 80 cases a normal day, so one run's ratio is within ±14 % of the lift by
/// chance), and pooled over six runs within 15 % of the drawn lifts.
#[test]
fn the_returns_agent_works_a_few_cases_an_hour_and_more_on_the_tuesday_after_the_sale() {
    let mut rows = Vec::new();
    let (mut tuesdays, mut meant) = (0.0, 0.0);
    for seed in 12..18 {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let normal = (
            at_local(NORMAL_MONDAY, 0.0),
            at_local(NORMAL_MONDAY + 2, 0.0),
        );
        let normal_calls = stream(&mut rng, (OPUS, RETURNS), normal.0, normal.1, 1.0, &|_| 1.0);
        let run_calls = stream(&mut rng, (OPUS, RETURNS), 0.0, END, 1.0, &|_| 1.0);
        // A case's first step is the one that writes the prompt.
        let cases = |c: &[Call], day: i64, a: f64, b: f64| {
            c.iter()
                .filter(|c| (at_local(day, a)..at_local(day, b)).contains(&c.t))
                .filter(|c| c.usage.cache_read_input_tokens == 0)
                .count() as f64
        };
        let per_hour = cases(&normal_calls, NORMAL_MONDAY, 8.0, 18.0) / 10.0;
        assert!(
            (2.0..9.0).contains(&per_hour),
            "seed {seed}: {per_hour:.1} cases an hour"
        );
        let (tuesday, normal) = (
            cases(&run_calls, AFTER_TUESDAY, 0.0, 24.0),
            cases(&normal_calls, NORMAL_MONDAY + 1, 0.0, 24.0),
        );
        assert!(
            tuesday > 1.2 * normal,
            "seed {seed}: {tuesday} cases against {normal}"
        );
        tuesdays += tuesday;
        meant += normal * run.returns_tuesday;
        rows.push(format!(
            "{seed}: {per_hour:.1} cases an hour in a normal Monday's desk hours; the Tuesday {tuesday} cases, {:.2}× a normal one (drawn {:.2})",
            tuesday / normal,
            run.returns_tuesday
        ));
    }
    let pooled = tuesdays / meant;
    assert!(
        (pooled - 1.0).abs() < 0.15,
        "the Tuesdays at {pooled:.2} of the drawn lifts"
    );
    println!(
        "Shop returns: {}; pooled, the Tuesdays at {pooled:.2} of their drawn lifts",
        rows.join("; ")
    );
}
