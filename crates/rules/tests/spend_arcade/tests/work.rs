//! The work's own shapes: the conversations' cache and the patch, the localisation batches,
//! the game master's jump.

use callwatch_core::classify::Usage;

use super::*;

/// A conversation writes the persona and the player's state on its first line, then each line
/// within 5 minutes of the last reads all that is cached and writes only the last exchange; a
/// wander of 5 minutes or more writes it all again.
#[test]
fn a_conversation_writes_its_persona_then_reads_it_within_five_minutes() {
    let mut rng = StdRng::seed_from_u64(21);
    let run = begin_run(&mut rng);
    let (mut warm, mut rewritten, mut lines) = (0, 0, 0);
    for i in 0..3000 {
        let c: Vec<Line> = conversation(&mut rng, &run, f64::from(i) * 10.0, run.persona_before);
        assert!(!c.is_empty());
        lines += c.len();
        assert!(c[0].read == 0 && c[0].written > run.persona_before);
        for w in c.windows(2) {
            let history = w[0].read + w[0].written;
            if w[1].t - w[0].t < CACHE_5M_S {
                assert_eq!(w[1].read, history);
                assert_eq!(w[1].written, w[0].said + w[0].answer);
                warm += 1;
            } else {
                assert_eq!(w[1].read, 0);
                assert_eq!(w[1].written, history + w[0].said + w[0].answer);
                rewritten += 1;
            }
        }
    }
    let per = lines as f64 / 3000.0;
    assert!((per / SESSION_TURNS - 1.0).abs() < 0.05, "{per:.2} lines");
    let share = f64::from(rewritten) / f64::from(warm + rewritten);
    assert!((0.01..0.1).contains(&share), "{share:.3} rewritten");
    println!(
        "Arcade conversations: {per:.2} lines each; {:.1} % of later lines rewrite the cache after a wander of 5 minutes or more",
        100.0 * share
    );
}

/// The patch: every conversation after the maintenance writes the new, bigger persona on its
/// first line; in the login rush's first half hour the cache writes are a larger share of the
/// dialogue's spend than on the morning before (every player opening a conversation at once).
#[test]
fn the_patch_rewrites_every_conversations_bigger_persona_in_the_login_rush() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2] {
        let (run, calls) = one(seed, (SONNET, PLAYERS), 40.0 * HOUR_S, 56.0 * HOUR_S, 6.0);
        let end = run.maintenance_end;
        // A conversation's first line writes the persona and the state: the writes over the
        // persona's size.
        let opening = |c: &&Call, persona: u64| {
            c.usage.cache_read_input_tokens == 0 && c.usage.cache_creation_input_tokens > persona
        };
        let before: Vec<&Call> = calls
            .iter()
            .filter(|c| c.t < 45.0 * HOUR_S && c.usage.cache_read_input_tokens == 0)
            .collect();
        let after: Vec<&Call> = calls
            .iter()
            .filter(|c| c.t >= end && c.usage.cache_read_input_tokens == 0)
            .collect();
        assert!(before.iter().all(|c| opening(c, run.persona_before)));
        assert!(after.iter().all(|c| opening(c, run.persona_after)));
        let mean_write = |xs: &[&Call]| {
            xs.iter()
                .map(|c| c.usage.cache_creation_input_tokens as f64)
                .sum::<f64>()
                / xs.len() as f64
        };
        let grown = mean_write(&after) / mean_write(&before);
        let drawn = run.persona_after as f64 / run.persona_before as f64;
        assert!(
            (grown / drawn - 1.0).abs() < 0.1,
            "writes {grown:.2}×, persona {drawn:.2}×"
        );
        let write_share = |a: f64, b: f64| {
            let (mut writes, mut all) = (0.0, 0.0);
            for c in calls.iter().filter(|c| (a..b).contains(&c.t)) {
                let written = Usage {
                    output_tokens: 0,
                    input_tokens: 0,
                    cache_read_input_tokens: 0,
                    ..c.usage
                };
                writes += cost(&Call {
                    usage: written,
                    ..c.clone()
                });
                all += cost(c);
            }
            writes / all
        };
        let rush = write_share(end, end + 1800.0);
        let morning = write_share(end - 7.0 * HOUR_S, end - 5.0 * HOUR_S);
        assert!(
            rush > morning,
            "seed {seed}: writes {rush:.2} of the rush, {morning:.2} before"
        );
        rows.push(format!(
            "{seed}: the persona {} -> {} tokens, first lines' writes {grown:.2}× (drawn {drawn:.2}×); writes {:.0} % of the rush's dialogue spend, {:.0} % the night before",
            run.persona_before,
            run.persona_after,
            100.0 * rush,
            100.0 * morning
        ));
    }
    println!("Arcade patch: {}", rows.join("; "));
}

/// The localisation: the three batches at their drawn times, each at the workers' pace and
/// fanned out chunk by chunk to every language, each language's glossary written once at the
/// 1-hour price and read after; between them the tickets' trickle, uncached.
#[test]
fn the_localisation_batches_fan_out_to_every_language_on_the_hour_cache() {
    for seed in [3, 4] {
        let (run, calls) = one(seed, (SONNET, LOCALISATION), 0.0, END, 3.0);
        let languages = run.glossaries.len();
        let mut rows = Vec::new();
        for (at, chunks) in run.batches {
            let job: Vec<&Call> = calls
                .iter()
                .filter(|c| {
                    c.t >= at
                        && c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens > 0
                })
                .take(chunks as usize * languages)
                .collect();
            assert_eq!(job.len(), chunks as usize * languages, "seed {seed}");
            assert!((job[0].t - at).abs() < 1e-6);
            let minutes = (job[job.len() - 1].t - at) / 60.0;
            let meant = job.len() as f64 / run.localisation_per_min;
            assert!(
                (minutes / meant - 1.0).abs() < 0.05,
                "{minutes:.0} min, {meant:.0} meant"
            );
            let writes: Vec<&&Call> = job
                .iter()
                .filter(|c| c.usage.cache_creation_input_tokens > 0)
                .collect();
            assert_eq!(writes.len(), languages, "one glossary write a language");
            for (l, c) in job[..languages].iter().enumerate() {
                let u = &c.usage;
                assert_eq!(
                    u.cache_creation_1h_input_tokens,
                    u.cache_creation_input_tokens
                );
                let glossary = run.glossaries[l];
                assert!(u.cache_creation_input_tokens >= glossary);
                assert!(
                    u.cache_read_input_tokens + u.cache_creation_input_tokens
                        == INSTRUCTIONS + glossary
                );
            }
            for (i, c) in job.iter().enumerate().skip(languages) {
                let glossary = run.glossaries[i % languages];
                assert_eq!(c.usage.cache_read_input_tokens, INSTRUCTIONS + glossary);
            }
            let spend: f64 = job.iter().map(|c| cost(c)).sum();
            rows.push(format!(
                "{chunks}×{languages} calls over {minutes:.0} min, ${spend:.0}"
            ));
        }
        let tickets: Vec<&Call> = calls
            .iter()
            .filter(|c| c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens == 0)
            .collect();
        assert!(tickets.iter().all(|c| c.usage.input_tokens > TICKET_PROMPT));
        let rate = tickets.len() as f64 / (END / 60.0);
        assert!((1.5..4.0).contains(&rate), "{rate:.2} tickets a minute");
        println!(
            "Arcade seed {seed} localisation at {:.1}/min into {languages} languages: {}; tickets {rate:.2}/min",
            run.localisation_per_min,
            rows.join(", ")
        );
    }
}

/// The jump on `k-agent` at 3 h (Monday 12:00 KST): the same checks at the same times before
/// and after it, the first call of each unchanged, the second carrying the whole log; the
/// stream's spend at 6× within two minutes. Tolerances: the extra tokens are exact for the
/// scale (a check's mean cost), so pooled over 20 runs the level from the 3rd to the 50th
/// minute is 6× within the pool's chance on the checks' own cost (±5 %); one run's 10 minutes
/// after the jump hold some 25 checks and the ramp (up to two minutes at part of the level):
/// 4.5–6.6×; the first minute, only the workers that polled, under 5.5×.
#[test]
fn the_game_masters_jump_is_the_whole_log_at_six_times_the_spend() {
    let jump = 3.0 * HOUR_S;
    let (mut settled, mut first, mut tens) = ((0.0, 0.0), (0.0, 0.0), Vec::new());
    let mut by_minute = [(0.0, 0.0); 5];
    let mut extra = 0;
    for seed in 0..20 {
        let gm = |scale: &dyn Fn(f64) -> f64| {
            let mut rng = StdRng::seed_from_u64(seed);
            begin_run(&mut rng);
            stream(
                &mut rng,
                (OPUS, GAME_MASTER),
                0.0,
                jump + HOUR_S,
                4.0,
                scale,
            )
        };
        let jumped = gm(&|s| if s >= jump { 6.0 } else { 1.0 });
        let flat = gm(&|_| 1.0);
        assert_eq!(jumped.len(), flat.len(), "the same checks");
        for (j, f) in jumped.iter().zip(&flat) {
            assert_eq!(j.t, f.t);
            assert_eq!(j.usage.output_tokens, f.usage.output_tokens);
            assert!(j.usage.input_tokens >= f.usage.input_tokens);
            if j.t < jump {
                assert_eq!(j.usage, f.usage);
            }
        }
        extra = whole_log_extra(&current_run(), 6.0);
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
    let minutes: Vec<String> = by_minute
        .iter()
        .map(|(j, f)| format!("{:.1}", j / f))
        .collect();
    println!(
        "Arcade k-agent: the whole log adds {extra} tokens (seed 19) to a check's second call; 10 min after at {:.2}/{:.2}/{:.2}× (min/median/max over seeds 0-19) the same run without it; the first minute {first:.2}×, minutes 3-50 {settled:.2}×; minute by minute (20 runs pooled) {}",
        tens[0],
        tens[10],
        tens[19],
        minutes.join(" ")
    );
    assert!(
        (settled / 6.0 - 1.0).abs() < 0.05,
        "from 3 min on at {settled:.2}×"
    );
    assert!(first < 5.5, "the first minute already at {first:.2}×");
    assert!(tens[0] > 4.5 && tens[19] < 6.6, "10 min after {tens:.2?}");
    // A check costs what an opus check with a 2.5k-token log does: 3–6 cents.
    let c = check_cost(&current_run());
    assert!((0.03..0.06).contains(&c), "a check ${c:.3}");
}
