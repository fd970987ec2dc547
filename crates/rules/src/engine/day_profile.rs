//! The same time of day on previous days: one group's spend in 5-minute slots of the UTC day,
//! so that `spend_over_baseline` expects a rise that comes every day at this time (a working
//! day starting, a nightly job, a shift in the work mix) instead of reading it as a spike.
//!
//! Each slot keeps the spend of its 5 minutes on previous days, each new day moving it halfway
//! (a half-life of one day: yesterday counts most, a one-off day fades in a few). What a window
//! is expected to spend is the mean rate over the window widened by [`SPAN_MIN`] on each side
//! (a daily rise comes a few minutes early or late, and on a sparse key one slot is noise), or,
//! where that hour's spend came as a job, the job's rate (`job_rate`).
//! A slot not yet seen on a previous day (the first day of a group's history) gives no
//! reference: the trailing baseline judges alone until the history has a day.

/// Minutes per slot.
const SLOT_MIN: i64 = 5;
const MINUTES_PER_DAY: i64 = 1440;
const SLOTS: usize = (MINUTES_PER_DAY / SLOT_MIN) as usize;
/// How far a new day moves a slot (a half-life of one day).
const DAY_WEIGHT: f32 = 0.5;
/// Minutes of the previous days averaged on each side of the window judged.
const SPAN_MIN: i64 = 30;
/// The stretch a job's rate is read over: three slots, so one busy slot of a bursty key is
/// not a job.
const JOB_MIN: i64 = 15;

/// The rate (USD a minute) of a job in the previous days' spend around the window: the
/// busiest [`JOB_MIN`] minutes' rate less the widened span's mean `mean` (never below 0).
/// [`DayProfile::expected`] takes the larger of it and the mean, so it counts where the
/// busiest quarter hour stands over twice the mean: the spend came concentrated (a 20-minute
/// nightly job is 20 of the 65 minutes, its rate 3.25× the mean). The mean alone read the same
/// job the next night as "3× the same time yesterday" and paged; the busiest quarter hour
/// alone, on every key, stood a bursty key's reference well above its level and lost jumps
/// (docs/rules.md, session 31). Spend spread over the hour, bursty or not, has no quarter hour
/// at twice its mean, and keeps the mean.
fn job_rate(start: i64, end: i64, rate: impl Fn(i64) -> f64, mean: f64) -> f64 {
    if end - start < JOB_MIN {
        return 0.0;
    }
    let mut sum: f64 = (start..start + JOB_MIN).map(&rate).sum();
    let mut busiest = sum;
    for m in start + JOB_MIN..end {
        sum += rate(m) - rate(m - JOB_MIN);
        busiest = busiest.max(sum);
    }
    (busiest / JOB_MIN as f64 - mean).max(0.0)
}

/// One slot: the day it was last filled, that day's spend so far, and the previous days'
/// (USD over the slot's 5 minutes; `None` before a day has completed it).
#[derive(Clone, Copy, Debug)]
struct Slot {
    day: i32,
    today: f32,
    previous: Option<f32>,
}

const EMPTY: Slot = Slot {
    day: i32::MIN,
    today: 0.0,
    previous: None,
};

impl Slot {
    /// The previous days' spend as of `day`: the slot's own day counts once it is over.
    fn before(&self, day: i32) -> Option<f32> {
        if self.day == EMPTY.day {
            None
        } else if self.day < day {
            Some(self.folded())
        } else {
            self.previous
        }
    }

    fn folded(&self) -> f32 {
        match self.previous {
            Some(p) => p + DAY_WEIGHT * (self.today - p),
            None => self.today,
        }
    }
}

/// About 3.5 KB per group, allocated at the first minute learnt.
#[derive(Debug, Default)]
pub struct DayProfile {
    slots: Option<Box<[Slot]>>,
}

fn day_of(minute: i64) -> i32 {
    minute.div_euclid(MINUTES_PER_DAY) as i32
}

fn slot_of(minute: i64) -> usize {
    (minute.rem_euclid(MINUTES_PER_DAY) / SLOT_MIN) as usize
}

impl DayProfile {
    /// Whether no minute has been learnt yet.
    pub fn is_empty(&self) -> bool {
        self.slots.is_none()
    }

    /// Learns the spend of minute `minute` (minutes come in order, each once).
    pub fn learn(&mut self, minute: i64, usd: f64) {
        let slots = self
            .slots
            .get_or_insert_with(|| vec![EMPTY; SLOTS].into_boxed_slice());
        let day = day_of(minute);
        let slot = &mut slots[slot_of(minute)];
        if slot.day != day {
            if slot.day != EMPTY.day {
                slot.previous = Some(slot.folded());
            }
            slot.day = day;
            slot.today = 0.0;
        }
        slot.today += usd as f32;
    }

    /// The spend the minutes `[from, to)` had at the same time of day on previous days (at the
    /// mean rate of the span widened by [`SPAN_MIN`] each side × `level`, today's against
    /// theirs, or, where the previous days' spend there came as a job, at the job's rate above
    /// that mean: see [`job_rate`]; a job runs on its schedule whatever the day's traffic), or
    /// `None` while any slot of that span has no previous day.
    pub fn expected(&self, from: i64, to: i64, level: f64) -> Option<f64> {
        let slots = self.slots.as_ref()?;
        let (start, end) = (from - SPAN_MIN, to + SPAN_MIN);
        // Minute by minute, each at its slot's rate (USD a minute): a slot the span touches in
        // part counts in part.
        let rate = |m: i64| {
            slots[slot_of(m)]
                .before(day_of(m))
                .map(|usd| f64::from(usd) / SLOT_MIN as f64)
        };
        let mut sum = 0.0f64;
        for m in start..end {
            sum += rate(m)?;
        }
        let mean = sum / (end - start).max(1) as f64;
        let job = job_rate(start, end, |m| rate(m).unwrap_or(0.0), mean);
        Some((mean * level).max(job) * (to - from) as f64)
    }

    /// What the previous days spent at the times of day of minutes `[from, to)` (slot by slot,
    /// a slot the span touches in part counting in part; no widening), or `None` while any slot
    /// of the span has no previous day. Future minutes read every day completed so far: the
    /// runway's forecast (engine/runway.rs).
    pub fn previous(&self, from: i64, to: i64) -> Option<f64> {
        self.sum_over(from, to, |slot, day| slot.before(day))
    }

    /// What the days before `from`'s own day spent at the times of day of `[from, to)`, a span
    /// that may run into the next days: the runway's forecast from now. Every minute is read
    /// from the same days, those before today: a minute of tomorrow read with today folded in
    /// (as [`DayProfile::previous`] reads it) would count a change that came today twice, once
    /// in today's level and once in the shape it is multiplied by (a release that raised every
    /// call's cost on the first day made a second day's 24h forecast 10–25 % high).
    pub fn ahead(&self, from: i64, to: i64) -> Option<f64> {
        let day = day_of(from);
        self.sum_over(from, to, |slot, _| slot.before(day))
    }

    /// What the `minutes` before `before` (whole slots: it is rounded down to a slot's start)
    /// spent today, and what the previous days spent at those times of day: `None` while a
    /// slot of the span has no previous day.
    pub fn level(&self, before: i64, minutes: i64) -> Option<(f64, f64)> {
        let to = before - before.rem_euclid(SLOT_MIN);
        let from = to - minutes;
        Some((self.own(from, to)?, self.previous(from, to)?))
    }

    /// What minutes `[from, to)` spent on their own day (slot by slot, a slot touched in part
    /// counting in part; meant for whole slots), or `None` while any slot of the span has no
    /// previous day to compare it with.
    pub fn own(&self, from: i64, to: i64) -> Option<f64> {
        self.sum_over(from, to, |slot, day| {
            slot.before(day)?;
            Some(if slot.day == day { slot.today } else { 0.0 })
        })
    }

    /// The minutes from `from` until the spend at those times of day reaches `usd`, read as
    /// [`DayProfile::ahead`] reads it, or `None` when it does not before `to` (or a slot has no
    /// previous day).
    pub fn time_to(&self, from: i64, to: i64, usd: f64) -> Option<f64> {
        let slots = self.slots.as_ref()?;
        let day = day_of(from);
        let mut sum = 0.0f64;
        let mut m = from;
        while m < to {
            let piece = ((m.div_euclid(SLOT_MIN) + 1) * SLOT_MIN).min(to) - m;
            let per_min = f64::from(slots[slot_of(m)].before(day)?) / SLOT_MIN as f64;
            if per_min > 0.0 && sum + per_min * piece as f64 >= usd {
                return Some((m - from) as f64 + (usd - sum) / per_min);
            }
            sum += per_min * piece as f64;
            m += piece;
        }
        None
    }

    fn sum_over(
        &self,
        from: i64,
        to: i64,
        value: impl Fn(&Slot, i32) -> Option<f32>,
    ) -> Option<f64> {
        let slots = self.slots.as_ref()?;
        let mut sum = 0.0f64;
        let mut m = from;
        while m < to {
            let piece = ((m.div_euclid(SLOT_MIN) + 1) * SLOT_MIN).min(to) - m;
            let v = value(&slots[slot_of(m)], day_of(m))?;
            sum += f64::from(v) * piece as f64 / SLOT_MIN as f64;
            m += piece;
        }
        Some(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `days` days of a key spending `night` a minute, and `day` from 06:00 to 18:00.
    fn profile(days: i64, night: f64, day: f64) -> DayProfile {
        let mut p = DayProfile::default();
        for m in 0..days * MINUTES_PER_DAY {
            let h = m.rem_euclid(MINUTES_PER_DAY) / 60;
            p.learn(m, if (6..18).contains(&h) { day } else { night });
        }
        p
    }

    #[test]
    fn a_day_of_history_expects_the_same_time_of_day() {
        let p = profile(1, 0.1, 1.0);
        let noon = MINUTES_PER_DAY + 12 * 60;
        let e = p.expected(noon - 5, noon, 1.0).unwrap();
        assert!((e - 5.0).abs() < 1e-4, "{e}");
        // At 06:00 the widened span (05:30–06:35) is 30 minutes of night, 35 of day.
        let six = MINUTES_PER_DAY + 6 * 60;
        let e = p.expected(six, six + 5, 1.0).unwrap();
        assert!((e - 5.0 * (0.1 * 30.0 + 35.0) / 65.0).abs() < 1e-3, "{e}");
    }

    #[test]
    fn level_reads_today_against_the_previous_days_over_whole_slots() {
        // A first day at 1 a minute, the next at 3: the hour before 10:02 on the second day
        // is read over 09:00-10:00 (rounded down to its slot), 180 today against 60.
        let mut p = DayProfile::default();
        for m in 0..MINUTES_PER_DAY + 605 {
            p.learn(m, if m < MINUTES_PER_DAY { 1.0 } else { 3.0 });
        }
        let (today, before) = p.level(MINUTES_PER_DAY + 602, 60).unwrap();
        assert!((today - 180.0).abs() < 1e-3, "{today}");
        assert!((before - 60.0).abs() < 1e-3, "{before}");
        assert_eq!(DayProfile::default().level(600, 60), None);
    }

    #[test]
    fn a_nightly_job_is_expected_at_its_rate_and_spread_spend_at_its_mean_at_todays_level() {
        // A key silent but for a job at $2 a minute from 02:00 to 02:20 each night.
        let mut p = DayProfile::default();
        for m in 0..MINUTES_PER_DAY {
            p.learn(m, if (120..140).contains(&m) { 2.0 } else { 0.0 });
        }
        // The next night's first five minutes of it: the job's rate less the widened hour's
        // mean ($2 − $0.615), not the mean alone ($0.615 a minute, the job read as 3.25× it).
        let two = MINUTES_PER_DAY + 120;
        let e = p.expected(two, two + 5, 1.0).unwrap();
        let mean = 2.0 * 20.0 / 65.0;
        assert!((e - 5.0 * (2.0 - mean)).abs() < 1e-4, "{e}");
        // On a day at a fifth of the last, the job is expected as it was: it runs on its
        // schedule, whatever the day's traffic.
        let quiet = p.expected(two, two + 5, 0.2).unwrap();
        assert!((quiet - e).abs() < 1e-9, "{quiet}");
        // A key spending $1 a minute with every third slot at $1.5: its busiest quarter hour
        // is not twice its mean, so the mean is the reference, as before (11:30–12:35 holds
        // five slots at $1.5 and eight at $1: $77.5 over 65 minutes).
        let mut p = DayProfile::default();
        for m in 0..MINUTES_PER_DAY {
            p.learn(m, if (m / 5) % 3 == 0 { 1.5 } else { 1.0 });
        }
        let noon = MINUTES_PER_DAY + 720;
        let e = p.expected(noon, noon + 5, 1.0).unwrap();
        assert!((e - 5.0 * 77.5 / 65.0).abs() < 1e-4, "{e}");
        // Spread spend follows today's level.
        let e = p.expected(noon, noon + 5, 0.2).unwrap();
        assert!((e - 0.2 * 5.0 * 77.5 / 65.0).abs() < 1e-4, "{e}");
    }

    #[test]
    fn no_reference_before_a_day_and_yesterday_counts_most() {
        let mut p = DayProfile::default();
        for m in 0..600 {
            p.learn(m, 1.0);
        }
        // Minute 600 has been seen today only: no previous day.
        assert_eq!(p.expected(595, 600, 1.0), None);
        // Two days at 1.0 then a day at 3.0: halfway and more towards the last.
        let mut p = profile(2, 1.0, 1.0);
        for m in 2 * MINUTES_PER_DAY..3 * MINUTES_PER_DAY {
            p.learn(m, 3.0);
        }
        let e = p.expected(3 * MINUTES_PER_DAY + 600, 3 * MINUTES_PER_DAY + 601, 1.0);
        assert!(e.is_some_and(|e| (e - 2.0).abs() < 1e-4), "{e:?}");
    }

    #[test]
    fn previous_days_and_today_over_a_span_slot_by_slot() {
        // A day of $0.1 a minute at night and $1 from 06:00 to 18:00, then today's first 12
        // hours at twice that.
        let mut p = profile(1, 0.1, 1.0);
        let today = MINUTES_PER_DAY;
        for m in today..today + 12 * 60 {
            let h = (m - today) / 60;
            p.learn(m, if h >= 6 { 2.0 } else { 0.2 });
        }
        let (ten, noon) = (today + 10 * 60, today + 12 * 60);
        // 10:00–12:00: yesterday $120, today $240.
        assert!((p.previous(ten, noon).unwrap() - 120.0).abs() < 1e-3);
        assert!((p.own(ten, noon).unwrap() - 240.0).abs() < 1e-3);
        // Ahead, 17:00–19:00: an hour of day, an hour of night, as yesterday; a slot touched in
        // part counts in part (17:02–17:05 is 3 of its 5 minutes).
        let five = today + 17 * 60;
        assert!((p.previous(five, five + 120).unwrap() - 66.0).abs() < 1e-3);
        assert!((p.previous(five + 2, five + 5).unwrap() - 3.0).abs() < 1e-4);
        // Ahead, the next 24 hours from 10:00 read yesterday alone: its whole day, $792
        // ($720 of day, $72 of night). Tomorrow's 00:00–10:00 are not read with today's
        // doubled spend folded in (as `previous` reads them: $930).
        assert!((p.ahead(ten, ten + MINUTES_PER_DAY).unwrap() - 792.0).abs() < 1e-2);
        assert!((p.previous(ten, ten + MINUTES_PER_DAY).unwrap() - 930.0).abs() < 1e-2);
        // Yesterday's evening (not yet seen today) has no previous day.
        assert_eq!(p.previous(20 * 60, 21 * 60), None);
        assert_eq!(p.own(20 * 60, 21 * 60), None);
    }
}
