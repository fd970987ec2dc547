//! The returns and fraud agent on `k-returns` (opus): each case a tool-using run of 5–30 steps on
//! its own 5-minute cache, reading the customer's order history.

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::run::Run;
use super::{thinned, tokens, PrefixCache, ARRIVALS, CACHE_5M_S, HOUR_S};

/// A run's steps (uniform, both included).
pub const STEPS: (u32, u32) = (5, 30);
/// The case (the return request, the customer's message, the photos' descriptions); the
/// customer's order history (the second step's tool result: every order, return and refund);
/// another tool's result (a parcel's tracking, the payment's checks, a serial number's
/// history); a step's output (its reasoning and the next tool call) and the last one's (the
/// decision: refund, refuse or hand to a person, with the note to the customer).
pub const CASE: (f64, f64) = (1_200.0, 0.5);
pub const ORDER_HISTORY: (f64, f64) = (5_000.0, 0.6);
pub const TOOL_RESULT: (f64, f64) = (600.0, 0.7);
pub const STEP_OUT: (f64, f64) = (180.0, 0.5);
pub const DECISION: (f64, f64) = (450.0, 0.4);
/// The time between steps (seconds, uniform): the tool's answer and the model's next turn.
pub const STEP_GAP_S: (f64, f64) = (4.0, 15.0);

/// A run's steps on average.
pub fn mean_steps() -> f64 {
    f64::from(STEPS.0 + STEPS.1) / 2.0
}

/// One case from `s`: the agent's prompt, the policies and the fraud rules, then the
/// conversation so far, on the case's 5-minute cache (its steps seconds apart keep it warm):
/// each step reads what is cached and writes what the step before added, then sends the new
/// tool result fresh. The first step reads the case; the second the order history.
pub fn case(rng: &mut StdRng, run: &Run, s: f64) -> Vec<(f64, Usage)> {
    let steps = rng.random_range(STEPS.0..=STEPS.1);
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut history = run.returns_prompt;
    let mut t = s;
    (0..steps)
        .map(|step| {
            let fresh = match step {
                0 => tokens(rng, CASE, 8_000.0),
                1 => tokens(rng, ORDER_HISTORY, 40_000.0),
                _ => tokens(rng, TOOL_RESULT, 8_000.0),
            };
            let out = if step + 1 == steps {
                tokens(rng, DECISION, 2_000.0)
            } else {
                tokens(rng, STEP_OUT, 1_500.0)
            };
            let (_, read, written) = cache.send(t, history);
            history += fresh + out;
            let usage = Usage {
                input_tokens: fresh,
                output_tokens: out,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: 0,
            };
            let call = (t, usage);
            t += rng.random_range(STEP_GAP_S.0..STEP_GAP_S.1);
            call
        })
        .collect()
}

/// `k-returns` over `[start, end)`: the cases at the returns desk's rate (× the scale), an hour
/// before `start` so those running at it are under way, `base_per_min` calls a minute over the
/// normal Monday.
pub fn returns(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    for s in thinned(
        ARRIVALS,
        rng,
        start - HOUR_S,
        end,
        base_per_min / mean_steps(),
        &|t| scale(t) * run.returns(t),
    ) {
        out.extend(case(rng, run, s));
    }
    out
}
