//! Spend: what each call cost (its usage × the price table), what is left of the budget, and
//! the spike detector (the runway detector, `Runway`, is in engine/runway.rs).
//!
//! * [`SpendBaseline`] (`spend_over_baseline`): the spend of one (model, key id) over the last
//!   window against its own trailing baseline, judged as an overdispersed (quasi-Poisson)
//!   count: the window fires when its spend, less its largest call, clears both `min_ratio` ×
//!   the baseline and the upper bound `deviations` standard deviations up, where the variance
//!   is the dispersion × the expected spend (engine/dispersion.rs). The dispersion is the
//!   larger of the calls' own (`E[X²]/E[X]`) and the one the window sums really show, so
//!   bursty spend (sessions writing large cached contexts, tenants coming and going) is judged
//!   against the spread it has. The baseline learns a minute only once it is two windows old
//!   (a guard band, as outbreak detection keeps one), and never the minutes of a rise that
//!   fired: a jump is judged against a baseline it has not touched, while a slow rise (a
//!   daily swell) is learnt ten minutes late, nothing beside the EWMA's own lag. Once the
//!   history has a day, the spend expected is the larger of the trailing baseline's and the
//!   one the same time of day had on previous days (engine/day_profile.rs): a rise that
//!   comes every day at this time is expected, not a spike. The trailing one rises with
//!   everyone else's spend when that rose too (engine/demand.rs): demand is not a runaway;
//!   and while everyone else's spend is rising, a page waits a few minutes for their windows
//!   to show it.
//!   A young baseline (under two half-lives) asks a larger ratio, and a window must spend a
//!   few of the group's dispersion units (`MIN_UNITS`): one agent run is not a rise. A unit
//!   is a burst of related calls (a conversation, an agent run), not a call: the dispersion
//!   counts the calls' pairs close in time (engine/clusters.rs), and the floor takes it at
//!   the small-sample bound of the units the history holds (a key that has spent two
//!   conversations' worth does not know how large a conversation is). Twice the window is
//!   judged beside it: a jump that fills a window slowly (a 6× rate of conversations minutes
//!   long) is caught on twice the spend, whose relative spread is √2 smaller. And on a group
//!   whose calls open cached contexts, each span's count of those starts is judged too
//!   (engine/starts.rs): a 6× rate of runs is many independent starts at once while their
//!   spend lags, so a count past its own bound, with the spend at `min_ratio` and the unit
//!   floor, fires. Each look asks its share of the false-alarm rate (`split_deviations`: two
//!   looks, four once the group has opened a context).
//!   What the group did before is remembered where it paged: a level it held for an hour and
//!   came back from is expected for a week (engine/held_levels.rs), and a rise like a burst it
//!   came back from within the hour waits until it outlasts it (engine/bursts.rs). And a rise
//!   pages only when it moves the bill: `min_share` of everyone's spend, and
//!   `min_rise_usd_per_hour` in dollars.

use std::sync::Arc;

use time::OffsetDateTime;

use super::bursts::Bursts;
use super::clusters::{excess, Recent};
use super::day_profile::DayProfile;
use super::demand::{Demand, SHARED_HOLD_MINUTES};
use super::detector::Values;
use super::dispersion::{
    alpha_per_minute, split_deviations, units_factor, upper_bound, upper_factor, Mean,
};
use super::held_levels::HeldLevels;
use super::ring::{Counts, Ring};
use super::starts::{StartRate, MIN_STARTS};
use crate::model::RuleKind;
use callwatch_core::cost::{
    warn_unpriced_once, Budget, Price, PriceTable, SpendConfig, TokenCounts,
};
use callwatch_core::event::CallEvent;

/// How far back a balance read in the past can recount spend: the Admin API's export is
/// typically 4 hours behind; two days leaves room (one entry per minute with spend).
pub const LEDGER_MINUTES: i64 = 48 * 60;

/// Dollars are kept as micro-dollars in the per-second rings (integer counts).
pub(super) const MICRO: f64 = 1e6;

/// Engine-wide spend: prices, the budget, and what was spent against it.
#[derive(Debug)]
pub struct SpendState {
    prices: Arc<PriceTable>,
    budget: Budget,
    /// Spend of calls at or after the credit's `as_of`.
    spent_since_as_of: f64,
    /// Spend per minute over the last [`LEDGER_MINUTES`], oldest first: a balance read in
    /// the past (billed spend is hours behind) recounts the calls since its time from here.
    ledger: std::collections::VecDeque<(i64, f64)>,
    /// (year, month) of the latest call, and the spend of that month's calls.
    month: Option<(i32, u8)>,
    spent_this_month: f64,
    /// Calls with usage on a model the table does not price.
    pub unpriced_calls: u64,
    /// The last model priced and its price: calls mostly repeat a model, and the lookup (and
    /// the unpriced warning's lock) then happen once per change of model, not per call.
    last: Option<(String, Option<Price>)>,
}

impl Default for SpendState {
    fn default() -> Self {
        SpendState::new(SpendConfig::default())
    }
}

/// What is left, and against what.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Remaining {
    pub usd: f64,
    pub constraint: &'static str,
    /// When the money stops mattering (a monthly limit resets), if it does.
    pub resets_at: Option<i64>,
}

impl SpendState {
    pub fn new(config: SpendConfig) -> SpendState {
        SpendState {
            prices: config.prices,
            budget: config.budget,
            spent_since_as_of: 0.0,
            ledger: std::collections::VecDeque::new(),
            month: None,
            spent_this_month: 0.0,
            unpriced_calls: 0,
            last: None,
        }
    }

    /// The call's cost in USD (0 without usage or price), counted against the budget.
    pub fn observe(&mut self, call: &CallEvent<'_>) -> f64 {
        let Some(usage) = &call.usage else {
            return 0.0;
        };
        let model = call.model.as_deref().unwrap_or("");
        let price = match &self.last {
            Some((m, price)) if m == model => *price,
            _ => {
                let price = self.prices.price(model).copied();
                if price.is_none() {
                    warn_unpriced_once(model);
                }
                self.last = Some((model.to_owned(), price));
                price
            }
        };
        let Some(price) = price else {
            self.unpriced_calls += 1;
            return 0.0;
        };
        let usd = price.cost_usd(&TokenCounts::of(usage));
        if self.budget.credit.is_some_and(|c| call.ts >= c.as_of) {
            self.spent_since_as_of += usd;
        }
        self.book(call.ts.unix_timestamp().div_euclid(60), usd);
        let month = (call.ts.year(), call.ts.month() as u8);
        match self.month {
            Some(m) if m == month => self.spent_this_month += usd,
            Some(m) if m > month => {} // a late call of last month: that month is over
            _ => {
                self.month = Some(month);
                self.spent_this_month = usd;
            }
        }
        usd
    }

    /// A balance read at `as_of` (a top-up, a `credit_balance` line, billed spend from the
    /// Admin API) replaces the one set: spend of calls from then on is subtracted — those
    /// already seen are recounted from the ledger (to the minute; at most
    /// [`LEDGER_MINUTES`] back).
    pub fn set_credit(&mut self, balance_usd: f64, as_of: OffsetDateTime) {
        self.budget.credit = Some(callwatch_core::cost::Credit { balance_usd, as_of });
        let from = as_of.unix_timestamp().div_euclid(60);
        self.spent_since_as_of = self
            .ledger
            .iter()
            .filter(|(m, _)| *m >= from)
            .map(|(_, usd)| usd)
            .sum();
    }

    /// What the calls seen cost over `[from, to)` (unix seconds, to the minute), or `None` when
    /// the ledger no longer reaches back to `from` ([`LEDGER_MINUTES`]): the computed side of
    /// the drift against billed spend.
    pub fn spent_between(&self, from: i64, to: i64) -> Option<f64> {
        let (from, to) = (from.div_euclid(60), to.div_euclid(60));
        let newest = self.ledger.back().map_or(from, |(m, _)| *m);
        if from < newest - LEDGER_MINUTES {
            return None;
        }
        Some(
            self.ledger
                .iter()
                .filter(|(m, _)| *m >= from && *m < to)
                .map(|(_, usd)| usd)
                .sum(),
        )
    }

    /// The first minute of the ledger: the engine has seen every priced call since (up to
    /// [`LEDGER_MINUTES`] back); `None` before any.
    pub fn first_minute(&self) -> Option<i64> {
        self.ledger.front().map(|(m, _)| *m)
    }

    /// What every priced call of minute `minute` cost, engine-wide: the demand every group's
    /// spike baseline compares its own with (engine/demand.rs). Meant for recent minutes (it
    /// reads the ledger from its newest end).
    pub fn spent_in_minute(&self, minute: i64) -> f64 {
        for &(m, usd) in self.ledger.iter().rev() {
            if m == minute {
                return usd;
            }
            if m < minute {
                break;
            }
        }
        0.0
    }

    fn book(&mut self, minute: i64, usd: f64) {
        // Calls come nearly in order: the minute is the last one, or close behind it.
        match self
            .ledger
            .iter_mut()
            .rev()
            .take(16)
            .find(|(m, _)| *m == minute)
        {
            Some((_, total)) => *total += usd,
            None => {
                let at = self
                    .ledger
                    .iter()
                    .rposition(|(m, _)| *m < minute)
                    .map_or(0, |i| i + 1);
                self.ledger.insert(at, (minute, usd));
            }
        }
        let newest = self.ledger.back().map_or(minute, |(m, _)| *m);
        while self
            .ledger
            .front()
            .is_some_and(|(m, _)| *m < newest - LEDGER_MINUTES)
        {
            self.ledger.pop_front();
        }
    }

    /// What is left of each budget set, at `now`.
    pub fn remaining(&self, now: i64) -> Vec<Remaining> {
        let mut out = Vec::new();
        if let Some(c) = self.budget.credit {
            out.push(Remaining {
                usd: c.balance_usd - self.spent_since_as_of,
                constraint: "credit balance",
                resets_at: None,
            });
        }
        if let Some(limit) = self.budget.monthly_spend_limit_usd {
            let now_t =
                OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let this_month = (now_t.year(), now_t.month() as u8);
            let spent = if self.month == Some(this_month) {
                self.spent_this_month
            } else {
                0.0
            };
            out.push(Remaining {
                usd: limit - spent,
                constraint: "monthly spend limit",
                resets_at: next_month_start(now_t),
            });
        }
        out
    }
}

fn next_month_start(t: OffsetDateTime) -> Option<i64> {
    let (y, m) = if t.month() == time::Month::December {
        (t.year() + 1, time::Month::January)
    } else {
        (t.year(), t.month().next())
    };
    let d = time::Date::from_calendar_date(y, m, 1).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp())
}

pub(super) fn micro(usd: f64) -> u64 {
    (usd.max(0.0) * MICRO).round() as u64
}

/// Per-minute spend against its own trailing baseline.
pub struct SpendBaseline {
    /// Calls and spend per minute (the ring's slots are minutes, not seconds), back far
    /// enough to learn a minute once it leaves the guard band: with `moments`, about 2.5 KB per
    /// (model, key id) at a 5m window, however long the series runs.
    ring: Ring,
    /// Per minute, in slots like the ring's.
    moments: Box<[Moments]>,
    /// The window judged, in minutes.
    window: i64,
    /// The rule's `deviations`, split between the looks judged (`split_deviations`), so that
    /// judging several adds no false alarms: the spend of each span, and, once the group has
    /// opened a cached context, its count of starts over each span too (engine/starts.rs).
    deviations: f64,
    deviations_with_starts: f64,
    /// The minute being filled.
    minute: i64,
    /// The next minute to learn from, once it is older than the guard band.
    learn_next: i64,
    /// Spend per minute: a running mean over the first `min_history`, then an EWMA.
    mean: Mean,
    /// Σ cost² and Σ cost per minute (slow EWMAs): their ratio is `E[X²] / E[X]`, the
    /// dispersion calls arriving as a Poisson process would have.
    sq: Mean,
    lin: Mean,
    /// For each span judged, the group's recent calls, decayed, and per minute the excess of
    /// their pair terms over independent calls' with the spend they came with (slow EWMAs,
    /// once the baseline has a window): the dispersion bursts of related calls add
    /// (engine/clusters.rs).
    recent: [Recent; SPANS],
    excess: [Mean; SPANS],
    excess_lin: Mean,
    /// Pearson's dispersion of the window sums, `(S − E)² / E` (slow EWMA): the dispersion
    /// traffic really has (sessions cluster calls, tenants come and go).
    pearson: [Mean; SPANS],
    /// The spend at each time of day on previous days, and the next minute it learns: every
    /// minute once complete, a fired rise's too (one that comes back every day is the day's
    /// shape, not a spike).
    day: DayProfile,
    day_next: i64,
    /// Levels a rise that paged held for an hour and came back from (engine/held_levels.rs):
    /// a regime of the key's, not paged for again.
    held: HeldLevels,
    /// Bursts a rise that paged came back from within the hour (engine/bursts.rs): a job the
    /// key runs, not paged for again until a rise outlasts it.
    bursts: Bursts,
    /// Everyone else's spend, so a rise of the whole workload is told from this group's own.
    demand: Demand,
    /// How often the group's calls begin a new context, and the spread of its counts.
    starts: StartRate<SPANS>,
    /// The minute a window first held while everyone else's spend was rising too: the page
    /// waits `shared_hold` minutes from it (engine/demand.rs). `None` once nothing holds.
    shared_since: Option<i64>,
    /// [`SHARED_HOLD_MINUTES`]; a field so a test can judge the same traffic without it.
    shared_hold: i64,
    /// Whether the day profile has learnt the minutes the engine watched before the group's
    /// first call as silent (see [`SpendBaseline::learn_silence_before`]).
    silence_learnt: bool,
}

/// The dispersion is learnt over this many baseline half-lives: it follows the cost per call,
/// which changes slowly, not the traffic, which swells daily.
const DISPERSION_HALF_LIVES: f64 = 24.0;
/// The EWMA weight per minute of the dispersion.
fn slow_alpha(baseline_half_life: &std::time::Duration) -> f64 {
    alpha_per_minute(baseline_half_life.as_secs_f64() * DISPERSION_HALF_LIVES)
}

/// The least a window must spend to be judged, in units of the group's dispersion `D` (the
/// spend of one independent burst: a call, a session, an agent run): a window whose spend is
/// one or two bursts is not a rise, however quiet the baseline before it (a sparse key's one
/// long agent run at night reads as 100× a baseline of nothing).
const MIN_UNITS: f64 = 4.0;

/// A baseline is young until it has learnt this many half-lives of history: until then the
/// ratio a window must reach grows as the history shortens (`min_ratio` × this span / the
/// history), because a history of minutes has not seen the workload's swing from hour to hour
/// (the working day starting), which it cannot tell from a spike.
const YOUNG_HALF_LIVES: f64 = 2.0;

/// `min_ratio` for a baseline that has learnt `seen` minutes (engine docs: YOUNG_HALF_LIVES).
fn young_ratio(min_ratio: f64, seen: u64, baseline_half_life: &std::time::Duration) -> f64 {
    let young_min = YOUNG_HALF_LIVES * baseline_half_life.as_secs_f64() / 60.0;
    min_ratio * (young_min / (seen.max(1) as f64)).max(1.0)
}

/// The guard band, in windows: the baseline learns a minute only once it is this old, so a
/// rise is judged for that long against a baseline it has not touched (and, if it fires, is
/// never learnt). A slow rise (a daily swell) is learnt that much later: nothing, beside the
/// EWMA's own lag of an hour and a half.
const GUARD_WINDOWS: i64 = 2;

/// The minutes today's level is read over against the previous days' (spend.rs: level_today).
const LEVEL_MIN: i64 = 60;
/// The standard errors today's level is raised by before it lowers the same time yesterday.
const LEVEL_SD: f64 = 2.0;

/// The longer window judged beside the rule's own, in windows (spend.rs: verdict).
const LONG_WINDOWS: i64 = 2;
/// The spans judged: the window and the longer one.
const SPANS: usize = 2;

/// A group's dispersion (USD): the one the bound is taken at, and the one the unit floor asks
/// `MIN_UNITS` of.
struct Dispersion {
    test: f64,
    floor: f64,
}

/// One minute's calls, beside the ring's count and spend.
#[derive(Clone, Copy)]
struct Moments {
    minute: i64,
    /// Σ cost².
    sq: f64,
    /// The largest call's cost.
    largest: f64,
    /// Σ of the calls' pair terms, for each span (engine/clusters.rs).
    pairs: [f64; SPANS],
    /// Calls that began a new cached context (engine/starts.rs).
    starts: u32,
}

impl Moments {
    const EMPTY: Moments = Moments {
        minute: i64::MIN,
        sq: 0.0,
        largest: 0.0,
        pairs: [0.0; SPANS],
        starts: 0,
    };
}

/// What one minute's window is judged on.
#[derive(Clone, Copy)]
struct Window {
    /// Spend and calls over the window.
    usd: f64,
    calls: u64,
    /// The window's spend without its largest call: a rise must not be one call.
    usd_but_largest: f64,
    /// Calls that began a new cached context (engine/starts.rs).
    starts: u64,
}

impl SpendBaseline {
    pub fn new(kind: &RuleKind, eval_end: i64) -> SpendBaseline {
        let window = (kind.window().as_secs() as i64 / 60).max(1);
        let span = window * (1 + GUARD_WINDOWS);
        let ring = Ring::new(span, eval_end.div_euclid(60));
        let slots = span as usize + super::ring::SLACK_S as usize;
        // The series starts mid-minute: its first whole minute is the next one.
        let first = eval_end.div_euclid(60) + 1;
        let deviations = match kind {
            RuleKind::SpendOverBaseline { deviations, .. } => *deviations,
            _ => 0.0,
        };
        SpendBaseline {
            ring,
            moments: vec![Moments::EMPTY; slots].into_boxed_slice(),
            window,
            deviations: split_deviations(deviations, SPANS),
            deviations_with_starts: split_deviations(deviations, 2 * SPANS),
            minute: first,
            learn_next: first,
            mean: Mean::default(),
            sq: Mean::default(),
            lin: Mean::default(),
            recent: [Recent::default(); SPANS],
            excess: [Mean::default(); SPANS],
            excess_lin: Mean::default(),
            pearson: [Mean::default(); SPANS],
            day: DayProfile::default(),
            day_next: first,
            held: HeldLevels::default(),
            bursts: Bursts::default(),
            demand: Demand::new(slots, first),
            starts: StartRate::new(),
            shared_since: None,
            shared_hold: SHARED_HOLD_MINUTES,
            silence_learnt: false,
        }
    }

    /// One call at `sec` costing `usd`; `opens` when it began a new cached context
    /// (engine/starts.rs). `false` if it came too late to be counted.
    pub fn add(&mut self, sec: i64, usd: f64, opens: bool) -> bool {
        let minute = sec.div_euclid(60);
        let kept = self.ring.add(
            minute,
            Counts {
                total: 1,
                matched: micro(usd),
            },
        );
        if kept {
            let mut pairs = [0.0; SPANS];
            for (i, pair) in pairs.iter_mut().enumerate() {
                *pair = self.recent[i].add(sec, usd, self.tau_s(i));
            }
            let i = minute.rem_euclid(self.moments.len() as i64) as usize;
            let slot = &mut self.moments[i];
            if slot.minute != minute {
                *slot = Moments {
                    minute,
                    ..Moments::EMPTY
                };
            }
            slot.sq += usd * usd;
            slot.largest = slot.largest.max(usd);
            slot.starts += u32::from(opens);
            for (sum, pair) in slot.pairs.iter_mut().zip(pairs) {
                *sum += pair;
            }
        }
        kept
    }

    fn moments_of(&self, minute: i64) -> Moments {
        let slot = self.moments[minute.rem_euclid(self.moments.len() as i64) as usize];
        if slot.minute == minute {
            slot
        } else {
            Moments::EMPTY
        }
    }

    /// The minutes of span `i`: the window, then [`LONG_WINDOWS`] of them.
    fn span(&self, i: usize) -> i64 {
        if i == 0 {
            self.window
        } else {
            LONG_WINDOWS * self.window
        }
    }

    /// The time constant of span `i`'s pair terms: half the span (engine/clusters.rs).
    fn tau_s(&self, i: usize) -> f64 {
        self.span(i) as f64 * 30.0
    }

    /// The `span` whole minutes ending before `end_minute` (at most the ring's).
    fn window_before(&self, end_minute: i64, span: i64) -> Window {
        let (mut usd, mut calls, mut largest, mut starts) = (0.0, 0, 0.0f64, 0);
        for m in end_minute - span..end_minute {
            let c = self.ring.get(m);
            usd += c.matched as f64 / MICRO;
            calls += c.total;
            let moments = self.moments_of(m);
            largest = largest.max(moments.largest);
            starts += u64::from(moments.starts);
        }
        Window {
            usd,
            calls,
            usd_but_largest: (usd - largest).max(0.0),
            starts,
        }
    }

    /// The group's spend over the `span` minutes ending before `end_minute` (at most the ring's).
    fn spend_before(&self, end_minute: i64, span: i64) -> f64 {
        (end_minute - span..end_minute)
            .map(|m| self.ring.get(m).matched as f64 / MICRO)
            .sum()
    }

    /// The dispersion of span `i`'s sums from the calls' own (`calls`) and their pairs': bursts
    /// of related calls each a unit, not each call (engine/clusters.rs).
    fn clustered(&self, calls: f64, i: usize) -> f64 {
        if self.excess_lin.value > 0.0 {
            calls + (self.excess[i].value / self.excess_lin.value).max(0.0)
        } else {
            calls
        }
    }

    /// The dispersion in USD of span `i`'s sums: the larger of the bursts' (the calls' own and
    /// their pairs', engine/clusters.rs) and the window sums' observed one, each at its upper
    /// 95 % confidence bound (as a variance estimated from `k` independent windows or units
    /// is: × (1 + 1.645 √(2/k))), so a spread seen over a few only is not trusted to be small;
    /// and, for the unit floor, the bursts' at the exact small-sample bound (`units_factor`).
    fn dispersion(&self, slow: f64, i: usize) -> Dispersion {
        let calls = if self.lin.value > 0.0 {
            self.sq.value / self.lin.value
        } else {
            0.0
        };
        let clustered = self.clustered(calls, i);
        // Estimated from the units the history holds (its spend over `clustered`): a key that
        // has seen two conversations does not know the size of its bursts yet.
        let memory = 2.0 / slow.max(1e-9);
        let units = if clustered > 0.0 {
            self.lin.value * (self.lin.seen as f64).min(memory) / clustered
        } else {
            0.0
        };
        // Windows overlap: one in `window` is independent; an EWMA remembers about 2/α.
        let pearson = &self.pearson[i];
        let remembered = (pearson.seen as f64).min(memory);
        let test = (clustered * upper_factor(units))
            .max(pearson.value * upper_factor(remembered / self.span(i) as f64));
        Dispersion {
            test,
            floor: test.max(clustered * units_factor(units)),
        }
    }

    /// The spend expected over the window ending before `end_minute`: the larger of the
    /// trailing baseline's and the one the same time of day had on previous days (once the
    /// history has a day there), so a rise is a spike only if it is far above both.
    /// `demand` is how far everyone else's spend rose (engine/demand.rs): the trailing
    /// expectation follows it, the seasonal one already knows the time of day.
    fn expected(&self, end_minute: i64, span: i64, demand: f64, d: f64) -> f64 {
        let trailing = self.mean.value * span as f64 * demand;
        let seasonal = self
            .day
            .expected(
                end_minute - span,
                end_minute,
                self.level_today(end_minute, d),
            )
            .unwrap_or(0.0);
        trailing.max(seasonal)
    }

    /// How today's spend stands to the previous days' over the hour before the guard band, at
    /// its upper bound (`LEVEL_SD` standard errors up, from the dispersion `d`), and never
    /// above 1: the same time yesterday is expected at today's level when today is clearly
    /// quieter (a Saturday after a Friday), and as it was otherwise. A day with too little
    /// spend to tell (a key silent before its nightly job, a maintenance) keeps yesterday's.
    fn level_today(&self, end_minute: i64, d: f64) -> f64 {
        let before = end_minute - GUARD_WINDOWS * self.window;
        match self.day.level(before, LEVEL_MIN) {
            Some((today, previous)) if today > 0.0 && previous > 0.0 => {
                let se = (d / today + d / previous).sqrt();
                (today / previous * (LEVEL_SD * se).exp()).min(1.0)
            }
            _ => 1.0,
        }
    }

    /// The expected spend of the `span` minutes ending before `end_minute`, and the spend they
    /// must reach to fire.
    fn bound(
        &self,
        end_minute: i64,
        i: usize,
        deviations: f64,
        min_ratio: f64,
        slow: f64,
        demand: f64,
    ) -> (f64, f64) {
        let d = self.dispersion(slow, i).test;
        let level_d = self.dispersion(slow, SPANS - 1).test;
        let expected = self.expected(end_minute, self.span(i), demand, level_d);
        let bound = upper_bound(expected, d, deviations).max(min_ratio * expected);
        (expected, bound)
    }

    /// The deviations each look asks: split over the spend's looks, and the starts' too once
    /// the group has opened a cached context (before that, the count has nothing to judge).
    fn deviations(&self) -> f64 {
        if self.starts.mean.value > 0.0 {
            self.deviations_with_starts
        } else {
            self.deviations
        }
    }

    /// How far span `i`'s expected spend `expected` stands above the trailing baseline's own
    /// (everyone else's rise, the time of day): the context starts are expected to rise as much.
    fn lift(&self, expected: f64, i: usize) -> f64 {
        let trailing = self.mean.value * self.span(i) as f64;
        if trailing > 0.0 {
            (expected / trailing).max(1.0)
        } else {
            1.0
        }
    }

    /// Whether window `w` of span `i` holds more context starts than the group's rate of them
    /// allows (at `deviations`, with the counts' dispersion, the rate at its upper bound) and at
    /// least [`MIN_STARTS`]: a rise in how often runs begin (engine/starts.rs).
    fn starts_rise(&self, w: &Window, i: usize, expected: f64, alpha: f64, slow: f64) -> bool {
        let span = self.span(i);
        let e = self.starts.expected(span, self.lift(expected, i))
            * self.starts.rate_factor(2.0 / alpha.max(1e-9));
        if !(e > 0.0 && e.is_finite()) {
            return false;
        }
        let n = w.starts as f64;
        let d = self.starts.dispersion(i, span, 2.0 / slow.max(1e-9));
        n >= MIN_STARTS && n >= upper_bound(e, d, self.deviations())
    }

    /// Moves to `end`; each minute that leaves the guard band is learnt (none while firing).
    pub fn advance(&mut self, kind: &RuleKind, end: i64, firing: bool) {
        let minute = end.div_euclid(60);
        self.ring.advance(minute);
        let RuleKind::SpendOverBaseline {
            baseline_half_life,
            min_ratio,
            ..
        } = kind
        else {
            return;
        };
        if minute <= self.minute {
            return;
        }
        self.minute = minute;
        // Complete minutes, one kept back for calls a little late; past a day of them the
        // profile has forgotten nothing it would use, and the ring holds the recent ones.
        let complete = minute - 1;
        for m in self.day_next.max(complete - 24 * 60)..complete {
            let x = self.ring.get(m).matched as f64 / MICRO;
            self.day.learn(m, x);
            self.held.learn(m, x, firing);
            self.bursts.learn(m, x, firing);
        }
        self.day_next = self.day_next.max(complete);
        if firing || self.bursts.excusing() {
            // The minutes of the rise, the guard band's included, are never learnt: nor those
            // of one waiting as a burst the key had, so that it pages if it outlasts it.
            self.learn_next = minute;
            return;
        }
        let alpha = alpha_per_minute(baseline_half_life.as_secs_f64());
        let slow = slow_alpha(baseline_half_life);
        // Minutes skipped without calls (a jump of the clock) were minutes of zero spend; past
        // a day of them the baseline has forgotten everything anyway.
        let through = minute - GUARD_WINDOWS * self.window;
        let from = self.learn_next.max(through - 24 * 60);
        for m in from..through {
            self.learn(m, alpha, slow, *min_ratio);
        }
        self.learn_next = self.learn_next.max(through);
    }

    /// Learns from minute `m`, out of the guard band.
    fn learn(&mut self, m: i64, alpha: f64, slow: f64, min_ratio: f64) {
        let c = self.ring.get(m);
        let x = c.matched as f64 / MICRO;
        // The spread of each span ending with this minute, once the baseline has seen a
        // whole span; none counts beyond the bound (one past it is judged, not learnt).
        for i in 0..SPANS {
            let (expected, bound) = self.bound(m + 1, i, self.deviations(), min_ratio, slow, 1.0);
            let w = self.window_before(m + 1, self.span(i));
            if self.mean.seen >= self.span(i) as u64 && expected > 0.0 {
                let d = w.usd.min(bound) - expected;
                self.pearson[i].learn(d * d / expected, slow);
                let e = self.starts.expected(self.span(i), self.lift(expected, i));
                let d = self.starts.dispersion(i, self.span(i), 2.0 / slow);
                let b = upper_bound(e, d, self.deviations());
                self.starts.learn_span(i, w.starts as f64, e, b, slow);
            }
        }
        let own_window = self.window_before(m + 1, self.window).usd;
        self.demand
            .learn(m, x, own_window, self.window, alpha, slow);
        let moments = self.moments_of(m);
        if self.mean.seen >= self.window as u64 {
            for i in 0..SPANS {
                let e = excess(moments.pairs[i], x, self.mean.value, self.tau_s(i));
                self.excess[i].learn(e, slow);
            }
            self.excess_lin.learn(x, slow);
        }
        self.starts.learn_minute(f64::from(moments.starts), alpha);
        self.sq.learn(moments.sq, slow);
        self.lin.learn(x, slow);
        self.mean.learn(x, alpha);
    }

    pub fn verdict(&mut self, kind: &RuleKind, firing: bool, spend: &SpendState) -> (bool, Values) {
        let RuleKind::SpendOverBaseline {
            baseline_half_life,
            min_ratio,
            min_calls,
            min_history,
            min_spend_usd,
            min_share,
            min_rise_usd_per_hour,
            ..
        } = kind
        else {
            return (false, Values::default());
        };
        self.demand.record(spend, self.minute);
        if !self.silence_learnt {
            self.silence_learnt = true;
            self.learn_silence_before(spend);
        }
        let w = self.window_before(self.minute, self.window);
        let history_min = min_history.as_secs() / 60;
        let warm = self.mean.seen >= history_min && self.mean.value > 0.0;
        let slow = slow_alpha(baseline_half_life);
        let alpha = alpha_per_minute(baseline_half_life.as_secs_f64());
        // Demand over the window, and over the guard band's span too (a rise of the whole
        // workload over half an hour, the working day's ramp, is shown by more spend than one
        // window holds; a step shows in the window first). Only where it can matter (both
        // baselines warm): the sums would cost every group's tick otherwise.
        let demand = if warm && self.demand.knows(history_min) {
            let long = self.window * (1 + GUARD_WINDOWS);
            [
                (self.window, w.usd),
                (long, self.spend_before(self.minute, long)),
            ]
            .into_iter()
            .map(|span| {
                self.demand
                    .factor(self.minute, span, self.window, history_min, slow)
            })
            .fold(1.0, f64::max)
        } else {
            1.0
        };
        let asked = young_ratio(*min_ratio, self.mean.seen, baseline_half_life);
        // The window, and twice it: a jump that fills a window slowly (a sparse key's 6× rate
        // of conversations, each minutes long) is judged on twice the spend within twice the
        // time, whose relative spread is √2 smaller. The first that holds is the one said.
        let mut said = None;
        let mut like_a_burst_holds = false;
        for i in 0..SPANS {
            let span = self.span(i);
            let w = if i == 0 {
                w
            } else {
                self.window_before(self.minute, span)
            };
            let (expected, bound) =
                self.bound(self.minute, i, self.deviations(), asked, slow, demand);
            // A level the key has held before, after a page (engine/held_levels.rs): a rise
            // pages only past its bound too.
            let dispersion = self.dispersion(slow, i);
            let held = upper_bound(
                self.held.level(self.minute) * span as f64,
                dispersion.test,
                self.deviations(),
            );
            let bound = bound.max(held);
            // A burst the key came back from before (engine/bursts.rs): a rise within its
            // bound waits until it outlasts it.
            let (burst_per_min, _) = self.bursts.known(self.minute);
            let like_a_burst = !firing
                && burst_per_min > 0.0
                && w.usd_but_largest
                    < upper_bound(
                        burst_per_min * span as f64,
                        dispersion.test,
                        self.deviations(),
                    );
            let floor = MIN_UNITS * dispersion.floor;
            let ratio = if warm { w.usd / expected } else { 0.0 };
            // A rise in how often runs start needs only the ratio and the unit floor of the
            // spend, not its bound: the count has shown the rise is many independent runs.
            let by_starts = warm
                && !firing
                && w.usd_but_largest >= (asked * expected).max(floor).max(held)
                && self.starts_rise(&w, i, expected, alpha, slow);
            let holds = warm
                && w.usd >= *min_spend_usd
                && if firing {
                    // Holds while the rate stays well above the frozen baseline.
                    ratio >= 1.0 + (min_ratio - 1.0) / 2.0
                } else {
                    w.calls >= *min_calls
                        && (w.usd_but_largest >= bound.max(floor) || by_starts)
                        && self.moves_the_bill(span, w.usd - expected, *min_share)
                        && costs_enough(span, w.usd - expected, *min_rise_usd_per_hour)
                };
            let asked_ratio = if by_starts && w.usd_but_largest < bound.max(floor) {
                asked
            } else {
                bound / expected
            };
            let values = Values {
                // The ratio the window must reach: the dispersion's bound, or `min_ratio` (on
                // a rise of context starts, the ratio alone).
                threshold: Some(if warm { asked_ratio } else { *min_ratio }),
                spend_per_min_usd: Some(w.usd / span as f64),
                baseline_per_min_usd: warm.then_some(expected / span as f64),
                ratio: warm.then_some(ratio),
                window_s: Some(span as u64 * 60),
                ..Values::default()
            };
            if holds && like_a_burst {
                like_a_burst_holds = true;
                if self.bursts.excuses(self.minute, self.span(SPANS - 1)) {
                    said.get_or_insert(values);
                    continue;
                }
            }
            if holds {
                if !firing && self.waits_for_others(span, w.usd, history_min) {
                    return (false, values);
                }
                self.shared_since = None;
                self.bursts.rest();
                return (true, values);
            }
            said.get_or_insert(values);
        }
        self.shared_since = None;
        if !like_a_burst_holds {
            self.bursts.rest();
        }
        (false, said.unwrap_or_default())
    }

    /// The engine watched every call from its first (`spend`'s ledger, up to a day back)
    /// and saw none of this group's before its first: the day profile learns those minutes
    /// as silent. Without them a group is a day old only a day after its first call, so a
    /// nightly job on a key of its own (grading that starts at 00:01 every night) had no
    /// reference on its second night, the slots just before its first start being unknown,
    /// and paged "over 1000×" a baseline that had decayed since the night before
    /// (`Classroom`, session 30: 40 of 60 quiet runs, held out). Called once, before the
    /// profile learns any minute of the group's own.
    fn learn_silence_before(&mut self, spend: &SpendState) {
        let first = self.day_next;
        let Some(since) = spend.first_minute() else {
            return;
        };
        if !self.day.is_empty() {
            return;
        }
        // `first` is the group's first whole minute: the one before it holds its first call.
        for m in since.max(first - 24 * 60)..first - 1 {
            self.day.learn(m, 0.0);
        }
    }

    /// Whether a rise of `rise` USD over the `span` minutes judged is at least `min_share` of
    /// everyone's spend over them. A key that spends a cent a minute and jumps 15× (a sparse
    /// key's burst of agent runs) is a rise the trailing statistics cannot tell from a runaway,
    /// and one that does not move the bill: cost anomaly tools ask the same of an anomaly's
    /// impact. A runaway that grows to matter pages when it does, and CreditRunwayLow counts
    /// every cent of it meanwhile. Minutes not recorded (a young engine) do not hold it back.
    fn moves_the_bill(&self, span: i64, rise: f64, min_share: f64) -> bool {
        min_share <= 0.0
            || self
                .demand
                .everyone(self.minute, span)
                .is_none_or(|all| rise >= min_share * all)
    }

    /// Whether a window that holds waits before it pages: everyone else's spend over the same
    /// span is rising too, and the first window that held while it was is under
    /// [`SHARED_HOLD_MINUTES`] old. By then the others' windows hold the rise too, and if it
    /// was the whole workload's, their factor has cancelled it. (The guard band's longer span
    /// is not asked: a rise it shows is no longer fresh, and the factor already has it.)
    fn waits_for_others(&mut self, span: i64, own: f64, history_min: u64) -> bool {
        let rising = self.demand.rising(self.minute, (span, own), history_min);
        if !rising {
            return false;
        }
        let since = *self.shared_since.get_or_insert(self.minute);
        self.minute - since < self.shared_hold
    }
}

/// Whether a rise of `rise` USD over `span` minutes costs at least `min_usd_per_hour` at its
/// rate. A rise is a page about money: cost anomaly tools ask an anomaly's impact to pass an
/// absolute floor beside a relative one (AWS Cost Anomaly Detection's "total impact" in dollars
/// and in percent), and `min_share` alone pages for a key 4× on a bill of cents (a contact
/// centre's redaction stream when the morning shift logs in: 30 cents an hour, `CallCentre`).
fn costs_enough(span: i64, rise: f64, min_usd_per_hour: f64) -> bool {
    rise * 60.0 / span as f64 >= min_usd_per_hour
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::classify::Usage;
    use callwatch_core::cost::Credit;

    /// A call of $0.0105 (sonnet-4-6, 1000 in, 500 out) at `minute`.
    fn call(minute: i64) -> CallEvent<'static> {
        let ts = OffsetDateTime::from_unix_timestamp(1_793_577_600 + minute * 60).unwrap();
        let mut e = CallEvent::new(ts, Some(200), None);
        e.model = Some("claude-sonnet-4-6".into());
        e.usage = Some(Usage {
            input_tokens: 1000,
            output_tokens: 500,
            ..Usage::default()
        });
        e
    }

    #[test]
    fn a_balance_read_in_the_past_recounts_the_calls_seen_since_it() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_793_577_600).unwrap();
        let mut spend = SpendState::new(SpendConfig {
            budget: Budget {
                credit: Some(Credit {
                    balance_usd: 100.0,
                    as_of: t0,
                }),
                monthly_spend_limit_usd: None,
            },
            ..SpendConfig::default()
        });
        // 300 minutes, one call each; one call arrives late, out of order.
        for m in (0..300).filter(|m| *m != 150) {
            spend.observe(&call(m));
        }
        spend.observe(&call(150));
        let now = t0.unix_timestamp() + 300 * 60;
        let left = spend.remaining(now)[0].usd;
        assert!((left - (100.0 - 300.0 * 0.0105)).abs() < 1e-9, "{left}");
        // Billed spend said $90 left at minute 180: the 120 calls since then still count.
        spend.set_credit(90.0, t0 + time::Duration::minutes(180));
        let left = spend.remaining(now)[0].usd;
        assert!((left - (90.0 - 120.0 * 0.0105)).abs() < 1e-9, "{left}");
        // A balance read now counts nothing seen yet.
        spend.set_credit(50.0, t0 + time::Duration::minutes(300));
        assert_eq!(spend.remaining(now)[0].usd, 50.0);
        // What the calls of minutes 60..180 cost (the drift's computed side), to the minute.
        let start = t0.unix_timestamp();
        let spent = spend.spent_between(start + 3600, start + 3 * 3600).unwrap();
        assert!((spent - 120.0 * 0.0105).abs() < 1e-9, "{spent}");
    }
}

#[cfg(test)]
mod spike_tests {
    use super::*;
    use std::time::Duration;

    pub(super) fn kind() -> RuleKind {
        RuleKind::SpendOverBaseline {
            window: Duration::from_secs(300),
            baseline_half_life: Duration::from_secs(3600),
            min_ratio: 3.0,
            deviations: 4.0,
            min_calls: 5,
            min_history: Duration::from_secs(1800),
            min_spend_usd: 0.01,
            min_share: 0.0,
            min_rise_usd_per_hour: 0.0,
        }
    }

    /// Feeds `calls_per_min` calls of `usd` a minute from `from` to `to` (minutes, starting
    /// mid-minute); the first minute the rule holds, if any.
    fn run(s: &mut SpendBaseline, k: &RuleKind, phases: &[(i64, i64, u32, f64)]) -> Option<i64> {
        let mut fired = None;
        for &(from, to, calls_per_min, usd) in phases {
            for m in from..to {
                for c in 0..calls_per_min {
                    let sec = 30 + m * 60 + i64::from(c) * 60 / i64::from(calls_per_min);
                    s.advance(k, sec, false);
                    s.add(sec, usd, false);
                }
                s.advance(k, 30 + (m + 1) * 60, false);
                if fired.is_none() && s.verdict(k, false, &SpendState::default()).0 {
                    fired = Some(m);
                }
            }
        }
        fired
    }

    #[test]
    fn a_loop_on_a_key_with_a_short_steady_history_fires_within_minutes() {
        // The demo's agent worker: 4 calls a minute at $0.0375 for 44 minutes, then a loop of
        // 60 calls a minute at $0.40.
        let k = kind();
        let mut s = SpendBaseline::new(&k, 30);
        let fired = run(&mut s, &k, &[(0, 44, 4, 0.0375), (44, 60, 60, 0.40)]);
        assert!(
            fired.is_some_and(|m| (44..48).contains(&m)),
            "{fired:?} {:?}",
            s.verdict(&k, false, &SpendState::default()).1
        );
    }

    /// One key at 10 calls a minute of $0.01, 6× from minute 180 (a loop), while everyone
    /// else spends half and one and a half times `before` in turn each minute, and from minute
    /// 180 the same of `after`: the first minute the key's rule holds, with a hold of `hold`
    /// minutes while everyone else rises too.
    fn loop_beside_others(before: f64, after: f64, hold: i64) -> Option<i64> {
        loop_beside(&kind(), before, after, hold)
    }

    fn loop_beside(k: &RuleKind, before: f64, after: f64, hold: i64) -> Option<i64> {
        let mut s = SpendBaseline::new(k, 30);
        s.shared_hold = hold;
        let mut spend = SpendState::default();
        for m in 0..200 {
            let usd = if m < 180 { 0.01 } else { 0.06 };
            for c in 0..10 {
                let sec = 30 + m * 60 + c * 6;
                s.advance(k, sec, false);
                s.add(sec, usd, false);
                spend.book(m, usd);
            }
            let level = if m < 180 { before } else { after };
            spend.book(m, level * if m % 2 == 0 { 0.5 } else { 1.5 });
            s.advance(k, 30 + (m + 1) * 60, false);
            if s.verdict(k, false, &spend).0 {
                return Some(m);
            }
        }
        None
    }

    #[test]
    fn a_loop_waits_a_few_minutes_only_while_everyone_else_rises_too() {
        let hold = SHARED_HOLD_MINUTES;
        // No one else: the loop pages once its window holds it, hold or not.
        let alone = loop_beside_others(0.0, 0.0, hold).expect("the loop alone did not fire");
        assert!((180..=185).contains(&alone), "{alone}");
        assert_eq!(loop_beside_others(0.0, 0.0, 0), Some(alone));
        // Everyone else 1.6× at the same minute (a rise of the workload that their lower
        // bound does not yet cancel): the page waits the hold, then goes, since the key's 6×
        // stands well above the others' rise.
        let unheld = loop_beside_others(0.1, 0.16, 0).expect("no page without the hold");
        let held = loop_beside_others(0.1, 0.16, hold).expect("no page after the hold");
        assert_eq!(held, unheld + hold, "{unheld} {held}");
        // Everyone else 6× too: the whole workload rose, and nothing pages.
        assert_eq!(loop_beside_others(0.1, 0.6, hold), None);
    }

    #[test]
    fn a_rise_that_is_a_sliver_of_the_bill_does_not_page() {
        let with_share = |min_share: f64| {
            let mut k = kind();
            if let RuleKind::SpendOverBaseline { min_share: m, .. } = &mut k {
                *m = min_share;
            }
            k
        };
        // The key's 6× is a rise of $0.50 a minute. Beside $1 a minute of everyone else's
        // it is a third of the bill and pages at a tenth; beside $10 it is 5 %: the same
        // rise pages only without the share asked.
        let small_bill = loop_beside(&with_share(0.1), 1.0, 1.0, 0).expect("a third of the bill");
        assert!((180..=185).contains(&small_bill), "{small_bill}");
        assert_eq!(loop_beside(&with_share(0.1), 10.0, 10.0, 0), None);
        assert!(loop_beside(&with_share(0.0), 10.0, 10.0, 0).is_some());
        assert!(loop_beside(&with_share(0.04), 10.0, 10.0, 0).is_some());
    }

    #[test]
    fn a_rise_that_costs_less_than_the_floor_an_hour_does_not_page() {
        let with_floor = |usd_per_hour: f64| {
            let mut k = kind();
            if let RuleKind::SpendOverBaseline {
                min_rise_usd_per_hour: m,
                ..
            } = &mut k
            {
                *m = usd_per_hour;
            }
            k
        };
        // The key's 6× is a rise of $0.50 a minute, $30 an hour: it pages under a floor of
        // $29 an hour, not under one of $31.
        assert!(loop_beside(&with_floor(29.0), 1.0, 1.0, 0).is_some());
        assert_eq!(loop_beside(&with_floor(31.0), 1.0, 1.0, 0), None);
    }

    #[test]
    fn a_young_baseline_asks_more_so_a_rise_minutes_into_the_history_is_not_a_spike() {
        // 40 minutes of history, then the whole key ×7 (the working day starting): a baseline
        // of minutes asks 9–12× and catches up before the rise clears it.
        let k = kind();
        let mut s = SpendBaseline::new(&k, 30);
        assert_eq!(
            run(&mut s, &k, &[(0, 40, 10, 0.01), (40, 70, 10, 0.07)]),
            None
        );
        // The same rise on a baseline of three hours fires within the window.
        let mut s = SpendBaseline::new(&k, 30);
        let fired = run(&mut s, &k, &[(0, 180, 10, 0.01), (180, 200, 10, 0.07)]);
        assert!(fired.is_some_and(|m| (180..185).contains(&m)), "{fired:?}");
    }

    /// Feeds `calls` (second, USD; in order), judging each minute up to `minutes`: the minutes
    /// the rule first holds in (after a minute it did not), with what it said.
    fn fires(k: &RuleKind, calls: &[(i64, f64)], minutes: i64) -> Vec<(i64, Values)> {
        let unmarked: Vec<(i64, f64, bool)> = calls.iter().map(|&(t, x)| (t, x, false)).collect();
        fires_marked(k, &unmarked, minutes)
    }

    /// As [`fires`], each call marked when it opens a new cached context.
    fn fires_marked(k: &RuleKind, calls: &[(i64, f64, bool)], minutes: i64) -> Vec<(i64, Values)> {
        let mut s = SpendBaseline::new(k, 0);
        let (mut next, mut firing, mut out) = (0, false, Vec::new());
        for m in 0..minutes {
            while next < calls.len() && calls[next].0 < (m + 1) * 60 {
                let (sec, usd, opens) = calls[next];
                s.advance(k, sec, firing);
                s.add(sec, usd, opens);
                next += 1;
            }
            s.advance(k, (m + 1) * 60, firing);
            let (holds, values) = s.verdict(k, firing, &SpendState::default());
            if holds && !firing {
                out.push((m, values));
            }
            firing = holds;
        }
        out
    }

    #[test]
    fn a_conversation_is_one_unit_of_its_keys_spend_not_six() {
        // A tenant's key: a conversation of six $0.012 turns 10 s apart every hour for 12
        // hours. Call by call its dispersion is $0.012 (a window holding one conversation is
        // six units); counted in bursts it is most of a conversation's $0.072 (the pairs up
        // to 50 s apart weigh e^{-Δ/150 s}, less what independent calls would give).
        let k = kind();
        let calls: Vec<(i64, f64)> = (0..12)
            .flat_map(|c| (0..6).map(move |i| (600 + c * 3600 + 10 * i, 0.012)))
            .collect();
        let mut s = SpendBaseline::new(&k, 0);
        for &(sec, usd) in &calls {
            s.advance(&k, sec, false);
            s.add(sec, usd, false);
        }
        s.advance(&k, 13 * 3600, false);
        let calls_own = s.sq.value / s.lin.value;
        assert!((calls_own - 0.012).abs() < 1e-9, "{calls_own}");
        let bursts = s.clustered(calls_own, 0);
        assert!(bursts > 0.05 && bursts < 0.072, "{bursts}");
        // And the unit floor of a key that has seen twelve of them asks more than four.
        let slow = slow_alpha(&std::time::Duration::from_secs(3600));
        let floor = s.dispersion(slow, 0).floor;
        assert!(floor > 1.5 * bursts, "{floor} vs {bursts}");
    }

    #[test]
    fn a_rise_that_fills_the_window_slowly_is_caught_on_twice_the_window() {
        // Conversations of six $0.05 calls 10 s apart, one every 8 minutes for 6 hours (a
        // window holds one or none: a wide spread), then one every 100 s: 4.8×. Its 5-minute
        // windows (two or three conversations) stay under their bound (about 6× the
        // baseline); 10 minutes of it, whose relative spread is √2 smaller, clear theirs
        // (3.4×) 7 minutes in.
        let conv = |at: i64| (0..6).map(move |i| (at + 10 * i, 0.05));
        let mut calls: Vec<(i64, f64)> = (0..45).flat_map(|c| conv(30 + c * 480)).collect();
        calls.extend((0..20).flat_map(|c| conv(360 * 60 + 30 + c * 100)));
        let fired = fires(&kind(), &calls, 390);
        let (minute, values) = fired.first().expect("no fire");
        assert!((365..=371).contains(minute), "{fired:?}");
        assert_eq!(values.window_s, Some(600), "{values:?}");
    }

    /// An agent run starting at `at`: ten calls 30 s apart, the first opening its cached
    /// context, each costing more as the context grows (`step` dollars more a call).
    fn agent_run(at: i64, step: f64) -> impl Iterator<Item = (i64, f64, bool)> {
        (0..10).map(move |j| (at + 30 * j, step * (j + 1) as f64, j == 0))
    }

    #[test]
    fn a_rise_in_how_often_runs_start_is_caught_before_their_spend_clears_its_bound() {
        // Agent runs of five minutes arriving at random (Poisson), one in four on a large
        // context (6× the cost: $3.30, else $0.55), one every 2 minutes on average for 6
        // hours, then one every 20 s: 6×. The large runs make the spend's windows wide and
        // its bound high (3.7–5.6× here), and a run's spend lags its start; fifteen starts a
        // window where two or three are usual are many independent runs at once.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut calls: Vec<(i64, f64, bool)> = Vec::new();
        let mut t = 30.0;
        while t < 400.0 * 60.0 {
            let step = if rng.random::<f64>() < 0.25 {
                0.06
            } else {
                0.01
            };
            calls.extend(agent_run(t as i64, step));
            let mean_gap = if t < 360.0 * 60.0 { 120.0 } else { 20.0 };
            t += -mean_gap * (1.0 - rng.random::<f64>()).ln();
        }
        calls.sort_by_key(|c| c.0);
        let marked = fires_marked(&kind(), &calls, 400);
        let unmarked: Vec<(i64, f64)> = calls.iter().map(|&(t, x, _)| (t, x)).collect();
        let plain = fires(&kind(), &unmarked, 400);
        let (minute, values) = marked.first().expect("no fire");
        assert!(*minute >= 360, "{marked:?}");
        // The ratio it asked was the rule's own, not the spend's wider bound.
        assert!(
            values.threshold.is_some_and(|r| (r - 3.0).abs() < 1e-9),
            "{values:?}"
        );
        // Without the marks (a key that does not cache) the spend alone judges: later (by
        // 1–3 minutes over seeds 1, 2, 3 and 7), at its bound.
        let (plain_minute, plain_values) = plain.first().expect("no fire without the marks");
        assert!(plain_minute > minute, "{plain:?} vs {marked:?}");
        assert!(plain_values.threshold.is_some_and(|r| r > 3.5), "{plain:?}");
    }

    #[test]
    fn a_run_start_on_every_call_of_a_steady_key_is_no_rise() {
        // Every call opens a context (single-turn calls that cache their prompt): the starts
        // are the calls, steady, and stay quiet however many there are.
        let calls: Vec<(i64, f64, bool)> =
            (0..8 * 60 * 6).map(|i| (i * 10 + 3, 0.02, true)).collect();
        assert!(fires_marked(&kind(), &calls, 8 * 60).is_empty());
    }

    #[test]
    fn one_burst_on_a_silent_key_is_not_a_rise() {
        // Two hours of a key whose spend comes in bursts (6 calls of $0.10 every 10 minutes:
        // its windows hold a burst or none, a dispersion of about half a burst), then six
        // hours nearly silent, then one burst of the usual size: against a baseline of
        // nothing it is over 100× and clears the bound, but it is under `MIN_UNITS` of the
        // key's dispersion.
        let k = kind();
        let mut s = SpendBaseline::new(&k, 30);
        let mut phases = Vec::new();
        for b in 0..12 {
            phases.push((b * 10, b * 10 + 1, 6, 0.10));
            phases.push((b * 10 + 1, b * 10 + 10, 1, 0.001));
        }
        phases.push((120, 480, 1, 0.001));
        phases.push((480, 481, 6, 0.10));
        phases.push((481, 490, 1, 0.001));
        assert_eq!(run(&mut s, &k, &phases), None);
    }

    #[test]
    fn steady_spend_however_large_and_one_outsized_call_stay_quiet() {
        let k = kind();
        let mut s = SpendBaseline::new(&k, 30);
        assert_eq!(run(&mut s, &k, &[(0, 240, 40, 0.2)]), None);
        // One call costing 50 minutes of the usual spend.
        let mut s = SpendBaseline::new(&k, 30);
        assert_eq!(
            run(
                &mut s,
                &k,
                &[(0, 120, 10, 0.01), (120, 121, 1, 5.0), (121, 180, 10, 0.01)]
            ),
            None
        );
    }
}

#[cfg(test)]
mod day_tests {
    use super::spike_tests::kind;
    use super::*;

    /// Minutes the rule holds in, over `days` days of 10 calls a minute costing `night` from
    /// 18:00 to 06:00 and `day` from 06:00 to 18:00.
    fn fires(days: i64, night: f64, day: f64) -> Vec<i64> {
        let k = kind();
        let mut s = SpendBaseline::new(&k, 0);
        let mut firing = false;
        let mut out = Vec::new();
        for m in 0..days * 1440 {
            let h = m.rem_euclid(1440) / 60;
            let usd = if (6..18).contains(&h) { day } else { night };
            for c in 0..10 {
                let sec = m * 60 + c * 6 + 3;
                s.advance(&k, sec, firing);
                s.add(sec, usd, false);
            }
            s.advance(&k, (m + 1) * 60, firing);
            let holds = s.verdict(&k, firing, &SpendState::default()).0;
            if holds && !firing {
                out.push(m);
            }
            firing = holds;
        }
        out
    }

    #[test]
    fn a_step_that_comes_every_day_fires_the_first_day_only() {
        let f = fires(3, 0.01, 0.08);
        assert!(f.iter().any(|m| (360..380).contains(m)), "{f:?}");
        assert!(f.iter().all(|m| *m < 1440), "{f:?}");
    }
}

#[cfg(test)]
mod held_tests {
    use super::spike_tests::kind;
    use super::*;

    /// Minutes the rule starts holding in, over `minutes` of 10 calls a minute costing
    /// `usd(minute)`.
    fn pages(minutes: i64, usd: impl Fn(i64) -> f64) -> Vec<i64> {
        let k = kind();
        let mut s = SpendBaseline::new(&k, 0);
        let (mut firing, mut out) = (false, Vec::new());
        for m in 0..minutes {
            for c in 0..10 {
                let sec = m * 60 + c * 6 + 3;
                s.advance(&k, sec, firing);
                s.add(sec, usd(m), false);
            }
            s.advance(&k, (m + 1) * 60, firing);
            let holds = s.verdict(&k, firing, &SpendState::default()).0;
            if holds && !firing {
                out.push(m);
            }
            firing = holds;
        }
        out
    }

    /// $0.01 a call, `level`× over each of `rises` (minute ranges).
    fn key_with(rises: &[(i64, i64, f64)]) -> impl Fn(i64) -> f64 + '_ {
        move |m| {
            let lift = rises
                .iter()
                .find(|(from, to, _)| (*from..*to).contains(&m))
                .map_or(1.0, |r| r.2);
            0.01 * lift
        }
    }

    #[test]
    fn a_loop_on_a_day_quieter_than_the_last_is_judged_at_todays_level() {
        // A first day at 6 cents a call, the next at 1 (a Saturday after a Friday), and at
        // 28 h a loop back to 6: the level of the same time yesterday, 6x today's.
        let usd = |m: i64| {
            if m < 1440 || (1680..1720).contains(&m) {
                0.06
            } else {
                0.01
            }
        };
        let paged = pages(1720, usd);
        assert!(paged.iter().any(|m| (1680..1690).contains(m)), "{paged:?}");
        assert!(paged.iter().all(|m| *m < 180 || *m >= 1680), "{paged:?}");
    }

    #[test]
    fn a_nightly_job_on_a_key_of_its_own_is_expected_on_its_second_night() {
        // The engine watches another key from minute 0; the job's key first calls at 06:00
        // (minute 360), two hours of it, and again the next day at the same minute.
        let k = kind();
        let mut s: Option<SpendBaseline> = None;
        let mut spend = SpendState::default();
        let (mut firing, mut paged) = (false, Vec::new());
        for m in 0..2000 {
            spend.book(m, 0.1);
            if (m % 1440) < 360 || (m % 1440) >= 480 {
                continue;
            }
            let s = s.get_or_insert_with(|| SpendBaseline::new(&k, m * 60));
            for c in 0..10 {
                let sec = m * 60 + c * 6 + 3;
                s.advance(&k, sec, firing);
                s.add(sec, 0.05, false);
                spend.book(m, 0.05);
            }
            s.advance(&k, (m + 1) * 60, firing);
            let holds = s.verdict(&k, firing, &spend).0;
            if holds && !firing {
                paged.push(m);
            }
            firing = holds;
        }
        assert!(paged.is_empty(), "{paged:?}");
    }

    #[test]
    fn a_job_on_a_key_silent_between_jobs_pages_the_first_time_only() {
        // Ten minutes at $1 a minute every two hours, nothing between (a QA job its queue
        // sets off), after a first hour of the key's usual trickle.
        let f = pages(1200, |m| {
            if m < 60 {
                0.01
            } else if m % 120 < 10 {
                0.1
            } else {
                0.0
            }
        });
        assert!(f.iter().any(|m| (120..130).contains(m)), "{f:?}");
        assert!(f.iter().all(|m| *m < 240), "{f:?}");
    }

    #[test]
    fn a_backfill_level_held_an_hour_pages_the_first_time_only() {
        let f = pages(1200, key_with(&[(300, 420, 5.0), (900, 1020, 5.0)]));
        assert!(f.iter().any(|m| (300..310).contains(m)), "{f:?}");
        assert!(f.iter().all(|m| *m < 900), "{f:?}");
    }

    #[test]
    fn a_rise_stopped_within_the_hour_pages_again_once_it_outlasts_it_or_past_the_level_held() {
        // Stopped after 30 minutes: not a level the key holds, but a burst (engine/bursts.rs):
        // a rise like it pages once it has lasted the burst's 30 minutes and a window more.
        let f = pages(1200, key_with(&[(300, 330, 5.0), (900, 1020, 5.0)]));
        assert!(f.iter().any(|m| (930..945).contains(m)), "{f:?}");
        assert!(!f.iter().any(|m| (900..930).contains(m)), "{f:?}");
        // Twice the burst's level: paged at once.
        let f = pages(1200, key_with(&[(300, 330, 5.0), (900, 1020, 10.0)]));
        assert!(f.iter().any(|m| (900..910).contains(m)), "{f:?}");
        // Twice the level held: a rise beyond what the key has done.
        let f = pages(1200, key_with(&[(300, 420, 5.0), (900, 1020, 10.0)]));
        assert!(f.iter().any(|m| (900..910).contains(m)), "{f:?}");
    }
}
