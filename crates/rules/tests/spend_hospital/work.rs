//! The hospital's calls: the scribe's notes and the portal's triage on `k-app`, the wards'
//! handover summaries on `k-handover`, the nightly coding and drafting jobs on `k-batch`, and
//! the results agent on `k-agent` with its jump: reports arriving as PDF pages.

use callwatch_core::classify::Usage;
use callwatch_core::cost::{Price, PriceTable};
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_1H_S, CACHE_5M_S, HOUR_S};

/// A consultation's transcript (the ambient recording, transcribed; median and sd of the log,
/// tokens) and the note back (streamed).
pub const TRANSCRIPT: (f64, f64) = (3_500.0, 0.6);
pub const NOTE: (f64, f64) = (600.0, 0.4);
/// A patient's chart since the last shift (observations, notes, medication charts), and the
/// handover summary (ISBAR) back.
pub const CHART: (f64, f64) = (4_000.0, 0.5);
pub const SUMMARY: (f64, f64) = (350.0, 0.3);
/// A result's patient context (problems, medicines, recent results), the result's text, the
/// agent's flag and drafted action back.
pub const CONTEXT: (f64, f64) = (2_500.0, 0.4);
pub const RESULT: (f64, f64) = (400.0, 0.6);
pub const ACTION: (f64, f64) = (220.0, 0.4);
/// A coded document (a progress note, an operation report, a result) and the codes back (JSON,
/// not streamed); an admission's notes and the drafted discharge summary back.
pub const CODED_DOCUMENT: (f64, f64) = (2_500.0, 0.6);
pub const CODES: (f64, f64) = (200.0, 0.4);
pub const ADMISSION: (f64, f64) = (14_000.0, 0.5);
pub const DISCHARGE_SUMMARY: (f64, f64) = (900.0, 0.35);
/// A PDF report's pages as its mean's share: uniform in this range, so a report's pages
/// average the mean the scale asks for.
pub const PAGES_SPREAD: (f64, f64) = (0.5, 1.5);

fn mean((median, sigma): (f64, f64)) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

fn tokens(rng: &mut StdRng, (median, sigma): (f64, f64), cap: f64) -> u64 {
    lognormal(rng, median, sigma).min(cap) as u64 + 1
}

/// The index of `shares`' entry a uniform draw falls in.
fn pick(rng: &mut StdRng, shares: &[f64]) -> usize {
    let mut u = rng.random::<f64>();
    for (i, s) in shares.iter().enumerate() {
        if u < *s {
            return i;
        }
        u -= s;
    }
    shares.len() - 1
}

/// The scribe over `[start, end)`: each consultation (a clinic's, a ward round's, the
/// emergency department's) recorded, transcribed and sent once the clinician closes it, with
/// its specialty's prompt and note templates on the **1-hour** cache (a small clinic's
/// consultations come tens of minutes apart: the 5-minute cache would be cold for most), the
/// transcript fresh and the note streamed back.
pub fn scribe(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut caches: Vec<PrefixCache> = run
        .specialties
        .iter()
        .map(|_| PrefixCache::new(CACHE_1H_S))
        .collect();
    thinned(ARRIVALS, rng, start - HOUR_S, end, base_per_min, &|t| {
        scale(t) * run.scribe(t)
    })
    .into_iter()
    .map(|t| {
        let s = pick(rng, &run.specialty_shares);
        let (_, read, written) = caches[s].send(t, run.specialties[s]);
        let usage = Usage {
            input_tokens: tokens(rng, TRANSCRIPT, 25_000.0),
            output_tokens: tokens(rng, NOTE, 3_000.0),
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: written,
        };
        (t, usage)
    })
    .collect()
}

/// The patient portal over `[start, end)`: each message (a symptom, a repeat script, an
/// appointment) triaged for urgency and routed, with a drafted reply for the clinic's nurse;
/// the instructions under haiku's least cacheable prompt, uncached.
pub fn portal(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.portal(t)
    })
    .into_iter()
    .map(|t| {
        let message = tokens(rng, (120.0, 0.8), 2_000.0);
        let record = tokens(rng, (500.0, 0.4), 3_000.0);
        let usage = Usage {
            input_tokens: run.portal_prompt + message + record,
            output_tokens: tokens(rng, (160.0, 0.4), 800.0),
            ..Usage::default()
        };
        (t, usage)
    })
    .collect()
}

/// The handover summaries over `[start, end)`: before each shift's handover the nurse in
/// charge of each ward has the assistant draft every patient's summary from the chart since
/// the last shift; the ward's handover instructions, template and standing orders are on the
/// ward's **5-minute** cache, written by the handover's first summary and read by the rest
/// (warm through the burst, cold between handovers).
pub fn handovers(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut caches: Vec<PrefixCache> = run
        .wards
        .iter()
        .map(|_| PrefixCache::new(CACHE_5M_S))
        .collect();
    thinned(ARRIVALS, rng, start - HOUR_S, end, base_per_min, &|t| {
        scale(t) * run.handover(t)
    })
    .into_iter()
    .map(|t| {
        let w = rng.random_range(0..run.wards.len());
        let (_, read, written) = caches[w].send(t, run.wards[w]);
        let usage = Usage {
            input_tokens: tokens(rng, CHART, 30_000.0),
            output_tokens: tokens(rng, SUMMARY, 1_500.0),
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: 0,
        };
        (t, usage)
    })
    .collect()
}

/// One nightly job: starting at `at`, it works through `n` items at `per_min` (each gap within
/// ±15 % of the pace), each call reading `prefix` on the 5-minute cache (written by its first
/// call: the job's calls are seconds apart), `fresh` and `out` drawn per item.
fn job(
    rng: &mut StdRng,
    at: f64,
    n: usize,
    per_min: f64,
    prefix: u64,
    fresh: (f64, f64),
    out: (f64, f64),
) -> Vec<(f64, Usage)> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut t = at;
    (0..n)
        .map(|_| {
            let (_, read, written) = cache.send(t, prefix);
            let usage = Usage {
                input_tokens: tokens(rng, fresh, 60_000.0),
                output_tokens: tokens(rng, out, 4_000.0),
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            let call = (t, usage);
            t += 60.0 / per_min * rng.random_range(0.85..1.15);
            call
        })
        .collect()
}

/// `k-batch`'s two nightly jobs over `[start, end)`. At 21:00 (its start drawn) the coding job
/// reads every document of the episodes discharged since the last one (the discharges' rate ×
/// the scale, counted as they come) and assigns the codes (ICD-10-AM, ACHI: the coding
/// standards on the 5-minute cache the job's calls keep warm; a document fresh, the codes back
/// as JSON); at 05:30 the drafting job writes a discharge summary for each discharge the
/// consultants flagged on the day before's rounds (the whole admission's notes fresh, a long
/// summary back).
pub fn jobs(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    let mut nightly = |rng: &mut StdRng,
                       starts: Vec<f64>,
                       per_min: f64,
                       items: &dyn Fn(f64) -> f64,
                       (pace, prefix): (f64, u64),
                       (fresh, answer): ((f64, f64), (f64, f64))| {
        for w in starts.windows(2) {
            let (from, at) = (w[0], w[1]);
            if at >= end || at + 3.0 * HOUR_S < start {
                continue;
            }
            let n = thinned(ARRIVALS, rng, from, at, per_min, &|t| scale(t) * items(t)).len();
            out.extend(job(rng, at, n, pace, prefix, fresh, answer));
        }
    };
    nightly(
        rng,
        run.coding_jobs(),
        base_per_min * run.coding_share,
        &|t| run.discharges(t),
        (run.coding_per_min, run.coding_standards),
        (CODED_DOCUMENT, CODES),
    );
    nightly(
        rng,
        run.prep_jobs(),
        base_per_min * (1.0 - run.coding_share),
        &|t| run.flags(t),
        (run.prep_per_min, run.prep_instructions),
        (ADMISSION, DISCHARGE_SUMMARY),
    );
    out
}

const OPUS: &str = "claude-opus-4-6";

fn opus() -> &'static Price {
    PriceTable::embedded()
        .price(OPUS)
        .expect("the shipped table prices opus")
}

/// A result's call's cost on average, its prefix read (at 4 results a minute the agent's
/// prefix is seldom 5 minutes cold).
pub fn result_cost(run: &Run) -> f64 {
    let p = opus();
    let read = run.agent_prefix as f64 * p.cache_read;
    let fresh = (mean(CONTEXT) + mean(RESULT) + 2.0) * p.input;
    let out = (mean(ACTION) + 1.0) * p.output;
    (read + fresh + out) / 1e6
}

/// The PDF pages a result's report brings on average at `scale`: none up to 1; above it the
/// cumulative report's pages (each its image and its text, `page_tokens`, at the input price)
/// that make a result cost `scale`× its own.
pub fn report_pages(run: &Run, scale: f64) -> f64 {
    if scale <= 1.0 {
        return 0.0;
    }
    let extra = (scale - 1.0) * result_cost(run) / (opus().input / 1e6);
    extra / run.page_tokens as f64
}

/// The results agent over `[start, end)`: every pathology and imaging result filed (the
/// scale, to 1, thins them) is read against the patient's problems and medicines and flagged
/// with a drafted action for the treating team: one streamed call on one of the agent's
/// workers, its prompt, the reference ranges and the escalation protocols on the **5-minute**
/// cache, the patient's context and the result fresh. The jump: the laboratory's interface
/// upgrade sends each result with its cumulative report as a PDF (rendered pages: each
/// page's image and its text) where the text alone came before, behind a feature flag each
/// worker re-reads on its own clock: a call on a worker uses `scale(t − its pick-up)`.
pub fn results(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut prefix = PrefixCache::new(CACHE_5M_S);
    thinned(ARRIVALS, rng, start - 600.0, end, base_per_min, &|t| {
        scale(t).min(1.0) * run.results(t)
    })
    .into_iter()
    .map(|t| {
        let worker = rng.random_range(0..run.workers.len());
        let context = tokens(rng, CONTEXT, 20_000.0);
        let result = tokens(rng, RESULT, 6_000.0);
        let action = tokens(rng, ACTION, 1_500.0);
        let spread = rng.random_range(PAGES_SPREAD.0..PAGES_SPREAD.1);
        let pages = report_pages(run, scale(t - run.workers[worker])) * spread;
        let (_, read, written) = prefix.send(t, run.agent_prefix);
        let usage = Usage {
            input_tokens: context + result + (pages * run.page_tokens as f64) as u64,
            output_tokens: action,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: 0,
        };
        (t, usage)
    })
    .collect()
}
