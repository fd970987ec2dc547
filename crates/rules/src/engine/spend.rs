//! Spend: what each call cost (its usage × the price table), what is left of the budget, and
//! the two spend detectors.
//!
//! * [`Runway`] (`credit_runway`): remaining credit ÷ burn rate. The burn rate is the LOWER of
//!   a short (30m) and a long (6h) trailing rate, i.e. the runway must be short on both: a
//!   one-off batch lifts only the short rate, so it cannot fire (the long rate barely moves),
//!   and when the spending stops the short rate drops at once, so the alert resolves quickly.
//!   A steady burn has both rates equal to the truth, so the runway is exact. The price of that
//!   safety is a slower start on a sudden sustained rise: the long rate catches up over hours
//!   (SpendRateSpike covers the first minutes of such a rise).
//! * [`SpendBaseline`] (`spend_over_baseline`): per-minute spend of one (model, key id) against
//!   its own EWMA baseline (mean and variance), with a one-sided CUSUM (the rising-400 rule's
//!   method, on dollars instead of a share): each minute adds its excess over the baseline in
//!   standard deviations, less one, capped at six, floored at zero; it fires when the sum
//!   reaches `cusum_limit` and the window's rate is at least `min_ratio` × the baseline. The
//!   baseline learns only from minutes outside an excursion, so a rise is not absorbed before
//!   it is judged; the cap keeps one outsized call from firing alone.
//!   An excursion freezes the baseline for at most two windows: a slow rise (a daily swell)
//!   that has not fired by then is learned, else the frozen baseline falls ever further behind
//!   it and steady traffic fires at 3× (the steady generator did, at 20 seeds).

use std::sync::Arc;

use time::OffsetDateTime;

use super::detector::Values;
use super::ring::{Counts, Ring};
use crate::model::RuleKind;
use callwatch_core::cost::{
    warn_unpriced_once, Budget, Price, PriceTable, SpendConfig, TokenCounts,
};
use callwatch_core::event::CallEvent;

/// How far back a balance read in the past can recount spend: the Admin API's export is
/// typically 4 hours behind; two days leaves room (one entry per minute with spend).
pub const LEDGER_MINUTES: i64 = 48 * 60;

/// Dollars are kept as micro-dollars in the per-second rings (integer counts).
const MICRO: f64 = 1e6;

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

fn micro(usd: f64) -> u64 {
    (usd.max(0.0) * MICRO).round() as u64
}

/// Burn rates over a short and a long trailing window.
pub struct Runway {
    short: Ring,
    long: Ring,
    first: Option<i64>,
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
        }
    }

    pub fn add(&mut self, sec: i64, usd: f64) -> bool {
        self.first = Some(self.first.map_or(sec, |f| f.min(sec)));
        let c = Counts {
            total: 1,
            matched: micro(usd),
        };
        let a = self.short.add(sec, c);
        let b = self.long.add(sec, c);
        a || b
    }

    pub fn advance(&mut self, end: i64) {
        self.short.advance(end);
        self.long.advance(end);
    }

    /// USD per second over `ring`'s window (or the part of it since spending was first seen).
    fn rate(ring: &Ring, end: i64, first: i64) -> f64 {
        let span = ring.window_s().min(end - first).max(1) as f64;
        ring.sum().matched as f64 / MICRO / span
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
        let short = Self::rate(&self.short, end, first);
        let long = Self::rate(&self.long, end, first);
        let rate = short.min(long);
        // The first budget to run out at this rate (a monthly limit that resets before it
        // would be reached does not count).
        let mut best: Option<(f64, Remaining)> = None;
        for r in spend.remaining(end) {
            let runway = if r.usd <= 0.0 {
                0.0
            } else if rate > 0.0 {
                r.usd / rate
            } else {
                f64::INFINITY
            };
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
            ..Values::default()
        };
        (holds, values)
    }
}

/// Per-minute spend against its own trailing baseline.
pub struct SpendBaseline {
    /// Spend per minute (the ring's slots are minutes, not seconds): a few hundred bytes per
    /// (model, key id), however many keys a fleet has.
    window: Ring,
    /// The minute being filled.
    minute: i64,
    /// Mean and variance of spend per minute: a plain running mean over the first
    /// `min_history`, then an EWMA; both learn only from minutes outside an excursion.
    mean: f64,
    var: f64,
    learned: u64,
    cusum: f64,
    /// Completed minutes in a row with the CUSUM at half its limit or more.
    excursion_minutes: u32,
}

/// The CUSUM's allowance per minute, in standard deviations: minutes within a deviation of
/// the baseline wear the sum down.
const DRIFT_SD: f64 = 1.0;
/// One minute adds at most this many deviations: a single outsized call (a session writing a
/// 100k-token cache) cannot fire alone; a rise must last.
const MAX_STEP_SD: f64 = 6.0;
/// The baseline stops learning during an excursion for at most this many windows.
const FREEZE_WINDOWS: u32 = 2;
/// The deviation is at least this share of the mean: a perfectly steady spend does not make
/// every cent of noise a deviation.
const MIN_SD_SHARE: f64 = 0.25;

impl SpendBaseline {
    pub fn new(kind: &RuleKind, eval_end: i64) -> SpendBaseline {
        SpendBaseline {
            window: Ring::new(
                (kind.window().as_secs() as i64 / 60).max(1),
                eval_end.div_euclid(60),
            ),
            // The series starts mid-minute: its first whole minute is the next one.
            minute: eval_end.div_euclid(60) + 1,
            mean: 0.0,
            var: 0.0,
            learned: 0,
            cusum: 0.0,
            excursion_minutes: 0,
        }
    }

    pub fn add(&mut self, sec: i64, usd: f64) -> bool {
        self.window.add(
            sec.div_euclid(60),
            Counts {
                total: 1,
                matched: micro(usd),
            },
        )
    }

    fn sd(&self) -> f64 {
        self.var.sqrt().max(MIN_SD_SHARE * self.mean)
    }

    /// Moves to `end`; each completed minute updates the CUSUM and (outside an excursion) the
    /// baseline.
    pub fn advance(&mut self, kind: &RuleKind, end: i64, firing: bool) {
        let minute = end.div_euclid(60);
        self.window.advance(minute);
        let RuleKind::SpendOverBaseline {
            baseline_half_life,
            min_history,
            cusum_limit,
            ..
        } = kind
        else {
            return;
        };
        if minute <= self.minute {
            return;
        }
        // The minute that just completed: its spend from the window ring.
        let last = self.window.get(minute - 1).matched as f64 / MICRO;
        let gap = (minute - self.minute).min(24 * 60);
        self.minute = minute;
        let alpha = 1.0 - 0.5f64.powf(60.0 / baseline_half_life.as_secs_f64().max(60.0));
        let warm_minutes = (min_history.as_secs() / 60).max(1);
        // Minutes skipped without calls (a jump of the clock) were minutes of zero spend.
        for _ in 1..gap {
            self.learn(0.0, alpha, warm_minutes, *cusum_limit, firing);
        }
        self.learn(last, alpha, warm_minutes, *cusum_limit, firing);
    }

    fn learn(&mut self, x: f64, alpha: f64, warm_minutes: u64, cusum_limit: f64, firing: bool) {
        if self.learned < warm_minutes {
            // Welford's running mean and variance: the baseline starts from what was seen.
            self.learned += 1;
            let d = x - self.mean;
            self.mean += d / self.learned as f64;
            self.var += (d * (x - self.mean) - self.var) / self.learned as f64;
            return;
        }
        let sd = self.sd();
        if sd > 0.0 {
            let z = ((x - self.mean) / sd).min(MAX_STEP_SD);
            self.cusum = (self.cusum + z - DRIFT_SD).max(0.0);
        }
        // Learn from every minute but those of an excursion under way (half the evidence to
        // fire): learning only from minutes with no evidence at all would keep the quiet
        // minutes and drop the busy ones, and drag the baseline down. For the mean a minute
        // counts at most three deviations above it, so a burst moves it little; the variance
        // takes the minute whole, so traffic that is bursty by nature (agent sessions, large
        // cached contexts) is judged against the spread it really has.
        // An excursion that has not fired within two windows is a slow rise (a daily swell the
        // EWMA lags), not a jump: the baseline learns again. Frozen for good, it fell ever
        // further behind the swell until steady traffic fired at 3×.
        let in_excursion = self.cusum >= cusum_limit / 2.0;
        self.excursion_minutes = if in_excursion {
            self.excursion_minutes.saturating_add(1)
        } else {
            0
        };
        let young =
            in_excursion && self.excursion_minutes <= FREEZE_WINDOWS * self.window_minutes();
        if !firing && !young {
            let d = x - self.mean;
            self.mean += alpha * (x.min(self.mean + 3.0 * sd) - self.mean);
            self.var = (1.0 - alpha) * (self.var + alpha * d * d);
            self.learned += 1;
        }
    }

    pub fn verdict(&self, kind: &RuleKind, firing: bool) -> (bool, Values) {
        let RuleKind::SpendOverBaseline {
            min_ratio,
            cusum_limit,
            min_history,
            min_spend_usd,
            ..
        } = kind
        else {
            return (false, Values::default());
        };
        let window_s = self.window.window_s() * 60;
        let window_usd = self.window.sum().matched as f64 / MICRO;
        let rate_per_min = window_usd / (window_s as f64 / 60.0);
        let warm = self.learned * 60 >= min_history.as_secs() && self.mean > 0.0;
        let ratio = if self.mean > 0.0 {
            rate_per_min / self.mean
        } else {
            0.0
        };
        let holds = warm
            && window_usd >= *min_spend_usd
            && if firing {
                // Holds while the rate stays well above the frozen baseline.
                ratio >= 1.0 + (min_ratio - 1.0) / 2.0
            } else {
                self.cusum >= *cusum_limit && ratio >= *min_ratio
            };
        let values = Values {
            threshold: Some(*min_ratio),
            spend_per_min_usd: Some(rate_per_min),
            baseline_per_min_usd: warm.then_some(self.mean),
            ratio: warm.then_some(ratio),
            window_s: Some(window_s as u64),
            ..Values::default()
        };
        (holds, values)
    }

    /// The window's length in minutes (the ring's slots are minutes).
    fn window_minutes(&self) -> u32 {
        u32::try_from(self.window.window_s())
            .unwrap_or(u32::MAX)
            .max(1)
    }

    pub fn on_resolve(&mut self) {
        self.cusum = 0.0;
    }
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
    }
}
