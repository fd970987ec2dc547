//! `Helpdesk`, the tenth generator (session 26), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the nine others, and held out: not run on the rules
//! (no alert computed on its calls) until the session's rule changes are merged, then run once.
//! A B2B support-automation API: customers' helpdesks send it their tickets (triage, a drafted
//! answer) through a key of their own. Three things none of the nine has:
//!
//! * **Many sparse per-customer keys in three time zones.** Each run has 30–60 customers
//!   (`k-c01`…`k-c60`, the first n), each with a key of its own and the model that key is
//!   pinned to (haiku, sonnet 4.6 or 4.5, a few on opus), at 0.05–2 calls a minute: 2–4 large
//!   customers at 1–2, the rest lognormal around 0.15 (0.05–0.9: most keys see a call every few
//!   minutes, fewer at night), each on its own region's business day: the Americas (UTC−5),
//!   Europe (UTC+1) or Asia-Pacific (UTC+10, a zone none of the nine uses; Fleet is UTC+8,
//!   Contracts IST, Saas UTC, Launch a drawn US hour). Tickets come in 08:00–20:00 local with
//!   a shoulder in office hours, nights at about a tenth of the afternoon, so a key is sparse
//!   all day and near-silent at night, and the sum's day is the three regions' days weighted
//!   by the run's customers: a shape of its own in every run, its trough (03:00–07:00 UTC,
//!   Asia-Pacific alone at work) deep or shallow with that region's share. Saas has six small
//!   keys beside a big one; here the sparse keys are the product. Each customer's system
//!   prompt (2k–12k tokens) is cached for 5 minutes: a key under a call every five minutes
//!   writes it on almost every call, a busy one reads it, so the cost per call differs by the
//!   key's own density.
//! * **A regime-switching rate.** Each customer, and the bulk endpoint (`k-batch`: customers'
//!   backfills of old tickets), switches between a normal and a busy regime as a two-state
//!   Markov chain: normal periods of 5–12 h on average, busy ones of 1–3 h at 2–3× (a
//!   customer's incident, a campaign; on `k-batch` a backfill at 3–5× for 1.5–3 h), entered
//!   and left over 10 minutes. The chain's rates and levels are the run's (drawn once); its
//!   path is chance (drawn from each stream's rng), so realisations of one run differ in when
//!   their customers are busy. No other generator has random regimes of hours: Diurnal's two
//!   heavy tenants switch on for about 40 minutes every 3 hours, Fleet's and Saas's rises are
//!   scheduled; here every customer has busy hours of its own, at a level of its own.
//! * **A release that raises every key's cost per call, for good.** At an hour of the first
//!   day (08:00–16:00 UTC, the vendor's working day in Europe, drawn per run) a new prompt
//!   version rolls out over 20 minutes: longer instructions and more retrieved snippets in,
//!   a reasoned answer out, every token kind +30–60 % (drawn per run) on every product key
//!   (customers, `k-app`, `k-batch`, `k-agent`), the new prefix written to the cache afresh. The
//!   call rate does not move; the spend does, shared by all keys, and stays (Saas's
//!   migration moves one stream to a cheaper model; Launch grows by calls).
//!
//! The shared background's keys are the vendor's own: `k-app`, the dashboard the customers'
//! support agents use (haiku classifying, sonnet rewriting), on the customers' three days
//! weighted by their sizes; `k-batch`, the bulk endpoint, flat but for its backfills.
//!
//! **The jump is more calls, ramping over 5 minutes.** `k-agent` (the harness's jumping key:
//! opus, 4 calls a minute) is the vendor's escalation agent on an autoscaled worker pool,
//! busy around the clock (neither day nor regimes). The scenario's `scale` on it is its call
//! rate, averaged over the last 5 minutes: a runaway re-queue adds workers one by one, so a
//! 6× step reaches 6× the calls (each the same size as before) over 5 minutes. Contracts'
//! jump is bigger calls over 3 minutes, the others' an abrupt step in calls. The jump at 3 h
//! is 03:00 UTC: the Americas' evening, Europe's night, Asia-Pacific's afternoon.
//!
//! What defines the run (its customers, their sizes, zones, models and prompts, the chains'
//! rates and levels, the release's hour and size) is drawn once by [`begin_run`]; which calls
//! come and when, their tokens, the regimes' paths and which calls the rollout reaches are drawn
//! from the `rng` each stream is given. The harness stamps every run from 00:00 UTC on a
//! Monday (2026-11-02): 64 hours end on the Wednesday at 16:00 UTC, all weekdays, so this
//! product has no weekend within the scenarios. The one-off batch (`k-oneoff`), and any key
//! this product does not know, is a job: calls at the harness's rate × its scale, no day, no
//! regime, no release.

use std::cell::RefCell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, logistic, lognormal, normal, ramped, thinned, Call, Thinning};

const HOUR_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]).
const ARRIVALS: Thinning = Thinning {
    margin: 1.05,
    sample_s: 60.0,
};

/// Customers a run may have: the keys `k-c01`…`k-c60`, of which a run uses the first 30–60.
pub const MAX_CUSTOMERS: usize = 60;
const CUSTOMER_KEYS: [&str; MAX_CUSTOMERS] = [
    "k-c01", "k-c02", "k-c03", "k-c04", "k-c05", "k-c06", "k-c07", "k-c08", "k-c09", "k-c10",
    "k-c11", "k-c12", "k-c13", "k-c14", "k-c15", "k-c16", "k-c17", "k-c18", "k-c19", "k-c20",
    "k-c21", "k-c22", "k-c23", "k-c24", "k-c25", "k-c26", "k-c27", "k-c28", "k-c29", "k-c30",
    "k-c31", "k-c32", "k-c33", "k-c34", "k-c35", "k-c36", "k-c37", "k-c38", "k-c39", "k-c40",
    "k-c41", "k-c42", "k-c43", "k-c44", "k-c45", "k-c46", "k-c47", "k-c48", "k-c49", "k-c50",
    "k-c51", "k-c52", "k-c53", "k-c54", "k-c55", "k-c56", "k-c57", "k-c58", "k-c59", "k-c60",
];

/// The customers' streams beside the shared background: (model, key, a multiple of the
/// customer's own rate, which [`begin_run`] draws; keys past the run's customers make no calls).
pub const EXTRA_STREAMS: [(&str, &str, f64); MAX_CUSTOMERS] = customer_streams();

const fn customer_streams() -> [(&'static str, &'static str, f64); MAX_CUSTOMERS] {
    let mut out = [("", "", 1.0); MAX_CUSTOMERS];
    let mut i = 0;
    while i < MAX_CUSTOMERS {
        out[i] = (customer_model(i), CUSTOMER_KEYS[i], 1.0);
        i += 1;
    }
    out
}

/// A customer's model: a third on haiku, a few on opus, some pinned to the older sonnet.
const fn customer_model(i: usize) -> &'static str {
    if i % 12 == 5 {
        "claude-opus-4-6"
    } else if i % 3 == 0 {
        "claude-haiku-4-5"
    } else if i % 7 == 6 {
        "claude-sonnet-4-5"
    } else {
        "claude-sonnet-4-6"
    }
}

const APP: &str = "k-app";
const BULK: &str = "k-batch";
const AGENT: &str = "k-agent";

/// The night's floor under a desk's day, a tenth of the afternoon's level (1.44 with it).
const NIGHT: f64 = 0.14;
/// How long the 5-minute cache keeps a prompt without a read.
const CACHE_5M_S: f64 = 300.0;
/// How long a regime takes to set in, and the new prompt version to reach every call.
const REGIME_RAMP_S: f64 = 600.0;
const ROLLOUT_S: f64 = 1200.0;
/// How long the escalation agent's worker pool takes to scale to a new rate.
const AGENT_RAMP_S: f64 = 300.0;

/// Where a customer's users are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    Americas,
    Europe,
    Pacific,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Americas, Region::Europe, Region::Pacific];

    fn utc_offset_h(self) -> f64 {
        match self {
            Region::Americas => -5.0,
            Region::Europe => 1.0,
            Region::Pacific => 10.0,
        }
    }

    /// The local hour at `t` (seconds from 00:00 UTC).
    pub fn local_hour(self, t: f64) -> f64 {
        (t / HOUR_S + self.utc_offset_h()).rem_euclid(24.0)
    }

    fn draw(rng: &mut StdRng) -> Region {
        let u: f64 = rng.random();
        if u < 0.45 {
            Region::Americas
        } else if u < 0.8 {
            Region::Europe
        } else {
            Region::Pacific
        }
    }
}

/// A two-state Markov chain's parameters: the busy regime's level (a multiple of the normal
/// rate) and each regime's mean length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regimes {
    pub busy_level: f64,
    pub normal_mean_s: f64,
    pub busy_mean_s: f64,
}

impl Regimes {
    /// The share of the time spent busy, in the long run.
    pub fn busy_share(&self) -> f64 {
        self.busy_mean_s / (self.normal_mean_s + self.busy_mean_s)
    }

    /// The level's long-run mean: rates are divided by it, so a stream keeps its mean rate.
    pub fn mean_level(&self) -> f64 {
        1.0 + (self.busy_level - 1.0) * self.busy_share()
    }

    /// A path over `[start, end)`: the state at `start` from the long-run shares, each regime's
    /// length exponential (memoryless, so the first one's remainder is too), at least a ramp.
    pub fn path(&self, rng: &mut StdRng, start: f64, end: f64) -> RegimePath {
        let busy_at_start = rng.random::<f64>() < self.busy_share();
        let mut switches = Vec::new();
        let mut busy = busy_at_start;
        let mut t = start;
        loop {
            let mean = if busy {
                self.busy_mean_s
            } else {
                self.normal_mean_s
            };
            t += exp(rng, mean).max(REGIME_RAMP_S);
            if t >= end {
                break;
            }
            switches.push(t);
            busy = !busy;
        }
        RegimePath {
            regimes: *self,
            busy_at_start,
            switches,
        }
    }
}

/// One realisation of a chain: when it switched.
#[derive(Clone, Debug)]
pub struct RegimePath {
    regimes: Regimes,
    busy_at_start: bool,
    pub switches: Vec<f64>,
}

impl RegimePath {
    pub fn busy(&self, t: f64) -> bool {
        let k = self.switches.partition_point(|s| *s <= t);
        self.busy_at_start ^ (k % 2 == 1)
    }

    /// The rate's multiple at `t`, 1 on average in the long run; a switch ramps over 10 minutes.
    pub fn level(&self, t: f64) -> f64 {
        let of = |busy: bool| {
            if busy {
                self.regimes.busy_level
            } else {
                1.0
            }
        };
        let k = self.switches.partition_point(|s| *s <= t);
        let now = of(self.busy(t));
        let level = match k.checked_sub(1).map(|i| self.switches[i]) {
            Some(at) if t - at < REGIME_RAMP_S => {
                let before = of(!self.busy(t));
                before + (now - before) * (t - at) / REGIME_RAMP_S
            }
            _ => now,
        };
        level / self.regimes.mean_level()
    }
}

/// One customer, as the run draws it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Customer {
    pub region: Region,
    /// Calls a minute on average over a day and the regimes.
    pub per_min: f64,
    /// The customer's cached system prompt (tokens, before the release).
    pub system_tokens: u64,
    pub regimes: Regimes,
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub customers: Vec<Customer>,
    /// Each region's share of the customers' calls (the dashboard follows it).
    pub region_share: [f64; 3],
    /// The bulk endpoint's backfills.
    pub backfills: Regimes,
    /// When the new prompt version starts rolling out, and what it adds to every call's tokens.
    pub release_at_s: f64,
    pub release_shift: f64,
}

impl Run {
    fn draw(rng: &mut StdRng) -> Run {
        let n = rng.random_range(30..=MAX_CUSTOMERS);
        let mut large = Vec::new();
        let large_n = rng.random_range(2..=4);
        while large.len() < large_n {
            let i = rng.random_range(0..n);
            if !large.contains(&i) {
                large.push(i);
            }
        }
        let customers: Vec<Customer> = (0..n)
            .map(|i| Customer {
                region: Region::draw(rng),
                per_min: if large.contains(&i) {
                    rng.random_range(1.0..2.0)
                } else {
                    (0.15 * (0.9 * normal(rng)).exp()).clamp(0.05, 0.9)
                },
                system_tokens: rng.random_range(2_000..12_000),
                regimes: Regimes {
                    busy_level: rng.random_range(2.0..3.0),
                    normal_mean_s: rng.random_range(5.0..12.0) * HOUR_S,
                    busy_mean_s: rng.random_range(1.0..3.0) * HOUR_S,
                },
            })
            .collect();
        let total: f64 = customers.iter().map(|c| c.per_min).sum();
        let region_share = Region::ALL.map(|r| {
            customers
                .iter()
                .filter(|c| c.region == r)
                .map(|c| c.per_min)
                .sum::<f64>()
                / total
        });
        Run {
            customers,
            region_share,
            backfills: Regimes {
                busy_level: rng.random_range(3.0..5.0),
                normal_mean_s: rng.random_range(6.0..12.0) * HOUR_S,
                busy_mean_s: rng.random_range(1.5..3.0) * HOUR_S,
            },
            release_at_s: rng.random_range(8.0..16.0) * HOUR_S,
            release_shift: rng.random_range(0.3..0.6),
        }
    }

    /// The dashboard's day: the customers' days weighted by their calls.
    pub fn all_regions_day(&self, t: f64) -> f64 {
        Region::ALL
            .iter()
            .zip(self.region_share)
            .map(|(r, share)| share * day(r.local_hour(t)))
            .sum()
    }

    /// The share of calls at `t` on the new prompt version.
    pub fn rolled_out(&self, t: f64) -> f64 {
        ((t - self.release_at_s) / ROLLOUT_S).clamp(0.0, 1.0)
    }
}

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's customers, chains and release for the streams generated after it.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_helpdesk::begin_run draws the run before its streams (background does)")
}

/// A support desk's day at local hour `h`, before normalising: tickets from 08:00 to 20:00,
/// more in office hours, nights at a tenth.
fn raw_day(h: f64) -> f64 {
    // The evening's ramp runs past midnight: the small hours are read as hour 24–28.
    let h = if h < 4.0 { h + 24.0 } else { h };
    let open = logistic((h - 8.0) / 0.6) * logistic((20.0 - h) / 0.9);
    let office = logistic((h - 9.5) / 0.5) * logistic((17.0 - h) / 0.5);
    NIGHT + open + 0.3 * office
}

/// The desk's day, 1 on average over a day.
pub fn day(h: f64) -> f64 {
    static MEAN: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let mean =
        MEAN.get_or_init(|| (0..1440).map(|m| raw_day(f64::from(m) / 60.0)).sum::<f64>() / 1440.0);
    raw_day(h) / mean
}

/// What a stream's calls are, by its key (and model, on `k-app`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// A customer's tickets (the customer's index in the run).
    Customer(usize),
    /// The dashboard classifying (haiku) and rewriting (sonnet).
    Classify,
    Rewrite,
    /// The bulk endpoint's backfills.
    Bulk,
    /// The escalation agent's turns.
    Agent,
    /// A job: the one-off batch, or a key the product does not know.
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        if let Some(i) = CUSTOMER_KEYS.iter().position(|k| *k == key) {
            return Work::Customer(i);
        }
        match key {
            APP if model.contains("haiku") => Work::Classify,
            APP => Work::Rewrite,
            BULK => Work::Bulk,
            AGENT => Work::Agent,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average (a customer's: times its drawn rate), times the scenario's `scale(t)`:
/// customers' keys also × their region's day × their regime, `k-app` × the customers' day,
/// `k-batch` × its backfills, `k-agent` at the scale averaged over the last 5 minutes.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let work = Work::of(model, key);
    let (per_min, customer) = match work {
        Work::Customer(i) => match run.customers.get(i) {
            Some(c) => (base_per_min * c.per_min, Some(*c)),
            None => return Vec::new(),
        },
        _ => (base_per_min, None),
    };
    let path = match (work, customer) {
        (_, Some(c)) => Some(c.regimes.path(rng, start, end)),
        (Work::Bulk, _) => Some(run.backfills.path(rng, start, end)),
        _ => None,
    };
    let regime = |t: f64| path.as_ref().map_or(1.0, |p| p.level(t));
    let rate = |t: f64| match (work, customer) {
        (_, Some(c)) => scale(t) * day(c.region.local_hour(t)) * regime(t),
        (Work::Classify | Work::Rewrite, _) => scale(t) * run.all_regions_day(t),
        (Work::Bulk, _) => scale(t) * regime(t),
        (Work::Agent, _) => agent_rate(scale, t),
        _ => scale(t),
    };
    let system = customer.map_or(
        match work {
            Work::Classify => 1_500,
            Work::Rewrite => 3_000,
            Work::Bulk => 2_000,
            _ => 6_000,
        },
        |c| c.system_tokens,
    );
    let mut calls = Calls {
        work,
        system,
        prompt_at: [None; 2],
    };
    let mut out = Vec::new();
    for t in thinned(ARRIVALS, rng, start, end, per_min, &rate) {
        let released = work != Work::Job && rng.random::<f64>() < run.rolled_out(t);
        let grow = if released {
            1.0 + run.release_shift
        } else {
            1.0
        };
        out.push(Call {
            t,
            model,
            key,
            usage: calls.next(rng, t, released, grow),
        });
    }
    out
}

/// The escalation agent's rate at `t`: the scale averaged over the last 5 minutes.
fn agent_rate(scale: &dyn Fn(f64) -> f64, t: f64) -> f64 {
    ramped(scale, t, AGENT_RAMP_S, 20)
}

/// One stream's calls' tokens and what its cache holds.
struct Calls {
    work: Work,
    /// The cached system prompt's tokens before the release.
    system: u64,
    /// When each prompt version's prefix was last touched (old, new).
    prompt_at: [Option<f64>; 2],
}

impl Calls {
    /// A cached prompt of `tokens` at `t`: (read, written), a read when the same version was
    /// touched under 5 minutes ago (the new version's prefix is a new cache entry).
    fn prompt(&mut self, t: f64, released: bool, tokens: u64) -> (u64, u64) {
        let at = &mut self.prompt_at[usize::from(released)];
        let warm = at.is_some_and(|a| t - a < CACHE_5M_S);
        *at = Some(t);
        if warm {
            (tokens, 0)
        } else {
            (0, tokens)
        }
    }

    /// A call's tokens, each kind × `grow` on the new version.
    fn next(&mut self, rng: &mut StdRng, t: f64, released: bool, grow: f64) -> Usage {
        let tokens = |x: f64| (x * grow) as u64 + 1;
        let (fresh, output, context) = match self.work {
            Work::Customer(_) => (
                lognormal(rng, 1_500.0, 0.7).min(30_000.0),
                lognormal(rng, 300.0, 0.6).min(4_000.0),
                0.0,
            ),
            Work::Classify => (
                lognormal(rng, 600.0, 0.6).min(10_000.0),
                lognormal(rng, 80.0, 0.4),
                0.0,
            ),
            Work::Rewrite => (
                lognormal(rng, 1_200.0, 0.6).min(20_000.0),
                lognormal(rng, 400.0, 0.5).min(4_000.0),
                0.0,
            ),
            Work::Bulk => (
                lognormal(rng, 4_000.0, 0.6).min(60_000.0),
                lognormal(rng, 500.0, 0.5).min(4_000.0),
                0.0,
            ),
            // The escalation's transcript is cached turn to turn, read on every turn.
            Work::Agent => (
                lognormal(rng, 1_000.0, 0.6),
                lognormal(rng, 600.0, 0.6).min(8_000.0),
                lognormal(rng, 15_000.0, 0.5),
            ),
            Work::Job => {
                return Usage {
                    input_tokens: lognormal(rng, 1_500.0, 0.6) as u64 + 1,
                    output_tokens: lognormal(rng, 250.0, 0.5) as u64 + 1,
                    ..Usage::default()
                }
            }
        };
        let (read, write) = self.prompt(t, released, tokens(self.system as f64));
        let context = if context > 0.0 { tokens(context) } else { 0 };
        Usage {
            input_tokens: tokens(fresh),
            output_tokens: tokens(output),
            cache_read_input_tokens: read + context,
            cache_creation_input_tokens: write,
            cache_creation_1h_input_tokens: 0,
        }
    }
}

#[cfg(test)]
mod tests;
