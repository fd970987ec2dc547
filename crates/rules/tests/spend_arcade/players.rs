//! The players' calls: NPC dialogue on `k-app` (sonnet), the chat moderation on `k-app`
//! (haiku) and the hint assistant on `k-hints` (haiku).

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::world::Run;
use super::{exp, lognormal, thinned, PrefixCache, ARRIVALS, CACHE_5M_S, HOUR_S};

/// A conversation with an NPC: turns on average (geometric), the player's reply time (median,
/// sd of the log: reading the streamed line, picking or typing the next), and the chance that
/// a gap is the player wandering off mid-conversation (a fight, a menu) for minutes instead.
pub const SESSION_TURNS: f64 = 6.0;
pub const REPLY_S: (f64, f64) = (20.0, 0.7);
pub const AFK_SHARE: f64 = 0.05;
pub const AFK_MEAN_S: f64 = 6.0 * 60.0;

/// One NPC line of a conversation: the player's line sent fresh after the cached prefix (the
/// persona, the player's state, the conversation so far), the NPC's line streamed back.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub t: f64,
    pub read: u64,
    pub written: u64,
    pub said: u64,
    pub answer: u64,
}

/// A conversation opened at `s` with `persona` tokens of rendered persona and lore: its first
/// turn writes the persona and the player's state on the 5-minute cache, each later turn reads
/// what is cached and writes the last exchange, a gap of 5 minutes or more writes it all again.
/// It ends early if the servers go down for maintenance.
pub fn conversation(rng: &mut StdRng, run: &Run, s: f64, persona: u64) -> Vec<Line> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    // The player's state: level, class, quest log, the NPC's affinity (the game renders it
    // into the system prompt after the persona).
    let mut history = persona + lognormal(rng, 500.0, 0.4).min(3_000.0) as u64;
    let mut t = s;
    let mut out = Vec::new();
    loop {
        if run.in_maintenance(t) {
            break;
        }
        let said = lognormal(rng, 25.0, 0.7).min(400.0) as u64 + 3;
        let answer = lognormal(rng, 110.0, 0.5).min(600.0) as u64 + 10;
        let (_, read, written) = cache.send(t, history);
        history += said + answer;
        out.push(Line {
            t,
            read,
            written,
            said,
            answer,
        });
        if rng.random::<f64>() < 1.0 / SESSION_TURNS {
            break;
        }
        t += if rng.random::<f64>() < AFK_SHARE {
            exp(rng, AFK_MEAN_S)
        } else {
            lognormal(rng, REPLY_S.0, REPLY_S.1)
        };
    }
    out
}

/// The NPC dialogue over `[start, end)`: conversations opened at the players' rate (× the
/// scale), each on its own session's cache; the persona the one live when it opened.
pub fn dialogue(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let rate = |t: f64| scale(t) * run.players(t);
    let mut out = Vec::new();
    for s in thinned(
        ARRIVALS,
        rng,
        start - HOUR_S,
        end,
        base_per_min / SESSION_TURNS,
        &rate,
    ) {
        for line in conversation(rng, run, s, run.persona(s)) {
            let usage = Usage {
                input_tokens: line.said,
                output_tokens: line.answer,
                cache_read_input_tokens: line.read,
                cache_creation_input_tokens: line.written,
                cache_creation_1h_input_tokens: 0,
            };
            out.push((line.t, usage));
        }
    }
    out
}

/// The chat moderation over `[start, end)`: each reported message or flagged chat line checked
/// against the policy (uncached: under haiku's least cacheable prompt) with the chat around it,
/// a label and a reason back, at the players' rate and the event's toxic waves.
pub fn moderation(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.moderation(t)
    })
    .into_iter()
    .map(|t| {
        let usage = Usage {
            input_tokens: run.moderation_policy + lognormal(rng, 250.0, 0.6).min(3_000.0) as u64,
            output_tokens: lognormal(rng, 40.0, 0.4).min(300.0) as u64 + 5,
            ..Usage::default()
        };
        (t, usage)
    })
    .collect()
}

/// The hint assistant over `[start, end)`: a player's question on the quest guide (on the
/// 5-minute cache, shared by every player: warm while the key's last call is under 5 minutes
/// old), in an event the boss guide appended after it (its first call writes the appendix).
pub fn hints(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.hints(t)
    })
    .into_iter()
    .map(|t| {
        let appendix = run
            .event_at(t)
            .filter(|e| e.is_up(t))
            .map_or(0, |e| e.guide_appendix);
        let (_, read, written) = cache.send(t, run.hint_guide + appendix);
        let usage = Usage {
            input_tokens: lognormal(rng, 60.0, 0.6).min(600.0) as u64 + 5,
            output_tokens: lognormal(rng, 220.0, 0.5).min(1_200.0) as u64 + 10,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: 0,
        };
        (t, usage)
    })
    .collect()
}
