//! Bursts a group's spend rose to, paged for, and came back from within the hour: the next
//! rise like one of them (no higher, no longer) is a job the key runs (a QA job its queue
//! sets off, a news story's readers, an eval suite), not a runaway, and `spend_over_baseline`
//! does not page for it until it outlasts them.
//!
//! Why: a key that is silent between jobs has a trailing baseline of nothing, so every job
//! reads as "over 1000×" and pages (`CallCentre`'s QA key: a job of 3–15 minutes every hour or
//! two by day paged at the first job after every quiet spell, 2–4 times a day). The minutes of
//! a rise that paged are never learnt (a runaway must not lift its own baseline), so the key
//! never learns its jobs either. Levels held for an hour or more are engine/held_levels.rs's;
//! this is the same memory for rises that end by themselves sooner.
//!
//! What is remembered, and why so narrowly:
//! * **Only a rise that paged**, so the first job of its kind still pages: nobody has seen the
//!   key do it.
//! * **Only one that came back down within [`MAX_BURST_MIN`]**, measured on 5-minute sums: its
//!   peak sum (the level a later rise is judged against) and its length (from the page to the
//!   last minute its spend stood at half the peak). A runaway still running never excuses
//!   anything; one stopped by hand is remembered like a job.
//! * **For a week** ([`KEEP_DAYS`]), the highest peak and the longest length of each day.
//!
//! And how it is used: a rise whose window stays within a remembered peak's bound waits, at
//! most the longest remembered length and the longest span judged more ([`Bursts::excuses`]); one that
//! outlasts that, or rises past the peak's bound, pages. The cost, said plainly: a runaway on
//! a key that had such a burst, at no more than its peak, pages that much later (a loop that
//! crashed after ten minutes yesterday and loops again today pages after fifteen).

use super::held_levels::KEEP_DAYS;

/// The longest rise remembered as a burst; a longer one is a level (engine/held_levels.rs).
pub const MAX_BURST_MIN: i64 = 60;
/// The sums a burst is measured on, in minutes.
const SUM_MIN: usize = 5;
const MINUTES_PER_DAY: i64 = 1440;

/// One group's remembered bursts (about 250 bytes).
#[derive(Debug, Default)]
pub struct Bursts {
    /// The last [`SUM_MIN`] minutes' spend, by minute modulo its length.
    recent: [f64; SUM_MIN],
    /// Where the group is: no rise, a rise that paged, or one that outlasted a burst.
    state: State,
    /// Per day (day number, peak 5-minute sum, length in minutes): the day's bursts.
    known: [(i64, f64, i64); KEEP_DAYS],
    /// The minute the rise now excused began to be, while one is.
    excused_since: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default)]
enum State {
    #[default]
    Idle,
    Rising(Rise),
    TooLong,
}

/// A rise that paged: the minute it paged in, the highest 5-minute sum since, and the last
/// minute the sum stood at half of it.
#[derive(Clone, Copy, Debug)]
struct Rise {
    paged: i64,
    peak: f64,
    last_high: i64,
}

impl Bursts {
    /// Learns complete minute `minute` spending `usd`; `firing` when the group's page is
    /// firing then. Minutes come in order, each once.
    pub fn learn(&mut self, minute: i64, usd: f64, firing: bool) {
        self.recent[minute.rem_euclid(SUM_MIN as i64) as usize] = usd;
        let sum: f64 = self.recent.iter().sum();
        let mut rise = match self.state {
            State::Idle if firing => Rise {
                paged: minute,
                peak: sum,
                last_high: minute,
            },
            State::Idle => return,
            State::TooLong => {
                // A level, or a runaway that ran past the hour: nothing is remembered of it,
                // and the next page starts a rise afresh once this one is over.
                if !firing {
                    self.state = State::Idle;
                }
                return;
            }
            State::Rising(rise) => rise,
        };
        rise.peak = rise.peak.max(sum);
        if sum >= rise.peak / 2.0 {
            rise.last_high = minute;
        }
        let came_back = !firing && sum < rise.peak / 4.0;
        self.state = if came_back {
            self.remember(
                minute.div_euclid(MINUTES_PER_DAY),
                rise.peak,
                rise.last_high - rise.paged + 1,
            );
            State::Idle
        } else if minute - rise.paged + 1 > MAX_BURST_MIN {
            State::TooLong
        } else {
            State::Rising(rise)
        };
    }

    fn remember(&mut self, day: i64, peak: f64, length: i64) {
        let slot = &mut self.known[day.rem_euclid(KEEP_DAYS as i64) as usize];
        if slot.0 != day {
            *slot = (day, 0.0, 0);
        }
        slot.1 = slot.1.max(peak);
        slot.2 = slot.2.max(length);
    }

    /// The highest peak (USD per minute, over its 5-minute sum) and the longest length
    /// (minutes) remembered over the last [`KEEP_DAYS`] days as of `minute`; `(0, 0)` when
    /// none.
    pub fn known(&self, minute: i64) -> (f64, i64) {
        let today = minute.div_euclid(MINUTES_PER_DAY);
        self.known
            .iter()
            .filter(|(day, ..)| today - day < KEEP_DAYS as i64 && *day <= today)
            .fold((0.0, 0), |(peak, length), (_, p, l)| {
                (peak.max(*p / SUM_MIN as f64), length.max(*l))
            })
    }

    /// Whether a rise that holds at `minute`, within a remembered burst's bound, still waits:
    /// it has not yet lasted the longest remembered burst and `window` more (the longest span
    /// judged: a burst's windows hold that long after it).
    pub fn excuses(&mut self, minute: i64, window: i64) -> bool {
        let (_, length) = self.known(minute);
        let since = *self.excused_since.get_or_insert(minute);
        minute - since < length + window
    }

    /// Whether a rise is waiting as a burst now: its minutes are not learnt, so that if it
    /// outlasts the bursts it is judged against the baseline before it.
    pub fn excusing(&self) -> bool {
        self.excused_since.is_some()
    }

    /// Nothing holds any more (or it paged): the next rise is timed afresh.
    pub fn rest(&mut self) {
        self.excused_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes `from..to` at `usd` a minute, firing over `fire`.
    fn feed(b: &mut Bursts, from: i64, to: i64, usd: f64, fire: std::ops::Range<i64>) {
        for m in from..to {
            b.learn(m, usd, fire.contains(&m));
        }
    }

    #[test]
    fn a_job_that_paged_and_ended_is_remembered_with_its_peak_and_length() {
        let mut b = Bursts::default();
        feed(&mut b, 0, 100, 0.0, 0..0);
        // Ten minutes at $1 a minute, paged from its third minute.
        feed(&mut b, 100, 110, 1.0, 102..112);
        feed(&mut b, 110, 200, 0.0, 0..0);
        let (peak, length) = b.known(200);
        assert_eq!(peak, 1.0);
        // From the page (minute 102) to the last 5-minute sum at half the peak (minute 111).
        assert_eq!(length, 10);
        // A week later it is forgotten.
        assert_eq!(b.known(200 + KEEP_DAYS as i64 * MINUTES_PER_DAY), (0.0, 0));
    }

    #[test]
    fn a_rise_that_never_paged_a_level_and_a_runaway_still_running_are_not() {
        let mut swell = Bursts::default();
        feed(&mut swell, 0, 30, 1.0, 0..0);
        feed(&mut swell, 30, 100, 0.0, 0..0);
        assert_eq!(swell.known(100), (0.0, 0));

        let mut level = Bursts::default();
        feed(&mut level, 0, 120, 1.0, 0..120);
        feed(&mut level, 120, 200, 0.0, 0..0);
        assert_eq!(level.known(200), (0.0, 0));

        let mut running = Bursts::default();
        feed(&mut running, 0, 40, 1.0, 2..40);
        assert_eq!(running.known(40), (0.0, 0));
    }

    #[test]
    fn a_rise_is_excused_for_the_longest_burst_and_a_window_then_timed_afresh() {
        let mut b = Bursts::default();
        feed(&mut b, 0, 10, 1.0, 2..12);
        feed(&mut b, 10, 60, 0.0, 0..0);
        let (_, length) = b.known(60);
        assert_eq!(length, 10);
        assert!((100..115).all(|m| b.excuses(m, 5)));
        assert!(!b.excuses(115, 5));
        b.rest();
        assert!(b.excuses(200, 5));
    }
}
