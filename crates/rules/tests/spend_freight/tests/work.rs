//! The work's own shapes: the copilot's conversation cache, the hourly documents job, the
//! nightly audit, the exceptions agent's jump.

use super::*;

/// A conversation writes the board on its first call, then each call within 5 minutes of the
/// last reads all that is cached and writes only what the last call added; a pause of 5
/// minutes or more writes it all again. A lookup's turn is two calls a few seconds apart.
#[test]
fn a_copilot_conversation_writes_its_board_then_reads_it_within_five_minutes() {
    let mut rng = StdRng::seed_from_u64(21);
    let run = begin_run(&mut rng);
    let (mut warm, mut rewritten, mut calls) = (0, 0, 0);
    for i in 0..3000 {
        let c: Vec<Exchange> = conversation(&mut rng, &run, f64::from(i) * 10.0);
        calls += c.len();
        assert!(c[0].read == 0 && c[0].written > run.board);
        for w in c.windows(2) {
            let history = w[0].read + w[0].written;
            assert!(w[1].t > w[0].t);
            if w[1].t - w[0].t < CACHE_5M_S {
                assert_eq!(w[1].read, history);
                assert_eq!(w[1].written, w[0].fresh + w[0].out);
                warm += 1;
            } else {
                assert_eq!(w[1].read, 0);
                assert_eq!(w[1].written, history + w[0].fresh + w[0].out);
                rewritten += 1;
            }
        }
    }
    let per = calls as f64 / 3000.0;
    let meant = calls_per_conversation(&run);
    assert!(
        (per / meant - 1.0).abs() < 0.05,
        "{per:.2} calls, {meant:.2} meant"
    );
    let share = f64::from(rewritten) / f64::from(warm + rewritten);
    assert!((0.002..0.05).contains(&share), "{share:.3} rewritten");
    println!(
        "Freight copilot: {per:.2} calls a conversation ({TURNS} turns, {:.0} % with a lookup); {:.1} % of later calls rewrite the cache after a pause of 5 minutes or more",
        100.0 * run.tool_share,
        100.0 * share
    );
}

/// The documents job: every hour at :05 after its drawn delay, each job the paperwork of the
/// hour before at the workers' pace (its first call at its start, its length the backlog over
/// the pace, over before the next); every call reads the extraction prompt from the 1-hour
/// cache, but the first and those after a gap of an hour or more, which write it at the 1-hour
/// price.
#[test]
fn the_documents_job_runs_every_hour_off_the_hours_backlog_on_the_hour_cache() {
    for seed in [3, 4] {
        let (run, calls) = one(seed, (SONNET, DOCUMENTS), 0.0, END, 3.0);
        let starts = run.docs_jobs();
        let mut lengths = Vec::new();
        for w in starts.windows(2) {
            let (at, next) = (w[0], w[1]);
            if !(0.0..END).contains(&at) || next > END {
                continue;
            }
            let job: Vec<&Call> = calls.iter().filter(|c| (at..next).contains(&c.t)).collect();
            if job.is_empty() {
                continue;
            }
            assert_eq!(job[0].t, at, "seed {seed}: a job starts at its minute");
            // One job at a time: its calls at the pace's gaps, none of another's between.
            let least_gap = 0.85 * 60.0 / run.docs_per_min - 1e-9;
            assert!(job.windows(2).all(|w| w[1].t - w[0].t >= least_gap));
            let minutes = (job[job.len() - 1].t - at) / 60.0;
            let meant = (job.len() - 1) as f64 / run.docs_per_min;
            assert!(
                (minutes - meant).abs() <= 0.15 * meant + 1e-9,
                "{minutes:.1} min for {} documents",
                job.len()
            );
            lengths.push((local(at).1, job.len(), minutes));
        }
        assert!(lengths.len() > 55, "seed {seed}: {} jobs", lengths.len());
        // The stream's first call may read the prompt the job an hour before the window wrote.
        let mut writes = 0;
        let mut last = f64::NEG_INFINITY;
        for c in &calls {
            let u = &c.usage;
            let first_read = last == f64::NEG_INFINITY && u.cache_read_input_tokens > 0;
            if c.t - last < CACHE_1H_S || first_read {
                assert_eq!(
                    (u.cache_read_input_tokens, u.cache_creation_input_tokens),
                    (run.extraction, 0)
                );
            } else {
                assert_eq!(u.cache_read_input_tokens, 0);
                assert_eq!(u.cache_creation_input_tokens, run.extraction);
                assert_eq!(u.cache_creation_1h_input_tokens, run.extraction);
                writes += 1;
            }
            last = c.t;
        }
        assert!(writes < 10, "seed {seed}: {writes} rewrites");
        let longest = lengths.iter().map(|x| x.2).fold(0.0, f64::max);
        let (busiest_hour, most, _) = lengths.iter().max_by_key(|x| x.1).copied().unwrap();
        assert!(
            longest > 5.0 && longest < 30.0,
            "the longest job {longest:.1} min"
        );
        println!(
            "Freight seed {seed} documents at {:.0}/min: {} jobs in 64 h, the longest {longest:.1} min ({most} documents at {busiest_hour:.2} h local); the prompt written {writes} times",
            run.docs_per_min,
            lengths.len()
        );
    }
}

/// The nightly audit: a job each night after 02:30 and the export's wait, its invoices the day
/// before's (Tuesday's, Monday's invoices, the run's largest: the drawn lift over Wednesday's,
/// Monday's the weekend's), at the workers' pace, carrier by carrier: the instructions written
/// once a night at the 1-hour price, each carrier's tariff once at the 5-minute price and read
/// by its other invoices.
#[test]
fn the_audit_runs_nightly_after_the_export_carrier_by_carrier() {
    let mut rows = Vec::new();
    for seed in [5, 6, 7] {
        let (run, calls) = one(seed, (SONNET, AUDIT), 0.0, 3.0 * DAY_S, 1.0);
        let jobs = run.audit_jobs();
        let mut sizes = Vec::new();
        // Monday's, Tuesday's and Wednesday's nights (Sunday's is before the run).
        for at in &jobs[1..4] {
            let job: Vec<&Call> = calls
                .iter()
                .filter(|c| (*at..at + 6.0 * HOUR_S).contains(&c.t))
                .collect();
            assert_eq!(
                job[0].t, *at,
                "seed {seed}: the job starts after the export"
            );
            let minutes = (job[job.len() - 1].t - at) / 60.0;
            let meant = (job.len() - 1) as f64 / run.audit_per_min;
            assert!(
                (minutes / meant - 1.0).abs() < 0.05,
                "{minutes:.0} min, {meant:.0} meant"
            );
            let hour_writes: Vec<&&Call> = job
                .iter()
                .filter(|c| c.usage.cache_creation_1h_input_tokens > 0)
                .collect();
            assert_eq!(hour_writes.len(), 1, "the instructions written once");
            assert_eq!(
                hour_writes[0].usage.cache_creation_1h_input_tokens,
                run.audit_instructions
            );
            let mut tariff_writes = 0;
            for c in &job {
                let u = &c.usage;
                let tariff = u.cache_read_input_tokens + u.cache_creation_input_tokens
                    - run.audit_instructions;
                assert!(run.tariffs.contains(&tariff));
                let five = u.cache_creation_input_tokens - u.cache_creation_1h_input_tokens;
                if five > 0 {
                    assert_eq!(five, tariff);
                    tariff_writes += 1;
                }
            }
            assert!(
                tariff_writes <= run.tariffs.len() && tariff_writes >= run.tariffs.len() / 2,
                "{tariff_writes} tariffs written"
            );
            sizes.push((job.len() as f64, minutes, tariff_writes));
        }
        let (monday, tuesday, wednesday) = (sizes[0].0, sizes[1].0, sizes[2].0);
        let lift = tuesday / wednesday;
        assert!(
            (lift / run.monday_lift - 1.0).abs() < 0.1,
            "seed {seed}: Tuesday's audit {lift:.2}× Wednesday's, drawn {:.2}",
            run.monday_lift
        );
        assert!(monday < 0.3 * wednesday, "Monday's: the weekend's invoices");
        rows.push(format!(
            "{seed}: Monday's night {monday} invoices in {:.0} min, Tuesday's {tuesday} in {:.0} min ({lift:.2}× Wednesday's, lift {:.2}), Wednesday's {wednesday} in {:.0} min; {} of {} tariffs written on Tuesday",
            sizes[0].1,
            sizes[1].1,
            run.monday_lift,
            sizes[2].1,
            sizes[1].2,
            run.tariffs.len()
        ));
    }
    println!("Freight audit: {}", rows.join("; "));
}

/// The jump on `k-agent` at 3 h (Monday 04:00 CET): the same cases at the same times before and
/// after it, the same inputs and cache reads, only the thinking grown; the stream's spend at 6×
/// once the rolling restart has reached every pod (by 150 s). Tolerances: the budget is solved
/// for the scale from a decision's mean cost, so pooled over 20 runs the level from the 3rd to
/// the 50th minute is 6× within the pool's chance on the cases' difficulty (±5 %); one run's
/// 10 minutes after the jump hold some 30 cases and the rollout (up to two and a half minutes
/// at part of the level): 4.3–6.8×; the first minute, only the pods restarted, under 5.
#[test]
fn the_exceptions_agents_jump_is_a_raised_thinking_budget_at_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let (mut settled, mut first, mut tens) = ((0.0, 0.0), (0.0, 0.0), Vec::new());
    let mut by_minute = [(0.0, 0.0); 5];
    let (mut before, mut after) = (0, 0);
    let (mut extra, mut costs) = (Vec::new(), Vec::new());
    for seed in 0..20 {
        let agent = |scale: &dyn Fn(f64) -> f64| {
            let mut rng = StdRng::seed_from_u64(seed);
            begin_run(&mut rng);
            stream(&mut rng, (OPUS, EXCEPTIONS), 0.0, jump + HOUR_S, 4.0, scale)
        };
        let jumped = agent(&|s| if s >= jump { 6.0 } else { 1.0 });
        let flat = agent(&|_| 1.0);
        let run = current_run();
        (before, after) = (run.budget, thinking_budget(&run, 6.0));
        extra.push((after - before) as f64 * (DIFFICULTY.0 + DIFFICULTY.1) / 2.0);
        costs.push(decision_cost(&run));
        assert_eq!(jumped.len(), flat.len(), "the same cases");
        for (j, f) in jumped.iter().zip(&flat) {
            assert_eq!(j.t, f.t);
            assert_eq!(j.usage.input_tokens, f.usage.input_tokens);
            assert_eq!(
                j.usage.cache_read_input_tokens,
                f.usage.cache_read_input_tokens
            );
            assert!(j.usage.output_tokens >= f.usage.output_tokens);
            assert!(f.usage.output_tokens <= run.budget + 1_520);
            assert!(j.usage.output_tokens <= after + 1_520);
            if j.t < jump {
                assert_eq!(j.usage, f.usage);
            }
            if j.t >= jump + 150.0 {
                assert!(j.usage.output_tokens > f.usage.output_tokens);
            }
        }
        let ratio = |a: f64, b: f64| (spend_between(&jumped, a, b), spend_between(&flat, a, b));
        let ten = ratio(jump, jump + 600.0);
        tens.push(ten.0 / ten.1);
        let s = ratio(jump + 180.0, jump + 3000.0);
        settled = (settled.0 + s.0, settled.1 + s.1);
        let f = ratio(jump, jump + 60.0);
        first = (first.0 + f.0, first.1 + f.1);
        for (m, acc) in by_minute.iter_mut().enumerate() {
            let a = jump + 60.0 * m as f64;
            let r = ratio(a, a + 60.0);
            *acc = (acc.0 + r.0, acc.1 + r.1);
        }
    }
    let (settled, first) = (settled.0 / settled.1, first.0 / first.1);
    tens.sort_by(f64::total_cmp);
    let range = |xs: &[f64]| {
        let lo = xs.iter().copied().fold(f64::MAX, f64::min);
        (lo, xs.iter().copied().fold(lo, f64::max))
    };
    let ((e0, e1), (c0, c1)) = (range(&extra), range(&costs));
    let minutes: Vec<String> = by_minute
        .iter()
        .map(|(j, f)| format!("{:.1}", j / f))
        .collect();
    println!(
        "Freight k-agent: a decision ${c0:.3}-${c1:.3} (seeds 0-19); the thinking budget {before} -> {after} tokens (seed 19), {e0:.0}-{e1:.0} more thinking tokens a call on average; 10 min after at {:.2}/{:.2}/{:.2}× (min/median/max over seeds 0-19) the same run without it; the first minute {first:.2}×, minutes 3-50 {settled:.2}×; minute by minute (20 runs pooled) {}",
        tens[0],
        tens[10],
        tens[19],
        minutes.join(" ")
    );
    assert!(
        (settled / 6.0 - 1.0).abs() < 0.05,
        "from 3 min on at {settled:.2}×"
    );
    assert!(first < 5.0, "the first minute already at {first:.2}×");
    assert!(tens[0] > 4.3 && tens[19] < 6.8, "10 min after {tens:.2?}");
    // A decision costs what an opus call with a 3k-token case and 1–2k of thinking does.
    let c = decision_cost(&current_run());
    assert!((0.03..0.08).contains(&c), "a decision ${c:.3}");
}
