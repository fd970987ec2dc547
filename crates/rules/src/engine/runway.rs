//! [`Runway`] (`credit_runway`): remaining credit ÷ burn rate. The burn rate is the long (6h)
//! trailing rate, lowered to the short (30m) one only when the short window is evidence the
//! burn fell (its rate's upper bound, from the spend's own dispersion, is below the long rate),
//! i.e. the runway must be short on both: a one-off batch lifts only the short rate, so it
//! cannot fire, and when the spending stops the short window soon shows it, so the alert
//! resolves. The plain lower of the two rates was biased low on heavy-tailed spend (a 30m
//! window of agent sessions wanders ±15–30 %): runways said long, pages late. A young long
//! rate (less than the window seen) is discounted by its extra standard error before the rule
//! decides. The price: a sudden sustained rise is judged at the long rate until it catches up
//! over hours (SpendRateSpike covers the first minutes of such a rise).
//!
//! Once the history has a day, the rate is a forecast over the page's own horizon (`below`):
//! today's level (the recent spend against what the same hours cost on the previous days,
//! taken when it stands clear of the noise, else theirs) × what the previous days spent over
//! the horizon's hours, when that shape stands clear of the noise (a working day ahead, a
//! quiet night). A trailing rate reads a morning as the whole day and an evening peak as the
//! night. Before a day, no history can tell a daily rise from a lasting one: the trailing
//! rates decide, and the alert says it read under a day ([`ForecastBasis`]; docs/rules.md,
//! "Session 24" and "Session 25").

use super::day_profile::DayProfile;
use super::detector::Values;
use super::ring::{Counts, Ring};
use super::spend::{micro, Remaining, SpendState, MICRO};
use crate::model::RuleKind;

/// Burn rates over a short and a long trailing window.
pub struct Runway {
    short: Ring,
    long: Ring,
    first: Option<i64>,
    /// Spend and Σ cost² per [`BLOCK_S`] block over the long window, oldest first: the
    /// dispersion of the spend (how far a rate measured over a span can be off), from the
    /// calls' own costs and from the spread of the block sums.
    blocks: std::collections::VecDeque<(i64, f64, f64)>,
    /// The spend at each time of day on previous days: once the history has a day, the rate
    /// is forecast over the page's horizon from it (`day_shaped`).
    profile: DayProfile,
    /// The next minute the profile has not learnt (minutes without spend are learnt as zeros,
    /// so that a quiet time of day is known to be quiet, not unknown).
    learnt_to: Option<i64>,
    /// The minute whose spend is being summed before the profile learns it (minute, USD):
    /// calls come nearly in order, so the profile's slot is found once a minute rather than
    /// once a call (replay's hot path). Learnt at the next minute's first call and at every
    /// [`Runway::advance`], before any verdict reads the profile.
    pending: Option<(i64, f64)>,
}

/// The block the runway's dispersion is measured over (seconds): long enough to hold an agent
/// session's turns, short enough that a 6h window holds 72 of them.
const BLOCK_S: i64 = 300;

/// How many times the rest's rate a finished span must have spent to be a one-off
/// (`Runway::one_off`).
const ONE_OFF_RATIO: f64 = 10.0;

/// How many standard deviations up the short window's rate is bounded before that bound may
/// lower the burn rate (one-sided, about 1 in 40 windows of a steady burn by chance).
const SHORT_EVIDENCE_SD: f64 = 2.0;

/// How many standard errors of a young long rate (measured over less than the long window)
/// the rule discounts before it decides (one-sided 95 %): a rate measured over the first
/// minutes of a heavy-tailed history is not trusted to be as high as it looks.
const LONG_EVIDENCE_SD: f64 = 1.645;

/// How many standard errors the same-time-of-day shape (the previous days' rate over the
/// horizon against theirs over the recent past), or a move of the level within the long
/// window, must stand from flat before the forecast follows it: on a flat burn a single
/// previous day's hours differ by their noise alone, and following that noise is worse than
/// the trailing rate. At 3, 3 of the 60 critical pages of the flat validation generators
/// (`Sessions`, `Cascades`) followed it, all three further from the truth: the test runs every
/// second and heavy-tailed spend has longer tails than the normal approximation.
const SHAPE_EVIDENCE_SD: f64 = 4.0;

/// The least recent past (minutes) the day-shaped forecast measures today's level over.
const MIN_LEVEL_MIN: i64 = 60;
/// How much longer a quiet spell of today's is taken to last, in minutes, over a horizon of a
/// day or more (`Runway::day_shaped`).
pub const QUIET_SPELL_MIN: i64 = 6 * 60;

/// Minutes per slot of the day profile (engine/day_profile.rs), and per day.
const SLOT_MIN: i64 = 5;
const DAY_MIN: i64 = 1440;
const DAY_S: i64 = DAY_MIN * 60;

/// Block sums in order: their total and the sum of squared successive differences.
#[derive(Default)]
struct Successive {
    prev: Option<(i64, f64)>,
    sum: f64,
    squares: f64,
}

impl Successive {
    fn step(&mut self, i: i64, usd: f64) {
        if let Some((p, b)) = self.prev {
            self.squares += if i == p + 1 {
                (usd - b) * (usd - b)
            } else {
                // A gap of empty blocks: down to zero, then up from it.
                b * b + usd * usd
            };
        }
        self.sum += usd;
        self.prev = Some((i, usd));
    }
}

/// What the burn rate was read from: the alert says it, so that a forecast from a few hours
/// of history is not taken for one from the same hours of previous days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastBasis {
    /// The same hours on previous days, at today's level.
    SameHours,
    /// The long window's rate (or the part of it since spending began).
    Trailing,
    /// The short window's: evidence that the burn fell.
    Fell,
    /// Under a day of history, over a horizon of a day: the hours seen at their own rates,
    /// the hours of the day not yet seen at the quietest whole hour's.
    PartDay,
    /// Over a horizon of a day, today clearly quieter than the previous days: the same hours
    /// on previous days, the next [`QUIET_SPELL_MIN`] at today's level, the rest at theirs.
    QuietSpell,
}

impl ForecastBasis {
    /// The basis of a trailing rate: the short window's when it `fell` below the long one's.
    fn trailing(fell: bool) -> ForecastBasis {
        if fell {
            ForecastBasis::Fell
        } else {
            ForecastBasis::Trailing
        }
    }
}

/// A burn rate and how sure of it the rule is.
struct Burn {
    /// The rate the runway is said at (USD per second).
    rate: f64,
    /// The rate the rule decides on: `rate` less `LONG_EVIDENCE_SD` standard errors.
    decide: f64,
    /// The short window's own rate.
    short: f64,
    /// When the rate follows the day's shape: what the previous days spent over the horizon
    /// (USD), so that the runway within it follows their hours too (`Runway::runway_at`).
    ahead: Option<f64>,
    basis: ForecastBasis,
}

impl Runway {
    pub fn new(kind: &RuleKind, eval_end: i64) -> Runway {
        let (short, long) = match kind {
            RuleKind::CreditRunway {
                short_window,
                long_window,
                ..
            } => (short_window.as_secs() as i64, long_window.as_secs() as i64),
            _ => (60, 60),
        };
        Runway {
            short: Ring::new(short, eval_end),
            long: Ring::new(long, eval_end),
            first: None,
            blocks: std::collections::VecDeque::new(),
            profile: DayProfile::default(),
            learnt_to: None,
            pending: None,
        }
    }

    /// Learns the minutes before `minute` the profile has not learnt as quiet ones (at most
    /// the last two days of them: older ones are overwritten before they are read).
    fn learn_quiet_to(&mut self, minute: i64) {
        let Some(next) = self.learnt_to else {
            return;
        };
        for m in next.max(minute - 2 * DAY_MIN)..minute {
            self.profile.learn(m, 0.0);
        }
        self.learnt_to = Some(next.max(minute));
    }

    pub fn add(&mut self, sec: i64, usd: f64) -> bool {
        self.first = Some(self.first.map_or(sec, |f| f.min(sec)));
        let c = Counts {
            total: 1,
            matched: micro(usd),
        };
        let a = self.short.add(sec, c);
        let b = self.long.add(sec, c);
        if b {
            self.block(sec, usd);
            let minute = sec.div_euclid(60);
            match &mut self.pending {
                Some((m, sum)) if *m == minute => *sum += usd,
                _ => {
                    self.learn_pending();
                    self.pending = Some((minute, usd));
                }
            }
        }
        a || b
    }

    /// The profile learns the summed minute (and the quiet minutes before it).
    fn learn_pending(&mut self) {
        if let Some((minute, usd)) = self.pending.take() {
            self.learnt_to.get_or_insert(minute);
            self.learn_quiet_to(minute);
            self.profile.learn(minute, usd);
        }
    }

    /// Counts `usd` in its block (calls come nearly in order: the last blocks, or a new one).
    fn block(&mut self, sec: i64, usd: f64) {
        let b = sec.div_euclid(BLOCK_S);
        match self.blocks.iter_mut().rev().find(|(i, ..)| *i <= b) {
            Some((i, sum, sq)) if *i == b => {
                *sum += usd;
                *sq += usd * usd;
            }
            _ => {
                let at = self
                    .blocks
                    .iter()
                    .rposition(|(i, ..)| *i < b)
                    .map_or(0, |i| i + 1);
                self.blocks.insert(at, (b, usd, usd * usd));
            }
        }
        let oldest = (b * BLOCK_S - self.long.window_s()).div_euclid(BLOCK_S);
        while self.blocks.front().is_some_and(|(i, ..)| *i < oldest) {
            self.blocks.pop_front();
        }
    }

    /// The dispersion `D` (USD) of the spend over the long window, so that the spend `S` over
    /// a span varies by `√(D · S)`: the calls' own (`Σ cost² / Σ cost`, what calls arriving
    /// independently give), and the larger of that and the spread the whole blocks since
    /// `first` show (sessions cluster calls). `None` without spend.
    fn dispersion(&self, end: i64, first: i64) -> Option<(f64, f64)> {
        let from = (end - self.long.window_s()).max(first);
        // The whole blocks in [from, end); those without calls are zeros.
        let whole_from = from.div_euclid(BLOCK_S) + i64::from(from.rem_euclid(BLOCK_S) != 0);
        let whole_to = end.div_euclid(BLOCK_S);
        let (mut sum, mut sq) = (0.0, 0.0);
        // The whole blocks in order, those without calls as zeros.
        let mut whole = Successive::default();
        for &(i, usd, usd_sq) in &self.blocks {
            if (i + 1) * BLOCK_S <= from || i * BLOCK_S >= end {
                continue;
            }
            sum += usd;
            sq += usd_sq;
            if (whole_from..whole_to).contains(&i) {
                if whole.prev.is_none() && i > whole_from {
                    whole.step(whole_from, 0.0);
                }
                whole.step(i, usd);
            }
        }
        if whole.prev.is_some_and(|(p, _)| p < whole_to - 1) {
            whole.step(whole_to - 1, 0.0);
        }
        let (whole_sum, successive) = (whole.sum, whole.squares);
        if sum <= 0.0 {
            return None;
        }
        let calls = sq / sum;
        let n = (whole_to - whole_from).max(0) as f64;
        // The blocks' variance by successive differences (von Neumann's mean square
        // successive difference, `Σ (b_{i+1} − b_i)² / 2(n − 1)`): a level that moves (a
        // loop starting, a daily swell) is not spread, as it is in the plain sample variance
        // (which made a demo's runaway loop look so noisy its runway was decided on late). At
        // its upper 95 % confidence bound (× (1 + 1.645 √(2/(n − 1))), as the spike rule
        // takes its own): the spread of a few blocks is not trusted to be small.
        let blocks = if n >= 2.0 && whole_sum > 0.0 {
            let mean = whole_sum / n;
            successive / (2.0 * (n - 1.0)) / mean * (1.0 + 1.645 * (2.0 / (n - 1.0)).sqrt())
        } else {
            0.0
        };
        Some((calls, calls.max(blocks)))
    }

    /// The burn rate: the long window's, lowered to the short window's only when the short
    /// window is evidence that the burn fell (the upper bound of its rate, `SHORT_EVIDENCE_SD`
    /// standard deviations up, is below the long rate; then that bound), and, to decide,
    /// discounted by `LONG_EVIDENCE_SD` standard errors of a young long rate.
    fn burn(&self, end: i64, first: i64, horizon: i64) -> Burn {
        let short = Self::rate(&self.short, end, first);
        let long = Self::rate(&self.long, end, first);
        let Some((calls_d, d)) = self.dispersion(end, first) else {
            return Burn {
                rate: short.min(long),
                decide: short.min(long),
                short,
                ahead: None,
                basis: ForecastBasis::trailing(short < long),
            };
        };
        let short_span = self.short.window_s().min(end - first).max(1) as f64;
        let long_span = self.long.window_s().min(end - first).max(1) as f64;
        // The short spend's upper bound in units of `D` (a compound Poisson count of
        // `S / D` units), on the square-root scale that makes a count's spread even
        // (Anscombe's): right for a window of a few units too, where the normal bound is
        // not (no call in a window expecting five is evidence; a plain `S + 2 sd` says not).
        let units = short * short_span / d;
        let short_upper = (units.sqrt() + SHORT_EVIDENCE_SD / 2.0).powi(2) * d / short_span;
        // A one-off burst the long window holds is not a burn: counted at the rest's rate.
        let settled = long - self.one_off(end, long * long_span, long_span) / long_span;
        let trailing = settled.min(short_upper);
        let trailing_basis = ForecastBasis::trailing(short_upper < settled);
        let (rate, ahead, basis) = self
            .day_shaped(
                end,
                first,
                horizon,
                d,
                short_upper,
                (long * long_span, long_span),
            )
            // Over a day or more, never above the trailing rate: a whole day's trailing
            // spend is the forecast of the next day's, and the same hours' level × shape is
            // kept only when it says less (Saturday after a working Friday). When it says more,
            // its level is an hour or a few of today against the same hours of one previous
            // day, which may have been another kind of day: a Monday afternoon over a Sunday
            // afternoon, 4–5×, read as the whole next day's level (`Studio`, held out, 28
            // false warnings in 60 quiet runs, each the first minutes after 25 h of history).
            // A quiet spell's forecast is not capped: it is at most what the previous days
            // spent over the horizon, and the trailing rate is the quiet spell's own.
            .filter(|(rate, _, basis)| {
                horizon < DAY_S || *rate <= trailing || *basis == ForecastBasis::QuietSpell
            })
            .or_else(|| self.part_day(end, first, horizon, d, short_upper, long * long_span))
            .unwrap_or((trailing, None, trailing_basis));
        // The long rate's relative standard error, beyond the one a whole long window of
        // the same rate would have: a young history (minutes or hours of spend) is discounted,
        // a whole window is decided on at face value (its error is the one every runway
        // carries, and discounting it would make every warning late).
        // From the calls' own dispersion only: the blocks' counts a level that moved within a
        // short history (a loop that started) as spread, and would hold a loop's page back.
        let rse = |spend: f64| {
            if spend > 0.0 {
                (calls_d / spend).sqrt()
            } else {
                0.0
            }
        };
        let young = (rse(long * long_span) - rse(long * self.long.window_s() as f64)).max(0.0);
        Burn {
            rate,
            decide: rate * (1.0 - LONG_EVIDENCE_SD * young).max(0.0),
            short,
            ahead,
            basis,
        }
    }

    /// The rate (USD per second) the same time of day forecasts over the next `horizon`
    /// seconds, once the history has a day: today's level (the spend of the last long window,
    /// or of the part of it whose time of day was seen the day before, at least
    /// [`MIN_LEVEL_MIN`]) × the shape (what the previous days spent over the horizon's times
    /// of day against what they spent over the level's), the shape taken only when it stands
    /// [`SHAPE_EVIDENCE_SD`] standard errors from flat (from the dispersion `d`). The short
    /// window's evidence of a fall (`short_upper`, its rate's upper bound) lowers it as it
    /// lowers the trailing rate, compared at the short window's own time of day. With the
    /// previous days' spend over the horizon when the rate follows their shape. `None` before
    /// a day, or when the previous days spent nothing over either span.
    fn day_shaped(
        &self,
        end: i64,
        first: i64,
        horizon: i64,
        d: f64,
        short_upper: f64,
        (long_spend, long_span): (f64, f64),
    ) -> Option<(f64, Option<f64>, ForecastBasis)> {
        let now = end.div_euclid(60);
        // The level over whole slots before the one being filled, from the first whole slot
        // that has a previous day.
        let level_to = now - now.rem_euclid(SLOT_MIN);
        let first_whole = (first.div_euclid(60).div_euclid(SLOT_MIN) + 1) * SLOT_MIN;
        let level_from = (level_to - self.long.window_s() / 60).max(first_whole + DAY_MIN);
        if level_to - level_from < MIN_LEVEL_MIN {
            return None;
        }
        let today = self.profile.own(level_from, level_to)?;
        let before = self.profile.previous(level_from, level_to)?;
        let horizon_min = (horizon / 60).max(1);
        let ahead = self.profile.ahead(now, now + horizon_min)?;
        if before <= 0.0 || ahead <= 0.0 {
            return None;
        }
        // The previous days' rate over `span_min` minutes spending `usd`, against theirs
        // over the horizon: taken when it stands from flat beyond its noise, else flat.
        let shape = |usd: f64, span_min: i64| {
            let ratio = (ahead / horizon_min as f64) / (usd / span_min as f64);
            let se = (d / ahead + d / usd).sqrt();
            if ratio.ln().abs() > SHAPE_EVIDENCE_SD * se {
                ratio
            } else {
                1.0
            }
        };
        let level_min = level_to - level_from;
        let shape_ahead = shape(before, level_min);
        if shape_ahead == 1.0 && !self.level_moved(today, level_min, long_spend, long_span, d) {
            // Flat ahead, and the level the same over the whole long window: its trailing
            // rate (with its own evidence tests) is the less noisy estimate.
            return None;
        }
        // Today's level against the previous days' over the same hours, taken when it stands
        // from theirs beyond its noise (growth, a customer onboarded), else theirs: an hour or
        // two of a second day, one heavy tenant on in it, is not a new level.
        let level =
            if (today / before).ln().abs() > SHAPE_EVIDENCE_SD * (d / today + d / before).sqrt() {
                today
            } else {
                before
            };
        let forecast = level / (level_min * 60) as f64 * shape_ahead;
        // A quiet spell is not the next day: over a day or more, hours of today clearly below
        // the previous days' (a holiday, a storm closing the customers, a maintenance's silent
        // hours) are taken to last [`QUIET_SPELL_MIN`] more, and the hours after them at the
        // previous days' level. Read as the whole next day, Melbourne Cup Day's closed clinics
        // warned 10.5-19.7 h before credits that ran out the next afternoon, in 20 of 20 runs
        // (`Hospital`, session 32). For money running out, a warning some hours early costs a
        // reminder; one late costs the outage it is there to prevent. A level that stays down
        // (a customer gone) is the previous days' within a day or two.
        if horizon >= DAY_S && level < before {
            let near_min = level_min.min(QUIET_SPELL_MIN).min(horizon_min);
            let near = self.profile.ahead(now, now + near_min)?;
            let spend = level / before * near + (ahead - near).max(0.0);
            return Some((
                spend / (horizon_min * 60) as f64,
                None,
                ForecastBasis::QuietSpell,
            ));
        }
        let short_min = self.short.window_s() / 60;
        let at_short = self
            .profile
            .previous(now - short_min, now)
            .filter(|usd| *usd > 0.0)
            .map_or(short_upper, |usd| short_upper * shape(usd, short_min));
        if at_short < forecast {
            return Some((at_short, None, ForecastBasis::Fell));
        }
        Some((
            forecast,
            (shape_ahead != 1.0).then_some(ahead),
            ForecastBasis::SameHours,
        ))
    }

    /// Before a day of history, over a horizon of a day or more: the day to come is the hours
    /// seen, again at their own rates (`history_spend`), and the hours of the day not yet seen
    /// at the quietest whole hour's rate, bounded [`SHAPE_EVIDENCE_SD`] standard deviations up
    /// (from the dispersion `d`), when that bound is below the history's mean rate. A trailing
    /// rate reads the hours seen as the whole day: ten hours from a night into a working day
    /// said "runs out in 23h" with two and a half days left (`Fleet`, `Contracts`, a daily
    /// swell). On a flat burn the quietest hour is within its noise of the mean and nothing
    /// changes. The short window's evidence of a fall lowers it, as it lowers the trailing
    /// rate. `None` when it does not apply or changes nothing. Why not the quietest hour's rate
    /// for the whole day (tried in session 25): it throws away the hours seen, and made the
    /// warnings on day-shaped burns 4–6 h later.
    fn part_day(
        &self,
        end: i64,
        first: i64,
        horizon: i64,
        d: f64,
        short_upper: f64,
        history_spend: f64,
    ) -> Option<(f64, Option<f64>, ForecastBasis)> {
        let history = end - first;
        if horizon < DAY_S || history >= DAY_S || self.long.window_s() < history {
            return None;
        }
        let quietest = self.quietest_hour(end, first)?;
        let upper = ((quietest / d).sqrt() + SHAPE_EVIDENCE_SD / 2.0).powi(2) * d / 3600.0;
        if upper * history as f64 >= history_spend {
            return None;
        }
        let rate = (history_spend + (DAY_S - history) as f64 * upper) / DAY_S as f64;
        if short_upper < rate {
            return Some((short_upper, None, ForecastBasis::Fell));
        }
        Some((rate, None, ForecastBasis::PartDay))
    }

    /// What a one-off burst adds to the long window's spend (`long_spend` USD over
    /// `long_span` seconds): when one span of the short window's length holds more than half
    /// of it (a 10-minute batch on a near-silent night, which the 24 h rate would otherwise
    /// read as the burn for a day: `CallCentre`'s eight false warnings 8 h in), that
    /// span's spend beyond the rest's rate; else 0. A burn that lasts past the short window
    /// soon holds less than half and counts whole again; a working day or a steady burn
    /// never concentrates half its spend in one short span.
    ///
    /// Or, once it is over (it ended a whole span before `end`), when its rate was at least
    /// [`ONE_OFF_RATIO`] times the rest's: a batch that cost a day of a cheap workload's
    /// spend (`CallCentre`'s 10 minutes of $36 against $1.84 an hour) is under half of the
    /// history once the day has gone on, and was read as the burn for a day after it
    /// (12 of 20 batch runs warned at 16–22 h). A burn still running is not over; a day's
    /// busiest half hour is a few times its mean, not ten.
    fn one_off(&self, end: i64, long_spend: f64, long_span: f64) -> f64 {
        let span_blocks = (self.short.window_s() / BLOCK_S).max(1);
        let span_s = (span_blocks * BLOCK_S) as f64;
        if long_spend <= 0.0 || long_span < 2.0 * span_s {
            return 0.0;
        }
        let from = (end - self.long.window_s()).div_euclid(BLOCK_S);
        let over_by = end.div_euclid(BLOCK_S) - span_blocks;
        let mut busiest = 0.0f64;
        let mut busiest_over = 0.0f64;
        let mut sum = 0.0;
        let mut tail = self.blocks.iter().filter(|(i, ..)| *i >= from).peekable();
        // Two pointers over the blocks in order: the span ends at `head`'s block.
        for &(head, usd, _) in self.blocks.iter().filter(|(i, ..)| *i >= from) {
            sum += usd;
            while let Some(&&(i, old, _)) = tail.peek() {
                if i > head - span_blocks {
                    break;
                }
                sum -= old;
                tail.next();
            }
            busiest = busiest.max(sum);
            if head < over_by {
                busiest_over = busiest_over.max(sum);
            }
        }
        let rest_rate = |span: f64| (long_spend - span).max(0.0) / (long_span - span_s);
        let excess = |span: f64| (span - rest_rate(span) * span_s).max(0.0);
        if busiest > long_spend / 2.0 {
            return excess(busiest);
        }
        if busiest_over > ONE_OFF_RATIO * rest_rate(busiest_over) * span_s {
            return excess(busiest_over);
        }
        0.0
    }

    /// The least spend (USD) of a whole hour of the history (hours of whole blocks from the
    /// first whole block after `first`, blocks without calls as zeros), or `None` under two
    /// such hours. Meant for a history shorter than a day, which the blocks hold whole.
    fn quietest_hour(&self, end: i64, first: i64) -> Option<f64> {
        const BLOCKS_PER_HOUR: i64 = 3600 / BLOCK_S;
        let from = first.div_euclid(BLOCK_S) + i64::from(first.rem_euclid(BLOCK_S) != 0);
        let hours = (end.div_euclid(BLOCK_S) - from).div_euclid(BLOCKS_PER_HOUR);
        if !(2..=24).contains(&hours) {
            return None;
        }
        let mut sums = [0.0f64; 24];
        for &(i, usd, _) in &self.blocks {
            let h = (i - from).div_euclid(BLOCKS_PER_HOUR);
            if i >= from && h < hours {
                sums[h as usize] += usd;
            }
        }
        sums[..hours as usize].iter().copied().reduce(f64::min)
    }

    /// Whether the long window's spend before the level's span (`long_spend` over `long_span`
    /// seconds, less the level's `today` over `level_min` minutes) ran at a rate
    /// [`SHAPE_EVIDENCE_SD`] standard errors from the level's: a night before a working
    /// morning, which the trailing rate would average in.
    fn level_moved(
        &self,
        today: f64,
        level_min: i64,
        long_spend: f64,
        long_span: f64,
        d: f64,
    ) -> bool {
        let rest_span = long_span - (level_min * 60) as f64;
        let rest = long_spend - today;
        if rest_span < self.short.window_s() as f64 || today <= 0.0 {
            return false;
        }
        if rest <= 0.0 {
            return true;
        }
        let ratio = (rest / rest_span) / (today / (level_min * 60) as f64);
        ratio.ln().abs() > SHAPE_EVIDENCE_SD * (d / rest + d / today).sqrt()
    }

    pub fn advance(&mut self, end: i64) {
        self.learn_pending();
        self.short.advance(end);
        self.long.advance(end);
        self.learn_quiet_to(end.div_euclid(60));
    }

    /// USD per second over `ring`'s window (or the part of it since spending was first seen).
    fn rate(ring: &Ring, end: i64, first: i64) -> f64 {
        let span = ring.window_s().min(end - first).max(1) as f64;
        ring.sum().matched as f64 / MICRO / span
    }

    /// How long `usd` lasts at `rate` (USD per second, the mean over the horizon): when the
    /// rate follows the day's shape, spent over the horizon as the previous days spent it (a
    /// morning ahead runs it out sooner than its mean says), at the mean rate beyond it.
    fn runway_at(&self, burn: &Burn, end: i64, horizon: i64, usd: f64, rate: f64) -> f64 {
        if usd <= 0.0 {
            return 0.0;
        }
        if rate <= 0.0 {
            return f64::INFINITY;
        }
        let over_horizon = rate * horizon as f64;
        if let Some(ahead) = burn.ahead.filter(|_| usd < over_horizon) {
            let now = end.div_euclid(60);
            let target = usd / over_horizon * ahead;
            if let Some(minutes) = self.profile.time_to(now, now + horizon / 60, target) {
                return (minutes * 60.0 - end.rem_euclid(60) as f64).max(0.0);
            }
        }
        if usd < over_horizon {
            usd / rate
        } else {
            horizon as f64 + (usd - over_horizon) / rate
        }
    }

    pub fn verdict(&self, kind: &RuleKind, end: i64, spend: &SpendState) -> (bool, Values) {
        let RuleKind::CreditRunway {
            below, min_history, ..
        } = kind
        else {
            return (false, Values::default());
        };
        let Some(first) = self.first else {
            return (false, Values::default());
        };
        if end - first < min_history.as_secs() as i64 {
            return (false, Values::default());
        }
        let remaining = spend.remaining(end);
        if remaining.is_empty() {
            // No budget: nothing to forecast against (and the forecast is the costly part).
            return (false, Values::default());
        }
        let horizon = below.as_secs() as i64;
        let burn = self.burn(end, first, horizon);
        let Burn {
            rate,
            decide,
            short,
            basis,
            ..
        } = burn;
        let runway_at = |usd: f64, rate: f64| self.runway_at(&burn, end, horizon, usd, rate);
        // The first budget to run out at this rate (a monthly limit that resets before it
        // would be reached does not count).
        let mut best: Option<(f64, Remaining)> = None;
        for r in remaining {
            let runway = runway_at(r.usd, decide);
            if r.resets_at
                .is_some_and(|reset| end as f64 + runway >= reset as f64)
            {
                continue;
            }
            if best.is_none_or(|(b, _)| runway < b) {
                best = Some((runway, r));
            }
        }
        let Some((runway, r)) = best else {
            return (false, Values::default());
        };
        let holds = runway < below.as_secs_f64();
        // Said at the best estimate (never longer than the runway decided on).
        let runway = runway_at(r.usd, rate);
        // At the short window's rate as it is, not shaped by the day: what the last minutes
        // alone say.
        let recent_runway = if r.usd <= 0.0 {
            0.0
        } else if short > 0.0 {
            r.usd / short
        } else {
            f64::INFINITY
        };
        let values = Values {
            threshold: Some(below.as_secs_f64()),
            runway_s: runway.is_finite().then_some(runway),
            rate_usd_per_s: Some(rate),
            recent_runway_s: recent_runway.is_finite().then_some(recent_runway),
            recent_rate_usd_per_s: Some(short),
            remaining_usd: Some(r.usd),
            constraint: Some(r.constraint),
            window_s: Some(self.short.window_s() as u64),
            basis: Some(basis),
            history_s: Some((end - first) as f64),
            long_window_s: Some(self.long.window_s() as u64),
            ..Values::default()
        };
        (holds, values)
    }
}

#[cfg(test)]
mod runway_tests {
    use super::*;
    use callwatch_core::cost::{Budget, Credit, SpendConfig};
    use std::time::Duration;
    use time::OffsetDateTime;

    fn kind() -> RuleKind {
        RuleKind::CreditRunway {
            short_window: Duration::from_secs(1800),
            long_window: Duration::from_secs(6 * 3600),
            below: Duration::from_secs(24 * 3600),
            min_history: Duration::from_secs(1800),
        }
    }

    /// The default set's critical page: under 2 h at the 6h rate.
    fn critical() -> RuleKind {
        RuleKind::CreditRunway {
            short_window: Duration::from_secs(1800),
            long_window: Duration::from_secs(6 * 3600),
            below: Duration::from_secs(2 * 3600),
            min_history: Duration::from_secs(1800),
        }
    }

    fn spend(balance_usd: f64) -> SpendState {
        SpendState::new(SpendConfig {
            budget: Budget {
                credit: Some(Credit {
                    balance_usd,
                    as_of: OffsetDateTime::UNIX_EPOCH,
                }),
                monthly_spend_limit_usd: None,
            },
            ..SpendConfig::default()
        })
    }

    /// `kind`'s runway after a $1 call every 6 minutes ($10/h) from 00:03 until `quiet_from`
    /// (seconds), then none, advanced to `end`.
    fn ten_dollars_an_hour(kind: &RuleKind, quiet_from: i64, end: i64) -> Runway {
        let mut r = Runway::new(kind, 0);
        let mut t = 180;
        while t < end {
            r.advance(t);
            if t < quiet_from {
                r.add(t, 1.0);
            }
            t += 360;
        }
        r.advance(end);
        r
    }

    /// A heavy-tailed burn of $10/h for 6 hours: a $1 call every 6 minutes; `quiet_from`
    /// (seconds) on, no calls. The runway said, in hours, at the end.
    fn runway_after(quiet_from: i64, end: i64) -> f64 {
        let k = kind();
        let r = ten_dollars_an_hour(&k, quiet_from, end);
        let (_, v) = r.verdict(&k, end, &spend(200.0));
        v.runway_s.map_or(f64::INFINITY, |s| s / 3600.0)
    }

    #[test]
    fn a_lull_within_the_spread_keeps_the_long_rate_and_a_stop_lowers_it() {
        let end = 6 * 3600;
        // Steady: $200 at $10/h is 20 h.
        let steady = runway_after(end, end);
        assert!((steady - 20.0).abs() < 0.5, "{steady}");
        // The last 15 minutes without a call: 2–3 calls missing from a burn of one call in
        // six minutes is within its spread; the lower of the rates (the old rule) would say
        // 40 h; the long rate alone (58 calls in 6 h) says 20.7 h.
        let lull = runway_after(end - 900, end);
        assert!(lull < 21.5, "{lull} vs {steady}");
        // 30 minutes without a call (five missing) is evidence the burn fell: the runway
        // lengthens, so a warning resolves.
        let stop = runway_after(end - 1800, end);
        assert!(stop > 1.5 * steady, "{stop} vs {steady}");
    }

    #[test]
    fn a_young_history_is_discounted_before_it_decides() {
        // 40 minutes of $1 calls every 6 minutes ($10/h) with $220 left: 22 h at face value,
        // but a rate from 7 calls is not trusted to be that high: no warning yet.
        let k = kind();
        let mut r = Runway::new(&k, 0);
        for i in 0..7 {
            r.advance(180 + i * 360);
            r.add(180 + i * 360, 1.0);
        }
        r.advance(2400);
        let (holds, v) = r.verdict(&k, 2400, &spend(220.0));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(said < 24.0 && !holds, "said {said} h, holds {holds}");
        // The same rate over the whole 6h window is decided on at face value.
        let end = 6 * 3600;
        let r = ten_dollars_an_hour(&k, end, end);
        assert!(r.verdict(&k, end, &spend(220.0)).0);
    }

    #[test]
    fn a_loop_starting_in_a_young_history_is_not_read_as_spread() {
        // The demo's story: 44 minutes of 4 calls a minute at $0.0375, then a loop of 60
        // calls a minute at $0.40 for 10 minutes: $247 in 54 minutes, $274/h. With $300 left
        // the runway is 1.1 h at that rate: under 2 h, so the page must not wait (a discount
        // from the blocks' spread, which the loop's start inflates, held it back minutes).
        let k = critical();
        let mut r = Runway::new(&k, 0);
        for (from, to, per_min, usd) in [(0, 44, 4, 0.0375), (44, 54, 60, 0.40)] {
            for m in from..to {
                for c in 0..per_min {
                    let t = m * 60 + c * 60 / per_min;
                    r.advance(t);
                    r.add(t, usd);
                }
            }
        }
        r.advance(54 * 60);
        let (holds, v) = r.verdict(&k, 54 * 60, &spend(300.0));
        assert!(holds, "{v:?}");
    }

    /// A working day: $2/h from 20:00 to 08:00, $20/h from 08:00 to 20:00, one call a minute,
    /// from midnight for `hours` hours. The critical rule's verdict at the end with `left` USD.
    fn working_day(hours: i64, left: f64) -> (bool, Values) {
        working_day_with(hours, left, 1.0, None)
    }

    /// [`working_day`] with every call of the second day `day_two` times as dear, and one call
    /// of `extra` USD at a minute.
    fn working_day_with(
        hours: i64,
        left: f64,
        day_two: f64,
        extra: Option<(i64, f64)>,
    ) -> (bool, Values) {
        let k = critical();
        let mut r = Runway::new(&k, 0);
        for m in 0..hours * 60 {
            let h = m / 60 % 24;
            let per_hour = if (8..20).contains(&h) { 20.0 } else { 2.0 };
            let factor = if m >= 24 * 60 { day_two } else { 1.0 };
            r.advance(m * 60 + 30);
            r.add(m * 60 + 30, per_hour / 60.0 * factor);
            if let Some((at, usd)) = extra.filter(|(at, _)| *at == m) {
                r.add(at * 60 + 40, usd);
            }
        }
        let end = hours * 3600;
        r.advance(end);
        r.verdict(&k, end, &spend(left))
    }

    #[test]
    fn a_day_of_history_forecasts_the_working_day_ahead() {
        // At 07:00 on the second day with $12 left: the last 6 hours ran at $2/h (6 h of
        // runway), but the day ahead runs out of it at 08:30 ($2 by 08:00, then $20/h), as the
        // previous day's hours say: the page fires and says 1.5 h (at the horizon's mean rate,
        // $11/h, it would say 1.1 h).
        let (holds, v) = working_day(31, 12.0);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 1.5).abs() < 0.05, "{holds} {said}");
        // The last 30 minutes' own rate ($2/h) is said as it is: 6 h.
        let recent = v.recent_runway_s.unwrap() / 3600.0;
        assert!((recent - 6.0).abs() < 0.1, "{recent}");
        assert_eq!(v.basis, Some(ForecastBasis::SameHours));
        // The same hour on the first day has no previous day: the trailing rate, no page, and
        // the alert would say it read 7 hours of history.
        let (holds, v) = working_day(7, 12.0);
        assert!(!holds, "{v:?}");
        assert_eq!(v.basis, Some(ForecastBasis::Trailing));
        assert_eq!(v.history_s, Some(7.0 * 3600.0 - 30.0));
        // At 19:00 the evening ahead is quieter than the day behind: $36 at $20/h is 1.8 h,
        // but the next two hours forecast $11/h: 3.3 h, no page.
        let (holds, v) = working_day(43, 36.0);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(!holds && (said - 36.0 / 11.0).abs() < 0.1, "{holds} {said}");
    }

    #[test]
    fn the_second_day_sets_the_level_only_when_it_stands_clear_of_the_noise() {
        // At 07:00 on the second day with $12 left, as above: 1.5 h.
        // A second day at 1.5× the first (growth): the forecast follows it. $3 by 08:00, then
        // $30/h: 1.3 h.
        let (holds, v) = working_day_with(31, 12.0, 1.5, None);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 1.3).abs() < 0.05, "{holds} {said}");
        // One $1 call at 04:00 lifts the night's spend by a twelfth, but one call is within
        // the spend's noise: the previous day's level stands, 1.5 h (at 13/12 of it, 1.45 h).
        let (holds, v) = working_day_with(31, 12.0, 1.0, Some((28 * 60, 1.0)));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 1.5).abs() < 0.02, "{holds} {said}");
    }

    /// The default set's warning: under 24 h at the 24h rate.
    fn warning() -> RuleKind {
        RuleKind::CreditRunway {
            short_window: Duration::from_secs(1800),
            long_window: Duration::from_secs(24 * 3600),
            below: Duration::from_secs(24 * 3600),
            min_history: Duration::from_secs(1800),
        }
    }

    /// The warning's verdict after `hours` hours from midnight of one call a minute, each
    /// costing `usd_per_hour(hour) / 60`, with `left` USD.
    fn warning_after(hours: i64, left: f64, usd_per_hour: impl Fn(i64) -> f64) -> (bool, Values) {
        let k = warning();
        let mut r = Runway::new(&k, 0);
        for m in 0..hours * 60 {
            r.advance(m * 60 + 30);
            r.add(m * 60 + 30, usd_per_hour(m / 60) / 60.0);
        }
        let end = hours * 3600;
        r.advance(end);
        r.verdict(&k, end, &spend(left))
    }

    #[test]
    fn a_one_off_batch_on_a_near_silent_history_is_not_read_as_the_burn() {
        // Eight hours of a night at $0.50/h (one call a minute), then a 10-minute batch of
        // $35 ($3.50 a minute) at 8 h, read at 8h15m with $100 left: the 24h rate of that
        // history is $4.73/h, 21 h; the batch is four fifths of it. Counted at the night's
        // rate the history says $0.50/h, and no warning.
        let k = warning();
        let mut r = Runway::new(&k, 0);
        for m in 0..495 {
            let t = m * 60 + 30;
            r.advance(t);
            r.add(t, 0.5 / 60.0);
            if (480..490).contains(&m) {
                r.add(t + 1, 3.5);
            }
        }
        let end = 495 * 60;
        r.advance(end);
        let (holds, v) = r.verdict(&k, end, &spend(100.0));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(!holds && said > 100.0, "{holds} {said}");
        // The same $35 spread over the eight hours is a burn: 21 h, and the warning fires.
        let (holds, v) = warning_after(8, 100.0, |_| 0.5 + 35.0 / 8.0);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 20.5).abs() < 1.0, "{holds} {said}");
    }

    #[test]
    fn a_finished_batch_ten_times_the_rest_is_not_read_as_the_burn_once_the_day_goes_on() {
        // Eighteen hours at $2.40/h, and a 10-minute batch of $36 at 8 h: read at 18 h with
        // $95 left, the batch is 45 % of the history's $79.20, under half, and counted whole
        // the history says $4.40/h, 21.6 h. It ran at 90 times the rest's rate and is over:
        // the rest says $2.40/h, and no warning.
        let k = warning();
        let mut r = Runway::new(&k, 0);
        for m in 0..1080 {
            let t = m * 60 + 30;
            r.advance(t);
            r.add(t, 0.04);
            if (480..490).contains(&m) {
                r.add(t + 1, 3.6);
            }
        }
        let end = 1080 * 60;
        r.advance(end);
        let (holds, v) = r.verdict(&k, end, &spend(95.0));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(!holds && said > 30.0, "{holds} {said}");
        // The same $36 spread over the eighteen hours is a burn: 21.6 h, and the warning fires.
        let (holds, v) = warning_after(18, 95.0, |_| 2.4 + 36.0 / 18.0);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 21.6).abs() < 1.0, "{holds} {said}");
    }

    #[test]
    fn under_a_day_the_hours_not_yet_seen_are_read_at_the_quietest_hours_rate() {
        // Ten hours from a night into a working day: $2/h to 03:00, then $20/h, $146 in all
        // ($14.6/h). With $330 left the trailing rate says 22.6 h; but the day's other 14
        // hours are unseen, and the night says they may be quiet: the hours seen again ($146)
        // and 14 hours at the quietest hour's rate bounded 4 sd up ($6.5/h: the $0.33 calls of
        // the day make a night hour's $2 uncertain) is $9.9/h, 33 h. No warning.
        let day = |h: i64| if h < 3 { 2.0 } else { 20.0 };
        let (holds, v) = warning_after(10, 330.0, day);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(!holds && (said - 33.4).abs() < 1.0, "{holds} {said}");
        assert_eq!(v.basis, Some(ForecastBasis::PartDay));
        // The same spend at a flat $14.6/h: no hour is quieter than its noise, the trailing
        // rate decides, 22.6 h, and the warning fires.
        let (holds, v) = warning_after(10, 330.0, |_| 14.6);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 22.6).abs() < 0.2, "{holds} {said}");
        assert_eq!(v.basis, Some(ForecastBasis::Trailing));
        // A working day with $150 left runs out within the day whatever the hours ahead hold:
        // the warning fires.
        let (holds, _) = warning_after(10, 150.0, day);
        assert!(holds);
    }

    #[test]
    fn over_a_day_the_same_hours_forecast_never_says_more_than_the_trailing_day() {
        // A quiet first day ($2/h at night, $20/h from 08:00 to 20:00), then a second at 3×
        // (a Monday after a Sunday). At 10:00 on the second day its ten hours are 3× the same
        // hours the day before: today's level × the first day's whole day says $33/h, $500 in
        // 15 h. One previous day cannot say whether it or today is the usual day; the last 24
        // hours spent $376 ($15.67/h): $376 over the next day and $124 after it, 31.9 h. No
        // warning, at the trailing rate.
        let day = |h: i64| {
            let base = if (8..20).contains(&(h % 24)) {
                20.0
            } else {
                2.0
            };
            if h >= 24 {
                3.0 * base
            } else {
                base
            }
        };
        let (holds, v) = warning_after(34, 500.0, day);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(
            !holds && (said - (24.0 + 124.0 / (376.0 / 24.0))).abs() < 0.3,
            "{holds} {said}"
        );
        assert_eq!(v.basis, Some(ForecastBasis::Trailing));
        // The critical page's two hours still follow today's level and the hours ahead (the
        // first day's 10:00–12:00, at 3×: $60/h): $100 is 1.7 h.
        let k = critical();
        let mut r = Runway::new(&k, 0);
        for m in 0..34 * 60 {
            r.advance(m * 60 + 30);
            r.add(m * 60 + 30, day(m / 60) / 60.0);
        }
        r.advance(34 * 3600);
        let (holds, v) = r.verdict(&k, 34 * 3600, &spend(100.0));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 100.0 / 60.0).abs() < 0.1, "{holds} {said}");
        assert_eq!(v.basis, Some(ForecastBasis::SameHours));
    }

    #[test]
    fn over_a_day_a_quiet_day_is_taken_to_last_six_hours_not_the_whole_next_day() {
        // A working day ($2/h at night, $20/h from 08:00 to 20:00), then a holiday at a
        // quarter of it, then a working day again. At 18:00 on the holiday with $200 left the
        // next 24 h cost $12 (the holiday's evening) + $216 (the next day to 18:00): the money
        // runs out at 16:36 on the working day, 22.6 h. Read at the holiday's level the whole
        // day ahead says 0.25 × $264, 3 days; the quiet spell taken to last 6 h more, then the
        // previous day's hours: $12 + $216 = $228 a day, 21.1 h at that mean rate. It warns.
        let day = |h: i64| {
            let base = if (8..20).contains(&(h % 24)) {
                20.0
            } else {
                2.0
            };
            if (24..48).contains(&h) {
                0.25 * base
            } else {
                base
            }
        };
        let (holds, v) = warning_after(42, 200.0, day);
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(
            holds && (said - 24.0 * 200.0 / 228.0).abs() < 0.3,
            "{holds} {said}"
        );
        assert_eq!(v.basis, Some(ForecastBasis::QuietSpell));
    }

    #[test]
    fn a_flat_burn_keeps_the_trailing_rate_after_a_day() {
        // $10/h for 30 hours, $1 calls every 6 minutes: the shape is flat, the rate the trailing
        // one: $15 is 1.5 h.
        let k = critical();
        let end = 30 * 3600;
        let r = ten_dollars_an_hour(&k, end, end);
        let (holds, v) = r.verdict(&k, end, &spend(15.0));
        let said = v.runway_s.unwrap() / 3600.0;
        assert!(holds && (said - 1.5).abs() < 0.05, "{holds} {said}");
    }
}
