//! The world behind `Classroom`'s streams: Mexico City's calendar (the run opening on the
//! Sunday evening before Día de Muertos), the morning shift's timetable and the schools'
//! bells, the students' homework evenings, the essays' deadlines, the teachers' hours, and the
//! run's own draws.

use rand::rngs::StdRng;
use rand::Rng;

use super::{logistic, DAY_S, HOUR_S};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in Mexico City (UTC−6, no
/// summer time since 2022): Sunday 1 November 18:00, counted from that Sunday's 00:00 local
/// (local day 0).
pub const LOCAL_AT_START_S: f64 = 18.0 * HOUR_S;
/// Local day 1, Monday 2 November: Día de Muertos, a day without classes in SEP's calendar
/// ("suspensión de labores docentes"), though no federal holiday.
pub const DIA_DE_MUERTOS: i64 = 1;

/// A lesson's length (minutes).
pub const LESSON_MIN: f64 = 50.0;
/// The morning shift's bells (minutes after local midnight): seven lessons of 50 minutes from
/// 07:00, 10 minutes' passing between them and the recess (10:50–11:20) after the fourth, the
/// day over at 14:10, a secundaria técnica's matutino timetable.
pub const LESSON_STARTS: [f64; 7] = [420.0, 480.0, 540.0, 600.0, 680.0, 740.0, 800.0];
/// The recess (minutes after local midnight).
pub const RECESS: (f64, f64) = (650.0, 680.0);
/// The teacher's introduction before the students open the tutor, drawn per student between
/// these (minutes after the bell); and how long before the next bell they close it.
pub const INTRO_MIN: (f64, f64) = (2.0, 8.0);
pub const WRAP_MIN: (f64, f64) = (0.0, 2.0);
/// The period's weight in the tutor's use, before the run's own draw: the first lesson's late
/// arrivals and roll call, the last lesson's tired class.
const PERIOD_FACTOR: [f64; 7] = [0.7, 1.0, 1.0, 1.0, 1.0, 0.9, 0.75];

/// The homework floor through the small hours (against a school evening's plateau).
const NIGHT_FLOOR: f64 = 0.01;
/// The lesson profile's resolution (minutes).
const PROFILE_STEP_MIN: f64 = 0.5;

/// What a local day is for the schools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    School,
    Holiday,
    Saturday,
    Sunday,
}

/// The local day at `t` (0 = the Sunday the run opens on) and the hour.
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    ((s / DAY_S).floor() as i64, (s / HOUR_S).rem_euclid(24.0))
}

/// The instant (seconds into a run) of local `hour` on local day `day`.
pub fn at_local(day: i64, hour: f64) -> f64 {
    (day as f64 * 24.0 + hour) * HOUR_S - LOCAL_AT_START_S
}

pub fn day_kind(day: i64) -> DayKind {
    match day.rem_euclid(7) {
        0 => DayKind::Sunday,
        6 => DayKind::Saturday,
        _ if day == DIA_DE_MUERTOS => DayKind::Holiday,
        _ => DayKind::School,
    }
}

/// A bump centred on `at` (hours) of width `sd` hours.
fn bump(h: f64, at: f64, sd: f64) -> f64 {
    (-0.5 * ((h - at) / sd).powi(2)).exp()
}

/// Between local hours `from` and `to`, edges of `sd` hours.
fn between(h: f64, from: f64, to: f64, sd: f64) -> f64 {
    logistic((h - from) / sd) * logistic((to - h) / sd)
}

/// A homework evening at local hour `h` (raw, about 1 on its plateau; past 24 its tail into
/// the next night): it rises after the family's comida (16:00–17:00), stays broad to 22:00 with
/// its height around 20:00, and falls to a tenth by midnight. Students at home, each at
/// their own hour: no bell shapes it.
fn evening(h: f64) -> f64 {
    logistic((h - 16.5) / 0.35) * logistic((23.0 - h) / 0.45) * (0.75 + 0.25 * bump(h, 20.2, 1.4))
}

/// The share of a lesson's students in its work phase `u` minutes after its bell: the
/// teacher's introduction over (drawn uniform in [`INTRO_MIN`]), the tutor not yet closed
/// before the next bell (drawn uniform in [`WRAP_MIN`]).
pub fn work_phase_share(u: f64) -> f64 {
    let started = ((u - INTRO_MIN.0) / (INTRO_MIN.1 - INTRO_MIN.0)).clamp(0.0, 1.0);
    let going = ((LESSON_MIN - u - WRAP_MIN.0) / (WRAP_MIN.1 - WRAP_MIN.0)).clamp(0.0, 1.0);
    started * going
}

/// One school on the platform: its bells' offset from the official times (minutes) and its
/// share of the platform's students.
#[derive(Clone, Debug, PartialEq)]
pub struct School {
    pub offset_min: f64,
    pub weight: f64,
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub schools: Vec<School>,
    /// Each lesson's use of the tutor (the timetable's subjects, the teachers who use it).
    pub period_use: [f64; 7],
    /// The shares of a school day's tutor turns and exercise checks made in lessons.
    pub tutor_in_class: f64,
    pub exercises_in_class: f64,
    /// A student's think time between tutor turns in a lesson (median, seconds).
    pub class_gap_s: f64,
    /// The tutor's system prompt (tokens, on the 5-minute cache).
    pub tutor_system: u64,
    /// Homework evenings against a school evening's: the Sunday (its weekend essays due at
    /// midnight) and the holiday (work due on Tuesday).
    pub sunday_homework: f64,
    pub holiday_homework: f64,
    /// Essays due at 23:59 against a plain school night's: Sunday's (the weekend's longer
    /// essays) and the holiday's.
    pub sunday_night: f64,
    pub holiday_night: f64,
    /// The grading pipeline: its pace (essays a minute, the worker pool under the key's
    /// rate limit), the minute past midnight its cron starts it, its instructions (tokens).
    pub grading_per_min: f64,
    pub cron_min: f64,
    pub grader_instructions: u64,
    /// The planner: the Sunday evening's planning against a school evening's, its system
    /// prompt, the four campos formativos' programas sintéticos (tokens, on the 1-hour cache)
    /// and the runner's guard (calls a run).
    pub sunday_planning: f64,
    pub planner_system: u64,
    pub programas: [u64; 4],
    pub max_turns: u32,
    /// The expected in-class activity of a school day, every [`PROFILE_STEP_MIN`] from local
    /// midnight, and the raw days' means over a plain school day (Wednesday).
    lesson_profile: Vec<f64>,
    lesson_mean: f64,
    homework_mean: f64,
    review_mean: f64,
    planning_mean: f64,
    submission_mean: f64,
}

/// A plain school day, the one every stream's base rate is its mean over: Wednesday 4 November.
pub const PLAIN_DAY: i64 = 3;

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let bell_sd = rng.random_range(0.7..2.0);
        let n_schools = rng.random_range(25..60);
        let mut schools: Vec<School> = (0..n_schools)
            .map(|_| School {
                offset_min: (bell_sd * super::normal(rng)).clamp(-5.0, 5.0),
                weight: super::lognormal(rng, 1.0, 0.5),
            })
            .collect();
        let total: f64 = schools.iter().map(|s| s.weight).sum();
        for s in &mut schools {
            s.weight /= total;
        }
        let mut period_use = PERIOD_FACTOR;
        for u in &mut period_use {
            *u *= rng.random_range(0.75..1.25);
        }
        let mut run = Run {
            schools,
            period_use,
            tutor_in_class: rng.random_range(0.45..0.6),
            exercises_in_class: rng.random_range(0.55..0.7),
            class_gap_s: rng.random_range(80.0..120.0),
            tutor_system: rng.random_range(3_500..6_000),
            sunday_homework: rng.random_range(0.8..1.1),
            holiday_homework: rng.random_range(0.6..0.9),
            sunday_night: rng.random_range(1.0..1.5),
            holiday_night: rng.random_range(0.5..0.9),
            grading_per_min: rng.random_range(25.0..45.0),
            cron_min: rng.random_range(5.0..20.0),
            grader_instructions: rng.random_range(2_500..4_000),
            sunday_planning: rng.random_range(1.3..2.0),
            planner_system: rng.random_range(4_000..6_000),
            programas: [0; 4],
            max_turns: rng.random_range(40..60),
            lesson_profile: Vec::new(),
            lesson_mean: 1.0,
            homework_mean: 1.0,
            review_mean: 1.0,
            planning_mean: 1.0,
            submission_mean: 1.0,
        };
        for p in &mut run.programas {
            *p = rng.random_range(18_000..30_000);
        }
        run.lesson_profile = (0..(1440.0 / PROFILE_STEP_MIN) as usize + 1)
            .map(|i| run.expected_in_class(i as f64 * PROFILE_STEP_MIN))
            .collect();
        let plain = |f: &dyn Fn(f64) -> f64| {
            super::minutes(at_local(PLAIN_DAY, 0.0), at_local(PLAIN_DAY + 1, 0.0))
                .map(f)
                .sum::<f64>()
                / 1440.0
        };
        run.lesson_mean = plain(&|t| run.lesson_raw(t));
        run.homework_mean = plain(&|t| run.homework_raw(t));
        run.review_mean = plain(&|t| run.review_raw(t));
        run.planning_mean = plain(&|t| run.planning_raw(t));
        // The submissions' shape over the 24 hours before a deadline.
        run.submission_mean = (0..1440)
            .map(|m| submission_raw(24.0 * (f64::from(m) + 0.5) / 1440.0))
            .sum::<f64>()
            / 1440.0;
        run
    }

    /// The share of the platform's students in a lesson's work phase at `minute` after local
    /// midnight of a school day, each lesson weighted by its use.
    fn expected_in_class(&self, minute: f64) -> f64 {
        self.schools
            .iter()
            .map(|s| {
                s.weight
                    * LESSON_STARTS
                        .iter()
                        .zip(&self.period_use)
                        .map(|(start, use_)| use_ * work_phase_share(minute - start - s.offset_min))
                        .sum::<f64>()
            })
            .sum()
    }

    /// The expected in-class activity at `t` (raw): the lessons' work phases on a school day.
    fn lesson_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        if day_kind(day) != DayKind::School {
            return 0.0;
        }
        let x = h * 60.0 / PROFILE_STEP_MIN;
        let i = (x.floor() as usize).min(self.lesson_profile.len() - 2);
        let frac = x - i as f64;
        self.lesson_profile[i] + frac * (self.lesson_profile[i + 1] - self.lesson_profile[i])
    }

    /// The in-class activity at `t`, 1 on average over a plain school day.
    pub fn in_class(&self, t: f64) -> f64 {
        self.lesson_raw(t) / self.lesson_mean
    }

    /// The day's in-class activity's mean per minute (raw): the students a lesson's work
    /// phase holds, for the sessions' count.
    pub fn lesson_mean(&self) -> f64 {
        self.lesson_mean
    }

    /// How much homework the evening of local day `day` holds, against a school evening's.
    pub fn evening_level(&self, day: i64) -> f64 {
        match (day_kind(day), day.rem_euclid(7)) {
            (DayKind::School, 5) => 0.35,
            (DayKind::School, _) => 1.0,
            (DayKind::Holiday, _) => self.holiday_homework,
            (DayKind::Saturday, _) => 0.3,
            (DayKind::Sunday, _) => self.sunday_homework,
        }
    }

    /// Homework at `t` (raw): the evening and the last evening's tail, a floor through the
    /// night, a few students at home in school hours and before school, a daytime on days
    /// without school.
    fn homework_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let mut x = NIGHT_FLOOR
            + self.evening_level(day) * evening(h)
            + self.evening_level(day - 1) * evening(h + 24.0);
        x += match day_kind(day) {
            DayKind::School => 0.03 * between(h, 7.0, 14.2, 0.1) + 0.08 * bump(h, 6.4, 0.25),
            _ => 0.12 * between(h, 10.0, 17.0, 0.5),
        };
        x
    }

    /// Homework at `t`, 1 on average over a plain school day.
    pub fn homework(&self, t: f64) -> f64 {
        self.homework_raw(t) / self.homework_mean
    }

    /// The essays due at 23:59 on local day `day`, against a plain school night's: the
    /// evenings before a weekday (Sunday to Thursday), the holiday's included (the teachers'
    /// deadlines for Tuesday's lessons).
    pub fn night_level(&self, day: i64) -> f64 {
        match day.rem_euclid(7) {
            0 => self.sunday_night,
            5 | 6 => 0.0,
            _ if day == DIA_DE_MUERTOS => self.holiday_night,
            _ => 1.0,
        }
    }

    /// The teachers reviewing the night's grades at `t` (raw): their free periods in school
    /// hours, after school, the evening; on a day without school a little of the afternoon.
    /// Scaled by the night graded before (nothing graded, nothing to review).
    fn review_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let graded = self.night_level(day - 1);
        let shape = match day_kind(day) {
            DayKind::School => {
                0.2 * between(h, 7.0, 14.2, 0.1)
                    + 0.7 * between(h, 14.4, 16.0, 0.2)
                    + 1.0 * between(h, 19.0, 22.5, 0.3)
            }
            _ => 0.12 * between(h, 11.0, 20.0, 0.5),
        };
        0.005 + graded * shape
    }

    pub fn review(&self, t: f64) -> f64 {
        self.review_raw(t) / self.review_mean
    }

    /// Teachers planning their lessons at `t` (raw): free periods, after school, the evening;
    /// Sunday evening the week's planeación; the holiday's evening Tuesday's.
    fn planning_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let shape = match day_kind(day) {
            DayKind::School => {
                0.25 * between(h, 7.0, 14.2, 0.1)
                    + 0.5 * between(h, 14.5, 17.0, 0.3)
                    + between(h, 19.0, 23.0, 0.35)
            }
            DayKind::Sunday => {
                0.3 * between(h, 10.0, 16.0, 0.5)
                    + self.sunday_planning * between(h, 16.5, 23.5, 0.4)
            }
            DayKind::Holiday => 0.8 * between(h, 16.0, 23.0, 0.4),
            DayKind::Saturday => 0.15 * between(h, 10.0, 18.0, 0.5),
        };
        0.02 + shape
    }

    pub fn planning(&self, t: f64) -> f64 {
        self.planning_raw(t) / self.planning_mean
    }

    /// The essays submitted at `t` toward the deadline at `deadline`, 1 on average over the
    /// 24 hours before it.
    pub fn submissions(&self, t: f64, deadline: f64) -> f64 {
        let before_h = (deadline - t) / HOUR_S;
        if !(0.0..24.0).contains(&before_h) {
            return 0.0;
        }
        submission_raw(24.0 - before_h) / self.submission_mean
    }
}

/// Essays submitted at local hour `h` of the day whose 23:59 is their deadline (raw): a few
/// through the day, most in the homework evening, a rush in the last hour.
fn submission_raw(h: f64) -> f64 {
    0.05 + evening(h) + 1.6 * bump(h, 23.45, 0.35)
}
