//! `Saas`, the seventh generator (session 23), written and committed before any change to
//! SpendRateSpike or CreditRunwayLow in that session, and held out: not run until the rule
//! changes were final, then run once. A multi-tenant SaaS product, a shape none of the six has:
//!
//! * **Many small keys and one big one.** Beside the shared background, one big tenant
//!   (`k-big`, sonnet, 8 calls a minute) and six small ones (`k-t1`–`k-t6`, 0.15–1 call a
//!   minute, on haiku, sonnet and opus): most groups are sparse, one is dense.
//! * **Human-paced conversations.** Calls come in conversations of a geometric number of turns
//!   (mean 4, at most 30) with a person's think time between them (lognormal, median 45 s, up
//!   to 20 minutes): slower than agent chains, faster than independent calls. Each tenant's
//!   system prompt (2k–10k tokens) is written to the cache on the first turn and read after,
//!   written again when the last turn is older than the cache's life (5 minutes; 1 hour on
//!   `k-big`, which pays the 1-hour write price). One turn in eight attaches a document whose
//!   size is Pareto-tailed (from 1.5k tokens, tail index 1.5, at most 150k): the heaviest
//!   calls are rare and far heavier than the median, a different tail from the lognormal and
//!   two-point costs of the others; the document stays in the cached context after.
//! * **Two regions' working days in UTC.** Europe (07:00–16:00) and the Americas (13:00–22:00)
//!   with hour-long ramps, overlapping in the afternoon, nights at a quarter: two humps a day,
//!   the first ramp 7 hours into a run (the runs start at 00:00 UTC), on every key at once.
//! * **A nightly sync** on `k-big` at 02:00 UTC for 30 minutes (ramped over 10) at 2.5× that
//!   key's rate: a rise below the 3× a spike asks for, first seen 2 hours into a run.
//! * **A model migration mid-run.** From 10 h to 16 h into a run, `k-app`'s sonnet-4-6
//!   conversations move to sonnet-5 (cheaper per token), 90 % of them in the end: one group's
//!   spend falls while a new group's rises from nothing over six hours.
//!
//! The quiet runs (ample runway, a daily swell on top of all this, a one-off 10-minute batch)
//! and the 6× jump (at 3 h, 03:00 UTC, a night) are the other generators' scenarios.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, logistic, lognormal, Call};

const HOUR_S: f64 = 3600.0;

/// The product's own tenants, beside the shared background: (model, key, calls a minute).
pub const EXTRA_STREAMS: [(&str, &str, f64); 7] = [
    ("claude-sonnet-4-6", "k-big", 8.0),
    ("claude-haiku-4-5", "k-t1", 0.5),
    ("claude-haiku-4-5", "k-t2", 0.3),
    ("claude-sonnet-4-6", "k-t3", 0.4),
    ("claude-sonnet-4-6", "k-t4", 0.2),
    ("claude-opus-4-6", "k-t5", 0.15),
    ("claude-haiku-4-5", "k-t6", 1.0),
];

/// The stream that migrates, and the model it migrates to.
const MIGRATING: (&str, &str) = ("claude-sonnet-4-6", "k-app");
const MIGRATED_TO: &str = "claude-sonnet-5";

/// The two regions' working days at `t` (seconds from the run's start, 00:00 UTC), before
/// normalising: a quarter at night, a hump per region with ramps of about an hour.
fn raw_day(t: f64) -> f64 {
    let h = (t / HOUR_S).rem_euclid(24.0);
    let region = |open: f64, close: f64| logistic((h - open) / 0.4) * logistic((close - h) / 0.4);
    0.25 + 1.0 * region(7.0, 16.0) + 1.2 * region(13.0, 22.0)
}

/// The day's shape, 1 on average over a day.
fn day(t: f64) -> f64 {
    static MEAN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let mean =
        MEAN.get_or_init(|| (0..1440).map(|m| raw_day(60.0 * f64::from(m))).sum::<f64>() / 1440.0);
    raw_day(t) / mean
}

/// The nightly sync's extra rate on `k-big`, as a multiple of the key's own.
fn sync(t: f64) -> f64 {
    let since = ((t / HOUR_S).rem_euclid(24.0) - 2.0) * 60.0; // minutes after 02:00
    if (0.0..30.0).contains(&since) {
        1.5 * (since / 10.0).min(1.0)
    } else {
        0.0
    }
}

/// The share of the migrating stream's conversations on the new model at `t`.
fn migrated(t: f64) -> f64 {
    (0.9 * (t - 10.0 * HOUR_S) / (6.0 * HOUR_S)).clamp(0.0, 0.9)
}

/// A document's tokens: Pareto from 1.5k with tail index 1.5, at most 150k.
fn document(rng: &mut StdRng) -> u64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    (1_500.0 * u.powf(-1.0 / 1.5)).min(150_000.0) as u64
}

/// The most turns a conversation makes.
const MAX_TURNS: u32 = 30;
const TURNS_MEAN: f64 = 4.0;

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average, times the scenario's `scale(t)`.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let big = key == "k-big";
    let intensity = |t: f64| scale(t) * day(t) * (1.0 + if big { sync(t) } else { 0.0 });
    // Thinning at the peak intensity, sampled each minute.
    let peak = (0..=((end - start) / 60.0).ceil() as i64)
        .map(|i| intensity(start + 60.0 * i as f64))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let per_s = base_per_min * peak / TURNS_MEAN / 60.0;
    // The tenant's system prompt, the same for all its conversations.
    let system = rng.random_range(2_000u64..10_000);
    let ttl = if big { HOUR_S } else { 300.0 };
    let mut out = Vec::new();
    let mut s = start + exp(rng, 1.0 / per_s);
    while s < end {
        if rng.random::<f64>() < intensity(s) / peak {
            let model = if (model, key) == MIGRATING && rng.random::<f64>() < migrated(s) {
                MIGRATED_TO
            } else {
                model
            };
            conversation(rng, (model, key), s, end, system, ttl, &mut out);
        }
        s += exp(rng, 1.0 / per_s);
    }
    out
}

/// One conversation starting at `s`: its calls before `end`.
fn conversation(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    s: f64,
    end: f64,
    system: u64,
    ttl: f64,
    out: &mut Vec<Call>,
) {
    let mut transcript = 0u64;
    // The cached prefix's length and when it was last touched.
    let mut cached: Option<(u64, f64)> = None;
    let mut t = s;
    for _ in 0..MAX_TURNS {
        if t >= end {
            break;
        }
        let attached = if rng.random::<f64>() < 0.125 {
            document(rng)
        } else {
            0
        };
        let fresh = rng.random_range(50u64..400);
        let prefix = system + transcript;
        let (read, write) = match cached {
            Some((len, at)) if t - at < ttl && len <= prefix => (len, prefix - len + attached),
            _ => (0, prefix + attached),
        };
        let output = lognormal(rng, 350.0, 0.9) as u64 + 1;
        out.push(Call {
            t,
            model,
            key,
            usage: Usage {
                input_tokens: fresh,
                output_tokens: output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: write,
                cache_creation_1h_input_tokens: if ttl > 300.0 { write } else { 0 },
            },
        });
        transcript += attached + fresh + output;
        cached = Some((system + transcript - fresh - output, t));
        if rng.random::<f64>() < 1.0 / TURNS_MEAN {
            break;
        }
        // The answer streams at about 80 tokens a second, then the person reads and types.
        t += output as f64 / 80.0 + lognormal(rng, 45.0, 0.9).min(1200.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_averages_one_with_two_humps_and_quiet_nights() {
        let mean = (0..1440).map(|m| day(60.0 * f64::from(m))).sum::<f64>() / 1440.0;
        assert!((mean - 1.0).abs() < 1e-9, "{mean}");
        let at = |h: f64| day(h * HOUR_S);
        // Night is a fraction of the overlap; each region alone is in between.
        assert!(at(3.0) < 0.4 * at(14.5), "{} {}", at(3.0), at(14.5));
        assert!(at(3.0) < at(10.0) && at(10.0) < at(14.5), "{}", at(10.0));
        assert!(at(3.0) < at(20.0) && at(20.0) < at(14.5), "{}", at(20.0));
    }

    #[test]
    fn the_sync_runs_at_two_every_night_and_the_migration_from_ten_to_sixteen_hours() {
        assert_eq!(sync(2.0 * HOUR_S + 1200.0), 1.5);
        assert_eq!(sync(26.0 * HOUR_S + 1200.0), 1.5);
        assert_eq!(sync(3.0 * HOUR_S), 0.0);
        assert_eq!(migrated(9.0 * HOUR_S), 0.0);
        assert!((migrated(13.0 * HOUR_S) - 0.45).abs() < 1e-9);
        assert_eq!(migrated(20.0 * HOUR_S), 0.9);
    }

    #[test]
    fn documents_are_pareto_tailed_and_capped() {
        let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(7);
        let mut d: Vec<u64> = (0..20_000).map(|_| document(&mut rng)).collect();
        d.sort_unstable();
        let median = d[d.len() / 2] as f64;
        // Pareto(1.5) from 1.5k: median 1.5k × 2^(1/1.5) ≈ 2.38k; 1 in 100 past 1.5k × 100^(2/3).
        assert!((median - 2381.0).abs() < 150.0, "{median}");
        let p99 = d[d.len() * 99 / 100] as f64;
        assert!(p99 > 25_000.0 && p99 < 40_000.0, "{p99}");
        assert!(*d.last().unwrap() <= 150_000);
    }
}
