//! The world behind `Arcade`'s streams: Seoul's clock (the run opening on a Monday at 09:00),
//! a gamer's day and the weekend's, the daily 20:00 event, Wednesday's maintenance and the
//! login rush after it, and the run's own draws.

use rand::rngs::StdRng;
use rand::Rng;

use super::{DAY_S, HOUR_S};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in Seoul (UTC+9, no summer
/// time): Monday 09:00, counted from that Monday's 00:00 local (local day 0).
pub const LOCAL_AT_START_S: f64 = 9.0 * HOUR_S;
/// The weekly maintenance: Wednesday (local day 2) 06:00–10:00 KST, T0+45 h to +49 h, unless
/// it overruns (drawn per run).
pub const MAINTENANCE_DAY: i64 = 2;
pub const MAINTENANCE_HOURS: (f64, f64) = (6.0, 10.0);
/// The daily event's hour (20:00 KST): the world boss spawns at the minute.
pub const EVENT_HOUR: f64 = 20.0;
/// Players log in for the event in its last quarter hour before (the lobby fills), and are in
/// within a minute of its start.
pub const LOBBY_S: f64 = 15.0 * 60.0;
pub const LOGIN_S: f64 = 60.0;
/// How much the lobby lifts the players before the event.
const LOBBY_LIFT: f64 = 0.2;
/// A typical weekday, the one every stream's base rate is its mean over: Thursday 5 November
/// (local day 3), with its event and without a maintenance or a localisation batch.
pub const TYPICAL_DAY: i64 = 3;
/// The days the run's events are drawn for: the week from the run's Monday.
const EVENT_DAYS: i64 = 8;

/// The local (day, hour) of `t` seconds into the run (day 0 the Monday, 5 and 6 the weekend).
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    let day = (s / DAY_S).floor() as i64;
    (day, (s - day as f64 * DAY_S) / HOUR_S)
}

/// The instant (seconds into a run) of local `hour` on local day `day`.
pub fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
}

pub fn is_weekend(day: i64) -> bool {
    day.rem_euclid(7) >= 5
}

/// Players online at each local hour (0–24, the next midnight repeating the first), on a
/// weekday and on a weekend day: a deep trough 05:00–08:00, low mornings (school and work), a
/// lunch blip on phones, a rise after school and work, the peak 20:00–24:00 and a long tail to
/// 02:00; the weekend's daytime two to three times a weekday's and its nights later. Korean
/// PC-bang and mobile RPG concurrency curves, about.
const WEEKDAY: [f64; 25] = [
    0.70, 0.50, 0.30, 0.17, 0.10, 0.06, 0.05, 0.06, 0.10, 0.14, 0.17, 0.20, 0.30, 0.27, 0.24, 0.27,
    0.35, 0.45, 0.52, 0.68, 0.92, 1.00, 1.00, 0.88, 0.70,
];
const WEEKEND: [f64; 25] = [
    0.85, 0.70, 0.50, 0.30, 0.18, 0.10, 0.07, 0.07, 0.09, 0.15, 0.28, 0.40, 0.50, 0.55, 0.58, 0.60,
    0.62, 0.65, 0.70, 0.82, 1.05, 1.15, 1.18, 1.05, 0.85,
];

/// The gaming day at `t` (raw, about 1 at a weekday's peak): the hours from 05:00 belong to
/// their day, the small hours to the night before (Friday's night is the weekend's).
pub fn gamer_day(t: f64, weekend_lift: f64) -> f64 {
    let (day, h) = local(t);
    let night_of = if h < 5.0 { day - 1 } else { day };
    let weekend = if h < 5.0 {
        matches!(night_of.rem_euclid(7), 4 | 5)
    } else {
        is_weekend(day)
    };
    let i = (h.floor() as usize).min(23);
    let frac = h - i as f64;
    let at = |curve: &[f64; 25]| curve[i] + frac * (curve[i + 1] - curve[i]);
    if weekend {
        // The weekend's column is a typical lift of 1.25 over the weekday's day; the run's
        // lift scales what it adds.
        let w = at(&WEEKDAY);
        w + (at(&WEEKEND) - w) * (weekend_lift - 1.0) / 0.25
    } else {
        at(&WEEKDAY)
    }
}

/// One of the run's daily events: when the world boss spawns, how many times the usual players
/// it brings while it is up, how long it is up and how long the players take to drift away,
/// the toxic-chat waves in it (start, length, height over the moderation's own rise) and the
/// boss guide the hint assistant appends to its prompt for it (tokens).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub start: f64,
    pub multiplier: f64,
    pub up_s: f64,
    pub fade_s: f64,
    pub toxic_waves: Vec<(f64, f64, f64)>,
    pub guide_appendix: u64,
}

impl Event {
    /// The players at `t` as a multiple of those the day would have without the event.
    pub fn level(&self, t: f64) -> f64 {
        let u = t - self.start;
        let m = self.multiplier - 1.0;
        if (-LOBBY_S..0.0).contains(&u) {
            1.0 + LOBBY_LIFT * (u + LOBBY_S) / LOBBY_S
        } else if (0.0..self.up_s).contains(&u) {
            1.0 + LOBBY_LIFT + (m - LOBBY_LIFT) * (u / LOGIN_S).min(1.0)
        } else if (self.up_s..self.up_s + self.fade_s).contains(&u) {
            1.0 + m * (1.0 - (u - self.up_s) / self.fade_s)
        } else {
            1.0
        }
    }

    /// Whether the boss is up (the event's guide in the hint assistant's prompt).
    pub fn is_up(&self, t: f64) -> bool {
        (self.start..self.start + self.up_s).contains(&t)
    }

    /// The toxic chat's lift on the moderation at `t`, over the players'.
    fn toxic(&self, t: f64) -> f64 {
        1.0 + self
            .toxic_waves
            .iter()
            .filter(|(a, len, _)| (*a..a + len).contains(&t))
            .map(|(_, _, h)| h)
            .sum::<f64>()
    }
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// A weekend day's players against a weekday's, at the typical 1.25.
    pub weekend_lift: f64,
    /// The daily events, the first (Monday's) a kind the run has not seen.
    pub events: Vec<Event>,
    /// The maintenance's end (seconds into the run): 10:00 KST, or later if it overruns.
    pub maintenance_end: f64,
    /// The login rush after it: its height over the day's players and its decay (seconds).
    pub rush_height: f64,
    pub rush_decay_s: f64,
    /// The NPCs' rendered persona and lore prompt (tokens), before and after the patch.
    pub persona_before: u64,
    pub persona_after: u64,
    /// The moderation's policy prompt (tokens: under haiku's least cacheable prompt).
    pub moderation_policy: u64,
    /// The hint assistant's quest guide (tokens, on the 5-minute cache).
    pub hint_guide: u64,
    /// The localisation: each target language's glossary (tokens, on the 1-hour cache) and its
    /// output's length against the Korean source, the workers' pace (calls a minute), the
    /// three batches' starts (seconds) and sizes (source chunks).
    pub glossaries: Vec<u64>,
    pub language_factor: Vec<f64>,
    pub localisation_per_min: f64,
    pub batches: [(f64, u32); 3],
    /// The game master: its system prompt and tools (tokens, on the 5-minute cache), its
    /// workers' config polls after a change (seconds).
    pub gm_prefix: u64,
    pub gm_poll_offsets: Vec<f64>,
    /// The raw shapes' means over the typical weekday.
    players_mean: f64,
    moderation_mean: f64,
    hints_mean: f64,
}

/// The hint assistant's extra rise in an event: players stuck on the boss ask how to beat it.
pub const HINT_EVENT_GAIN: f64 = 1.5;
/// The game master's checks: a floor of scheduled checks, the rest following the players.
pub const GM_SCHEDULED: f64 = 0.4;
/// Support tickets: a floor (the web form never closes), the rest following the players.
pub const TICKETS_FLOOR: f64 = 0.35;

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let events = (0..EVENT_DAYS)
            .map(|day| {
                let start = at_local(day, EVENT_HOUR);
                // The run's first event is a new kind (a new raid boss): bigger and longer.
                let (multiplier, up_min) = if day == 0 {
                    (rng.random_range(3.0..4.0), rng.random_range(45.0..60.0))
                } else {
                    (rng.random_range(2.0..3.0), rng.random_range(30.0..45.0))
                };
                let up_s = 60.0 * up_min;
                let toxic_waves = (0..rng.random_range(1..=3))
                    .map(|_| {
                        (
                            start + rng.random_range(0.0..up_s - 300.0),
                            60.0 * rng.random_range(3.0..8.0),
                            rng.random_range(1.0..2.0),
                        )
                    })
                    .collect();
                Event {
                    start,
                    multiplier,
                    up_s,
                    fade_s: 60.0 * rng.random_range(5.0..15.0),
                    toxic_waves,
                    guide_appendix: rng.random_range(1_000..2_500),
                }
            })
            .collect();
        let languages = rng.random_range(6..=10);
        let persona_before = rng.random_range(5_000..8_000);
        let mut run = Run {
            weekend_lift: rng.random_range(1.15..1.4),
            events,
            maintenance_end: at_local(MAINTENANCE_DAY, MAINTENANCE_HOURS.1)
                + 60.0 * rng.random_range(0.0..30.0),
            rush_height: rng.random_range(1.5..3.0),
            rush_decay_s: 60.0 * rng.random_range(20.0..45.0),
            persona_before,
            persona_after: (persona_before as f64 * rng.random_range(1.25..1.6)) as u64,
            moderation_policy: rng.random_range(1_200..2_500),
            hint_guide: rng.random_range(4_500..7_000),
            glossaries: (0..languages)
                .map(|_| rng.random_range(6_000..12_000))
                .collect(),
            language_factor: (0..languages).map(|_| rng.random_range(0.8..1.3)).collect(),
            localisation_per_min: rng.random_range(12.0..24.0),
            batches: [
                // Monday afternoon: the new event's announcement and quest text.
                (
                    at_local(0, rng.random_range(14.0..16.0)),
                    rng.random_range(10..25),
                ),
                // Tuesday afternoon: the patch notes and the patch's quests, before the
                // maintenance ships them.
                (
                    at_local(1, rng.random_range(13.0..18.0)),
                    rng.random_range(60..110),
                ),
                // After the maintenance: the hotfix's and the shop's text, 1–3 hours on.
                (0.0, rng.random_range(15..35)),
            ],
            gm_prefix: rng.random_range(6_000..9_000),
            gm_poll_offsets: Vec::new(),
            players_mean: 1.0,
            moderation_mean: 1.0,
            hints_mean: 1.0,
        };
        run.batches[2].0 = run.maintenance_end + HOUR_S * rng.random_range(1.0..3.0);
        let poll_s = rng.random_range(60.0..120.0);
        run.gm_poll_offsets = (0..rng.random_range(3..=6))
            .map(|_| rng.random_range(0.0..poll_s))
            .collect();
        let typical = |f: &dyn Fn(f64) -> f64| {
            super::minutes(at_local(TYPICAL_DAY, 0.0), at_local(TYPICAL_DAY + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        run.players_mean = typical(&|t| run.players_raw(t));
        run.moderation_mean = typical(&|t| run.players_raw(t) * run.toxic(t));
        run.hints_mean = typical(&|t| run.hints_raw(t));
        run
    }

    /// The event up or fading at `t`, if any.
    pub fn event_at(&self, t: f64) -> Option<&Event> {
        self.events
            .iter()
            .find(|e| (e.start - LOBBY_S..e.start + e.up_s + e.fade_s).contains(&t))
    }

    pub fn in_maintenance(&self, t: f64) -> bool {
        (at_local(MAINTENANCE_DAY, MAINTENANCE_HOURS.0)..self.maintenance_end).contains(&t)
    }

    /// Whether the patch is live at `t` (from the maintenance's start on: new sessions get the
    /// new prompts).
    pub fn patched(&self, t: f64) -> bool {
        t >= at_local(MAINTENANCE_DAY, MAINTENANCE_HOURS.0)
    }

    /// The login rush at `t`: players back after the maintenance, over the day's.
    pub fn rush(&self, t: f64) -> f64 {
        let u = t - self.maintenance_end;
        if u >= 0.0 {
            1.0 + self.rush_height * (-u / self.rush_decay_s).exp()
        } else {
            1.0
        }
    }

    /// Players online at `t` (raw): the gaming day, the event, none in the maintenance and the
    /// rush after it.
    fn players_raw(&self, t: f64) -> f64 {
        if self.in_maintenance(t) {
            return 0.0;
        }
        let event = self.event_at(t).map_or(1.0, |e| e.level(t));
        gamer_day(t, self.weekend_lift) * event * self.rush(t)
    }

    fn toxic(&self, t: f64) -> f64 {
        self.event_at(t).map_or(1.0, |e| e.toxic(t))
    }

    fn hints_raw(&self, t: f64) -> f64 {
        let event = self.event_at(t).map_or(1.0, |e| e.level(t));
        self.players_raw(t) * (1.0 + HINT_EVENT_GAIN * (event - 1.0)) / event
    }

    /// Players online at `t`, 1 on average over the typical weekday.
    pub fn players(&self, t: f64) -> f64 {
        self.players_raw(t) / self.players_mean
    }

    /// Chat reports and messages to check at `t`, 1 on average over the typical weekday: the
    /// players, and the toxic-chat waves in an event.
    pub fn moderation(&self, t: f64) -> f64 {
        self.players_raw(t) * self.toxic(t) / self.moderation_mean
    }

    /// Hint requests at `t`, 1 on average over the typical weekday.
    pub fn hints(&self, t: f64) -> f64 {
        self.hints_raw(t) / self.hints_mean
    }

    /// Support tickets to translate at `t`, 1 on average over the typical weekday.
    pub fn tickets(&self, t: f64) -> f64 {
        TICKETS_FLOOR + (1.0 - TICKETS_FLOOR) * self.players(t)
    }

    /// The game master's checks at `t`, 1 on average over the typical weekday.
    pub fn gm_checks(&self, t: f64) -> f64 {
        GM_SCHEDULED + (1.0 - GM_SCHEDULED) * self.players(t)
    }

    /// The NPCs' persona prompt for a session opened at `t`.
    pub fn persona(&self, t: f64) -> u64 {
        if self.patched(t) {
            self.persona_after
        } else {
            self.persona_before
        }
    }
}
