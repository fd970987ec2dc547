//! The scheduled jobs: the documents job on `k-batch` (sonnet) every hour at :05, and the
//! carrier-invoice audit on `k-audit` (sonnet) every night after 02:30. Each works off the
//! backlog that arrived since its last start, at its workers' pace.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_1H_S, CACHE_5M_S, HOUR_S};

/// A document's pages (1 + geometric: a proof of delivery is a page, a customs file several)
/// and a scanned page's tokens (median and sd of the log).
pub const MORE_PAGES: f64 = 0.35;
pub const PAGE: (f64, f64) = (1_500.0, 0.2);
/// The workers' gaps vary by this much either way.
pub const PACE_JITTER: f64 = 0.15;
/// How far before a stream's start arrivals are drawn: the documents' previous hour, the
/// audit's previous day.
const DOCS_LOOKBACK_S: f64 = 2.5 * HOUR_S;
const AUDIT_LOOKBACK_S: f64 = 30.0 * HOUR_S;

/// Each job's backlog: how many of the `arrivals` came in since the job before it started (job
/// `k` takes those in `[starts[k − 1], starts[k])`; the first job's, with no job before it in
/// the week, are not counted).
pub fn backlogs(arrivals: &[f64], starts: &[f64]) -> Vec<usize> {
    let mut sorted = arrivals.to_vec();
    sorted.sort_by(f64::total_cmp);
    let before = |t: f64| sorted.partition_point(|a| *a < t);
    starts
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if k == 0 {
                0
            } else {
                before(*s) - before(starts[k - 1])
            }
        })
        .collect()
}

/// The documents over `[start, end)`: the paperwork uploaded at the deliveries' rate (× the
/// scale when it is), read by the job that starts after it, at the workers' pace. Each call
/// sends the extraction instructions, the schema and the examples (on the 1-hour cache: the
/// jobs an hour apart keep it warm, unless one starts more than an hour after the last call of
/// the one before), then the document's pages (uncached), and gets the fields back as JSON.
pub fn documents(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let arrivals = thinned(
        ARRIVALS,
        rng,
        start - DOCS_LOOKBACK_S,
        end,
        base_per_min,
        &|t| scale(t) * run.deliveries(t),
    );
    let starts = run.docs_jobs();
    let mut cache = PrefixCache::new(CACHE_1H_S);
    let gap = 60.0 / run.docs_per_min;
    let mut out = Vec::new();
    for (at, n) in starts.iter().zip(backlogs(&arrivals, &starts)) {
        if *at < start - HOUR_S || *at >= end {
            continue;
        }
        let mut t = *at;
        for _ in 0..n {
            let mut pages = 1;
            while pages < 12 && rng.random::<f64>() < MORE_PAGES {
                pages += 1;
            }
            let scanned: f64 = (0..pages).map(|_| lognormal(rng, PAGE.0, PAGE.1)).sum();
            let (_, read, written) = cache.send(t, run.extraction);
            let usage = Usage {
                input_tokens: scanned as u64 + 150,
                output_tokens: lognormal(rng, 450.0, 0.4).min(3_000.0) as u64 + 30,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: written,
            };
            out.push((t, usage));
            t += gap * rng.random_range(1.0 - PACE_JITTER..1.0 + PACE_JITTER);
        }
    }
    out
}

/// The carrier whose share of the invoices `u` (uniform in [0, 1)) falls in.
fn carrier(run: &Run, u: f64) -> usize {
    let mut acc = 0.0;
    for (c, share) in run.carrier_shares.iter().enumerate() {
        acc += share;
        if u < acc {
            return c;
        }
    }
    run.carrier_shares.len() - 1
}

/// The audit over `[start, end)`: the carriers' invoices received through the day (at their
/// rate × the scale when they are), audited by the night's job after 02:30 (when the ERP's
/// export is in) at the workers' pace, carrier by carrier. Each call sends the audit's
/// instructions (on the 1-hour cache, the first breakpoint), the carrier's tariff sheet (on the
/// 5-minute cache, the second: written at the carrier's first invoice, read by the rest), then
/// the invoice's lines and the shipments' records, and gets the verdict and its discrepancies.
pub fn audit(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let arrivals = thinned(
        ARRIVALS,
        rng,
        start - AUDIT_LOOKBACK_S,
        end,
        base_per_min,
        &|t| scale(t) * run.invoices(t),
    );
    let starts = run.audit_jobs();
    let gap = 60.0 / run.audit_per_min;
    let mut out = Vec::new();
    for (at, n) in starts.iter().zip(backlogs(&arrivals, &starts)) {
        if *at < start - 4.0 * HOUR_S || *at >= end {
            continue;
        }
        let mut carriers: Vec<usize> = (0..n).map(|_| carrier(run, rng.random())).collect();
        carriers.sort_unstable();
        let mut instructions = PrefixCache::new(CACHE_1H_S);
        let mut tariffs: Vec<PrefixCache> = run
            .tariffs
            .iter()
            .map(|_| PrefixCache::new(CACHE_5M_S))
            .collect();
        let mut t = *at;
        for c in carriers {
            let (_, ir, iw) = instructions.send(t, run.audit_instructions);
            let (_, tr, tw) = tariffs[c].send(t, run.tariffs[c]);
            let usage = Usage {
                input_tokens: lognormal(rng, 2_200.0, 0.5).min(20_000.0) as u64 + 100,
                output_tokens: lognormal(rng, 300.0, 0.5).min(2_000.0) as u64 + 30,
                cache_read_input_tokens: ir + tr,
                cache_creation_input_tokens: iw + tw,
                cache_creation_1h_input_tokens: iw,
            };
            out.push((t, usage));
            t += gap * rng.random_range(1.0 - PACE_JITTER..1.0 + PACE_JITTER);
        }
    }
    out
}
