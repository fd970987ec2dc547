//! The centre behind `CallCentre`'s streams: São Paulo's calendar (the run opening on the Sunday
//! evening before Finados), the roster of 6-hour shifts, the callers' demand, and the fluid
//! Erlang-A queue that turns them into conversation starts, minute by minute.

use rand::rngs::StdRng;
use rand::Rng;

use super::{logistic, DAY_S, HOLD_MEDIAN_S, HOLD_P, HOLD_SIGMA, HOUR_S, UTTER_S, WRAP_UP_MIN};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in São Paulo: Sunday
/// 1 November 21:00, counted from that Sunday's 00:00 local (local day 0).
pub const LOCAL_AT_START_S: f64 = 21.0 * HOUR_S;
/// Local day 1, Monday 2 November: Finados, kept at Saturday's hours.
pub const FINADOS: i64 = 1;

/// The fluid queue's step, and its span (from the burn-in to past the exhaustion's 64 h and
/// the whole Wednesday the rates are normalised on).
const STEP_S: f64 = 10.0;
const BURN_IN_S: f64 = 12.0 * HOUR_S;
const HORIZON_S: f64 = 100.0 * HOUR_S;
/// The roster's log-ins and log-outs are staggered over about half an hour.
const STAGGER_H: f64 = 0.12;
/// The 24/7 urgent line's load, in the weekday morning roster's seats.
const URGENT: f64 = 0.05;

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Mean talk time of a conversation (minutes) and the callers' mean patience in the queue.
    pub talk_min: f64,
    pub patience_min: f64,
    /// The roster against the weekday morning shift's seats: the afternoon shift, the night
    /// crew, Saturday's (and the holiday's) half day.
    pub afternoon_seats: f64,
    pub night_seats: f64,
    pub saturday_seats: f64,
    /// The weekday callers' peak load against the morning's seats; the holiday's callers
    /// against a weekday's; Tuesday's surge after the long weekend.
    pub peak_load: f64,
    pub saturday_demand: f64,
    pub after_holiday: f64,
    /// The copilot's shared instructions, the QA rubric and the reviewer's coverage rules
    /// (tokens).
    pub desk_prefix: u64,
    pub qa_rubric: u64,
    pub rules_prefix: u64,
    /// The QA queue's trigger size and the job's pace (calls a minute).
    pub qa_queue: u32,
    pub qa_per_min: f64,
    /// The storm's client timeout and the queue's visibility timeout (seconds).
    pub timeout_s: f64,
    pub visibility_s: f64,
    /// The centre's conversation starts and queue, minute by minute from the burn-in (in the
    /// morning roster's seats: starts a minute, callers waiting), and a plain weekday's mean.
    starts: Vec<f64>,
    queue: Vec<f64>,
    weekday_mean: f64,
}

/// What day of the week a local day is, for the centre (the holiday kept as a Saturday).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    Weekday,
    Saturday,
    Sunday,
}

/// The local day at `t` (0 = the Sunday the run opens on) and the hour.
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    ((s / DAY_S).floor() as i64, (s / HOUR_S).rem_euclid(24.0))
}

pub fn day_kind(day: i64) -> DayKind {
    match day.rem_euclid(7) {
        0 => DayKind::Sunday,
        6 => DayKind::Saturday,
        _ if day == FINADOS => DayKind::Saturday,
        _ => DayKind::Weekday,
    }
}

fn bump(h: f64, at: f64, width: f64) -> f64 {
    (-0.5 * ((h - at) / width).powi(2)).exp()
}

/// The callers' wish to call at local hour `h` on a working day: 1 at the morning's peak.
pub fn callers(h: f64) -> f64 {
    logistic((h - 7.7) / 0.3)
        * logistic((19.0 - h) / 0.9)
        * (0.75 + 0.25 * bump(h, 10.0, 1.2) + 0.15 * bump(h, 15.0, 1.2) - 0.2 * bump(h, 12.75, 0.5))
}

/// The line open to regular callers from 08:00 to `closes`.
fn line_open(h: f64, closes: f64) -> f64 {
    logistic((h - 8.0) / 0.05) * logistic((closes - h) / 0.05)
}

/// A shift logged in from `login` to `logout` (local hours), staggered.
fn shift(h: f64, login: f64, logout: f64) -> f64 {
    logistic((h - login) / STAGGER_H) * logistic((logout - h) / STAGGER_H)
}

impl Run {
    pub(super) fn draw(rng: &mut StdRng) -> Run {
        let mut run = Run {
            talk_min: rng.random_range(4.0..6.5),
            patience_min: rng.random_range(1.5..4.0),
            afternoon_seats: rng.random_range(0.85..1.0),
            night_seats: rng.random_range(0.08..0.15),
            saturday_seats: rng.random_range(0.25..0.4),
            peak_load: rng.random_range(1.25..1.6),
            saturday_demand: rng.random_range(0.2..0.35),
            after_holiday: rng.random_range(1.15..1.35),
            desk_prefix: rng.random_range(4_000..=9_000),
            qa_rubric: rng.random_range(6_000..=12_000),
            rules_prefix: rng.random_range(25_000..=45_000),
            qa_queue: rng.random_range(250..=600),
            qa_per_min: rng.random_range(40.0..80.0),
            timeout_s: rng.random_range(3.0..6.0),
            visibility_s: rng.random_range(15.0..30.0),
            starts: Vec::new(),
            queue: Vec::new(),
            weekday_mean: 1.0,
        };
        run.solve();
        run
    }

    /// A seat's handle time (minutes): talk, the holds' share, the wrap-up.
    pub fn handle_min(&self) -> f64 {
        let hold = HOLD_P * HOLD_MEDIAN_S * (HOLD_SIGMA * HOLD_SIGMA / 2.0).exp() / 60.0;
        self.talk_min + hold + WRAP_UP_MIN
    }

    /// The copilot's calls a conversation on average: the utterances and the summary.
    pub fn calls_per_conversation(&self) -> f64 {
        self.talk_min * 60.0 / UTTER_S + 1.0
    }

    /// The seats logged in at `t`, in the weekday morning shift's.
    pub fn seats(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let night = self.night_seats;
        match day_kind(day) {
            DayKind::Weekday => {
                night
                    + (1.0 - night) * shift(h, 8.1, 14.3)
                    + (self.afternoon_seats - night) * shift(h, 14.1, 20.3)
            }
            DayKind::Saturday => night + (self.saturday_seats - night) * shift(h, 8.1, 14.3),
            DayKind::Sunday => night,
        }
    }

    /// The load the callers offer at `t` (Erlangs, in the morning shift's seats): the urgent
    /// line all day, the regular line in its hours.
    pub fn offered(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let urgent = URGENT * (0.5 + 0.8 * logistic(h - 7.0) * logistic(23.0 - h));
        let regular = match day_kind(day) {
            DayKind::Weekday => {
                let surge = if day == FINADOS + 1 {
                    self.after_holiday
                } else {
                    1.0
                };
                self.peak_load * surge * callers(h) * line_open(h, 20.0)
            }
            DayKind::Saturday => {
                self.peak_load * self.saturday_demand * callers(h) * line_open(h, 14.0)
            }
            DayKind::Sunday => 0.0,
        };
        urgent + regular
    }

    /// The fluid Erlang-A queue, step by step: callers arrive at the offered load over the
    /// handle time, take a free seat or wait, and hang up at the patience's rate.
    fn solve(&mut self) {
        let per_min = (60.0 / STEP_S) as usize;
        let minutes = ((BURN_IN_S + HORIZON_S) / 60.0) as usize;
        let dt = STEP_S / 60.0;
        let handle = self.handle_min();
        let keep = (-dt / self.patience_min).exp();
        let (mut busy, mut waiting) = (self.offered(-BURN_IN_S), 0.0);
        self.starts = Vec::with_capacity(minutes);
        self.queue = Vec::with_capacity(minutes);
        for m in 0..minutes {
            let mut started = 0.0;
            for k in 0..per_min {
                let t = -BURN_IN_S + 60.0 * m as f64 + STEP_S * (k as f64 + 0.5);
                busy -= busy * dt / handle;
                let wanting = waiting + self.offered(t) / handle * dt;
                let s = (self.seats(t) - busy).max(0.0).min(wanting);
                busy += s;
                waiting = (wanting - s) * keep;
                started += s;
            }
            self.starts.push(started);
            self.queue.push(waiting);
        }
        // A plain weekday: Wednesday, local day 3.
        let from = 3.0 * DAY_S - LOCAL_AT_START_S;
        self.weekday_mean = (0..1440)
            .map(|m| self.starts_at(from + 60.0 * f64::from(m) + 30.0))
            .sum::<f64>()
            / 1440.0;
    }

    /// The centre's conversation starts a minute at `t`, in the morning shift's seats
    /// (linear between the minutes' midpoints).
    pub fn starts_at(&self, t: f64) -> f64 {
        let x = ((t + BURN_IN_S) / 60.0 - 0.5).max(0.0);
        let last = self.starts.len() - 1;
        let i = (x.floor() as usize).min(last);
        let j = (i + 1).min(last);
        let frac = (x - i as f64).clamp(0.0, 1.0);
        self.starts[i] + frac * (self.starts[j] - self.starts[i])
    }

    /// The callers waiting at the end of the minute at `t`.
    pub fn queue_at(&self, t: f64) -> f64 {
        let i = (((t + BURN_IN_S) / 60.0).max(0.0) as usize).min(self.queue.len() - 1);
        self.queue[i]
    }

    /// The centre's carried rate at `t`: 1 on average over a plain weekday.
    pub fn day(&self, t: f64) -> f64 {
        self.starts_at(t) / self.weekday_mean
    }
}
