//! The recommendation agent on `k-agent` (opus): each shopper's request ranked in one call, and
//! its jump: a merchandising rule no list can meet, sending every request round a re-ranking
//! loop.

use callwatch_core::classify::Usage;
use callwatch_core::cost::{Price, PriceTable};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::run::Run;
use super::{mean_of, thinned, tokens, PrefixCache, ARRIVALS, CACHE_5M_S};

/// A request's candidates from the vector search (60–120 products rendered with the shopper's
/// size's stock and the shopper's price) and the shopper's signals (the cart, the pages
/// viewed); the ranked twelve with a line of reasons each, back; the validator's complaint
/// about a list (which items break which rule).
pub const CANDIDATES: (f64, f64) = (6_000.0, 0.3);
pub const SHOPPER: (f64, f64) = (700.0, 0.5);
pub const RANKED: (f64, f64) = (350.0, 0.3);
pub const COMPLAINT: (f64, f64) = (150.0, 0.3);
/// The time between two passes of the loop (seconds, uniform): opus writing the list again.
pub const PASS_GAP_S: (f64, f64) = (6.0, 12.0);

const OPUS: &str = "claude-opus-4-6";

fn opus() -> &'static Price {
    PriceTable::embedded()
        .price(OPUS)
        .expect("the shipped table prices opus")
}

/// A request's first (and normally only) call's cost on average, its prefix read (at a few
/// requests a minute the agent's prefix is seldom 5 minutes cold).
pub fn first_pass_cost(run: &Run) -> f64 {
    let p = opus();
    let read = run.agent_prefix as f64 * p.cache_read;
    let fresh = (mean_of(CANDIDATES) + mean_of(SHOPPER) + 2.0) * p.input;
    let out = (mean_of(RANKED) + 1.0) * p.output;
    (read + fresh + out) / 1e6
}

/// What each pass after the first adds to the one before it: the list before and its
/// complaint, sent again uncached (a one-call request never had its messages cached).
pub fn pass_growth_cost() -> f64 {
    (mean_of(RANKED) + mean_of(COMPLAINT) + 2.0) * opus().input / 1e6
}

/// A request's cost on average in `n` passes.
pub fn loop_cost(run: &Run, n: u32) -> f64 {
    let n = f64::from(n);
    n * first_pass_cost(run) + n * (n - 1.0) / 2.0 * pass_growth_cost()
}

/// The passes of a request at `scale` with the uniform draw `u`: one up to a scale of 1; above
/// it `k` or `k + 1` (the lists that pass a round early or late), the chance of `k + 1` solved so
/// that a request costs `scale`× a one-pass request on average.
pub fn passes(run: &Run, scale: f64, u: f64) -> u32 {
    if scale <= 1.0 {
        return 1;
    }
    let target = scale * first_pass_cost(run);
    let mut k = 1;
    while loop_cost(run, k + 1) <= target {
        k += 1;
    }
    let q = (target - loop_cost(run, k)) / (loop_cost(run, k + 1) - loop_cost(run, k));
    if u < q {
        k + 1
    } else {
        k
    }
}

/// The passes of a request at `scale` on average.
pub fn mean_passes(run: &Run, scale: f64) -> f64 {
    let (k, k1) = (passes(run, scale, 1.0), passes(run, scale, 0.0));
    if k == k1 {
        return f64::from(k);
    }
    let target = scale * first_pass_cost(run);
    let q = (target - loop_cost(run, k)) / (loop_cost(run, k1) - loop_cost(run, k));
    f64::from(k) + q
}

/// The recommendation agent over `[start, end)`: every request for recommendations (the
/// "complete the look" and "you may also like" panels, the gift finder) at the shoppers' rate
/// (the scale, to 1, thins them), ranked in one streamed call on one of the agent's pods, its
/// prompt, tools and merchandising rules on the **5-minute** cache, the candidates and the
/// shopper's signals fresh. The jump: the merchandisers switch on a rule for the day's deals
/// (eight of the twelve must be on a deal) that the candidates the search returns cannot meet;
/// the agent's validator sends each failing list back with its complaint for another pass, the
/// messages re-sent uncached and growing by the list and the complaint, until a pass happens to
/// meet the rule or the pass limit ends it. Each pod reads the rules from its cache on its own
/// clock: a request on a pod passes `passes(scale(t − its pick-up))` times. Each request's own
/// draws come from a seed drawn for it, so the requests and their first passes are the same
/// whatever the scale.
pub fn recommendations(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut calls: Vec<(f64, u64, u64)> = Vec::new();
    for t in thinned(ARRIVALS, rng, start - 600.0, end, base_per_min, &|t| {
        scale(t).min(1.0) * run.shoppers(t)
    }) {
        let pod = rng.random_range(0..run.pods.len());
        let u: f64 = rng.random();
        let mut own = StdRng::seed_from_u64(rng.random());
        let n = passes(run, scale(t - run.pods[pod]), u);
        let mut fresh = tokens(&mut own, CANDIDATES, 30_000.0) + tokens(&mut own, SHOPPER, 6_000.0);
        let mut at = t;
        for _ in 0..n {
            let ranked = tokens(&mut own, RANKED, 2_000.0);
            calls.push((at, fresh, ranked));
            fresh += ranked + tokens(&mut own, COMPLAINT, 1_000.0);
            at += own.random_range(PASS_GAP_S.0..PASS_GAP_S.1);
        }
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut prefix = PrefixCache::new(CACHE_5M_S);
    calls
        .into_iter()
        .map(|(t, fresh, out)| {
            let (_, read, written) = prefix.send(t, run.agent_prefix);
            let usage = Usage {
                input_tokens: fresh,
                output_tokens: out,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            (t, usage)
        })
        .collect()
}
