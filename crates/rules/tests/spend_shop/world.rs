//! The world behind `Shop`'s streams: Berlin's clock (the run opening on the Sunday of the
//! Cyber weekend at 18:00 CET), the week's calendar (that Sunday, Cyber Monday, the Tuesday
//! after it, a normal Monday two weeks before), the shoppers' days and their phones, Cyber
//! Monday's flash sales, and the clocks of the catalogue's changes, the merchandisers' edits
//! and the returns desk.

use super::{DAY_S, HOUR_S};

/// The harness's first instant, read by this shop as Sunday 29 November 2026, 18:00 CET (UTC+1:
/// summer time ended on 25 October), counted from that Sunday's 00:00 local (local day 0). The
/// harness stamps its lines from 2 November 00:00 UTC; the rules know no calendar, only the
/// time since the first line, so the shop's week is told by this clock alone.
pub const LOCAL_AT_START_S: f64 = 18.0 * HOUR_S;
/// The Sunday of the Cyber weekend (local day 0), the run's first evening.
pub const CYBER_SUNDAY: i64 = 0;
/// Cyber Monday, 30 November (local day 1): the deals live from 00:00 to 24:00.
pub const CYBER_MONDAY: i64 = 1;
/// The Tuesday after it, 1 December (local day 2): the hangover.
pub const AFTER_TUESDAY: i64 = 2;
/// Wednesday 2 December (local day 3): the exhaustion's last ten hours.
pub const WEDNESDAY: i64 = 3;
/// A normal Monday, 16 November 2026 (local day −13), two weeks before Black Friday and its
/// week of deals: every stream's base rate is its mean over this day.
pub const NORMAL_MONDAY: i64 = -13;
/// The catalogue's nightly job: its cron at 02:00 local.
pub const NIGHTLY_HOUR: f64 = 2.0;
/// The nights the jobs' start delays are drawn for: from the night before the normal Monday to
/// the Thursday after Cyber Monday (the exhaustion's 64 h end on Wednesday at 10:00).
pub const FIRST_NIGHT: i64 = NORMAL_MONDAY - 1;
pub const NIGHTS: usize = 19;
/// The whole hours a flash sale may be announced for on Cyber Monday (both included): the shop
/// spends its sales on the day's troughs, the late morning and the afternoon, and leaves the
/// evening's peak, which needs no help, to itself (the last sale's shoppers gone by about 19:00).
pub const SALE_HOURS: (u32, u32) = (10, 18);
/// Cyber Monday's catalogue changes over a normal day's: the deal pages' copy, December's
/// arrivals from the suppliers' feeds.
pub const CYBER_CHANGES: f64 = 1.2;
/// The merchandisers' manual edits: a weekend's over a weekday's (one on call), Cyber Monday's
/// (prices and deal pages fixed by hand all day).
pub const WEEKEND_EDITS: f64 = 0.4;
pub const CYBER_EDITS: f64 = 1.5;
/// The returns desk on a weekend (the intake only), and on Cyber Monday (half the desk lent to
/// customer service).
pub const WEEKEND_RETURNS: f64 = 0.5;
pub const CYBER_RETURNS: f64 = 0.8;

/// The local (day, hour) of `t` seconds into the run (day 0 the Cyber weekend's Sunday).
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    let day = (s / DAY_S).floor() as i64;
    (day, (s - day as f64 * DAY_S) / HOUR_S)
}

/// The instant (seconds into a run) of local `hour` on local day `day`.
pub fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
}

/// Whether local `day` is a Saturday or a Sunday (day 0 a Sunday).
pub fn weekend(day: i64) -> bool {
    matches!(day.rem_euclid(7), 0 | 6)
}

/// Shoppers on a weekday at each local hour (0–24), the evening peak 1: a small fraction at
/// night, the commute on phones, the office hours' browsing with a lunchtime bump, the evening
/// peak 20:00–22:00 on the sofa.
pub const WEEKDAY: [f64; 25] = [
    0.30, 0.16, 0.09, 0.06, 0.05, 0.07, 0.15, 0.28, 0.36, 0.40, 0.44, 0.50, 0.62, 0.58, 0.46, 0.45,
    0.48, 0.55, 0.66, 0.80, 0.96, 1.00, 0.82, 0.52, 0.30,
];
/// Shoppers on a weekend day, on the weekday's scale: a late morning, a long afternoon, and
/// Sunday evening the week's peak (the phones on the sofa, 19:00–22:00).
pub const WEEKEND: [f64; 25] = [
    0.34, 0.18, 0.10, 0.06, 0.05, 0.05, 0.08, 0.14, 0.24, 0.36, 0.46, 0.52, 0.55, 0.55, 0.56, 0.60,
    0.66, 0.76, 0.92, 1.10, 1.25, 1.30, 1.05, 0.66, 0.34,
];
/// The shoppers on phones (the app and the mobile site) at each local hour: the commute and the
/// evening, fewer at the office's desks.
pub const WEEKDAY_MOBILE: [f64; 25] = [
    0.62, 0.62, 0.60, 0.60, 0.60, 0.60, 0.62, 0.66, 0.60, 0.42, 0.38, 0.38, 0.50, 0.48, 0.38, 0.38,
    0.40, 0.50, 0.58, 0.60, 0.60, 0.62, 0.64, 0.64, 0.62,
];
pub const WEEKEND_MOBILE: [f64; 25] = [
    0.66, 0.66, 0.64, 0.62, 0.62, 0.62, 0.64, 0.66, 0.68, 0.68, 0.66, 0.64, 0.64, 0.64, 0.64, 0.66,
    0.68, 0.70, 0.74, 0.78, 0.80, 0.80, 0.78, 0.72, 0.66,
];
/// Catalogue changes (new products from the suppliers' feeds, the merchandisers' flagged pages)
/// at each local hour: the feeds through the night, the office hours most.
pub const CHANGES: [f64; 25] = [
    0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.40, 0.60, 0.90, 1.00, 1.00, 1.00, 0.80, 0.90, 1.00, 1.00,
    0.95, 0.80, 0.55, 0.45, 0.40, 0.38, 0.36, 0.35, 0.35,
];
/// The merchandisers' manual edits: office hours with a lunch dip, a few in the evening, next
/// to none at night.
pub const EDITS: [f64; 25] = [
    0.04, 0.03, 0.03, 0.03, 0.03, 0.03, 0.05, 0.30, 0.90, 1.00, 1.00, 0.95, 0.60, 0.80, 1.00, 1.00,
    0.95, 0.75, 0.40, 0.25, 0.20, 0.15, 0.10, 0.06, 0.04,
];
/// The returns desk's cases handed to the agent: the desk's hours 07:00–19:00 (its queue worked
/// through), the automated intake's small share at night.
pub const RETURNS_DESK: [f64; 25] = [
    0.15, 0.12, 0.10, 0.10, 0.10, 0.12, 0.20, 0.60, 0.95, 1.00, 1.00, 1.00, 0.85, 0.95, 1.00, 1.00,
    0.95, 0.90, 0.70, 0.45, 0.30, 0.25, 0.20, 0.18, 0.15,
];

/// A curve's value at local hour `h` (linear between the hours).
pub fn hourly(curve: &[f64; 25], h: f64) -> f64 {
    let i = (h.floor() as usize).min(23);
    curve[i] + (h - i as f64) * (curve[i + 1] - curve[i])
}

/// One of Cyber Monday's flash sales: announced for a whole hour (`at`, by the newsletter and a
/// push to the app), the shoppers arrive within `rise_s` (2–5 minutes: linearly to `peak` times
/// what they would have been), then leave over `decay_s` (30–60 minutes: the excess e-folding
/// over a third of it, 5 % of it left at the end).
#[derive(Clone, Debug, PartialEq)]
pub struct FlashSale {
    pub at: f64,
    pub rise_s: f64,
    pub peak: f64,
    pub decay_s: f64,
}

impl FlashSale {
    /// The excess over 1 the sale brings the shoppers' streams at `t`.
    pub fn excess(&self, t: f64) -> f64 {
        if t < self.at {
            return 0.0;
        }
        let x = t - self.at;
        let up = (x / self.rise_s).min(1.0);
        let down = (-3.0 * (x - self.rise_s).max(0.0) / self.decay_s).exp();
        (self.peak - 1.0) * up * down
    }
}
