//! The world behind `Freight`'s streams: Rotterdam's clock (the run opening on a Monday at
//! 01:00 CET), the road-freight week, the hours of the dispatch office, the drivers and the
//! deliveries, Tuesday's storm, the jobs' clocks and the run's own draws.

use rand::rngs::StdRng;
use rand::Rng;

use super::{lognormal, minutes, DAY_S, HOUR_S};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in Rotterdam (CET, UTC+1:
/// summer time ended on 25 October): Monday 01:00, counted from that Monday's 00:00 local
/// (local day 0).
pub const LOCAL_AT_START_S: f64 = HOUR_S;
/// The day of the storm: Tuesday (local day 1).
pub const STORM_DAY: i64 = 1;
/// A typical weekday, the one every stream's base rate is its mean over: Thursday 5 November
/// (local day 3), a midweek day without the storm or its backlog.
pub const TYPICAL_DAY: i64 = 3;
/// The days the jobs' clocks are drawn for: the week from the Sunday before the run (its jobs
/// the backlogs' first edges).
pub const JOB_DAYS: i64 = 8;
const FIRST_JOB_DAY: i64 = -1;
/// The documents job's cron minute past every hour, and the nightly audit's hour (02:30).
pub const DOCS_CRON_MIN: f64 = 5.0;
pub const AUDIT_HOUR: f64 = 2.5;
/// The exceptions the monitors raise round the clock (ETA breaches, temperature alarms), as a
/// share of a typical day's; the rest follow the drivers.
pub const EXCEPTIONS_FLOOR: f64 = 0.3;
/// How much of the deliveries (and their paperwork) the closed terminals hold back at the
/// storm's height.
pub const STORM_HOLD: f64 = 0.6;

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

/// A local day's freight against a midweek day's: Monday the week's heaviest (the weekend's
/// orders, and the trucks the German Sunday ban held until 22:00 on the road), Friday lighter,
/// Saturday a morning's, Sunday near-still.
pub fn week(day: i64, monday_lift: f64) -> f64 {
    match day.rem_euclid(7) {
        0 => monday_lift,
        1..=3 => 1.0,
        4 => 0.9,
        5 => 0.35,
        _ => 0.12,
    }
}

/// The dispatch office at each local hour (0–24, the next midnight repeating the first): a
/// night desk, the morning's departures and exceptions 07:00–10:00, a lunch dip, the afternoon
/// planning tomorrow's loads 14:00–17:00, empty by 20:00. The carriers' billing desks keep the
/// same hours (their invoices' arrivals).
pub const OFFICE: [f64; 25] = [
    0.03, 0.03, 0.03, 0.04, 0.08, 0.25, 0.60, 0.90, 1.00, 0.95, 0.85, 0.75, 0.50, 0.65, 0.85, 0.95,
    0.90, 0.65, 0.35, 0.18, 0.10, 0.07, 0.05, 0.04, 0.03,
];
/// The drivers on the road: night trunking at a sixth of the day, starts from 04:00, loading
/// 06:00–08:00, a plateau, the deliveries' end of shift 15:00–17:00, the night departures at
/// 22:00.
pub const DRIVERS: [f64; 25] = [
    0.15, 0.12, 0.12, 0.18, 0.40, 0.75, 1.00, 1.00, 0.90, 0.80, 0.75, 0.70, 0.60, 0.70, 0.80, 0.90,
    0.95, 0.85, 0.60, 0.40, 0.30, 0.25, 0.30, 0.22, 0.15,
];
/// Deliveries and their paperwork uploaded (proofs of delivery, CMR scans, customs papers): the
/// receivers' dock hours 08:00–17:00.
pub const DELIVERIES: [f64; 25] = [
    0.05, 0.05, 0.05, 0.05, 0.06, 0.10, 0.20, 0.50, 0.80, 0.95, 1.00, 1.00, 0.85, 0.90, 1.00, 1.00,
    0.95, 0.80, 0.55, 0.35, 0.20, 0.12, 0.08, 0.06, 0.05,
];

/// A curve's value at local hour `h` (linear between the hours).
pub fn hourly(curve: &[f64; 25], h: f64) -> f64 {
    let i = (h.floor() as usize).min(23);
    curve[i] + (h - i as f64) * (curve[i + 1] - curve[i])
}

/// Tuesday's autumn storm: a code-orange gale over the Maasvlakte stops the terminals' cranes
/// (they stop at 20 m/s of wind) from `start` (the wind reaching the limit over `rise_s`) to
/// `end` (reopening over 20 minutes). While it blows trucks queue at closed gates and miss their
/// slots: the drivers' messages, the dispatchers' replanning and the exceptions rise by their
/// factors, and the deliveries (their paperwork) are held back; after it the gates clear a
/// backlog, `catch_up` of a peak hour's paperwork decaying over `catch_up_s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Storm {
    pub start: f64,
    pub end: f64,
    pub rise_s: f64,
    pub drivers: f64,
    pub dispatch: f64,
    pub exceptions: f64,
    pub catch_up: f64,
    pub catch_up_s: f64,
}

/// The terminals' reopening (seconds).
pub const REOPEN_S: f64 = 1200.0;

impl Storm {
    /// How far the storm holds the port at `t`: 0 before and after, 1 at its height.
    pub fn level(&self, t: f64) -> f64 {
        if t < self.start || t >= self.end + REOPEN_S {
            0.0
        } else if t < self.start + self.rise_s {
            (t - self.start) / self.rise_s
        } else if t < self.end {
            1.0
        } else {
            1.0 - (t - self.end) / REOPEN_S
        }
    }

    /// The backlog cleared after the reopening at `t` (in a peak hour's deliveries).
    pub fn backlog(&self, t: f64) -> f64 {
        if t < self.end {
            0.0
        } else {
            self.catch_up * (-(t - self.end) / self.catch_up_s).exp()
        }
    }
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Monday's freight over a midweek day's.
    pub monday_lift: f64,
    pub storm: Storm,
    /// The dispatch copilot: its system prompt, tools and the board's loads (tokens, on each
    /// conversation's 5-minute cache), and the share of turns that look something up (a tool
    /// call, then the answer).
    pub board: u64,
    pub tool_share: f64,
    /// The drivers' messages' instructions (tokens, uncached: under haiku's least cacheable
    /// prompt).
    pub driver_prompt: u64,
    /// The documents job: its extraction instructions, schema and examples (tokens, on the
    /// 1-hour cache), its workers' pace (documents a minute) and each hourly job's start after
    /// the cron minute (seconds: the host's queue and the mailbox pull), from Sunday 00:05.
    pub extraction: u64,
    pub docs_per_min: f64,
    pub docs_delays: Vec<f64>,
    /// The nightly audit: its instructions (tokens, on the 1-hour cache), each carrier's tariff
    /// sheet (tokens, on the 5-minute cache) and its share of the invoices, the workers' pace
    /// (invoices a minute) and each night's wait for the ERP's export after 02:30 (seconds).
    pub audit_instructions: u64,
    pub tariffs: Vec<u64>,
    pub carrier_shares: Vec<f64>,
    pub audit_per_min: f64,
    pub audit_waits: Vec<f64>,
    /// The exceptions agent: its system prompt, tools and the network's policies (tokens, on the
    /// 5-minute cache), its thinking budget (tokens), and its pods' pick-up of a config change
    /// in a rolling restart (seconds after it, one pod after another).
    pub agent_prefix: u64,
    pub budget: u64,
    pub pods: Vec<f64>,
    /// The raw shapes' means over the typical day (the invoices': over the day before it,
    /// which the typical day's audit reads).
    dispatch_mean: f64,
    drivers_mean: f64,
    deliveries_mean: f64,
    invoices_mean: f64,
    exceptions_mean: f64,
}

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let start = at_local(STORM_DAY, rng.random_range(4.0..10.0));
        let storm = Storm {
            start,
            end: start + HOUR_S * rng.random_range(6.0..12.0),
            rise_s: 60.0 * rng.random_range(30.0..90.0),
            drivers: rng.random_range(1.6..2.4),
            dispatch: rng.random_range(1.4..2.0),
            exceptions: rng.random_range(2.0..3.0),
            catch_up: rng.random_range(0.5..1.0),
            catch_up_s: HOUR_S * rng.random_range(1.5..3.0),
        };
        let carriers = rng.random_range(20..=40);
        // Carriers' volumes are Zipf-like: a few big hauliers, many small ones.
        let zipf = rng.random_range(0.9..1.2);
        let weights: Vec<f64> = (1..=carriers).map(|r| f64::from(r).powf(-zipf)).collect();
        let total: f64 = weights.iter().sum();
        let step = rng.random_range(12.0..25.0);
        let mut run = Run {
            monday_lift: rng.random_range(1.15..1.35),
            storm,
            board: rng.random_range(7_000..13_000),
            tool_share: rng.random_range(0.4..0.7),
            driver_prompt: rng.random_range(700..1_200),
            extraction: rng.random_range(6_000..10_000),
            docs_per_min: rng.random_range(30.0..50.0),
            docs_delays: (0..JOB_DAYS * 24)
                .map(|_| lognormal(rng, 90.0, 0.6).min(600.0))
                .collect(),
            audit_instructions: rng.random_range(2_500..4_000),
            tariffs: (0..carriers)
                .map(|_| rng.random_range(6_000..16_000))
                .collect(),
            carrier_shares: weights.iter().map(|w| w / total).collect(),
            audit_per_min: rng.random_range(15.0..25.0),
            audit_waits: (0..JOB_DAYS)
                .map(|_| lognormal(rng, 360.0, 0.7).min(2_400.0))
                .collect(),
            agent_prefix: rng.random_range(9_000..14_000),
            budget: rng.random_range(1_024..2_048),
            pods: Vec::new(),
            dispatch_mean: 1.0,
            drivers_mean: 1.0,
            deliveries_mean: 1.0,
            invoices_mean: 1.0,
            exceptions_mean: 1.0,
        };
        run.pods = (0..rng.random_range(3..=5))
            .map(|i| step * f64::from(i + 1) * rng.random_range(0.8..1.2))
            .collect();
        let mean_over = |day: i64, f: &dyn Fn(f64) -> f64| {
            minutes(at_local(day, 0.0), at_local(day + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        run.dispatch_mean = mean_over(TYPICAL_DAY, &|t| run.dispatch_raw(t));
        run.drivers_mean = mean_over(TYPICAL_DAY, &|t| run.drivers_raw(t));
        run.deliveries_mean = mean_over(TYPICAL_DAY, &|t| run.deliveries_raw(t));
        run.invoices_mean = mean_over(TYPICAL_DAY - 1, &|t| run.invoices_raw(t));
        run.exceptions_mean = mean_over(TYPICAL_DAY, &|t| run.exceptions_raw(t));
        run
    }

    fn week_at(&self, t: f64) -> (f64, f64) {
        let (day, h) = local(t);
        (week(day, self.monday_lift), h)
    }

    fn dispatch_raw(&self, t: f64) -> f64 {
        let (w, h) = self.week_at(t);
        let s = &self.storm;
        // Replanning: the storm's missed slots, then rebooking while the backlog clears.
        let storm = 1.0 + (s.dispatch - 1.0) * s.level(t) + 0.5 * s.backlog(t);
        hourly(&OFFICE, h) * w * storm
    }

    fn drivers_raw(&self, t: f64) -> f64 {
        let (w, h) = self.week_at(t);
        let s = &self.storm;
        hourly(&DRIVERS, h) * w * (1.0 + (s.drivers - 1.0) * s.level(t))
    }

    fn deliveries_raw(&self, t: f64) -> f64 {
        let (w, h) = self.week_at(t);
        let s = &self.storm;
        w * (hourly(&DELIVERIES, h) * (1.0 - STORM_HOLD * s.level(t)) + s.backlog(t))
    }

    fn invoices_raw(&self, t: f64) -> f64 {
        let (w, h) = self.week_at(t);
        hourly(&OFFICE, h) * w
    }

    fn exceptions_raw(&self, t: f64) -> f64 {
        let (w, h) = self.week_at(t);
        let s = &self.storm;
        let base = EXCEPTIONS_FLOOR + (1.0 - EXCEPTIONS_FLOOR) * hourly(&DRIVERS, h);
        base * w * (1.0 + (s.exceptions - 1.0) * s.level(t))
    }

    /// Dispatchers' conversations opened at `t`, 1 on average over the typical day.
    pub fn dispatch(&self, t: f64) -> f64 {
        self.dispatch_raw(t) / self.dispatch_mean
    }

    /// Drivers' messages at `t`, 1 on average over the typical day.
    pub fn drivers(&self, t: f64) -> f64 {
        self.drivers_raw(t) / self.drivers_mean
    }

    /// Documents uploaded at `t`, 1 on average over the typical day.
    pub fn deliveries(&self, t: f64) -> f64 {
        self.deliveries_raw(t) / self.deliveries_mean
    }

    /// Carriers' invoices received at `t`, 1 on average over the day before the typical one.
    pub fn invoices(&self, t: f64) -> f64 {
        self.invoices_raw(t) / self.invoices_mean
    }

    /// Exceptions raised at `t`, 1 on average over the typical day.
    pub fn exceptions(&self, t: f64) -> f64 {
        self.exceptions_raw(t) / self.exceptions_mean
    }

    /// The hourly documents jobs' starts (seconds into the run), from Sunday 00:05 local.
    pub fn docs_jobs(&self) -> Vec<f64> {
        self.docs_delays
            .iter()
            .enumerate()
            .map(|(k, d)| at_local(FIRST_JOB_DAY, k as f64 + DOCS_CRON_MIN / 60.0) + d)
            .collect()
    }

    /// The nightly audits' starts (seconds into the run), from Sunday's.
    pub fn audit_jobs(&self) -> Vec<f64> {
        self.audit_waits
            .iter()
            .enumerate()
            .map(|(d, w)| at_local(FIRST_JOB_DAY + d as i64, AUDIT_HOUR) + w)
            .collect()
    }
}
