//! The routing part both config formats share, in Alertmanager's words: `route` (a tree of
//! matchers, receivers, `continue` and timing), `receivers` (named, each with any number of
//! `webhook_configs`, `slack_configs`, `pagerduty_configs`), inhibition rules. The raw structs
//! deserialize from YAML and TOML alike; unknown keys are not refused here but collected by the
//! caller (serde_ignored), so every one is reported, not only the first.
//!
//! Every problem is a [`Problem`]: the dotted path of the key it is about (`route.routes.1.
//! group_wait`), which each format turns into a position, and what is wrong.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde::Deserialize;

use super::{PagerDutyConfig, SlackConfig, WebhookConfig};
use callwatch_core::duration::{parse_duration, ALLOWED as DURATION_ALLOWED};
use crate::receiver::{Integration, ReceiverConfig};
use crate::router::time_interval::{
    parse_days_of_month, parse_months, parse_time_of_day, parse_weekdays, parse_years,
};
use crate::router::{InhibitRule, MatchOp, Matcher, Route, TimeInterval};
use crate::secret::{redact_url, Secret};

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

#[derive(Deserialize, Default, Clone)]
pub struct RawReceiver {
    pub name: Option<String>,
    pub webhook_configs: Option<Vec<RawWebhookConfig>>,
    pub slack_configs: Option<Vec<RawSlackConfig>>,
    pub pagerduty_configs: Option<Vec<RawPagerDutyConfig>>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawWebhookConfig {
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub send_resolved: Option<bool>,
    pub max_alerts: Option<u64>,
    /// callwatch.toml only: Standard Webhooks signing secret.
    pub secret: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawSlackConfig {
    pub api_url: Option<String>,
    pub api_url_file: Option<String>,
    pub channel: Option<String>,
    pub send_resolved: Option<bool>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawPagerDutyConfig {
    pub routing_key: Option<String>,
    pub routing_key_file: Option<String>,
    pub url: Option<String>,
    pub send_resolved: Option<bool>,
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

    /// Receivers, each name once; `toml` allows callwatch's extra keys (`secret`).
    pub fn receivers(
        &mut self,
        path: &str,
        raw: &[RawReceiver],
        toml: bool,
    ) -> Vec<ReceiverConfig> {
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let at = format!("{path}.{i}");
            let Some(name) = r.name.clone().filter(|n| !n.trim().is_empty()) else {
                self.problems
                    .add(&format!("{at}.name"), "every receiver needs a name");
                continue;
            };
            if !names.insert(name.clone()) {
                self.problems.add(
                    &format!("{at}.name"),
                    format!("receiver {name:?} is defined twice (names must be unique)"),
                );
            }
            let mut integrations = Vec::new();
            for (j, w) in r.webhook_configs.iter().flatten().enumerate() {
                if let Some(c) = self.webhook(&format!("{at}.webhook_configs.{j}"), w, toml) {
                    integrations.push(Integration::Webhook(c));
                }
            }
            for (j, s) in r.slack_configs.iter().flatten().enumerate() {
                if let Some(c) = self.slack(&format!("{at}.slack_configs.{j}"), s) {
                    integrations.push(Integration::Slack(c));
                }
            }
            for (j, p) in r.pagerduty_configs.iter().flatten().enumerate() {
                if let Some(c) = self.pagerduty(&format!("{at}.pagerduty_configs.{j}"), p) {
                    integrations.push(Integration::PagerDuty(c));
                }
            }
            out.push(ReceiverConfig { name, integrations });
        }
        out
    }

    /// A secret from the key itself or from the file its `_file` twin names (one of the two).
    fn secret(
        &mut self,
        path: &str,
        key: &str,
        value: Option<&String>,
        file: Option<&String>,
    ) -> Option<String> {
        match (value, file) {
            (Some(_), Some(_)) => {
                self.problems.add(
                    &format!("{path}.{key}_file"),
                    format!("set {key} or {key}_file, not both"),
                );
                None
            }
            (Some(v), None) => Some(v.trim().to_string()),
            (None, Some(f)) => match (self.read_file)(f) {
                Ok(text) => Some(text.trim().to_string()),
                Err(e) => {
                    self.problems.add(
                        &format!("{path}.{key}_file"),
                        format!("{key}_file: cannot read {f:?}: {e}"),
                    );
                    None
                }
            },
            (None, None) => None,
        }
    }

    /// An http(s) URL; shown redacted in errors (its path may be the secret).
    fn url(&mut self, path: &str, value: String) -> Option<Secret> {
        let ok = reqwest::Url::parse(&value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if ok {
            Some(Secret::new(value))
        } else {
            self.problems.add(
                path,
                format!("{} is not an http:// or https:// URL", redact_url(&value)),
            );
            None
        }
    }

    fn webhook(&mut self, path: &str, w: &RawWebhookConfig, toml: bool) -> Option<WebhookConfig> {
        let url = self.secret(path, "url", w.url.as_ref(), w.url_file.as_ref());
        let Some(url) = url else {
            if w.url.is_none() && w.url_file.is_none() {
                self.problems
                    .add(path, "a webhook config needs url or url_file");
            }
            return None;
        };
        let url = self.url(&format!("{path}.url"), url)?;
        let secret = match (&w.secret, toml) {
            (Some(s), true) => {
                let s = Secret::new(s.trim());
                if let Err(e) = crate::sinks::WebhookSigner::new(&s) {
                    self.problems.add(&format!("{path}.secret"), e.to_string());
                }
                Some(s)
            }
            _ => None,
        };
        Some(WebhookConfig {
            url,
            secret,
            external_url: String::new(),
            generator_url: String::new(),
            send_resolved: w.send_resolved.unwrap_or(true),
            max_alerts: usize::try_from(w.max_alerts.unwrap_or(0)).unwrap_or(usize::MAX),
        })
    }

    fn slack(&mut self, path: &str, s: &RawSlackConfig) -> Option<SlackConfig> {
        let own = self.secret(path, "api_url", s.api_url.as_ref(), s.api_url_file.as_ref());
        let url = match own {
            Some(u) => u,
            None if s.api_url.is_some() || s.api_url_file.is_some() => return None,
            None => {
                let global = self.global.clone();
                match self.secret(
                    "global",
                    "slack_api_url",
                    global.slack_api_url.as_ref(),
                    global.slack_api_url_file.as_ref(),
                ) {
                    Some(u) => u,
                    None => {
                        self.problems.add(
                            path,
                            "a Slack config needs api_url or api_url_file (here or in global: slack_api_url)",
                        );
                        return None;
                    }
                }
            }
        };
        let webhook_url = self.url(&format!("{path}.api_url"), url)?;
        Some(SlackConfig {
            webhook_url,
            min_interval: Duration::from_secs(1),
            channel: s.channel.clone().filter(|c| !c.is_empty()),
            // Alertmanager's default for Slack.
            send_resolved: s.send_resolved.unwrap_or(false),
        })
    }

    fn pagerduty(&mut self, path: &str, p: &RawPagerDutyConfig) -> Option<PagerDutyConfig> {
        let key = self.secret(
            path,
            "routing_key",
            p.routing_key.as_ref(),
            p.routing_key_file.as_ref(),
        );
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            self.problems.add(
                path,
                "a PagerDuty config needs routing_key or routing_key_file (Events API v2)",
            );
            return None;
        };
        let url = p
            .url
            .clone()
            .or_else(|| self.global.pagerduty_url.clone())
            .unwrap_or_else(|| crate::sinks::PAGERDUTY_EVENTS_URL.to_string());
        let url = self.url(&format!("{path}.url"), url)?;
        Some(PagerDutyConfig {
            url,
            routing_key: Secret::new(key),
            source: "callwatch".into(),
            send_resolved: p.send_resolved.unwrap_or(true),
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
