//! The exhaustion scenario: a burn that runs the balance out at a known time, judged on what a
//! forecast can know.
//!
//! **Two starts.** *Cold*: the balance runs out 30 h into the history, so the 24 h warning is
//! due 3.6–10 h in. *Warm*: it runs out 54 h in, so the warning is due with a day of history
//! (28–34 h in). A day-shaped burn's daily mean cannot be told from less than a day of it (a
//! morning seen is not a day to come), so the cold start is asserted only on the burns that are
//! steady (`Steady`, `Sessions`, `Tenants`, `Cascades`: the "steady burn"), and reported
//! for the day-shaped ones; the warm start is asserted on every generator.
//!
//! **The true time is the expected one.** The spend of the next hours has a spread of its own
//! (a conversation more or less, an eval suite's burst): no forecast can know it, and judging a
//! page against the one realised future judges that chance as much as the rule. So each run's
//! pages are judged against when the balance runs out *in expectation given what was spent*:
//! from the firing moment, with the run's own spend to then, at the mean spend of
//! [`REALISATIONS`] other realisations of the same run (its parameters drawn once; the calls,
//! their tokens and their timing drawn anew). The realised time is reported beside it.

use callwatch_core::cost::{Budget, Credit};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{begin_run, cost, first, hours, replay, spend_between, streams, Call, Generator, T0};

/// Other realisations of a run averaged for its expected spend: the mean's own spread is the
/// single run's over √16 (a Launch run's 2-hour spend, ±35 %, is ±9 % in the mean, and 30 hours
/// of it ±2 %).
const REALISATIONS: u64 = 16;

/// When the balance runs out, and how long the history runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Out at 30 h of a 40 h history.
    Cold,
    /// Out at 54 h of a 64 h history: a day of history before the warning is due.
    Warm,
}

impl Start {
    fn exhausted_at_s(self) -> f64 {
        match self {
            Start::Cold => 30.0 * 3600.0,
            Start::Warm => 54.0 * 3600.0,
        }
    }
}

/// Whether the generator's burn is steady: no daily shape, no growth.
pub fn steady_burn(g: Generator) -> bool {
    matches!(
        g,
        Generator::Steady | Generator::Sessions | Generator::Tenants | Generator::Cascades
    )
}

/// One start's pages over the seeds: leads and how far the said runway was off, against the
/// expected exhaustion and against the realised one.
#[derive(Default)]
pub struct RunwayTally {
    pub warning_lead_h: Vec<f64>,
    pub critical_lead_min: Vec<f64>,
    pub error_expected: Vec<f64>,
    pub error_realised: Vec<f64>,
    pub warning_lead_realised_h: Vec<f64>,
    pub critical_lead_realised_min: Vec<f64>,
    /// Pages whose said runway is > 10 % off the expected time left / the realised.
    pub off_expected: u64,
    pub off_realised: u64,
    pub pages: u64,
}

impl RunwayTally {
    pub fn report(&self, label: &str, summary: impl Fn(&[f64]) -> String) {
        if self.pages == 0 {
            return;
        }
        println!(
            "  {label}: warning lead (h) {}; critical lead (min) {}; said vs expected (rel. error) {}, {} of {} > 10 %; realised: warning lead {}, critical lead {}, said vs realised {}, {} of {} > 10 %",
            summary(&self.warning_lead_h),
            summary(&self.critical_lead_min),
            summary(&self.error_expected),
            self.off_expected,
            self.pages,
            summary(&self.warning_lead_realised_h),
            summary(&self.critical_lead_realised_min),
            summary(&self.error_realised),
            self.off_realised,
            self.pages,
        );
    }
}

/// The run's expected spend, minute by minute.
struct Expected {
    /// Expected spend before the start of each minute (USD); one more entry than minutes.
    cumulative: Vec<f64>,
}

impl Expected {
    /// The mean of [`REALISATIONS`] realisations of the run whose parameters `begin_run` drew
    /// last (on this thread), over `[0, end)`.
    fn of(g: Generator, seed: u64, end: f64) -> Expected {
        let minutes = (end / 60.0).ceil() as usize;
        let mut per_minute = vec![0.0; minutes];
        for k in 0..REALISATIONS {
            // Far from every scenario's own seeds.
            let mut rng = StdRng::seed_from_u64((1 << 40) + seed * REALISATIONS + k);
            for c in streams(g, &mut rng, end, &|_| 1.0) {
                let m = ((c.t / 60.0) as usize).min(minutes - 1);
                per_minute[m] += cost(&c) / REALISATIONS as f64;
            }
        }
        let mut cumulative = Vec::with_capacity(minutes + 1);
        let mut sum = 0.0;
        cumulative.push(sum);
        for usd in per_minute {
            sum += usd;
            cumulative.push(sum);
        }
        Expected { cumulative }
    }

    /// Expected spend before `t` seconds (linear within a minute).
    fn at(&self, t: f64) -> f64 {
        let m = (t / 60.0).max(0.0);
        let i = (m.floor() as usize).min(self.cumulative.len() - 2);
        let frac = (m - i as f64).clamp(0.0, 1.0);
        self.cumulative[i] + frac * (self.cumulative[i + 1] - self.cumulative[i])
    }

    /// When `balance` runs out in expectation, `spent` having been spent by `from`: the first
    /// time the expected spend from `from` on covers what is left. `None` past the history.
    fn runs_out(&self, from: f64, spent: f64, balance: f64) -> Option<f64> {
        let need = self.at(from) + (balance - spent);
        if need <= self.at(from) {
            return Some(from);
        }
        let i = self.cumulative.partition_point(|c| *c < need);
        if i == 0 || i >= self.cumulative.len() {
            return None;
        }
        let (lo, hi) = (self.cumulative[i - 1], self.cumulative[i]);
        let frac = if hi > lo {
            (need - lo) / (hi - lo)
        } else {
            0.0
        };
        Some(((i - 1) as f64 + frac) * 60.0)
    }
}

/// What a page must do: (runway_below label, least lead, most lead) — within 10 % of the
/// threshold above it, at least 20 h / 100 min ahead.
const PAGES: [(&str, f64, f64); 2] = [
    ("24h", 20.0 * 3600.0, 24.0 * 3600.0 * 1.1),
    ("2h", 100.0 * 60.0, 2.0 * 3600.0 * 1.1),
];

/// Runs the scenario for one seed; a failure for every page missing, outside its band or said
/// more than 10 % off the expected time left, when `asserted`.
pub fn exhaustion(
    g: Generator,
    seed: u64,
    start: Start,
    tally: &mut RunwayTally,
    failures: &mut Vec<String>,
) {
    let asserted = start == Start::Warm || steady_burn(g);
    let mut rng = StdRng::seed_from_u64(seed + if start == Start::Warm { 5000 } else { 0 });
    let target = start.exhausted_at_s();
    let end = target + 10.0 * 3600.0;
    begin_run(g, &mut rng);
    let mut calls = streams(g, &mut rng, end, &|_| 1.0);
    calls.sort_by(|a, b| a.t.total_cmp(&b.t));
    let expected = Expected::of(g, seed, end);
    // The balance runs out at `target` of this very stream.
    let balance = spend_between(&calls, 0.0, target);
    let realised_end = realised_exhaustion(&calls, balance).unwrap_or(end);
    let budget = Budget {
        credit: Some(Credit {
            balance_usd: balance,
            as_of: T0,
        }),
        monthly_spend_limit_usd: None,
    };
    let spent_before: Vec<(f64, f64)> = running_spend(&calls);
    let alerts = replay(&mut calls, budget);
    let debug = std::env::var_os("SPEND_DEBUG").is_some();
    let name = format!("{g:?} seed {seed} {start:?}");
    for (level, min_lead, max_lead) in PAGES {
        let Some(a) = first(&alerts, "CreditRunwayLow", Some(("runway_below", level))) else {
            if asserted {
                failures.push(format!("{name}: no {level} page"));
            }
            continue;
        };
        let at = (a.at - T0).as_seconds_f64();
        let spent = spent_by(&spent_before, at);
        let Some(expected_end) = expected.runs_out(at, spent, balance) else {
            failures.push(format!(
                "{name}: {level}: no expected exhaustion in the history"
            ));
            continue;
        };
        let lead = expected_end - at;
        let lead_realised = realised_end - at;
        let said = a.values.get("runway_s").copied().unwrap_or(f64::NAN);
        tally.pages += 1;
        if level == "24h" {
            tally.warning_lead_h.push(hours(lead));
            tally.warning_lead_realised_h.push(hours(lead_realised));
        } else {
            tally.critical_lead_min.push(lead / 60.0);
            tally.critical_lead_realised_min.push(lead_realised / 60.0);
        }
        let error = (said - lead).abs() / lead;
        let error_realised = (said - lead_realised).abs() / lead_realised;
        tally.error_expected.push(error);
        tally.error_realised.push(error_realised);
        tally.off_expected += u64::from(error > 0.1);
        tally.off_realised += u64::from(error_realised > 0.1);
        if debug {
            println!(
                "  {name} {level}: at {:.2} h, said {:.2} h, expected {:.2} h, realised {:.2} h, rate {:.2} $/h: {}",
                hours(at),
                hours(said),
                hours(lead),
                hours(lead_realised),
                a.values
                    .get("burn_rate_usd_per_hour")
                    .copied()
                    .unwrap_or(f64::NAN),
                a.summary
            );
        }
        if !asserted {
            continue;
        }
        if !(min_lead..=max_lead).contains(&lead) {
            failures.push(format!(
                "{name}: {level} fired {:.2} h before the expected exhaustion (allowed {:.2}–{:.2} h)",
                hours(lead),
                hours(min_lead),
                hours(max_lead)
            ));
        }
        if error > 0.1 {
            failures.push(format!(
                "{name}: {level} said {:.2} h left, expected {:.2} h (realised {:.2} h)",
                hours(said),
                hours(lead),
                hours(lead_realised)
            ));
        }
    }
}

/// When the calls' running spend reaches `balance`.
fn realised_exhaustion(calls: &[Call], balance: f64) -> Option<f64> {
    let mut spent = 0.0;
    calls
        .iter()
        .find(|c| {
            spent += cost(c);
            spent >= balance
        })
        .map(|c| c.t)
}

/// Each call's time and the spend up to and including it, in time order.
fn running_spend(calls: &[Call]) -> Vec<(f64, f64)> {
    let mut spent = 0.0;
    calls
        .iter()
        .map(|c| {
            spent += cost(c);
            (c.t, spent)
        })
        .collect()
}

/// The spend of the calls before or at `t` (what the engine had seen when it fired at `t`).
fn spent_by(running: &[(f64, f64)], t: f64) -> f64 {
    let i = running.partition_point(|(at, _)| *at <= t);
    if i == 0 {
        0.0
    } else {
        running[i - 1].1
    }
}
