//! The generator's shape, checked on its calls alone: no rule sees them here (the generator is
//! held out). `--nocapture` prints each run's figures. The clock, the day, the event, the
//! maintenance and the rates here; the work's own shapes (the caches, the batches, the jump)
//! in `tests/work.rs`.

use rand::SeedableRng;

use super::*;
use crate::{
    assert_quiet_runs_stay_ample, cost, minutes, quantile, spend_between, BaseRate, Generator,
};

mod work;

/// The exhaustion scenario's length.
const END: f64 = 64.0 * HOUR_S;
const SONNET: &str = "claude-sonnet-4-6";
const OPUS: &str = "claude-opus-4-6";

fn run_of(seed: u64, end: f64, scale: &dyn Fn(f64) -> f64) -> (Run, Vec<Call>) {
    let calls = crate::background_sorted(Generator::Arcade, seed, end, scale);
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
        Generator::Arcade,
        seed,
        model_key,
        (start, end),
        per_min,
        &|_| 1.0,
    );
    (current_run(), calls)
}

fn count(calls: &[Call], model: &str, key: &str, from: f64, to: f64) -> f64 {
    calls
        .iter()
        .filter(|c| c.model == model && c.key == key && (from..to).contains(&c.t))
        .count() as f64
}

#[test]
fn the_run_opens_on_a_monday_morning_in_seoul_and_the_maintenance_is_wednesdays() {
    assert_eq!(local(0.0), (0, 9.0), "Monday 00:00 UTC is 09:00 in UTC+9");
    assert_eq!(local(at_local(5, 21.5)), (5, 21.5));
    let (from, to) = MAINTENANCE_HOURS;
    assert_eq!(at_local(MAINTENANCE_DAY, from), 45.0 * HOUR_S);
    assert_eq!(at_local(MAINTENANCE_DAY, to), 49.0 * HOUR_S);
    assert_eq!(at_local(0, EVENT_HOUR), 11.0 * HOUR_S, "Monday's event");
    for seed in 0..10 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        let typical = |f: &dyn Fn(f64) -> f64| {
            minutes(at_local(TYPICAL_DAY, 0.0), at_local(TYPICAL_DAY + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        for (name, mean) in [
            ("players", typical(&|t| run.players(t))),
            ("moderation", typical(&|t| run.moderation(t))),
            ("hints", typical(&|t| run.hints(t))),
            ("tickets", typical(&|t| run.tickets(t))),
            ("checks", typical(&|t| run.gm_checks(t))),
        ] {
            assert!((mean - 1.0).abs() < 1e-3, "{name} at {mean:.4}");
        }
        assert!(minutes(45.0 * HOUR_S, run.maintenance_end).all(|t| run.players(t) == 0.0));
        assert!(run.players(run.maintenance_end + 1.0) > 0.0);
    }
}

/// Twenty runs' draws in their ranges; the same seed, the same run.
#[test]
fn begin_run_draws_the_events_the_maintenance_the_prompts_and_the_batches_in_their_ranges() {
    for seed in 0..20 {
        let run = begin_run(&mut StdRng::seed_from_u64(seed));
        assert_eq!(run, begin_run(&mut StdRng::seed_from_u64(seed)));
        assert!((1.15..1.4).contains(&run.weekend_lift));
        assert_eq!(run.events.len(), 8);
        for (day, e) in run.events.iter().enumerate() {
            assert_eq!(e.start, at_local(day as i64, EVENT_HOUR));
            let (m, up) = if day == 0 {
                (3.0..4.0, 45.0..60.0)
            } else {
                (2.0..3.0, 30.0..45.0)
            };
            assert!(m.contains(&e.multiplier) && up.contains(&(e.up_s / 60.0)));
            assert!((300.0..900.0).contains(&e.fade_s));
            assert!((1..=3).contains(&e.toxic_waves.len()));
            assert!(e.toxic_waves.iter().all(|(a, len, h)| *a >= e.start
                && a + len <= e.start + e.up_s + 480.0
                && (1.0..2.0).contains(h)));
            assert!((1_000..2_500).contains(&e.guide_appendix));
        }
        let overrun = (run.maintenance_end - 49.0 * HOUR_S) / 60.0;
        assert!((0.0..30.0).contains(&overrun));
        assert!((1.5..3.0).contains(&run.rush_height));
        assert!((1200.0..2700.0).contains(&run.rush_decay_s));
        assert!((5_000..8_000).contains(&run.persona_before));
        let grown = run.persona_after as f64 / run.persona_before as f64;
        assert!((1.249..1.6).contains(&grown));
        assert!((1_200..2_500).contains(&run.moderation_policy));
        assert!((4_500..7_000).contains(&run.hint_guide));
        assert!((6..=10).contains(&run.glossaries.len()));
        assert_eq!(run.language_factor.len(), run.glossaries.len());
        assert!(run.glossaries.iter().all(|g| (6_000..12_000).contains(g)));
        assert!(run.language_factor.iter().all(|f| (0.8..1.3).contains(f)));
        assert!((12.0..24.0).contains(&run.localisation_per_min));
        let [(monday, a), (tuesday, b), (after, c)] = run.batches;
        assert!((at_local(0, 14.0)..at_local(0, 16.0)).contains(&monday) && (10..25).contains(&a));
        assert!(
            (at_local(1, 13.0)..at_local(1, 18.0)).contains(&tuesday) && (60..110).contains(&b)
        );
        let delay = (after - run.maintenance_end) / HOUR_S;
        assert!((1.0..3.0).contains(&delay) && (15..35).contains(&c));
        assert!((6_000..9_000).contains(&run.gm_prefix));
        assert!((3..=6).contains(&run.gm_poll_offsets.len()));
        assert!(run.gm_poll_offsets.iter().all(|o| (0.0..120.0).contains(o)));
    }
}

/// The gamer's day: the dialogue's peak hours (20:00–24:00 KST) many times its trough
/// (05:00–08:00), the morning low, a tail to 02:00; and a Saturday's daytime above a weekday's.
#[test]
fn the_players_follow_a_gamers_day_and_the_weekend_is_higher() {
    let mut rows = Vec::new();
    for seed in [1, 2, 3] {
        // Thursday, a typical weekday, and Saturday, each from 05:00 to the next 05:00.
        let (run, thursday) = one(
            seed,
            (SONNET, PLAYERS),
            at_local(3, 4.0),
            at_local(4, 5.0),
            6.0,
        );
        let (_, saturday) = one(
            seed,
            (SONNET, PLAYERS),
            at_local(5, 4.0),
            at_local(6, 5.0),
            6.0,
        );
        let per_h = |calls: &[Call], day: i64, a: f64, b: f64| {
            count(calls, SONNET, PLAYERS, at_local(day, a), at_local(day, b)) / (b - a)
        };
        // Outside the event (20:00 to about 21:00).
        let peak = (per_h(&thursday, 3, 21.5, 24.0) * 2.5 + per_h(&thursday, 3, 19.0, 20.0)) / 3.5;
        let trough = per_h(&thursday, 3, 5.0, 8.0);
        let morning = per_h(&thursday, 3, 9.0, 11.0);
        let tail = per_h(&thursday, 3, 24.0, 26.0);
        assert!(
            peak > 8.0 * trough,
            "seed {seed}: peak {peak:.0}/h, trough {trough:.0}/h"
        );
        assert!(
            morning < 0.3 * peak && morning > trough,
            "morning {morning:.0}/h"
        );
        assert!(tail > 0.35 * peak && tail < peak, "the tail {tail:.0}/h");
        let day = |calls: &[Call], d: i64| per_h(calls, d, 10.0, 18.0);
        let weekend = day(&saturday, 5) / day(&thursday, 3);
        assert!(
            weekend > 1.6,
            "seed {seed}: Saturday's day {weekend:.2}× Thursday's"
        );
        let whole = saturday.len() as f64 / thursday.len() as f64;
        assert!(whole > 1.1, "Saturday {whole:.2}× Thursday");
        rows.push(format!(
            "{seed}: peak {peak:.0}/h, trough {trough:.0}/h, morning {morning:.0}/h, tail to 02:00 {tail:.0}/h; Saturday's day {weekend:.2}×, its whole day {whole:.2}× (lift {:.2})",
            run.weekend_lift
        ));
    }
    println!(
        "Arcade dialogue, Thursday and Saturday: {}",
        rows.join("; ")
    );
}

/// The daily event: at 20:00 KST the dialogue, the moderation and the hints all step up within
/// a minute or two (the minutes 20:02–20:12 against 19:35–19:45, before the lobby), the first
/// event (Monday's, a new kind) the largest; the step is sharp: 20:02–20:04 well above the
/// lobby's last three minutes. Over 6 runs' first two events, pooled: a conversation is 6 lines
/// in two minutes, so one run's minutes of dialogue are clustered (a minute's lines vary 3×
/// around the rate) and each event is asserted only to rise (1.2×), the pool to the drawn level.
#[test]
fn the_event_steps_three_groups_up_at_the_minute() {
    let groups = [
        (SONNET, PLAYERS),
        ("claude-haiku-4-5", PLAYERS),
        ("claude-haiku-4-5", HINTS),
    ];
    // Per day (Monday's new kind, Tuesday's) and group: the calls after and before; and the
    // three groups' calls around the minute.
    let mut pooled = [[(0.0, 0.0); 3]; 2];
    let mut sharp = (0.0, 0.0);
    let mut drawn = [0.0; 2];
    for seed in 0..6 {
        let (run, calls) = run_of(seed, 36.0 * HOUR_S, &|_| 1.0);
        for day in [0, 1] {
            let at = at_local(day, EVENT_HOUR);
            drawn[day as usize] += run.events[day as usize].multiplier / 6.0;
            for (g, (model, key)) in groups.iter().enumerate() {
                let n = |a: f64, b: f64| count(&calls, model, key, at + 60.0 * a, at + 60.0 * b);
                let (after, before) = (n(2.0, 12.0), n(-25.0, -15.0));
                assert!(
                    after > 1.2 * before,
                    "seed {seed} day {day} {model} {key}: {after} after, {before} before"
                );
                pooled[day as usize][g].0 += after;
                pooled[day as usize][g].1 += before;
                sharp.0 += n(2.0, 4.0) / 2.0;
                sharp.1 += n(-3.0, 0.0) / 3.0;
            }
        }
    }
    let steps: Vec<Vec<f64>> = pooled
        .iter()
        .map(|day| day.iter().map(|(a, b)| a / b).collect())
        .collect();
    for (day, row) in steps.iter().enumerate() {
        for (g, step) in row.iter().enumerate() {
            // The players at the event's level over a day's rise of about 1.15 in that half
            // hour; the hints 1.5× the players' rise.
            assert!(
                *step > 0.75 * drawn[day] && *step < 2.5 * drawn[day],
                "day {day} group {g}: {step:.2}× at a drawn {:.2}×",
                drawn[day]
            );
        }
        assert!(row[2] > row[0], "the hints rise most: {row:.2?}");
    }
    assert!(
        steps[0][0] > steps[1][0],
        "the first event the largest: {steps:.2?}"
    );
    let sharp = sharp.0 / sharp.1;
    assert!(sharp > 1.5, "{sharp:.2}× at the minute");
    println!(
        "Arcade events, 6 runs pooled (dialogue/moderation/hints, 20:02-20:12 over 19:35-19:45): Monday's new kind {:.2?} (drawn {:.2}×), Tuesday's {:.2?} (drawn {:.2}×); the three groups' 20:02-20:04 over 19:57-20:00 {sharp:.2}×",
        steps[0], drawn[0], steps[1], drawn[1]
    );
}

/// Wednesday's maintenance: every player group silent from 06:00 KST to its end; then the
/// login rush, the first half hour after it well above the same hour an hour later.
#[test]
fn the_maintenance_silences_the_players_then_they_rush_back() {
    let mut rows = Vec::new();
    for seed in [0, 1, 2, 3] {
        let (run, calls) = run_of(seed, END, &|_| 1.0);
        let down = 45.0 * HOUR_S;
        let players = |c: &&Call| c.key == PLAYERS || c.key == HINTS;
        let during = calls
            .iter()
            .filter(players)
            .filter(|c| (down..run.maintenance_end).contains(&c.t))
            .count();
        assert_eq!(during, 0, "seed {seed}: player calls in the maintenance");
        let before = calls
            .iter()
            .filter(players)
            .filter(|c| (down - 1800.0..down).contains(&c.t))
            .count();
        assert!(before > 20, "the trough still has players: {before}");
        let end = run.maintenance_end;
        let dialogue = |a: f64, b: f64| count(&calls, SONNET, PLAYERS, end + a, end + b);
        let rush = dialogue(0.0, 1800.0);
        let settled = dialogue(3.0 * HOUR_S, 3.0 * HOUR_S + 1800.0);
        // The rush against the day 3 hours on (a rising morning: 13:00 is above 10:00).
        assert!(
            rush > 1.5 * settled,
            "seed {seed}: rush {rush}, later {settled}"
        );
        let first_minute = dialogue(0.0, 120.0);
        assert!(
            first_minute > 0.0,
            "the players are back in the first minutes"
        );
        rows.push(format!(
            "{seed}: down {:.2} h, rush {rush} dialogue lines in its first 30 min against {settled} three hours on (height {:.1}, decay {:.0} min)",
            (end - down) / HOUR_S,
            run.rush_height,
            run.rush_decay_s / 60.0
        ));
    }
    println!("Arcade maintenance: {}", rows.join("; "));
}

/// Each stream at its base rate over the typical weekday (Thursday), averaged over 20 runs.
#[test]
fn the_streams_honour_their_base_rates_over_a_typical_weekday() {
    let thu = at_local(TYPICAL_DAY, 0.0);
    let streams: [BaseRate; 5] = [
        ((SONNET, PLAYERS), 6.0, 0.03, 0.12),
        (("claude-haiku-4-5", PLAYERS), 10.0, 0.02, 0.06),
        (("claude-haiku-4-5", HINTS), 1.5, 0.03, 0.1),
        ((SONNET, LOCALISATION), 3.0, 0.02, 0.06),
        ((OPUS, GAME_MASTER), 4.0, 0.02, 0.06),
    ];
    crate::assert_base_rates(
        "Arcade Thursday",
        thu,
        &streams,
        &|seed, stream, per_min| one(seed, stream, thu - HOUR_S, thu + DAY_S, per_min).1,
    );
}

/// `begin_run` defines the run, the stream's `rng` the chance: realisations of one run with
/// other rngs differ call by call, not in their parameters, and spend alike.
#[test]
fn the_same_run_gives_the_same_parameters_and_realisations_differ_by_chance_only() {
    crate::assert_one_run_realised_by_chance(Generator::Arcade, begin_run, current_run);
}

/// The harness's quiet runs give 4 days (3 for the swell) at the run's mean rate; this
/// product's 36 h hold two events and Tuesday's localisation batch in their last day: the
/// balance left must still last well over a day at the last day's rate from 24 h on.
#[test]
fn the_quiet_runs_stay_ample_through_the_events_and_the_batches() {
    let end = 36.0 * HOUR_S;
    for seed in [0, 1, 2] {
        assert_quiet_runs_stay_ample(&format!("Arcade seed {seed}"), end, &|scale| {
            run_of(seed, end, scale).1
        });
    }
}

/// Two runs: each stream's calls cost what such calls do, a weekday's spend what a game
/// studio's would; the spend per hour printed.
#[test]
fn two_runs_cost_what_a_game_studio_would() {
    for seed in [1, 2] {
        let (_, calls) = run_of(seed, END, &|_| 1.0);
        let costs = |model: &str, key: &str| crate::costs_of(&calls, model, key);
        let haiku = "claude-haiku-4-5";
        let (mut lines, mut checks, mut hints, mut loc) = (
            costs(SONNET, PLAYERS),
            costs(haiku, PLAYERS),
            costs(haiku, HINTS),
            costs(SONNET, LOCALISATION),
        );
        let l50 = quantile(&mut lines, 0.5);
        let l99 = quantile(&mut lines, 0.99);
        let c50 = quantile(&mut checks, 0.5);
        let h50 = quantile(&mut hints, 0.5);
        let b99 = quantile(&mut loc, 0.99);
        assert!(
            (0.002..0.01).contains(&l50) && (0.02..0.06).contains(&l99),
            "a line ${l50:.4} ${l99:.4}"
        );
        assert!((0.001..0.004).contains(&c50), "a check ${c50:.5}");
        assert!((0.0005..0.004).contains(&h50), "a hint ${h50:.5}");
        assert!((0.04..0.25).contains(&b99), "a translation's p99 ${b99:.4}");
        let monday = spend_between(&calls, 0.0, DAY_S);
        assert!(
            (80.0..600.0).contains(&monday),
            "the first day ${monday:.0}"
        );
        let mut hourly = vec![0.0; (END / HOUR_S) as usize];
        for c in &calls {
            hourly[(c.t / HOUR_S) as usize] += cost(c);
        }
        println!(
            "Arcade seed {seed}: {} calls in 64 h, ${:.0}; the first day ${monday:.0}; median a dialogue line ${l50:.4} (p99 ${l99:.4}), a moderation check ${c50:.5}, a hint ${h50:.5}; a translation call's p99 ${b99:.3}",
            calls.len(),
            calls.iter().map(cost).sum::<f64>()
        );
        let row: Vec<String> = hourly.iter().map(|x| format!("{x:.1}")).collect();
        println!(
            "  spend per hour ($, from 00:00 UTC = Monday 09:00 KST): {}",
            row.join(" ")
        );
    }
}

/// The one-off batch is a job: 20× the background's call rate, all in its 10 minutes, without
/// a cache.
#[test]
fn the_one_off_batch_is_a_plain_job_in_its_ten_minutes() {
    crate::assert_one_off_batch_is_a_plain_job(Generator::Arcade, &[8.0, 46.0]);
}
