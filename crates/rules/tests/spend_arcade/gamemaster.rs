//! The live-ops game master on `k-agent` (opus): checks of the game's event log, two calls a
//! check, and the jump: a config change that makes its log tool return the whole log.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_5M_S};

/// A check's two calls: the first asks for the log (the task in, a tool use out), the second
/// gets it (the task, the tool use and the log in, the decision out: a ban, a compensation
/// mail, a page to the on-call, usually nothing). Tokens: (median, sd of the log).
pub const TASK: (f64, f64) = (150.0, 0.4);
pub const TOOL_USE: (f64, f64) = (60.0, 0.3);
pub const LOG: (f64, f64) = (2_500.0, 0.4);
pub const DECISION: (f64, f64) = (250.0, 0.5);
/// The log tool's latency before the second call (seconds).
const TOOL_S: (f64, f64) = (3.0, 6.0);
/// Opus's prices (USD a token): input, cache read, output.
const OPUS_IN: f64 = 5e-6;
const OPUS_READ: f64 = 0.5e-6;
const OPUS_OUT: f64 = 25e-6;

fn mean((median, sigma): (f64, f64)) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

/// A check's cost on average before the change, its prefix read (at 2 checks a minute the
/// prefix is never 5 minutes cold).
pub fn check_cost(run: &Run) -> f64 {
    let prefix = 2.0 * run.gm_prefix as f64 * OPUS_READ;
    let inputs = (2.0 * (mean(TASK) + 20.0) + mean(TOOL_USE) + 10.0 + mean(LOG)) * OPUS_IN;
    let outputs = (mean(TOOL_USE) + 10.0 + mean(DECISION) + 20.0) * OPUS_OUT;
    prefix + inputs + outputs
}

/// What the whole log adds to a check's second call at `scale` (tokens): with the `since`
/// filter gone the tool returns the log from the shard's daily reset, truncated at the tool's
/// result cap; the harness's scale is read as that cap, so a check costs `scale`× its own on
/// average: (scale − 1) × a check's cost at the input price.
pub fn whole_log_extra(run: &Run, scale: f64) -> u64 {
    if scale <= 1.0 {
        return 0;
    }
    ((scale - 1.0) * check_cost(run) / OPUS_IN).round() as u64
}

/// The game master's checks over `[start, end)` at the checks' rate (the scale, to 1, thins
/// them); each check runs on one of the workers, which picks up a config change at its next
/// poll: from `scale(t − its poll offset)` above 1 its log tool returns the whole log. The
/// system prompt and tools are on the 5-minute cache, read while the key's last call is under
/// 5 minutes old; the task, the tool use and the log are new every check.
pub fn checks(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut calls = Vec::new();
    for t in thinned(ARRIVALS, rng, start - 60.0, end, base_per_min / 2.0, &|t| {
        scale(t).min(1.0) * run.gm_checks(t)
    }) {
        let worker = rng.random_range(0..run.gm_poll_offsets.len());
        let task = lognormal(rng, TASK.0, TASK.1).min(2_000.0) as u64 + 20;
        let tool_use = lognormal(rng, TOOL_USE.0, TOOL_USE.1).min(400.0) as u64 + 10;
        let log = lognormal(rng, LOG.0, LOG.1).min(20_000.0) as u64;
        let decision = lognormal(rng, DECISION.0, DECISION.1).min(2_000.0) as u64 + 20;
        let fetched = t + rng.random_range(TOOL_S.0..TOOL_S.1);
        let log = log + whole_log_extra(run, scale(fetched - run.gm_poll_offsets[worker]));
        calls.push((t, task, tool_use));
        calls.push((fetched, task + tool_use + log, decision));
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut prefix = PrefixCache::new(CACHE_5M_S);
    calls
        .into_iter()
        .map(|(t, input, output)| {
            let (_, read, written) = prefix.send(t, run.gm_prefix);
            let usage = Usage {
                input_tokens: input,
                output_tokens: output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            (t, usage)
        })
        .collect()
}
