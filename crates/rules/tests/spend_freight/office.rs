//! The people's calls on `k-app`: the dispatchers' copilot (sonnet) and the drivers' messages
//! (haiku).

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{lognormal, thinned, PrefixCache, ARRIVALS, CACHE_5M_S, HOUR_S};

/// A dispatcher's conversation with the copilot: turns on average (geometric), the dispatcher's
/// time to the next turn (median and sd of the log: on the phone to a driver or a terminal in
/// between), and a lookup's tool time (seconds, uniform) before the answer's call.
pub const TURNS: f64 = 4.0;
pub const NEXT_TURN_S: (f64, f64) = (60.0, 0.8);
pub const TOOL_S: (f64, f64) = (1.5, 4.0);

/// One call of a conversation: what it reads from the conversation's cache, what it writes to
/// it, what it sends fresh and what comes back.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub t: f64,
    pub read: u64,
    pub written: u64,
    pub fresh: u64,
    pub out: u64,
}

/// The calls a conversation makes on average: every turn one, a lookup's turn two.
pub fn calls_per_conversation(run: &Run) -> f64 {
    TURNS * (1.0 + run.tool_share)
}

/// A conversation opened at `s`: the board (the copilot's prompt and tools, the dispatcher's
/// loads rendered at the opening) on the conversation's 5-minute cache, written by the first
/// call; each later call reads what is cached and writes what the last call added (the message
/// or tool result it sent, its answer); a pause of 5 minutes or more writes it all again. A
/// lookup's turn asks for a tool (truck positions, a terminal's free slots) and streams the
/// answer in a second call with the tool's result.
pub fn conversation(rng: &mut StdRng, run: &Run, s: f64) -> Vec<Exchange> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut history = run.board + lognormal(rng, 1_500.0, 0.5).min(8_000.0) as u64;
    let mut t = s;
    let mut out = Vec::new();
    let mut call = |t: f64, fresh: u64, answer: u64, history: &mut u64| {
        let (_, read, written) = cache.send(t, *history);
        *history += fresh + answer;
        out.push(Exchange {
            t,
            read,
            written,
            fresh,
            out: answer,
        });
    };
    loop {
        let message = lognormal(rng, 70.0, 0.7).min(1_500.0) as u64 + 5;
        let answer = lognormal(rng, 260.0, 0.5).min(2_000.0) as u64 + 20;
        if rng.random::<f64>() < run.tool_share {
            let tool_use = lognormal(rng, 90.0, 0.3).min(400.0) as u64 + 10;
            let result = lognormal(rng, 700.0, 0.6).min(8_000.0) as u64 + 20;
            let tool_t = t + rng.random_range(TOOL_S.0..TOOL_S.1);
            call(t, message, tool_use, &mut history);
            call(tool_t, result, answer, &mut history);
            t = tool_t;
        } else {
            call(t, message, answer, &mut history);
        }
        if rng.random::<f64>() < 1.0 / TURNS {
            break;
        }
        t += lognormal(rng, NEXT_TURN_S.0, NEXT_TURN_S.1);
    }
    out
}

/// The dispatchers' copilot over `[start, end)`: conversations opened at the office's rate (×
/// the scale), an hour before `start` so those running at it are under way.
pub fn dispatch(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let per_conversation = calls_per_conversation(run);
    let mut out = Vec::new();
    for s in thinned(
        ARRIVALS,
        rng,
        start - HOUR_S,
        end,
        base_per_min / per_conversation,
        &|t| scale(t) * run.dispatch(t),
    ) {
        for x in conversation(rng, run, s) {
            let usage = Usage {
                input_tokens: x.fresh,
                output_tokens: x.out,
                cache_read_input_tokens: x.read,
                cache_creation_input_tokens: x.written,
                cache_creation_1h_input_tokens: 0,
            };
            out.push((x.t, usage));
        }
    }
    out
}

/// The drivers' messages over `[start, end)`: each a driver's note (typed or transcribed from
/// voice, in Polish, Romanian, Dutch, German…) with the trip's stops, read into the trip's
/// status (an ETA, a delay's reason, a damage report) and translated for the dispatcher; the
/// instructions uncached, a short JSON back, at the drivers' rate.
pub fn drivers(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.drivers(t)
    })
    .into_iter()
    .map(|t| {
        let trip = lognormal(rng, 450.0, 0.4).min(3_000.0) as u64;
        let note = lognormal(rng, 60.0, 0.8).min(1_000.0) as u64 + 3;
        let usage = Usage {
            input_tokens: run.driver_prompt + trip + note,
            output_tokens: lognormal(rng, 140.0, 0.4).min(800.0) as u64 + 10,
            ..Usage::default()
        };
        (t, usage)
    })
    .collect()
}
