//! Time intervals in the config: named sets of windows (`time_intervals`, Alertmanager's
//! format), and the check that every name a route uses exists.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::routing::RoutingBuilder;
use crate::router::time_interval::{
    parse_days_of_month, parse_months, parse_time_of_day, parse_weekdays, parse_years,
};
use crate::router::{Route, TimeInterval};

/// A named set of time windows (`time_intervals`, or the older top-level
/// `mute_time_intervals`).
#[derive(Deserialize, Default, Clone)]
pub struct RawTimeIntervalSet {
    pub name: Option<String>,
    pub time_intervals: Option<Vec<RawTimeInterval>>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawTimeInterval {
    pub times: Option<Vec<RawTimeRange>>,
    pub weekdays: Option<Vec<StrOrInt>>,
    pub days_of_month: Option<Vec<StrOrInt>>,
    pub months: Option<Vec<StrOrInt>>,
    pub years: Option<Vec<StrOrInt>>,
    pub location: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawTimeRange {
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

/// YAML lets `days_of_month: [1]` be a number and `['1:5']` a string: both are read.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum StrOrInt {
    Int(i64),
    Str(String),
}

impl StrOrInt {
    fn text(&self) -> String {
        match self {
            StrOrInt::Int(i) => i.to_string(),
            StrOrInt::Str(s) => s.clone(),
        }
    }
}

impl RoutingBuilder<'_> {
    /// Named time-interval sets; `key` is where they are (`time_intervals`).
    pub fn time_intervals(
        &mut self,
        key: &str,
        raw: &[RawTimeIntervalSet],
        into: &mut BTreeMap<String, Vec<TimeInterval>>,
    ) {
        for (i, set) in raw.iter().enumerate() {
            let at = format!("{key}.{i}");
            let Some(name) = set.name.clone().filter(|n| !n.is_empty()) else {
                self.problems
                    .add(&format!("{at}.name"), "every time interval needs a name");
                continue;
            };
            if into.contains_key(&name) {
                self.problems.add(
                    &format!("{at}.name"),
                    format!("time interval {name:?} is defined twice"),
                );
            }
            let windows = set
                .time_intervals
                .iter()
                .flatten()
                .enumerate()
                .map(|(j, w)| self.time_window(&format!("{at}.time_intervals.{j}"), w))
                .collect();
            into.insert(name, windows);
        }
    }

    fn time_window(&mut self, path: &str, w: &RawTimeInterval) -> TimeInterval {
        fn list<T>(
            rb: &mut RoutingBuilder<'_>,
            path: &str,
            values: Option<&Vec<StrOrInt>>,
            parse: impl Fn(&str) -> Result<T, String>,
        ) -> Vec<T> {
            let mut out = Vec::new();
            for (i, v) in values.into_iter().flatten().enumerate() {
                match parse(&v.text()) {
                    Ok(t) => out.push(t),
                    Err(e) => rb.problems.add(&format!("{path}.{i}"), e),
                }
            }
            out
        }
        if let Some(loc) = &w.location {
            if !loc.eq_ignore_ascii_case("utc") {
                self.problems.add(
                    &format!("{path}.location"),
                    format!("location {loc:?}: callwatch evaluates time intervals in UTC only (write the times in UTC and drop location)"),
                );
            }
        }
        let mut times = Vec::new();
        for (i, t) in w.times.iter().flatten().enumerate() {
            let at = format!("{path}.times.{i}");
            let start = t.start_time.as_deref().map(parse_time_of_day);
            let end = t.end_time.as_deref().map(parse_time_of_day);
            match (start, end) {
                (Some(Ok(s)), Some(Ok(e))) if s < e => times.push((s, e)),
                (Some(Ok(_)), Some(Ok(_))) => {
                    self.problems.add(&at, "start_time must be before end_time")
                }
                (Some(Err(e)), _) => self.problems.add(&format!("{at}.start_time"), e),
                (_, Some(Err(e))) => self.problems.add(&format!("{at}.end_time"), e),
                _ => self
                    .problems
                    .add(&at, "a time range needs start_time and end_time"),
            }
        }
        TimeInterval {
            times,
            weekdays: list(
                self,
                &format!("{path}.weekdays"),
                w.weekdays.as_ref(),
                parse_weekdays,
            ),
            days_of_month: list(
                self,
                &format!("{path}.days_of_month"),
                w.days_of_month.as_ref(),
                parse_days_of_month,
            ),
            months: list(
                self,
                &format!("{path}.months"),
                w.months.as_ref(),
                parse_months,
            ),
            years: list(
                self,
                &format!("{path}.years"),
                w.years.as_ref(),
                parse_years,
            ),
        }
    }

    /// Every time interval a route names must exist.
    pub fn check_time_interval_names(
        &mut self,
        path: &str,
        route: &Route,
        known: &BTreeMap<String, Vec<TimeInterval>>,
    ) {
        for (key, names) in [
            ("mute_time_intervals", &route.mute_time_intervals),
            ("active_time_intervals", &route.active_time_intervals),
        ] {
            for (i, name) in names.iter().enumerate() {
                if !known.contains_key(name) {
                    self.problems.add(
                        &format!("{path}.{key}.{i}"),
                        format!("no time interval named {name:?} (define it under time_intervals)"),
                    );
                }
            }
        }
        for (i, child) in route.routes.iter().enumerate() {
            self.check_time_interval_names(&format!("{path}.routes.{i}"), child, known);
        }
    }
}
