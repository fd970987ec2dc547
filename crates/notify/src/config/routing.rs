//! The routing part both config formats share, in Alertmanager's words: `route` (a tree of
//! matchers, receivers, `continue` and timing), `receivers` (named, each with any number of
//! `webhook_configs`, `slack_configs`, `pagerduty_configs`), inhibition rules. The raw structs
//! deserialize from YAML and TOML alike; unknown keys are not refused here but collected by the
//! caller (serde_ignored), so every one is reported, not only the first. Receivers and time
//! intervals have files of their own (`receivers.rs`, `time_windows.rs`).
//!
//! Every problem is a [`Problem`]: the dotted path of the key it is about (`route.routes.1.
//! group_wait`), which each format turns into a position, and what is wrong.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde::Deserialize;

pub use super::receivers::{RawPagerDutyConfig, RawReceiver, RawSlackConfig, RawWebhookConfig};
pub use super::time_windows::{RawTimeInterval, RawTimeIntervalSet, RawTimeRange, StrOrInt};
use crate::receiver::ReceiverConfig;
use crate::router::{InhibitRule, MatchOp, Matcher, Route};
use callwatch_core::duration::{parse_duration, ALLOWED as DURATION_ALLOWED};

/// One problem: the key's dotted path and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

#[derive(Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct RawGlobal {
    pub resolve_timeout: Option<String>,
    pub slack_api_url: Option<String>,
    pub slack_api_url_file: Option<String>,
    pub pagerduty_url: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawRoute {
    pub receiver: Option<String>,
    pub group_by: Option<Vec<String>>,
    pub group_wait: Option<String>,
    pub group_interval: Option<String>,
    pub repeat_interval: Option<String>,
    #[serde(rename = "continue")]
    pub continue_matching: Option<bool>,
    pub matchers: Option<Vec<String>>,
    /// Alertmanager's deprecated equality map.
    #[serde(rename = "match")]
    pub match_equal: Option<BTreeMap<String, String>>,
    /// Alertmanager's deprecated regex map.
    pub match_re: Option<BTreeMap<String, String>>,
    pub routes: Option<Vec<RawRoute>>,
    pub mute_time_intervals: Option<Vec<String>>,
    pub active_time_intervals: Option<Vec<String>>,
    /// callwatch.toml only: how often the notifier looks for due groups.
    pub tick: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawInhibitRule {
    pub source_matchers: Option<Vec<String>>,
    pub target_matchers: Option<Vec<String>>,
    pub source_match: Option<BTreeMap<String, String>>,
    pub source_match_re: Option<BTreeMap<String, String>>,
    pub target_match: Option<BTreeMap<String, String>>,
    pub target_match_re: Option<BTreeMap<String, String>>,
    pub equal: Option<Vec<String>>,
}

/// Turns raw sections into the routing model, collecting every problem.
pub struct RoutingBuilder<'a> {
    pub problems: Problems,
    /// Reads `*_file` secrets (a test passes its own).
    pub read_file: &'a dyn Fn(&str) -> Result<String, String>,
    pub global: RawGlobal,
}

impl RoutingBuilder<'_> {
    pub fn duration(&mut self, path: &str, value: Option<&String>) -> Option<Duration> {
        let v = value?;
        match parse_duration(v) {
            Ok(d) => Some(d),
            Err(_) => {
                self.problems.add(
                    path,
                    format!("{v:?} is not a duration ({DURATION_ALLOWED})"),
                );
                None
            }
        }
    }

    /// Matchers in Alertmanager syntax: each string may hold several, comma-separated, in
    /// braces or not (`{severity="critical",alertname=~"Billing.*"}`).
    pub fn matchers(
        &mut self,
        path: &str,
        texts: Option<&Vec<String>>,
        equal: Option<&BTreeMap<String, String>>,
        regex: Option<&BTreeMap<String, String>>,
        equal_path: &str,
        regex_path: &str,
    ) -> Vec<Matcher> {
        let mut out = Vec::new();
        for (i, text) in texts.into_iter().flatten().enumerate() {
            match Matcher::parse_list(text) {
                Ok(ms) => out.extend(ms),
                Err(e) => self.problems.add(&format!("{path}.{i}"), e.to_string()),
            }
        }
        for (map, op, p) in [
            (equal, MatchOp::Equal, equal_path),
            (regex, MatchOp::Regex, regex_path),
        ] {
            for (name, value) in map.into_iter().flatten() {
                match Matcher::new(name, op, value) {
                    Ok(m) => out.push(m),
                    Err(e) => self.problems.add(&format!("{p}.{name}"), e.to_string()),
                }
            }
        }
        out
    }

    /// The tree under `raw`, inheriting from `parent` what it does not set. The root takes
    /// callwatch's defaults for what it does not set.
    pub fn route(&mut self, path: &str, raw: &RawRoute, parent: Option<&Route>) -> Route {
        let base = parent.cloned().unwrap_or_default();
        let matchers = self.matchers(
            &format!("{path}.matchers"),
            raw.matchers.as_ref(),
            raw.match_equal.as_ref(),
            raw.match_re.as_ref(),
            &format!("{path}.match"),
            &format!("{path}.match_re"),
        );
        if parent.is_none() {
            if !matchers.is_empty() {
                self.problems.add(
                    &format!("{path}.matchers"),
                    "the root route matches every alert: it must not have matchers (put them on a child in `routes`)",
                );
            }
            if raw.continue_matching.is_some() {
                self.problems.add(
                    &format!("{path}.continue"),
                    "the root route cannot have `continue`",
                );
            }
            for key in ["mute_time_intervals", "active_time_intervals"] {
                let set = match key {
                    "mute_time_intervals" => &raw.mute_time_intervals,
                    _ => &raw.active_time_intervals,
                };
                if set.is_some() {
                    self.problems.add(
                        &format!("{path}.{key}"),
                        format!("the root route cannot have `{key}` (put it on a child)"),
                    );
                }
            }
        }
        let receiver = match (&raw.receiver, parent) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => p.receiver.clone(),
            (None, None) => {
                self.problems.add(
                    &format!("{path}.receiver"),
                    "the root route needs a receiver (the name of one in `receivers`)",
                );
                base.receiver.clone()
            }
        };
        let group_by = match &raw.group_by {
            Some(g) => {
                if g.iter().any(|l| l == "...") && g.len() > 1 {
                    self.problems.add(
                        &format!("{path}.group_by"),
                        "`...` (group by every label) cannot be combined with other labels",
                    );
                }
                g.clone()
            }
            None => base.group_by.clone(),
        };
        let timing = |this: &mut Self, key: &str, v: Option<&String>, d: Duration| {
            this.duration(&format!("{path}.{key}"), v).unwrap_or(d)
        };
        let group_wait = timing(self, "group_wait", raw.group_wait.as_ref(), base.group_wait);
        let group_interval = timing(
            self,
            "group_interval",
            raw.group_interval.as_ref(),
            base.group_interval,
        );
        let repeat_interval = timing(
            self,
            "repeat_interval",
            raw.repeat_interval.as_ref(),
            base.repeat_interval,
        );
        for (key, d) in [
            ("group_interval", group_interval),
            ("repeat_interval", repeat_interval),
        ] {
            if d.is_zero() {
                self.problems
                    .add(&format!("{path}.{key}"), "must be more than zero");
            }
        }
        let mut route = Route {
            receiver,
            matchers,
            group_by,
            group_wait,
            group_interval,
            repeat_interval,
            continue_matching: raw.continue_matching.unwrap_or(false),
            mute_time_intervals: raw.mute_time_intervals.clone().unwrap_or_default(),
            active_time_intervals: raw.active_time_intervals.clone().unwrap_or_default(),
            routes: Vec::new(),
        };
        let children: Vec<Route> = raw
            .routes
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| self.route(&format!("{path}.routes.{i}"), c, Some(&route)))
            .collect();
        route.routes = children;
        route
    }

    pub fn inhibit_rule(&mut self, path: &str, raw: &RawInhibitRule) -> Option<InhibitRule> {
        let before = self.problems.0.len();
        let source = self.matchers(
            &format!("{path}.source_matchers"),
            raw.source_matchers.as_ref(),
            raw.source_match.as_ref(),
            raw.source_match_re.as_ref(),
            &format!("{path}.source_match"),
            &format!("{path}.source_match_re"),
        );
        let target = self.matchers(
            &format!("{path}.target_matchers"),
            raw.target_matchers.as_ref(),
            raw.target_match.as_ref(),
            raw.target_match_re.as_ref(),
            &format!("{path}.target_match"),
            &format!("{path}.target_match_re"),
        );
        // Empty because a matcher did not parse is already reported.
        let parsed = self.problems.0.len() == before;
        if parsed && (source.is_empty() || target.is_empty()) {
            self.problems.add(
                path,
                "an inhibition rule needs source_matchers and target_matchers (at least one each)",
            );
        }
        (self.problems.0.len() == before).then(|| InhibitRule {
            source,
            target,
            equal: raw.equal.clone().unwrap_or_default(),
        })
    }

    /// Every receiver a route names must exist; a receiver no route names is allowed (as in
    /// Alertmanager) but gets nothing.
    pub fn check_references(&mut self, path: &str, route: &Route, receivers: &[ReceiverConfig]) {
        let known: HashSet<&str> = receivers.iter().map(|r| r.name.as_str()).collect();
        self.check_node(path, route, None, &known);
    }

    fn check_node(
        &mut self,
        path: &str,
        route: &Route,
        parent: Option<&str>,
        known: &HashSet<&str>,
    ) {
        // An inherited receiver was reported where it was written.
        let inherited = parent == Some(route.receiver.as_str());
        if !inherited && !known.contains(route.receiver.as_str()) {
            self.problems.add(
                &format!("{path}.receiver"),
                format!(
                    "no receiver named {:?} (defined: {})",
                    route.receiver,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        let mut k: Vec<&str> = known.iter().copied().collect();
                        k.sort_unstable();
                        k.join(", ")
                    }
                ),
            );
        }
        for (i, child) in route.routes.iter().enumerate() {
            self.check_node(
                &format!("{path}.routes.{i}"),
                child,
                Some(&route.receiver),
                known,
            );
        }
    }
}
