//! `Arcade`, the fifteenth generator (session 30), written after SpendRateSpike and
//! CreditRunwayLow were changed on the fourteen others, and held out: not run on the rules (no
//! alert computed on its calls) until the next session's rule changes are merged, then run once.
//! A live-service online game studio in Seoul (UTC+9, no summer time) whose RPG uses Claude for
//! its NPCs' dialogue, for moderating the players' chat and reports, for a quest-hint assistant,
//! for localising its text and for a live-ops game master. Five things, each of which matters to
//! spend:
//!
//! * **A gamer's day and the weekend.** `k-app` (sonnet) is the NPCs' dialogue: a player opens a
//!   conversation with an NPC (6 lines on average, the player's reply 20 s at the median, one gap
//!   in 20 a wander of minutes), the NPC's persona and lore rendered with the player's state
//!   (5k–8k tokens, drawn per run, and 500 of state) on the conversation's own **5-minute**
//!   cache: its first line writes it (3 cents), each later one reads it and writes the last
//!   exchange, a wander of 5 minutes or more writes it all again; the player's line (25 tokens)
//!   in, the NPC's streamed line (110) out. Players online follow a gamer's day (`world.rs`): a
//!   deep trough 05:00–08:00 KST (5 % of the peak), low mornings, a lunch blip, a rise after
//!   school and work, the peak 20:00–24:00 and a long tail to 02:00; Saturday's and Sunday's
//!   daytime two to three times a weekday's, their nights later (the weekend's lift drawn per
//!   run). The harness's first instant, Monday 2 November 2026 00:00 UTC, is Monday 09:00 KST:
//!   the quiet runs' 36 h end on Tuesday 21:00, in its event; the exhaustion's 64 h on Thursday
//!   01:00; the jump at 3 h is Monday's lunch (12:00), the one-off batch at 8 h Monday 17:00.
//! * **The daily event, at the minute, on several keys at once.** At 20:00 KST the world boss
//!   spawns: the lobby fills over the quarter hour before (players +20 %), and at the minute the
//!   players are 2–3× the day's for 30–45 minutes (Monday's, the run's first, a kind the run has
//!   not seen: 3–4× for 45–60; all drawn per run), in within a minute, drifting away over 5–15
//!   minutes after. The dialogue, the moderation (with 1–3 toxic-chat waves of 3–8 minutes in
//!   each event, lifting it a further 2–3×) and the hint assistant (`k-hints`, haiku, an extra
//!   stream: players stuck on the boss, its rise 1.5× the players', the boss guide appended to
//!   its quest guide on the **5-minute** cache, shared by every player) all rise together at a
//!   time known to the minute.
//! * **The weekly maintenance.** Wednesday 06:00–10:00 KST (T0+45 h to +49 h), overrunning by
//!   0–30 minutes (drawn per run): every player key is silent, conversations cut; then the login
//!   rush, 2.5–4× the hour's players (drawn) decaying over 20–45 minutes back to the day. The
//!   patch ships new lore: the persona prompt grows 25–60 % (drawn), so every conversation after
//!   it writes a bigger prefix, and in the rush every player opens a conversation at once: the
//!   cache writes' share of the dialogue's spend peaks.
//! * **Moderation as the players' shadow.** `k-app`'s haiku stream checks each reported message
//!   or flagged chat line: the policy (1.2k–2.5k tokens, drawn per run: under haiku's least
//!   cacheable prompt, so uncached) and the chat around it (250) in, a label (40) out: a quarter
//!   of a cent, at the players' rate with the events' toxic waves.
//! * **Localisation in batches.** `k-batch` (sonnet) translates the game's Korean text into 6–10
//!   languages (drawn per run) in batches (`localisation.rs`): the new event's text on Monday
//!   afternoon (10–25 chunks), the patch notes and the patch's quests on Tuesday afternoon
//!   (60–110 chunks, before the maintenance ships them) and the hotfix's and the shop's text 1–3
//!   hours after the maintenance (15–35), each chunk (3.5k tokens at the median) fanned out to
//!   every language at the workers' pace (12–24 calls a minute, drawn), the instructions and the
//!   language's glossary (6k–12k tokens, drawn per language) on the **1-hour** cache, the
//!   translation out at the language's length (0.8–1.3× the source): 7 cents a call, Tuesday's
//!   batch 360–1,100 calls and $25–$80 over 15–90 minutes. Between them a trickle of support tickets (uncached,
//!   a cent each), at the harness's 3 a minute over a typical weekday (Thursday).
//!
//! Against the fourteen, each differs in three or more of these: Steady, Tenants and Cascades
//! have no day, no scheduled event, no maintenance and no batches; Sessions no day, no event,
//! no outage, agent sessions of 6 turns; Diurnal a sine day peaking in the afternoon and tenants
//! switching on at random, no cache, no silence; Fleet a UTC+8 working week with a lunch dip, a
//! sweep on one key, tool chains; Saas two regions' working days, a nightly sync of a fixed 30
//! minutes on one key and a migration; Launch a drawn hour and 20–35 % growth a day, eval
//! suites on a period; Contracts an IST five-day week, a few huge calls; Helpdesk sparse keys in
//! three zones and Markov regimes, a release raising every key's cost; Studio a Pacific week,
//! IDE sessions on the 1-hour cache and a CI bot on a clock on one key; CallCentre a São Paulo
//! roster clipping its day flat and a holiday; Newsroom Tokyo's news as shot noise at unknown
//! times (here the rise across keys comes at a known minute, every day, and is a step, not a
//! burst's rise and decay), an article cache shared between readers; Classroom Mexico City's
//! bells and a grading backlog in the small hours. None has a peak at 20:00–24:00 with the spend
//! lowest in the morning, a daily step across three groups at the same minute, a scheduled
//! silence of every player key followed by a rush, or a prompt change that raises every
//! session's cache write after it.
//!
//! **The jump is a tool that returns the whole log: the same calls, the second of each check
//! bigger.** `k-agent` (the harness's jumping key: opus, 4 calls a minute over a typical
//! weekday) is the live-ops game master (`gamemaster.rs`): every check (40 % scheduled, the
//! rest following the players) asks for the event log (a tool use) and then decides on the
//! recent entries (2.5k tokens at the median, uncached; the system prompt and tools, 6k–9k
//! tokens drawn per run, on the 5-minute cache): 3 cents a check. A config change drops the log
//! tool's `since` filter, so the tool returns the log from the shard's daily reset, truncated
//! at the tool's result cap; the scenario's `scale` above 1 is read as that cap: each check's
//! second call carries (scale − 1) × a check's mean cost in extra input tokens (31k–34k for the
//! harness's 6×), so the stream's spend is `scale`× its own while its calls, their times and
//! their other tokens are unchanged. The game master's 3–6 workers (drawn) pick the config up at
//! their next poll, spread over 60–120 s (drawn): the spend steps up worker by worker within two
//! minutes (see the tests). (Newsroom's jump keeps the tokens and changes their price,
//! Classroom's loops on a growing conversation, CallCentre's repeats each request six times,
//! Studio's sends six at once, Contracts' bigger calls by a paste at the same rate over 3
//! minutes, Helpdesk's more calls: here one call of two grows, by 16 cents.) Below 1
//! the scale thins the checks instead.
//!
//! What defines the run (the weekend's lift, the events and their toxic waves, the maintenance's
//! overrun and rush, the prompts, the languages and batches, the workers' polls) is drawn once
//! by [`begin_run`]; which players talk, report and ask, when, the tickets, the chunks and all
//! tokens are drawn from the `rng` each stream is given, so realisations of one run differ by
//! chance only. The scenario's `scale` multiplies each stream's intensity (conversations by the
//! scale when they open, a batch's chunks by the scale at its start). The one-off batch
//! (`k-oneoff`), and any key this product does not know, is a job: calls at the harness's rate ×
//! its scale, no day, no cache.

use std::cell::RefCell;

use rand::rngs::StdRng;

use super::spend_classroom::PrefixCache;
use super::{exp, lognormal, minutes, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;
pub const CACHE_1H_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]): sampled every 20 s,
/// so the event's minute-long login and the rush's first minutes are never missed.
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};

pub const PLAYERS: &str = "k-app";
pub const LOCALISATION: &str = "k-batch";
pub const HINTS: &str = "k-hints";
pub const GAME_MASTER: &str = "k-agent";
const HAIKU: &str = "claude-haiku-4-5";

/// The streams this product adds to the harness's three: the hint assistant.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(HAIKU, HINTS, 1.5)];

mod gamemaster;
mod localisation;
mod players;
mod world;

pub use gamemaster::{check_cost, whole_log_extra};
pub use localisation::{INSTRUCTIONS, TICKET_PROMPT};
pub use players::{conversation, Line, SESSION_TURNS};
pub use world::{
    at_local, local, Run, EVENT_HOUR, MAINTENANCE_DAY, MAINTENANCE_HOURS, TYPICAL_DAY,
};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's weekend, events, maintenance, prompts, languages, batches and workers.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_arcade::begin_run draws the run before its streams (background does)")
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Dialogue,
    Moderation,
    Hints,
    Localisation,
    GameMaster,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            PLAYERS if model.contains("haiku") => Work::Moderation,
            PLAYERS => Work::Dialogue,
            HINTS => Work::Hints,
            LOCALISATION => Work::Localisation,
            GAME_MASTER => Work::GameMaster,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a typical weekday (Thursday), times the scenario's `scale(t)`:
/// `k-app`'s dialogue and moderation and `k-hints` at the players' rate, `k-batch`'s batches
/// and tickets, `k-agent`'s checks with `scale` above 1 the whole log's, anything else a job.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let work = match Work::of(model, key) {
        Work::Dialogue => players::dialogue,
        Work::Moderation => players::moderation,
        Work::Hints => players::hints,
        Work::Localisation => localisation::localisation,
        Work::GameMaster => gamemaster::checks,
        // A key this product does not know (the one-off batch): the harness's plain job.
        Work::Job => {
            |rng: &mut StdRng, _: &Run, start, end, per_min, scale: &dyn Fn(f64) -> f64| {
                crate::plain_job(ARRIVALS, rng, start, end, per_min, scale)
            }
        }
    };
    let out = work(rng, &run, start, end, base_per_min, scale);
    crate::clipped_calls((model, key), start, end, out)
}

#[cfg(test)]
mod tests;
