//! Alertmanager's `time_intervals`: named sets of time windows (times of day, weekdays, days of
//! the month, months, years) that routes refer to in `mute_time_intervals` (do not notify then)
//! and `active_time_intervals` (notify only then). Evaluated in UTC, the only `location`
//! callwatch supports.

use time::{OffsetDateTime, UtcOffset};

/// One window: every field written must contain the instant; an empty field contains all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeInterval {
    /// Minutes of the day, `[start, end)`.
    pub times: Vec<(u32, u32)>,
    /// 0 = Sunday … 6 = Saturday, inclusive ranges.
    pub weekdays: Vec<(u8, u8)>,
    /// 1…31, or −31…−1 counted from the month's end, inclusive ranges.
    pub days_of_month: Vec<(i32, i32)>,
    /// 1…12, inclusive ranges.
    pub months: Vec<(u8, u8)>,
    pub years: Vec<(i32, i32)>,
}

impl TimeInterval {
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        let t = t.to_offset(UtcOffset::UTC);
        let minute = u32::from(t.hour()) * 60 + u32::from(t.minute());
        let weekday = t.weekday().number_days_from_sunday();
        let month = u8::from(t.month());
        let day = i32::from(t.day());
        let days_in_month = i32::from(t.month().length(t.year()));
        let any = |empty: bool, hit: bool| empty || hit;
        any(
            self.times.is_empty(),
            self.times.iter().any(|&(s, e)| s <= minute && minute < e),
        ) && any(
            self.weekdays.is_empty(),
            self.weekdays
                .iter()
                .any(|&(s, e)| s <= weekday && weekday <= e),
        ) && any(
            self.days_of_month.is_empty(),
            self.days_of_month.iter().any(|&(s, e)| {
                // As Alertmanager: negative days count from the end; a range starting after
                // the month's end never matches; the rest is clamped to the month.
                let from_end = |d: i32| if d < 0 { days_in_month + d + 1 } else { d };
                let (s, e) = (from_end(s), from_end(e));
                s <= days_in_month
                    && s.clamp(1, days_in_month) <= day
                    && day <= e.clamp(1, days_in_month)
            }),
        ) && any(
            self.months.is_empty(),
            self.months.iter().any(|&(s, e)| s <= month && month <= e),
        ) && any(
            self.years.is_empty(),
            self.years
                .iter()
                .any(|&(s, e)| s <= t.year() && t.year() <= e),
        )
    }
}

/// Whether any window of a named set contains `t`.
pub fn any_contains(set: &[TimeInterval], t: OffsetDateTime) -> bool {
    set.iter().any(|w| w.contains(t))
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `begin:end` or a single value, each read by `one`; `begin` must not be after `end`.
fn range<T: PartialOrd + Copy>(
    text: &str,
    one: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<(T, T), String> {
    let text = text.trim();
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let bad = || format!("{text:?} is not a {what} or a range of them (begin:end)");
    let (a, b) = (
        one(a.trim()).ok_or_else(bad)?,
        one(b.trim()).ok_or_else(bad)?,
    );
    if a > b {
        return Err(format!("{text:?}: the range ends before it begins"));
    }
    Ok((a, b))
}

pub fn parse_weekdays(text: &str) -> Result<(u8, u8), String> {
    range(
        text,
        |s| {
            WEEKDAYS
                .iter()
                .position(|d| d.eq_ignore_ascii_case(s))
                .map(|i| i as u8)
        },
        "weekday (sunday…saturday)",
    )
}

pub fn parse_months(text: &str) -> Result<(u8, u8), String> {
    range(
        text,
        |s| {
            MONTHS
                .iter()
                .position(|m| m.eq_ignore_ascii_case(s))
                .map(|i| i as u8 + 1)
                .or_else(|| s.parse::<u8>().ok().filter(|m| (1..=12).contains(m)))
        },
        "month (january…december or 1…12)",
    )
}

pub fn parse_days_of_month(text: &str) -> Result<(i32, i32), String> {
    let text = text.trim();
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let day = |s: &str| {
        s.trim()
            .parse::<i32>()
            .ok()
            .filter(|d| (1..=31).contains(&d.abs()))
    };
    let bad = || {
        format!(
            "{text:?} is not a day of the month (1…31, or -31…-1 from the end) or a range of them"
        )
    };
    let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
    // Same sign: ordered; a positive begin with a negative end ("1:-1") is allowed.
    if (a > 0) == (b > 0) && a > b || (a < 0 && b > 0) {
        return Err(format!("{text:?}: the range ends before it begins"));
    }
    Ok((a, b))
}

pub fn parse_years(text: &str) -> Result<(i32, i32), String> {
    range(text, |s| s.parse::<i32>().ok().filter(|y| *y > 0), "year")
}

/// `HH:MM` (00:00…24:00) to minutes.
pub fn parse_time_of_day(text: &str) -> Result<u32, String> {
    let bad = || format!("{text:?} is not a time of day HH:MM (00:00…24:00)");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) || text.trim().len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn windows_contain_what_alertmanager_says() {
        let office = TimeInterval {
            times: vec![(9 * 60, 17 * 60)],
            weekdays: vec![parse_weekdays("monday:friday").unwrap()],
            ..TimeInterval::default()
        };
        // 2026-11-30 is a Monday.
        assert!(office.contains(datetime!(2026-11-30 09:00 UTC)));
        assert!(
            !office.contains(datetime!(2026-11-30 17:00 UTC)),
            "end excluded"
        );
        assert!(!office.contains(datetime!(2026-11-29 12:00 UTC)), "Sunday");
        let last_days = TimeInterval {
            days_of_month: vec![parse_days_of_month("-2:-1").unwrap()],
            months: vec![parse_months("february").unwrap()],
            ..TimeInterval::default()
        };
        assert!(
            last_days.contains(datetime!(2028-02-29 00:00 UTC)),
            "leap year"
        );
        assert!(last_days.contains(datetime!(2027-02-27 00:00 UTC)));
        assert!(!last_days.contains(datetime!(2027-02-26 00:00 UTC)));
        assert!(TimeInterval::default().contains(datetime!(2026-01-01 00:00 UTC)));
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        assert!(parse_weekdays("funday").unwrap_err().contains("sunday"));
        assert!(parse_weekdays("friday:monday")
            .unwrap_err()
            .contains("ends before"));
        assert!(parse_months("13").is_err());
        assert_eq!(parse_months("3:may").unwrap(), (3, 5));
        assert!(parse_days_of_month("0").is_err());
        assert!(parse_days_of_month("-1:5").is_err());
        assert_eq!(parse_days_of_month("1:-1").unwrap(), (1, -1));
        assert_eq!(parse_time_of_day("24:00").unwrap(), 1440);
        assert!(parse_time_of_day("24:01").is_err());
        assert!(parse_time_of_day("9:00").is_err());
    }
}
