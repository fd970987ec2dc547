//! The world behind `Hospital`'s streams: Melbourne's clock (the run opening on a Monday at
//! 11:00 AEDT), the hospital's days (clinics, the patients' evenings, the morning bloods, the
//! nursing shifts), Melbourne Cup Day, the nightly jobs' clocks and the run's own draws.

use rand::rngs::StdRng;
use rand::Rng;

use super::{lognormal, minutes, DAY_S, HOUR_S};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in Melbourne (AEDT, UTC+11:
/// daylight saving began on 4 October): Monday 11:00, counted from that Monday's 00:00 local
/// (local day 0).
pub const LOCAL_AT_START_S: f64 = 11.0 * HOUR_S;
/// Melbourne Cup Day, the first Tuesday of November: a public holiday in Victoria (local day 1).
pub const CUP_DAY: i64 = 1;
/// The race that stops the nation: 15:00 at Flemington.
pub const RACE_HOUR: f64 = 15.0;
/// A typical weekday, the one every stream's base rate is its mean over: Wednesday 4 November
/// (local day 2), inside the exhaustion's 64 hours.
pub const TYPICAL_DAY: i64 = 2;
/// The nursing handovers (local hours): night to morning, morning to afternoon, afternoon to
/// night, each shift overlapping the next by half an hour.
pub const HANDOVERS: [f64; 3] = [7.0, 13.5, 21.0];
/// How much of a ward's patients each handover writes up: the morning's every patient (the
/// night's events, the day's plan), the afternoon's fewer (a shorter update), the night's most.
pub const HANDOVER_WEIGHTS: [f64; 3] = [1.0, 0.7, 0.9];
/// The nightly jobs' hours: the coding of the day's discharged episodes at 21:00, the drafting
/// of the day's expected discharges' summaries at 05:30.
pub const CODING_HOUR: f64 = 21.0;
pub const PREP_HOUR: f64 = 5.5;
/// The days the jobs' clocks are drawn for: Sunday (before the run) to Thursday.
pub const JOB_DAYS: i64 = 5;
const FIRST_JOB_DAY: i64 = -1;

/// The local (day, hour) of `t` seconds into the run (day 0 the Monday).
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    let day = (s / DAY_S).floor() as i64;
    (day, (s - day as f64 * DAY_S) / HOUR_S)
}

/// The instant (seconds into a run) of local `hour` on local day `day`.
pub fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
}

/// The clinicians at each local hour (0–24): ward rounds from 08:00, outpatient clinics
/// 09:00–17:00 with a lunch dip, the emergency department and the wards through the night.
pub const CLINICS: [f64; 25] = [
    0.06, 0.05, 0.05, 0.05, 0.05, 0.06, 0.10, 0.30, 0.85, 1.00, 1.00, 0.95, 0.70, 0.75, 0.90, 0.90,
    0.80, 0.50, 0.25, 0.15, 0.12, 0.10, 0.08, 0.07, 0.06,
];
/// The floor the emergency department and the wards keep (a share of a clinic's peak hour).
pub const WARDS_FLOOR: f64 = 0.06;
/// Patients writing through the portal: before work, at lunch, and most after dinner.
pub const PORTAL: [f64; 25] = [
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.20, 0.55, 0.80, 0.85, 0.75, 0.70, 0.80, 0.70, 0.65, 0.65,
    0.70, 0.80, 0.90, 1.00, 1.00, 0.85, 0.55, 0.25, 0.10,
];
/// Pathology and imaging results filed: the morning bloods (drawn 05:00–07:00) resulted
/// 07:00–10:00, the day's clinics, the emergency department's round the clock.
pub const RESULTS: [f64; 25] = [
    0.35, 0.30, 0.30, 0.30, 0.35, 0.45, 0.65, 0.95, 1.00, 0.95, 0.85, 0.80, 0.75, 0.75, 0.75, 0.70,
    0.65, 0.60, 0.55, 0.50, 0.45, 0.45, 0.40, 0.38, 0.35,
];
/// The results the emergency department and the wards file, a share of the peak hour's, that
/// a holiday does not close.
pub const RESULTS_FLOOR: f64 = 0.35;
/// Discharges (the day's episodes closed): from the 10:00 target to the late afternoon.
pub const DISCHARGES: [f64; 25] = [
    0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.05, 0.10, 0.25, 0.60, 1.00, 1.00, 0.90, 0.80, 0.70, 0.60,
    0.45, 0.30, 0.20, 0.12, 0.08, 0.06, 0.05, 0.04, 0.03,
];

/// A curve's value at local hour `h` (linear between the hours).
pub fn hourly(curve: &[f64; 25], h: f64) -> f64 {
    let i = (h.floor() as usize).min(23);
    curve[i] + (h - i as f64) * (curve[i + 1] - curve[i])
}

/// Melbourne Cup Day: the outpatient clinics and the elective lists closed (the scribe at the
/// emergency department's and the wards' floor plus `clinics` of a clinic day), the patients'
/// morning later (`portal_morning` of a weekday's before noon), fewer results (`results` of the
/// day's above the floor) and discharges (`discharges` of a weekday's); and the race: for the
/// minutes around 15:00 (`race_lead_s` before the jump, `race_s` in all) the people's streams
/// fall to `race_dip` of their rate, then come back over ten minutes.
#[derive(Clone, Debug, PartialEq)]
pub struct Cup {
    pub clinics: f64,
    pub portal_morning: f64,
    pub results: f64,
    pub discharges: f64,
    pub race_start: f64,
    pub race_s: f64,
    pub race_dip: f64,
}

/// The people's return after the race (seconds).
pub const RACE_RECOVERY_S: f64 = 600.0;

impl Cup {
    /// The people's streams' factor at `t`: 1 but around the race.
    pub fn race(&self, t: f64) -> f64 {
        let end = self.race_start + self.race_s;
        if t < self.race_start || t >= end + RACE_RECOVERY_S {
            1.0
        } else if t < end {
            self.race_dip
        } else {
            self.race_dip + (1.0 - self.race_dip) * (t - end) / RACE_RECOVERY_S
        }
    }
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub cup: Cup,
    /// Monday's portal over a midweek day's: the messages patients kept over the weekend.
    pub monday_portal: f64,
    /// The scribe: each specialty's system prompt and note templates (tokens, on the 1-hour
    /// cache) and its share of the consultations (Zipf: the emergency department, general
    /// medicine, surgery, then the small clinics).
    pub specialties: Vec<u64>,
    pub specialty_shares: Vec<f64>,
    /// The portal's triage instructions (tokens, uncached).
    pub portal_prompt: u64,
    /// The handovers: each ward's handover instructions, template and standing orders (tokens,
    /// on the 5-minute cache), and how long before the handover its summaries are drafted
    /// (the spread of the burst, seconds).
    pub wards: Vec<u64>,
    pub handover_lead_s: f64,
    pub handover_spread_s: f64,
    /// The nightly jobs: the coding standards (tokens, on the 5-minute cache while the job
    /// runs), the discharge summaries' instructions, the coding job's share of `k-batch`, the
    /// workers' paces (calls a minute) and each night's start after its hour (seconds).
    pub coding_standards: u64,
    pub prep_instructions: u64,
    pub coding_share: f64,
    pub coding_per_min: f64,
    pub prep_per_min: f64,
    pub coding_delays: Vec<f64>,
    pub prep_delays: Vec<f64>,
    /// The results agent: its system prompt, the reference ranges and the escalation
    /// protocols (tokens, on the 5-minute cache); a rendered page of a PDF report (tokens: the
    /// page's image and its text); its workers' feature-flag refresh (each worker's pick-up of
    /// a flag's change, seconds after it).
    pub agent_prefix: u64,
    pub page_tokens: u64,
    pub workers: Vec<f64>,
    /// The raw shapes' means over the typical day (the jobs': over the window its jobs read).
    scribe_mean: f64,
    portal_mean: f64,
    handover_mean: f64,
    results_mean: f64,
    discharges_mean: f64,
    flags_mean: f64,
}

fn zipf_shares(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|r| (r as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let race_lead = 60.0 * rng.random_range(5.0..12.0);
        let cup = Cup {
            clinics: rng.random_range(0.25..0.45),
            portal_morning: rng.random_range(0.6..0.8),
            results: rng.random_range(0.6..0.85),
            discharges: rng.random_range(0.55..0.75),
            race_start: at_local(CUP_DAY, RACE_HOUR) - race_lead,
            race_s: race_lead + 60.0 * rng.random_range(4.0..8.0),
            race_dip: rng.random_range(0.3..0.5),
        };
        let n_specialties = rng.random_range(8..=14);
        let zipf = rng.random_range(0.9..1.3);
        let ttl = rng.random_range(30.0..90.0);
        let mut run = Run {
            cup,
            monday_portal: rng.random_range(1.15..1.3),
            specialties: (0..n_specialties)
                .map(|_| rng.random_range(2_500..5_000))
                .collect(),
            specialty_shares: zipf_shares(n_specialties, zipf),
            portal_prompt: rng.random_range(800..1_300),
            wards: (0..rng.random_range(18..=28))
                .map(|_| rng.random_range(3_000..6_000))
                .collect(),
            handover_lead_s: 60.0 * rng.random_range(12.0..20.0),
            handover_spread_s: 60.0 * rng.random_range(6.0..10.0),
            coding_standards: rng.random_range(10_000..16_000),
            prep_instructions: rng.random_range(2_000..3_500),
            coding_share: rng.random_range(0.75..0.85),
            coding_per_min: rng.random_range(45.0..70.0),
            prep_per_min: rng.random_range(12.0..20.0),
            coding_delays: (0..JOB_DAYS)
                .map(|_| lognormal(rng, 60.0, 0.6).min(600.0))
                .collect(),
            prep_delays: (0..JOB_DAYS)
                .map(|_| lognormal(rng, 60.0, 0.6).min(600.0))
                .collect(),
            agent_prefix: rng.random_range(8_000..12_000),
            page_tokens: rng.random_range(1_800..2_600),
            workers: Vec::new(),
            scribe_mean: 1.0,
            portal_mean: 1.0,
            handover_mean: 1.0,
            results_mean: 1.0,
            discharges_mean: 1.0,
            flags_mean: 1.0,
        };
        run.workers = (0..rng.random_range(4..=8))
            .map(|_| rng.random_range(0.0..ttl))
            .collect();
        let mean_over = |from: f64, f: &dyn Fn(f64) -> f64| {
            minutes(from, from + DAY_S).map(f).sum::<f64>() / 1440.0
        };
        let day = at_local(TYPICAL_DAY, 0.0);
        run.scribe_mean = mean_over(day, &|t| run.scribe_raw(t));
        run.portal_mean = mean_over(day, &|t| run.portal_raw(t));
        run.handover_mean = mean_over(day, &|t| run.handover_raw(t));
        run.results_mean = mean_over(day, &|t| run.results_raw(t));
        // The typical day's jobs read the day before their hour.
        run.discharges_mean = mean_over(day + (CODING_HOUR - 24.0) * HOUR_S, &|t| {
            run.discharges_raw(t)
        });
        run.flags_mean = mean_over(day + (PREP_HOUR - 24.0) * HOUR_S, &|t| run.flags_raw(t));
        run
    }

    fn cup_day(t: f64) -> Option<f64> {
        let (day, h) = local(t);
        (day == CUP_DAY).then_some(h)
    }

    fn scribe_raw(&self, t: f64) -> f64 {
        let (_, h) = local(t);
        let c = hourly(&CLINICS, h);
        let c = match Self::cup_day(t) {
            Some(_) => WARDS_FLOOR + self.cup.clinics * (c - WARDS_FLOOR).max(0.0),
            None => c,
        };
        c * self.cup.race(t)
    }

    fn portal_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let morning = match Self::cup_day(t) {
            Some(h) if h < 12.0 => self.cup.portal_morning,
            _ => 1.0,
        };
        let monday = if day == 0 { self.monday_portal } else { 1.0 };
        hourly(&PORTAL, h) * morning * monday * self.cup.race(t)
    }

    /// The handovers' bursts: each a bell of the drafts, `handover_lead_s` before the
    /// handover, over the whole day's handovers (the previous and next days' reaching in).
    fn handover_raw(&self, t: f64) -> f64 {
        let (day, _) = local(t);
        let mut x = 0.005;
        for d in [day - 1, day, day + 1] {
            for (hour, w) in HANDOVERS.iter().zip(HANDOVER_WEIGHTS) {
                let at = at_local(d, *hour) - self.handover_lead_s;
                let z = (t - at) / self.handover_spread_s;
                x += w * (-0.5 * z * z).exp();
            }
        }
        x
    }

    fn results_raw(&self, t: f64) -> f64 {
        let (_, h) = local(t);
        let r = hourly(&RESULTS, h);
        match Self::cup_day(t) {
            Some(_) => RESULTS_FLOOR + self.cup.results * (r - RESULTS_FLOOR).max(0.0),
            None => r,
        }
    }

    fn discharges_raw(&self, t: f64) -> f64 {
        let (_, h) = local(t);
        let cup = Self::cup_day(t).map_or(1.0, |_| self.cup.discharges);
        hourly(&DISCHARGES, h) * cup
    }

    /// The consultants flag tomorrow's expected discharges on their rounds and clinics.
    fn flags_raw(&self, t: f64) -> f64 {
        let (_, h) = local(t);
        let cup = Self::cup_day(t).map_or(1.0, |_| self.cup.clinics.max(0.5));
        hourly(&CLINICS, h) * cup
    }

    /// Consultations the scribe writes up at `t`, 1 on average over the typical day.
    pub fn scribe(&self, t: f64) -> f64 {
        self.scribe_raw(t) / self.scribe_mean
    }

    /// Patients' portal messages at `t`, 1 on average over the typical day.
    pub fn portal(&self, t: f64) -> f64 {
        self.portal_raw(t) / self.portal_mean
    }

    /// Handover summaries drafted at `t`, 1 on average over the typical day.
    pub fn handover(&self, t: f64) -> f64 {
        self.handover_raw(t) / self.handover_mean
    }

    /// Results filed at `t`, 1 on average over the typical day.
    pub fn results(&self, t: f64) -> f64 {
        self.results_raw(t) / self.results_mean
    }

    /// Discharged episodes' documents filed at `t`, 1 on average over the day the typical
    /// day's coding job reads.
    pub fn discharges(&self, t: f64) -> f64 {
        self.discharges_raw(t) / self.discharges_mean
    }

    /// Expected discharges flagged at `t`, 1 on average over the day the typical day's
    /// drafting job reads.
    pub fn flags(&self, t: f64) -> f64 {
        self.flags_raw(t) / self.flags_mean
    }

    /// The nightly coding jobs' starts (seconds into the run), from Sunday's.
    pub fn coding_jobs(&self) -> Vec<f64> {
        self.coding_delays
            .iter()
            .enumerate()
            .map(|(d, w)| at_local(FIRST_JOB_DAY + d as i64, CODING_HOUR) + w)
            .collect()
    }

    /// The morning drafting jobs' starts (seconds into the run), from Sunday's.
    pub fn prep_jobs(&self) -> Vec<f64> {
        self.prep_delays
            .iter()
            .enumerate()
            .map(|(d, w)| at_local(FIRST_JOB_DAY + d as i64, PREP_HOUR) + w)
            .collect()
    }
}
