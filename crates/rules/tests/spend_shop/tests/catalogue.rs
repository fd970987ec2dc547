//! The catalogue's shapes on `k-batch`: the nightly job's start and length, Cyber Monday's
//! re-run, the merchandisers' edits between them, the style guide on the 1-hour cache.

use super::*;

/// The job's calls from `at`: those that follow each other within `gap_s` (the workers' pace),
/// an edit among them counted with them.
fn job_from(calls: &[Call], at: f64, gap_s: f64) -> Vec<&Call> {
    let mut job: Vec<&Call> = Vec::new();
    for c in calls.iter().filter(|c| c.t >= at) {
        if job.last().is_some_and(|l| c.t - l.t > gap_s) {
            break;
        }
        job.push(c);
    }
    job
}

/// Every night at 02:00, its start a few minutes late at most, the job works through the day's
/// changes at the workers' pace for 40–90 minutes (the Tuesday's after Cyber Monday the
/// longest: Monday's changes, the deal pages); after it, to 06:00, a few edits at most.
#[test]
fn the_nightly_job_starts_at_two_and_runs_forty_to_ninety_minutes() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2, 3] {
        let (run, calls) = one(seed, (SONNET, CATALOGUE), (0.0, END), 3.0, &|_| 1.0);
        let gap = 1.2 * 60.0 / run.job_per_min;
        let mut lengths = Vec::new();
        for day in [CYBER_MONDAY, AFTER_TUESDAY, WEDNESDAY] {
            let at = run.nightly_jobs()[(day - world::FIRST_NIGHT) as usize];
            let late = (at - at_local(day, NIGHTLY_HOUR)) / 60.0;
            assert!(
                (0.0..=10.0).contains(&late),
                "seed {seed}: {late:.1} min late"
            );
            let job = job_from(&calls, at, gap);
            assert_eq!(
                job[0].t, at,
                "seed {seed}: the job's first call at its start"
            );
            let minutes = (job[job.len() - 1].t - at) / 60.0;
            assert!(
                (40.0..90.0).contains(&minutes),
                "seed {seed} day {day}: {minutes:.1} min, {} calls",
                job.len()
            );
            let pace = job.len() as f64 / minutes;
            assert!((pace / run.job_per_min - 1.0).abs() < 0.05, "{pace:.1}/min");
            // The rest of the night: a merchandiser's edit now and then (some 2–4 expected to
            // 06:00, Cyber Monday's night the most), nothing at a pace.
            let rest = count(&calls, job[job.len() - 1].t + 1.0, at_local(day, 6.0));
            assert!(rest < 12.0, "seed {seed}: {rest} calls after the job");
            lengths.push(format!("{:.0} min ({} calls)", minutes, job.len()));
        }
        rows.push(format!(
            "{seed} at {:.0}/min: Monday {}, Tuesday {}, Wednesday {}",
            run.job_per_min, lengths[0], lengths[1], lengths[2]
        ));
    }
    println!("Shop nightly jobs: {}", rows.join("; "));
}

/// Between the jobs the merchandisers' edits trickle in: one every few minutes in the office's
/// hours (the mean gap 09:00–17:00 between one and six minutes, no gap over 40), next to none
/// in the small hours; Cyber Monday's office hours busier with them (its drawn 1.5×, within
/// 15 %, pooled over the three runs: some 130–180 edits a normal office day).
#[test]
fn between_jobs_the_merchandisers_edits_trickle_in_every_few_minutes() {
    let mut rows = Vec::new();
    let (mut normal, mut cyber) = (0.0, 0.0);
    let office = |c: &[Call], day: i64| count(c, at_local(day, 9.0), at_local(day, 17.0));
    for seed in [4, 5, 6] {
        let monday = at_local(NORMAL_MONDAY, 0.0);
        let (run, calls) = one(
            seed,
            (SONNET, CATALOGUE),
            (monday - HOUR_S, monday + DAY_S),
            3.0,
            &|_| 1.0,
        );
        let times: Vec<f64> = calls
            .iter()
            .filter(|c| {
                (at_local(NORMAL_MONDAY, 9.0)..at_local(NORMAL_MONDAY, 17.0)).contains(&c.t)
            })
            .map(|c| c.t)
            .collect();
        let gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) / 60.0).collect();
        let mean = 480.0 / times.len() as f64;
        let longest = gaps.iter().copied().fold(0.0, f64::max);
        assert!(
            (1.0..6.0).contains(&mean),
            "seed {seed}: one every {mean:.1} min"
        );
        assert!(longest < 40.0, "seed {seed}: a gap of {longest:.0} min");
        let job_end =
            run.nightly_jobs()[(NORMAL_MONDAY - world::FIRST_NIGHT) as usize] + 2.0 * HOUR_S;
        let small_hours = count(&calls, job_end, at_local(NORMAL_MONDAY, 6.0));
        assert!(
            small_hours < 6.0,
            "seed {seed}: {small_hours} in the small hours"
        );
        let mut rng = StdRng::seed_from_u64(seed + 100);
        // Cyber Monday's office day after the re-run (it ends by 12:10): edits only.
        let on_cyber = stream(
            &mut rng,
            (SONNET, CATALOGUE),
            at_local(CYBER_MONDAY, 9.0),
            at_local(CYBER_MONDAY, 17.0),
            3.0,
            &|_| 1.0,
        );
        let after = local(run.rerun_at + run.rerun_s + 60.0).1;
        cyber += count(
            &on_cyber,
            at_local(CYBER_MONDAY, after),
            at_local(CYBER_MONDAY, 17.0),
        );
        normal += count(
            &calls,
            at_local(NORMAL_MONDAY, after),
            at_local(NORMAL_MONDAY, 17.0),
        );
        rows.push(format!(
            "{seed}: an edit every {mean:.1} min 09:00–17:00 (the longest gap {longest:.0} min), {small_hours} in the small hours after the job, {} on the normal Monday's office day",
            office(&calls, NORMAL_MONDAY)
        ));
    }
    let lift = cyber / normal;
    assert!(
        (lift / world::CYBER_EDITS - 1.0).abs() < 0.15,
        "Cyber Monday's office edits {lift:.2}× a normal Monday's"
    );
    println!(
        "Shop edits: {}; Cyber Monday's office hours after the re-run {lift:.2}× a normal Monday's, pooled",
        rows.join("; ")
    );
}

/// On Cyber Monday morning the merchandisers change prices and re-run the deal copy: a job at
/// the drawn time (08:00–11:30) for the drawn 20–40 minutes at the workers' pace; no such
/// job on the Tuesday's morning.
#[test]
fn cyber_mondays_rerun_rewrites_the_deal_copy_at_its_hour_for_twenty_to_forty_minutes() {
    let mut rows = Vec::new();
    for seed in [7, 8, 9] {
        let (run, calls) = one(seed, (SONNET, CATALOGUE), (0.0, END), 3.0, &|_| 1.0);
        let gap = 1.2 * 60.0 / run.job_per_min;
        let job = job_from(&calls, run.rerun_at, gap);
        let minutes = (job[job.len() - 1].t - run.rerun_at) / 60.0;
        assert!(
            (minutes / (run.rerun_s / 60.0) - 1.0).abs() < 0.05 && (19.0..41.0).contains(&minutes),
            "seed {seed}: {minutes:.1} min, {:.1} drawn",
            run.rerun_s / 60.0
        );
        let busiest_minute = |day: i64| {
            (0..240)
                .map(|m| {
                    let from = at_local(day, 8.0) + 60.0 * f64::from(m);
                    count(&calls, from, from + 60.0)
                })
                .fold(0.0, f64::max)
        };
        let (monday, tuesday) = (busiest_minute(CYBER_MONDAY), busiest_minute(AFTER_TUESDAY));
        assert!(monday > 50.0 && tuesday < 5.0, "{monday} against {tuesday}");
        rows.push(format!(
            "{seed}: at {:.2} h for {minutes:.1} min ({} calls); the busiest minute of the Tuesday's morning {tuesday}",
            local(run.rerun_at).1,
            job.len()
        ));
    }
    println!("Shop re-runs: {}", rows.join("; "));
}

/// Every call sends the style guide first: read from the 1-hour cache but for the few calls an
/// hour after the last (the night's job after the quiet evening, the first edit of a morning),
/// which write it at the 1-hour price. A 1-hour write is rare: a handful a day, under 0.3 % of
/// the calls.
#[test]
fn the_style_guide_is_written_to_the_hour_cache_rarely_and_read_by_the_rest() {
    let mut rows = Vec::new();
    for seed in [10, 11] {
        let (run, calls) = one(seed, (SONNET, CATALOGUE), (0.0, END), 3.0, &|_| 1.0);
        let mut writes = 0;
        let mut last = f64::NEG_INFINITY;
        for c in &calls {
            let u = &c.usage;
            let first_read = last == f64::NEG_INFINITY && u.cache_read_input_tokens > 0;
            if c.t - last < CACHE_1H_S || first_read {
                assert_eq!(
                    (u.cache_read_input_tokens, u.cache_creation_input_tokens),
                    (run.style_guide, 0)
                );
            } else {
                assert_eq!(u.cache_read_input_tokens, 0);
                assert_eq!(u.cache_creation_input_tokens, run.style_guide);
                assert_eq!(u.cache_creation_1h_input_tokens, run.style_guide);
                writes += 1;
            }
            last = c.t;
        }
        let share = f64::from(writes) / calls.len() as f64;
        let per_day = f64::from(writes) / (END / DAY_S);
        assert!(
            (1.0..10.0).contains(&per_day) && share < 0.003,
            "seed {seed}: {writes} writes in {} calls",
            calls.len()
        );
        rows.push(format!(
            "{seed}: {writes} writes of the {}-token guide in {} calls ({:.2} %)",
            run.style_guide,
            calls.len(),
            100.0 * share
        ));
    }
    println!("Shop style guide: {}", rows.join("; "));
}
