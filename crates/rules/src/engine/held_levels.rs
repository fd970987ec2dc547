//! Levels a group's spend rose to, paged for, held for an hour and came back from: the next
//! rise to such a level is a regime the key has (a backfill, a customer's busy period), not
//! a runaway, and `spend_over_baseline` does not page for it again.
//!
//! Why: a bulk key that backfills at 3–5× for a few hours every 6–12 (`Helpdesk`, 27 of its
//! 36 false pages in 60 quiet runs) pages at the start of every backfill, because to a
//! trailing baseline a backfill starting at 5× and a runaway at 6× are the same signal. The
//! first page is right (nobody has seen that key do it); each one after it is noise.
//!
//! What is remembered, and why so narrowly:
//! * **Only a rise that paged.** A daily swell, which never pages, is not remembered: a key
//!   whose working day is 4× its night would otherwise hide a 6× jump at night.
//! * **Only a level held for an hour**, measured as the least of four successive quarter
//!   hours' spend: a 10-minute batch, or a runaway stopped within the hour, is not a level,
//!   and the next one pages again.
//! * **Only once the spend came back down** (a quarter under half the highest quarter since
//!   the page) and the alert resolved: a runaway still running never raises its own bar.
//! * **For a week** ([`KEEP_DAYS`]), the highest level of each day.
//!
//! The cost, said plainly: a runaway on a key that had a remembered level fires only when it
//! clears that level's bound too (a loop that ran unattended for an hour yesterday, at the
//! same rate, does not page again today; CreditRunwayLow still counts its spend).

/// Minutes per quarter hour, and the quarters a level must hold.
const QUARTER_MIN: i64 = 15;
const HOLD_QUARTERS: usize = 4;
/// Days a remembered level is kept.
pub const KEEP_DAYS: usize = 7;
const MINUTES_PER_DAY: i64 = 1440;

/// One group's held levels (about 150 bytes).
#[derive(Debug, Default)]
pub struct HeldLevels {
    /// The quarter being filled (minute / 15) and its spend so far.
    quarter: i64,
    quarter_usd: f64,
    /// Spend of the last complete quarters since the page, newest at `(next + 3) % 4`.
    last: [f64; HOLD_QUARTERS],
    filled: usize,
    next: usize,
    /// Set by a page; cleared once the spend came back down.
    armed: bool,
    /// The highest quarter since the page, and the highest level held for an hour (USD per
    /// minute), `0` while no hour was held.
    peak_quarter: f64,
    held: f64,
    /// Per day (day number, USD per minute): the highest level remembered that day.
    known: [(i64, f64); KEEP_DAYS],
}

impl HeldLevels {
    /// Learns complete minute `minute` spending `usd`; `firing` when the group's page is
    /// firing at that time. Minutes come in order, each once.
    pub fn learn(&mut self, minute: i64, usd: f64, firing: bool) {
        if firing && !self.armed {
            // A new rise: quarters count from the one it paged in.
            *self = HeldLevels {
                known: self.known,
                armed: true,
                quarter: minute.div_euclid(QUARTER_MIN),
                ..HeldLevels::default()
            };
        }
        if !self.armed {
            return;
        }
        let quarter = minute.div_euclid(QUARTER_MIN);
        if quarter != self.quarter {
            let done = self.quarter_usd;
            self.close_quarter(minute, done, firing);
            self.quarter = quarter;
            self.quarter_usd = 0.0;
            if !self.armed {
                return;
            }
        }
        self.quarter_usd += usd;
    }

    fn close_quarter(&mut self, minute: i64, usd: f64, firing: bool) {
        // Came back down: the level held (from the quarters before this one) is remembered.
        if !firing && usd < self.peak_quarter / 2.0 {
            if self.held > 0.0 {
                self.remember(minute.div_euclid(MINUTES_PER_DAY), self.held);
            }
            self.armed = false;
            return;
        }
        self.last[self.next] = usd;
        self.next = (self.next + 1) % HOLD_QUARTERS;
        self.filled = (self.filled + 1).min(HOLD_QUARTERS);
        if self.filled == HOLD_QUARTERS {
            let least = self.last.iter().copied().fold(f64::INFINITY, f64::min);
            self.held = self.held.max(least / QUARTER_MIN as f64);
        }
        self.peak_quarter = self.peak_quarter.max(usd);
    }

    fn remember(&mut self, day: i64, level: f64) {
        let slot = &mut self.known[day.rem_euclid(KEEP_DAYS as i64) as usize];
        if slot.0 != day {
            *slot = (day, 0.0);
        }
        slot.1 = slot.1.max(level);
    }

    /// The highest level (USD per minute) remembered over the last [`KEEP_DAYS`] days as of
    /// `minute`; `0` when none.
    pub fn level(&self, minute: i64) -> f64 {
        let today = minute.div_euclid(MINUTES_PER_DAY);
        self.known
            .iter()
            .filter(|(day, _)| today - day < KEEP_DAYS as i64 && *day <= today)
            .map(|(_, level)| *level)
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes `from..to` at `usd` a minute, firing over `fire`.
    fn feed(h: &mut HeldLevels, from: i64, to: i64, usd: f64, fire: std::ops::Range<i64>) {
        for m in from..to {
            h.learn(m, usd, fire.contains(&m));
        }
    }

    #[test]
    fn a_rise_that_paged_held_an_hour_and_came_back_is_remembered() {
        let mut h = HeldLevels::default();
        feed(&mut h, 0, 120, 1.0, 0..0);
        feed(&mut h, 120, 240, 5.0, 125..140);
        feed(&mut h, 240, 300, 1.0, 0..0);
        assert_eq!(h.level(300), 5.0);
        // A week later it is forgotten.
        assert_eq!(h.level(300 + KEEP_DAYS as i64 * MINUTES_PER_DAY), 0.0);
    }

    #[test]
    fn a_swell_that_never_paged_a_short_batch_and_a_rise_still_firing_are_not() {
        let mut swell = HeldLevels::default();
        feed(&mut swell, 0, 600, 4.0, 0..0);
        feed(&mut swell, 600, 700, 1.0, 0..0);
        assert_eq!(swell.level(700), 0.0);

        let mut batch = HeldLevels::default();
        feed(&mut batch, 0, 60, 1.0, 0..0);
        feed(&mut batch, 60, 100, 8.0, 62..100);
        feed(&mut batch, 100, 200, 1.0, 0..0);
        assert_eq!(batch.level(200), 0.0);

        let mut running = HeldLevels::default();
        feed(&mut running, 0, 60, 1.0, 0..0);
        feed(&mut running, 60, 400, 6.0, 62..400);
        assert_eq!(running.level(400), 0.0);
    }

    #[test]
    fn the_level_is_the_least_quarter_of_the_best_hour() {
        let mut h = HeldLevels::default();
        // Quarters at 3, 4, 6, 5 a minute, then back to 1.
        feed(&mut h, 0, 15, 3.0, 0..15);
        feed(&mut h, 15, 30, 4.0, 0..0);
        feed(&mut h, 30, 45, 6.0, 0..0);
        feed(&mut h, 45, 60, 5.0, 0..0);
        feed(&mut h, 60, 90, 1.0, 0..0);
        assert_eq!(h.level(90), 3.0);
    }
}
