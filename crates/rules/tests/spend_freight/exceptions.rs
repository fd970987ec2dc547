//! The exceptions agent on `k-agent` (opus, extended thinking): one streamed decision a case,
//! and the jump: a config rollout that raises its thinking budget.

use callwatch_core::classify::Usage;
use callwatch_core::cost::{Price, PriceTable};
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_5M_S};

const OPUS: &str = "claude-opus-4-6";
/// A case (the exception, the shipment's events, the slots and trucks at hand; median and sd
/// of the log, tokens), sent fresh after the cached prefix, with the offset its caps' floor adds.
pub const CASE: (f64, f64) = (3_000.0, 0.4);
const CASE_FLOOR: f64 = 200.0;
/// The visible answer: one tool use (rebook the slot, reassign the truck, notify the customer,
/// escalate to a dispatcher) and a note for the log.
pub const ANSWER: (f64, f64) = (180.0, 0.4);
const ANSWER_FLOOR: f64 = 20.0;
/// How much of its thinking budget a case uses: its difficulty, uniform in this range.
pub const DIFFICULTY: (f64, f64) = (0.3, 1.0);

fn mean((median, sigma): (f64, f64)) -> f64 {
    median * (sigma * sigma / 2.0).exp()
}

fn opus() -> &'static Price {
    PriceTable::embedded()
        .price(OPUS)
        .expect("the shipped table prices opus")
}

/// The thinking a case uses on average at `budget` (tokens).
fn thinking(budget: u64) -> f64 {
    budget as f64 * (DIFFICULTY.0 + DIFFICULTY.1) / 2.0
}

/// A decision's cost on average at the run's budget, its prefix read (at 4 cases a minute the
/// prefix is seldom 5 minutes cold).
pub fn decision_cost(run: &Run) -> f64 {
    let p = opus();
    let read = run.agent_prefix as f64 * p.cache_read;
    let fresh = (mean(CASE) + CASE_FLOOR) * p.input;
    let out = (thinking(run.budget) + mean(ANSWER) + ANSWER_FLOOR) * p.output;
    (read + fresh + out) / 1e6
}

/// The thinking budget the agent runs with at `scale`: the run's own up to 1, above it the
/// budget the rollout deployed, read from the harness's scale so that a decision costs `scale`×
/// its own on average: (scale − 1) × a decision's cost, in thinking at the output price, over
/// the share of the budget a case uses.
pub fn thinking_budget(run: &Run, scale: f64) -> u64 {
    if scale <= 1.0 {
        return run.budget;
    }
    let extra = (scale - 1.0) * decision_cost(run) / (opus().output / 1e6);
    run.budget + (extra / ((DIFFICULTY.0 + DIFFICULTY.1) / 2.0)).round() as u64
}

/// The exceptions agent over `[start, end)`: cases at the exceptions' rate (the scale, to 1,
/// thins them), each one call on one of the pods, which runs with the budget of
/// `scale(t − its pick-up)`: a rolling restart hands the new config to one pod after another.
/// The system prompt, the tools and the network's policies are on the 5-minute cache, read
/// while the key's last call is under 5 minutes old (a thinking budget's change invalidates
/// the messages' cache, not the system prompt's and the tools'); the case is new every call;
/// out come the thinking (its budget × the case's difficulty) and the answer, streamed.
pub fn decisions(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut prefix = PrefixCache::new(CACHE_5M_S);
    thinned(ARRIVALS, rng, start - 600.0, end, base_per_min, &|t| {
        scale(t).min(1.0) * run.exceptions(t)
    })
    .into_iter()
    .map(|t| {
        let pod = rng.random_range(0..run.pods.len());
        let case = lognormal(rng, CASE.0, CASE.1).min(30_000.0) as u64 + CASE_FLOOR as u64;
        let difficulty = rng.random_range(DIFFICULTY.0..DIFFICULTY.1);
        let answer = lognormal(rng, ANSWER.0, ANSWER.1).min(1_500.0) as u64 + ANSWER_FLOOR as u64;
        let budget = thinking_budget(run, scale(t - run.pods[pod]));
        let (_, read, written) = prefix.send(t, run.agent_prefix);
        let usage = Usage {
            input_tokens: case,
            output_tokens: (budget as f64 * difficulty) as u64 + answer,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: 0,
        };
        (t, usage)
    })
    .collect()
}
