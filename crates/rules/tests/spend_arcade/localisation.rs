//! The localisation pipeline on `k-batch` (sonnet): the game's text translated in batches (the
//! new event's on Monday, the patch's before the maintenance, the hotfix's after it), and the
//! support tickets' trickle between them.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_1H_S};

/// The translators' shared instructions (tokens): the house style, the tags to keep, the
/// characters' voices; cached on the 1-hour cache with each language's glossary after them.
pub const INSTRUCTIONS: u64 = 1_800;
/// A source chunk of quest text or patch notes (Korean; tokens, median and sd of the log).
pub const CHUNK: (f64, f64) = (3_500.0, 0.35);
/// The workers' gaps vary by this much either way.
pub const PACE_JITTER: f64 = 0.2;
/// A support ticket's translation prompt (tokens, under sonnet's least cacheable prompt).
pub const TICKET_PROMPT: u64 = 700;
/// The harness's `k-batch` rate the batches' sizes are drawn at (their chunks scale with it).
const BATCH_BASE_PER_MIN: f64 = 3.0;

/// One batch from `at` of `chunks` source chunks, each translated into every language in turn
/// (the pipeline fans a chunk out to the languages): calls at the workers' pace, each the
/// instructions and the language's glossary on the 1-hour cache (written by the batch's first
/// call in each language, read after), the chunk uncached, the translation out at the
/// language's length.
pub fn batch(rng: &mut StdRng, run: &Run, at: f64, chunks: u32) -> Vec<(f64, Usage)> {
    let mut instructions = PrefixCache::new(CACHE_1H_S);
    let mut glossaries: Vec<PrefixCache> = run
        .glossaries
        .iter()
        .map(|_| PrefixCache::new(CACHE_1H_S))
        .collect();
    let gap = 60.0 / run.localisation_per_min;
    let mut t = at;
    let mut out = Vec::new();
    for _ in 0..chunks {
        let source = lognormal(rng, CHUNK.0, CHUNK.1).min(12_000.0) as u64 + 200;
        for (l, glossary) in run.glossaries.iter().enumerate() {
            let (_, ir, iw) = instructions.send(t, INSTRUCTIONS);
            let (_, gr, gw) = glossaries[l].send(t, *glossary);
            let translated = source as f64 * run.language_factor[l] * lognormal(rng, 1.0, 0.1);
            let usage = Usage {
                input_tokens: source,
                output_tokens: translated as u64 + 20,
                cache_read_input_tokens: ir + gr,
                cache_creation_input_tokens: iw + gw,
                cache_creation_1h_input_tokens: iw + gw,
            };
            out.push((t, usage));
            t += gap * rng.random_range(1.0 - PACE_JITTER..1.0 + PACE_JITTER);
        }
    }
    out
}

/// The localisation over `[start, end)`: the run's batches (their chunks × the harness's rate
/// over its usual 3 a minute × the scale at their start) and the support tickets, at the
/// tickets' rate, uncached.
pub fn localisation(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    for (at, chunks) in run.batches {
        // A batch runs an hour or two at most.
        if at >= end || at < start - 3.0 * super::HOUR_S {
            continue;
        }
        let size = f64::from(chunks) * base_per_min / BATCH_BASE_PER_MIN * scale(at).max(0.0);
        out.extend(batch(rng, run, at, size.round() as u32));
    }
    for t in thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.tickets(t)
    }) {
        let ticket = lognormal(rng, 350.0, 0.7).min(4_000.0) as u64 + 20;
        let usage = Usage {
            input_tokens: TICKET_PROMPT + ticket,
            output_tokens: (ticket as f64 * lognormal(rng, 1.1, 0.2)) as u64 + 20,
            ..Usage::default()
        };
        out.push((t, usage));
    }
    out
}
