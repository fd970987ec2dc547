//! An Alertmanager configuration file, as is: `global`, `route`, `receivers` (webhook, Slack,
//! PagerDuty), `inhibit_rules`, `time_intervals` (in UTC). The same file can serve the team's Alertmanager later. Anything
//! callwatch does not support is an error naming the key with `file:line:col` — every one of
//! them, through the rule loader's error type ([`LoadErrors`]) and its YAML locator.
//!
//! The file is the whole routing: CALLWATCH_* sink variables add nothing to it, and without
//! `inhibit_rules` nothing is inhibited (as in Alertmanager). Secrets come from the file or from
//! the files its `*_file` keys name (relative to the config file).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::routing::{
    RawGlobal, RawInhibitRule, RawReceiver, RawRoute, RawTimeIntervalSet, RoutingBuilder,
};
use super::NotifyConfig;
use crate::delivery::DeliveryConfig;
use crate::router::{Route, RouterConfig};
use callwatch_rules::{find_path, key_paths, LoadError, LoadErrors};

#[derive(Deserialize, Default)]
struct RawAlertmanagerFile {
    global: Option<RawGlobal>,
    route: Option<RawRoute>,
    receivers: Option<Vec<RawReceiver>>,
    inhibit_rules: Option<Vec<RawInhibitRule>>,
    time_intervals: Option<Vec<RawTimeIntervalSet>>,
    /// Alertmanager's older name for `time_intervals`.
    mute_time_intervals: Option<Vec<RawTimeIntervalSet>>,
}

/// YAML by extension (`.yml`, `.yaml`), else by content: a top-level `route:`, `receivers:`
/// or `global:` key (TOML writes `[route]`).
pub fn is_alertmanager(path: &Path, text: &str) -> bool {
    if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    ) {
        return true;
    }
    text.lines().any(|l| {
        ["route:", "receivers:", "global:", "inhibit_rules:"]
            .iter()
            .any(|k| l.starts_with(k))
    })
}

/// Parse an Alertmanager file; `read_file` reads what `*_file` keys name; `env` finds the
/// spool's default directory.
pub fn parse(
    text: &str,
    source: &str,
    read_file: &dyn Fn(&str) -> Result<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<NotifyConfig, LoadErrors> {
    let mut unknown = Vec::new();
    let raw: RawAlertmanagerFile =
        serde_ignored::deserialize(serde_norway::Deserializer::from_str(text), |path| {
            unknown.push(dotted(&path))
        })
        .map_err(|e| LoadErrors(vec![yaml_error(source, &e)]))?;
    let paths = key_paths(text);
    let at = |path: &str, message: String| {
        let pos = find_path(&paths, path);
        LoadError {
            file: source.to_string(),
            line: pos.line,
            col: pos.col,
            message,
        }
    };
    let mut errors: Vec<LoadError> = unknown
        .iter()
        .map(|path| {
            at(
                path,
                format!(
                    "`{}` is not supported by callwatch ({})",
                    last_name(path),
                    supported_here(path, false)
                ),
            )
        })
        .collect();
    let mut rb = RoutingBuilder {
        problems: super::routing::Problems::default(),
        read_file,
        global: raw.global.clone().unwrap_or_default(),
    };
    reject_callwatch_only_keys(&raw, &mut rb);
    if let Some(g) = &raw.global {
        // Alertmanager's own: how long an alert without an end stays firing there. callwatch
        // always sends ends, so it changes nothing here; checked so the file stays valid.
        rb.duration("global.resolve_timeout", g.resolve_timeout.as_ref());
    }
    let route = match &raw.route {
        Some(r) => rb.route("route", r, None),
        None => {
            rb.problems.add(
                "route",
                "missing: an Alertmanager file needs a root `route`",
            );
            Route::default()
        }
    };
    let receivers = match &raw.receivers {
        Some(r) => rb.receivers("receivers", r, false),
        None => {
            rb.problems.add(
                "receivers",
                "missing: an Alertmanager file needs `receivers`",
            );
            Vec::new()
        }
    };
    let mut time_intervals = std::collections::BTreeMap::new();
    for key in ["time_intervals", "mute_time_intervals"] {
        let sets = match key {
            "time_intervals" => &raw.time_intervals,
            _ => &raw.mute_time_intervals,
        };
        rb.time_intervals(key, sets.as_deref().unwrap_or(&[]), &mut time_intervals);
    }
    if raw.route.is_some() {
        rb.check_references("route", &route, &receivers);
        rb.check_time_interval_names("route", &route, &time_intervals);
    }
    let inhibit = raw
        .inhibit_rules
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| rb.inhibit_rule(&format!("inhibit_rules.{i}"), r))
        .collect();
    errors.extend(rb.problems.0.iter().map(|p| at(&p.path, p.message.clone())));
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.col));
        return Err(LoadErrors(errors));
    }
    Ok(NotifyConfig {
        route: RouterConfig {
            route,
            side_routes: Vec::new(),
            inhibit,
            silences: Vec::new(),
            time_intervals,
        },
        receivers,
        delivery: DeliveryConfig {
            spool_dir: super::default_spool_dir(env),
            ..DeliveryConfig::default()
        },
        tick: Duration::from_secs(1),
    })
}

/// Keys the shared schema has for callwatch.toml but Alertmanager does not know: refused here
/// so the file keeps passing `amtool check-config`.
fn reject_callwatch_only_keys(raw: &RawAlertmanagerFile, rb: &mut RoutingBuilder<'_>) {
    fn walk(path: &str, r: &RawRoute, rb: &mut RoutingBuilder<'_>) {
        if r.tick.is_some() {
            rb.problems.add(
                &format!("{path}.tick"),
                "`tick` is not supported by callwatch (supported here: callwatch.toml only)",
            );
        }
        for (i, c) in r.routes.iter().flatten().enumerate() {
            walk(&format!("{path}.routes.{i}"), c, rb);
        }
    }
    if let Some(r) = &raw.route {
        walk("route", r, rb);
    }
    for (i, r) in raw.receivers.iter().flatten().enumerate() {
        for (j, w) in r.webhook_configs.iter().flatten().enumerate() {
            if w.secret.is_some() {
                rb.problems.add(
                    &format!("receivers.{i}.webhook_configs.{j}.secret"),
                    "`secret` is not supported by callwatch in an Alertmanager file (sign webhooks from callwatch.toml)",
                );
            }
        }
    }
}

/// serde_ignored's path as dotted names and indices: `route.routes.0.foo`.
pub fn dotted(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    fn go(p: &P<'_>, out: &mut Vec<String>) {
        match p {
            P::Root => {}
            P::Seq { parent, index } => {
                go(parent, out);
                out.push(index.to_string());
            }
            P::Map { parent, key } => {
                go(parent, out);
                out.push(key.clone());
            }
            P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
                go(parent, out)
            }
        }
    }
    let mut parts = Vec::new();
    go(path, &mut parts);
    parts.join(".")
}

fn last_name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// What callwatch reads where the unknown key at `path` is.
pub fn supported_here(path: &str, toml: bool) -> String {
    let names: Vec<&str> = path
        .split('.')
        .filter(|p| p.parse::<usize>().is_err())
        .collect();
    let parent = names.len().checked_sub(2).map(|i| names[i]);
    let keys = match parent {
        None if toml => "route, receivers, inhibit, time_intervals, silence, slack, webhook, alertmanager, pagerduty, desktop, stdout, spool, delivery",
        None => "global, route, receivers, inhibit_rules, time_intervals, mute_time_intervals",
        Some("global") => "resolve_timeout, slack_api_url, slack_api_url_file, pagerduty_url",
        Some("route" | "routes") => {
            "receiver, matchers, match, match_re, continue, routes, group_by, group_wait, group_interval, repeat_interval, mute_time_intervals, active_time_intervals"
        }
        Some("time_intervals" | "mute_time_intervals") => {
            "name, time_intervals, times, weekdays, days_of_month, months, years, location"
        }
        Some("times") => "start_time, end_time",
        Some("receivers") => "name, webhook_configs, slack_configs, pagerduty_configs",
        Some("webhook_configs") if toml => "url, url_file, send_resolved, max_alerts, secret",
        Some("webhook_configs") => "url, url_file, send_resolved, max_alerts",
        Some("slack_configs") => "api_url, api_url_file, channel, send_resolved",
        Some("pagerduty_configs") => "routing_key, routing_key_file, url, send_resolved",
        Some("inhibit_rules" | "inhibit") => {
            "source_matchers, target_matchers, equal, source_match, source_match_re, target_match, target_match_re"
        }
        Some(_) => return "see docs/notify.md for what callwatch reads".to_string(),
    };
    format!("supported here: {keys}")
}

/// A YAML syntax or type error, located, as the rule loader reports them.
fn yaml_error(source: &str, e: &serde_norway::Error) -> LoadError {
    let (line, col) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let msg = e.to_string();
    let message = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    // A type error quotes the value it met, which may be a URL or a key: never show it.
    let mut shown = String::new();
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if quoted {
                shown.push('…');
            }
            quoted = !quoted;
            shown.push(c);
        } else if !quoted {
            shown.push(c);
        }
    }
    LoadError {
        file: source.to_string(),
        line,
        col,
        message: shown,
    }
}
