//! The shoppers' shapes: the assistant's conversations on their growing caches, the phones,
//! the flash sales lifting every shopper stream at once, the searches' and questions' calls.

use super::*;

/// A conversation writes the prompt and the shopper's context on its first call, then each call
/// within 5 minutes of the last reads all that is cached (more each turn) and writes only what
/// the last call added; a pause of 5 minutes or more writes it all again. A conversation ends
/// after its first turn with the run's chance for its device, so a phone's one-turn
/// conversations are the more; the calls a conversation makes average what the rates assume.
#[test]
fn a_conversations_cache_grows_turn_by_turn_and_phones_leave_after_one_turn_more_often() {
    let mut rng = StdRng::seed_from_u64(21);
    let run = begin_run(&mut rng);
    let mut rows = Vec::new();
    for mobile in [false, true] {
        let (mut warm, mut rewritten, mut calls, mut one_turn, mut longest) = (0, 0, 0, 0, 0);
        let n = 4000;
        for i in 0..n {
            let c: Vec<Exchange> = conversation(&mut rng, &run, f64::from(i) * 10.0, mobile);
            calls += c.len();
            longest = longest.max(c.len());
            assert!(c[0].read == 0 && c[0].written > run.chat_prompt);
            let turns_one = c.len() == 1 || (c.len() == 2 && c[1].t - c[0].t < 5.0);
            one_turn += usize::from(turns_one);
            for w in c.windows(2) {
                let history = w[0].read + w[0].written;
                assert!(w[1].t > w[0].t);
                if w[1].t - w[0].t < CACHE_5M_S {
                    assert_eq!(w[1].read, history, "the cache grows by the last call");
                    assert_eq!(w[1].written, w[0].fresh + w[0].out);
                    warm += 1;
                } else {
                    assert_eq!(w[1].read, 0);
                    assert_eq!(w[1].written, history + w[0].fresh + w[0].out);
                    rewritten += 1;
                }
            }
        }
        let abandon = if mobile {
            run.abandon_mobile
        } else {
            run.abandon_desktop
        };
        let per = calls as f64 / f64::from(n);
        let meant = calls_per_conversation(abandon, run.tool_share);
        assert!(
            (per / meant - 1.0).abs() < 0.05,
            "{per:.2} calls, {meant:.2} meant"
        );
        // One turn: the abandoned, and those that end after one turn more by chance.
        let share = one_turn as f64 / f64::from(n);
        assert!(
            (share - abandon).abs() < 0.04,
            "{share:.3} one-turn, {abandon:.3} drawn"
        );
        let rewrites = f64::from(rewritten) / f64::from(warm + rewritten);
        assert!((0.005..0.06).contains(&rewrites), "{rewrites:.3} rewritten");
        rows.push(format!(
            "{}: {per:.2} calls a conversation, {:.0} % one turn (drawn {:.0} %), the longest {longest} calls, {:.1} % of later calls rewrite the cache after a pause",
            if mobile { "phones" } else { "desktops" },
            100.0 * share,
            100.0 * abandon,
            100.0 * rewrites
        ));
    }
    println!("Shop assistant: {}", rows.join("; "));
}

/// Sunday evening is the week's busiest for the shoppers, and mostly on phones. The searches
/// 19:00–22:00 on the Cyber weekend's Sunday (the run's first hours) over a normal Monday's are
/// the drawn Sunday level times the weekend's evening over a weekday's (within 10 %); the
/// phones' share then is above a weekday's office hours, so more conversations end after one
/// turn.
#[test]
fn sunday_evening_is_the_weekends_peak_and_on_phones() {
    let mut rows = Vec::new();
    for seed in [4, 5] {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let monday = at_local(NORMAL_MONDAY, 0.0);
        let normal = stream(
            &mut rng,
            (HAIKU, SHOPPERS),
            monday,
            monday + DAY_S,
            10.0,
            &|_| 1.0,
        );
        let sunday = stream(
            &mut rng,
            (HAIKU, SHOPPERS),
            at_local(CYBER_SUNDAY, 18.0),
            at_local(CYBER_SUNDAY, 23.0),
            10.0,
            &|_| 1.0,
        );
        let evening = |c: &[Call], day: i64| count(c, at_local(day, 19.0), at_local(day, 22.0));
        let ratio = evening(&sunday, CYBER_SUNDAY) / evening(&normal, NORMAL_MONDAY);
        let curves = |curve: &[f64; 25]| (19..22).map(|h| curve[h] + curve[h + 1]).sum::<f64>();
        let meant = run.sunday * curves(&world::WEEKEND) / curves(&world::WEEKDAY);
        assert!(
            (ratio / meant - 1.0).abs() < 0.1,
            "seed {seed}: Sunday evening {ratio:.2}×, {meant:.2} meant"
        );
        let phones = run.mobile(at_local(CYBER_SUNDAY, 20.5));
        let office = run.mobile(at_local(NORMAL_MONDAY, 10.5));
        assert!(
            phones > 0.75 && office < 0.45,
            "phones {phones:.2}, {office:.2}"
        );
        assert!(
            run.abandon(at_local(CYBER_SUNDAY, 20.5)) > run.abandon(at_local(NORMAL_MONDAY, 10.5))
        );
        rows.push(format!(
            "{seed}: Sunday evening's searches {ratio:.2}× a normal Monday evening's ({meant:.2} meant), {:.0} % on phones against {:.0} % at a weekday's office hours",
            100.0 * phones,
            100.0 * office
        ));
    }
    println!("Shop Sunday: {}", rows.join("; "));
}

/// Each flash sale lifts every shopper stream together (the assistant, the search box, the
/// recommendations: two keys, three models), within minutes of its announced hour: the five
/// minutes after its rise at over 2.2 times the half hour before it, and the first minute
/// (still rising over the drawn 2–5 minutes) well under that; 90–120 minutes after it the
/// lift is gone (within 1.3). Each window's calls are counted against the day's own curve
/// (the shoppers without the sales), pooled over a run's sales. The catalogue and the returns
/// agent do not move: with the sales taken out of the run, their calls are the same.
#[test]
fn flash_sales_lift_every_shopper_stream_within_minutes_and_fade_within_the_hour() {
    let mut rows = Vec::new();
    for seed in [6, 7, 8] {
        let mut rng = StdRng::seed_from_u64(seed);
        let run = begin_run(&mut rng);
        let day = (at_local(CYBER_MONDAY, 0.0), at_local(CYBER_MONDAY + 1, 0.0));
        let of = |rng: &mut StdRng, stream_of, per_min| {
            stream(rng, stream_of, day.0, day.1, per_min, &|_| 1.0)
        };
        let shoppers = [
            ("assistant", of(&mut rng, (SONNET, SHOPPERS), 6.0)),
            ("search", of(&mut rng, (HAIKU, SHOPPERS), 10.0)),
            ("recommendations", of(&mut rng, (OPUS, RECOMMENDER), 4.0)),
        ];
        // The shoppers' curve without the sales, summed minute by minute over a window.
        let curve = |a: f64, b: f64| {
            (0..((b - a) / 20.0) as u32)
                .map(|i| {
                    let t = a + 20.0 * f64::from(i) + 10.0;
                    run.shoppers(t) / run.flash(t)
                })
                .sum::<f64>()
        };
        let lift = |calls: &[Call], a: f64, b: f64| {
            let (mut after, mut before) = (0.0, 0.0);
            for s in &run.sales {
                after += count(calls, s.at + a, s.at + b) / curve(s.at + a, s.at + b);
                before += count(calls, s.at - 1800.0, s.at) / curve(s.at - 1800.0, s.at);
            }
            after / before
        };
        let rise = run.sales.iter().map(|s| s.rise_s).fold(0.0, f64::max);
        for (name, calls) in &shoppers {
            let up = lift(calls, rise, rise + 300.0);
            let rising = lift(calls, 0.0, 60.0);
            let later = lift(calls, 5400.0, 7200.0);
            assert!(up > 2.2, "seed {seed} {name}: ×{up:.2} after the rise");
            assert!(
                rising < 0.75 * up,
                "seed {seed} {name}: ×{rising:.2} in the first minute, ×{up:.2} after"
            );
            assert!(later < 1.3, "seed {seed} {name}: ×{later:.2} 90 min later");
            rows.push(format!("{seed} {name} ×{rising:.1}/×{up:.1}/×{later:.2}"));
        }
        let mut no_sales = run.clone();
        no_sales.sales.clear();
        for (name, work) in [
            (
                "catalogue",
                super::super::catalogue::catalogue as StreamWork,
            ),
            ("returns", super::super::returns::returns),
        ] {
            let calls = |r: &Run| {
                work(
                    &mut StdRng::seed_from_u64(seed),
                    r,
                    day.0,
                    day.1,
                    3.0,
                    &|_| 1.0,
                )
            };
            assert!(
                calls(&run) == calls(&no_sales),
                "seed {seed}: the {name} moved"
            );
        }
    }
    println!(
        "Shop flash sales (pooled over each run's sales, against the day's curve: the first minute / the 5 minutes after the rise / 90–120 min later, over the half hour before): {}",
        rows.join("; ")
    );
}

/// A stream's work as the module's `stream` dispatches it.
type StreamWork = fn(
    &mut StdRng,
    &Run,
    f64,
    f64,
    f64,
    &dyn Fn(f64) -> f64,
) -> Vec<(f64, callwatch_core::classify::Usage)>;

/// The search box's calls are tiny and uncached, the product questions uncached too (one call
/// each under the least cacheable prompt); only the conversations' calls touch a cache, and
/// those at the 5-minute price.
#[test]
fn searches_are_tiny_and_uncached_and_only_the_conversations_are_cached() {
    let monday = at_local(NORMAL_MONDAY, 0.0);
    let (run, search) = one(
        11,
        (HAIKU, SHOPPERS),
        (monday, monday + DAY_S),
        10.0,
        &|_| 1.0,
    );
    assert!(search
        .iter()
        .all(|c| c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens == 0));
    let mut costs = crate::costs_of(&search, HAIKU, SHOPPERS);
    let (median, p99) = (quantile(&mut costs, 0.5), quantile(&mut costs, 0.99));
    assert!(
        median < 0.002 && p99 < 0.003,
        "a search ${median:.5}, p99 ${p99:.5}"
    );
    let (_, assistant) = one(
        11,
        (SONNET, SHOPPERS),
        (monday, monday + DAY_S),
        6.0,
        &|_| 1.0,
    );
    let cached = assistant
        .iter()
        .filter(|c| c.usage.cache_read_input_tokens + c.usage.cache_creation_input_tokens > 0)
        .count() as f64;
    let share = cached / assistant.len() as f64;
    let meant = 1.0 - run.qa_share;
    assert!(
        (share / meant - 1.0).abs() < 0.05,
        "{share:.3} of the calls cached, {meant:.3} conversations'"
    );
    assert!(assistant
        .iter()
        .all(|c| c.usage.cache_creation_1h_input_tokens == 0));
    println!(
        "Shop search: median ${median:.5}, p99 ${p99:.5}; the assistant's calls {:.0} % cached",
        100.0 * share
    );
}
