//! The catalogue's calls on `k-batch` (sonnet): the nightly job writing and translating the day's
//! changed products, Cyber Monday's re-run of the deal copy after the morning's price changes,
//! and the merchandisers' manual edits between them, all on one style guide on the 1-hour cache.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::run::Run;
use super::{thinned, tokens, PrefixCache, ARRIVALS, CACHE_1H_S, HOUR_S};

/// A product's data for its description (the supplier's text, the attributes, the materials,
/// the care label) and the description back; the German master text for a translation and the
/// translation back.
pub const PRODUCT_DATA: (f64, f64) = (900.0, 0.5);
pub const DESCRIPTION: (f64, f64) = (380.0, 0.3);
pub const MASTER_TEXT: (f64, f64) = (450.0, 0.3);
pub const TRANSLATION: (f64, f64) = (430.0, 0.3);
/// The re-run's deal copy: a listing's price, its deal and its current title and badge in one
/// language, the new title, badge and bullet back.
pub const LISTING: (f64, f64) = (500.0, 0.4);
pub const DEAL_COPY: (f64, f64) = (150.0, 0.4);
/// A merchandiser's edit: the product's page and the merchandiser's instructions, the
/// rewritten page back.
pub const EDIT: (f64, f64) = (1_500.0, 0.5);
pub const EDITED: (f64, f64) = (400.0, 0.4);
/// The workers' gaps vary by this much either way.
pub const PACE_JITTER: f64 = 0.15;
/// How far before a stream's start its calls are drawn, so the cache is as it would be.
const LOOKBACK_S: f64 = 3.0 * HOUR_S;

/// What a `k-batch` call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Description,
    Translation,
    DealCopy,
    Edit,
}

/// A job's `n` calls from `at` at `per_min` (each gap within the jitter of the pace).
fn paced(rng: &mut StdRng, at: f64, n: usize, per_min: f64) -> Vec<f64> {
    let mut t = at;
    (0..n)
        .map(|_| {
            let now = t;
            t += 60.0 / per_min * rng.random_range(1.0 - PACE_JITTER..1.0 + PACE_JITTER);
            now
        })
        .collect()
}

/// `k-batch` over `[start, end)`. Every night at 02:00 (its start drawn: a minute late at the
/// median, to 10) the job takes the products changed since the last one (the changes' rate ×
/// the scale, counted as they come: the suppliers' feeds and the merchandisers' flagged pages),
/// writes each one's German master description and translates it into the run's languages, at
/// the workers' pace. On Cyber Monday morning the merchandisers change prices and re-run the
/// deal copy (titles, badges) of the listings at the re-run's drawn hour, for its drawn length
/// at the same pace (× the scale at its start). Between them the merchandisers edit a page by
/// hand now and then (their rate × the scale). Every call sends the copywriters' style guide
/// first, on the **1-hour** cache: the edits keep it warm through the office's day, the job's
/// calls through the night's job; it is written when an hour has passed without a call (the
/// job after the quiet evening, the first edit of a morning).
pub fn catalogue(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut calls: Vec<(f64, Kind)> = Vec::new();
    let jobs = run.nightly_jobs();
    let descriptions = 1.0 / (1.0 + f64::from(run.languages));
    for w in jobs.windows(2) {
        let (from, at) = (w[0], w[1]);
        if at >= end || at + 3.0 * HOUR_S < start - LOOKBACK_S {
            continue;
        }
        let per_min = base_per_min * (1.0 - run.edits_share);
        let n = thinned(ARRIVALS, rng, from, at, per_min, &|t| {
            scale(t) * run.changes(t)
        })
        .len();
        for t in paced(rng, at, n, run.job_per_min) {
            let kind = if rng.random::<f64>() < descriptions {
                Kind::Description
            } else {
                Kind::Translation
            };
            calls.push((t, kind));
        }
    }
    if (start - LOOKBACK_S..end).contains(&run.rerun_at) {
        let n = (run.rerun_s / 60.0 * run.job_per_min * scale(run.rerun_at)).round() as usize;
        for t in paced(rng, run.rerun_at, n, run.job_per_min) {
            calls.push((t, Kind::DealCopy));
        }
    }
    for t in thinned(
        ARRIVALS,
        rng,
        start - LOOKBACK_S,
        end,
        base_per_min * run.edits_share,
        &|t| scale(t) * run.edits(t),
    ) {
        calls.push((t, Kind::Edit));
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut guide = PrefixCache::new(CACHE_1H_S);
    calls
        .into_iter()
        .map(|(t, kind)| {
            let (fresh, out) = match kind {
                Kind::Description => (PRODUCT_DATA, DESCRIPTION),
                Kind::Translation => (MASTER_TEXT, TRANSLATION),
                Kind::DealCopy => (LISTING, DEAL_COPY),
                Kind::Edit => (EDIT, EDITED),
            };
            let (_, read, written) = guide.send(t, run.style_guide);
            let usage = Usage {
                input_tokens: tokens(rng, fresh, 12_000.0),
                output_tokens: tokens(rng, out, 3_000.0),
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: written,
            };
            (t, usage)
        })
        .collect()
}
