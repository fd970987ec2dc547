//! The router turns alert transitions into notifications the way Alertmanager does: group by
//! labels (`group_wait` before a new group's first message, `group_interval` between updates,
//! so a storm of hundreds of alerts is one digest), dedup by fingerprint (a firing alert already
//! notified is not re-sent until `repeat_interval`), inhibition, silences, and resolutions.
//!
//! Each alert is routed down a tree of [`Route`]s to one or more receivers; groups, dedup and
//! repeats are kept per route node, so each receiver hears about each transition once, on its
//! own timing.
//!
//! It is pure state driven by an explicit `now`: no clock, no I/O, so tests and `replay` are
//! deterministic and show exactly what live mode sends.

mod group;
mod inhibit;
mod matcher;
mod restore;
mod route;
mod silence;
pub mod time_interval;

use std::collections::BTreeMap;

use time::OffsetDateTime;

use callwatch_core::alert::{Alert, AlertState};

use super::notification::{group_key, Notification};
use group::Group;
pub use inhibit::{default_rules as default_inhibit_rules, InhibitRule};
pub use matcher::{label, MatchOp, Matcher, MatcherError};
pub use route::{matchers_text, Matched, Route};
pub use silence::Silence;
pub use time_interval::TimeInterval;

#[derive(Clone, Debug)]
pub struct RouterConfig {
    /// The root of the route tree: which receivers hear about which alert, and when.
    pub route: Route,
    /// Routes beside the tree, each matching every alert on its own (receivers that hear
    /// everything: desktop, stdout, an Alertmanager push), so adding one never changes where
    /// the tree sends an alert.
    pub side_routes: Vec<Route>,
    pub inhibit: Vec<InhibitRule>,
    pub silences: Vec<Silence>,
    /// Named time intervals routes mute or activate by (UTC).
    pub time_intervals: BTreeMap<String, Vec<TimeInterval>>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            route: Route::default(),
            side_routes: Vec::new(),
            inhibit: default_inhibit_rules(),
            silences: Vec::new(),
            time_intervals: BTreeMap::new(),
        }
    }
}

impl RouterConfig {
    /// Every duration of the tree divided by `factor` (a compressed demo clock).
    pub fn scale_timing(&mut self, factor: f64) {
        fn scale(r: &mut Route, f: f64) {
            r.group_wait = r.group_wait.div_f64(f);
            r.group_interval = r.group_interval.div_f64(f);
            r.repeat_interval = r.repeat_interval.div_f64(f);
            for c in &mut r.routes {
                scale(c, f);
            }
        }
        scale(&mut self.route, factor.max(1.0));
        for r in &mut self.side_routes {
            scale(r, factor.max(1.0));
        }
    }

    /// The receivers `alert` is routed to (before silences and inhibition), in tree order,
    /// each once.
    pub fn receivers_for(&self, alert: &Alert) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.matching(alert) {
            if !out.contains(&m.route.receiver) {
                out.push(m.route.receiver.clone());
            }
        }
        out
    }

    /// Where `alert` goes: the tree's nodes, then every side route.
    fn matching<'a>(&'a self, alert: &Alert) -> Vec<Matched<'a>> {
        let mut out = self.route.matching(alert);
        for (i, side) in self.side_routes.iter().enumerate() {
            out.extend(side.matching(alert).into_iter().map(|mut m| {
                m.id = format!("side{i}{}", m.id);
                m
            }));
        }
        out
    }
}

/// Counts of what the router held back, for `callwatch` to report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterStats {
    pub transitions: u64,
    pub notifications: u64,
    /// Firing alerts left out of a flush because a silence matched.
    pub silenced: u64,
    /// Firing alerts left out of a flush because an inhibition rule matched.
    pub inhibited: u64,
    /// Group flushes put off because the route was muted (or outside its active time); what
    /// they held is sent once the route may notify again.
    pub deferred: u64,
}

pub struct Router {
    cfg: RouterConfig,
    groups: BTreeMap<String, Group>,
    silences: Vec<Silence>,
    next_silence_id: u64,
    stats: RouterStats,
}

enum Mute {
    No,
    Silenced,
    Inhibited,
}

impl Router {
    pub fn new(mut cfg: RouterConfig) -> Router {
        let silences = std::mem::take(&mut cfg.silences);
        Router {
            cfg,
            groups: BTreeMap::new(),
            next_silence_id: silences.len() as u64 + 1,
            silences,
            stats: RouterStats::default(),
        }
    }

    pub fn stats(&self) -> RouterStats {
        self.stats
    }

    /// Take one transition. Nothing is sent until [`Router::flush_due`] says so — except that
    /// a critical alert starting to fire in a group that has sent nothing yet makes the group
    /// due at once: an outage page must not wait out `group_wait` (as an Alertmanager route
    /// with `group_wait: 0s` for critical alerts). Later alerts of the group still batch by
    /// `group_interval`, so a critical storm is one page and then digests, not one per alert.
    pub fn push(&mut self, alert: Alert, now: OffsetDateTime) {
        self.stats.transitions += 1;
        let urgent = is_urgent(&alert);
        for matched in self.cfg.matching(&alert) {
            let labels = group_labels(&matched.route.group_by, &alert);
            let key = format!("{}:{}", matched.id, group_key(&labels));
            let group = self
                .groups
                .entry(key)
                .or_insert_with(|| Group::new(labels, &matched, now));
            if urgent && group.last_sent.is_none() {
                group.next_flush = group.next_flush.min(now);
            }
            group.add(alert.clone());
        }
    }

    /// The receivers `alert` is routed to (before silences and inhibition), in tree order.
    pub fn receivers_for(&self, alert: &Alert) -> Vec<String> {
        self.cfg.receivers_for(alert)
    }

    /// Silence alerts matching every matcher until `until`; returns the silence id.
    pub fn silence(
        &mut self,
        matchers: Vec<Matcher>,
        until: OffsetDateTime,
        comment: &str,
    ) -> String {
        let id = format!("silence-{}", self.next_silence_id);
        self.next_silence_id += 1;
        self.silences.push(Silence {
            id: id.clone(),
            matchers,
            starts_at: None,
            ends_at: until,
            comment: comment.to_string(),
        });
        id
    }

    /// End a silence now; false when no silence has that id.
    pub fn expire_silence(&mut self, id: &str) -> bool {
        let before = self.silences.len();
        self.silences.retain(|s| s.id != id);
        before != self.silences.len()
    }

    pub fn silences(&self) -> &[Silence] {
        &self.silences
    }

    /// Notifications of every group whose timer is due at `now`.
    pub fn flush_due(&mut self, now: OffsetDateTime) -> Vec<Notification> {
        self.flush(now, false)
    }

    /// Notifications of every group with anything pending, timers ignored (shutdown: hand
    /// everything to the spool rather than lose it).
    pub fn flush_all(&mut self, now: OffsetDateTime) -> Vec<Notification> {
        self.flush(now, true)
    }

    /// When the next group timer fires, for a caller that sleeps rather than polls.
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        self.groups.values().map(|g| g.next_flush).min()
    }

    fn flush(&mut self, now: OffsetDateTime, all: bool) -> Vec<Notification> {
        self.silences.retain(|s| now < s.ends_at);
        let due: Vec<String> = self
            .groups
            .iter()
            .filter(|(_, g)| all || g.next_flush <= now)
            .map(|(k, _)| k.clone())
            .collect();
        // Inhibiting alerts, found once per flush (not once per target: a storm of n alerts
        // would otherwise cost n² matcher checks).
        let sources: Vec<Vec<Alert>> = self
            .cfg
            .inhibit
            .iter()
            .map(|rule| {
                self.groups
                    .values()
                    .flat_map(|g| g.active.values())
                    .filter(|a| matcher::all_match(&rule.source, a))
                    .cloned()
                    .collect()
            })
            .collect();
        let mut out = Vec::new();
        for key in due {
            if let Some(n) = self.flush_group(&key, now, &sources) {
                out.push(n);
            }
        }
        self.stats.notifications += out.len() as u64;
        out
    }

    /// Whether a group's route may notify at `now` (its mute and active time intervals).
    fn may_notify(&self, group: &Group, now: OffsetDateTime) -> bool {
        let within = |name: &String| {
            self.cfg
                .time_intervals
                .get(name)
                .is_some_and(|set| time_interval::any_contains(set, now))
        };
        !group.mute_intervals.iter().any(within)
            && (group.active_intervals.is_empty() || group.active_intervals.iter().any(within))
    }

    fn flush_group(
        &mut self,
        key: &str,
        now: OffsetDateTime,
        sources: &[Vec<Alert>],
    ) -> Option<Notification> {
        let group = self.groups.get(key)?;
        if !self.may_notify(group, now) {
            // Unlike Alertmanager, which drops what a muted flush held, keep it: it goes out
            // at the first flush the route may notify again (nothing is lost silently).
            self.stats.deferred += 1;
            let interval = group.group_interval;
            if let Some(g) = self.groups.get_mut(key) {
                g.next_flush = now + interval;
            }
            return None;
        }
        let mut firing = Vec::new();
        let mut repeatable = Vec::new();
        let mut has_new = false;
        for (fp, alert) in &group.active {
            match self.mute(alert, now, sources) {
                Mute::Silenced => self.stats.silenced += 1,
                Mute::Inhibited => self.stats.inhibited += 1,
                Mute::No if group.notified.get(fp) == Some(&alert.starts_at) => {
                    repeatable.push(alert.clone())
                }
                Mute::No => {
                    has_new = true;
                    firing.push(alert.clone());
                }
            }
        }
        let mut blips = Vec::new();
        for (fired, resolved) in &group.blips {
            // Fired and resolved within one wait: tell both, unless it was muted anyway.
            if matches!(self.mute(fired, now, sources), Mute::No) {
                blips.push(fired.clone());
                blips.push(resolved.clone());
            }
        }
        let repeat_due = group
            .last_sent
            .is_some_and(|t| now >= t + group.repeat_interval);
        let group = self.groups.get_mut(key)?;
        let resolved = std::mem::take(&mut group.resolved);
        group.blips.clear();
        let send_repeat = !has_new && repeat_due && !repeatable.is_empty();
        // A message carries the group's already-notified firing alerts only when it is a
        // repeat; otherwise just what changed, so each transition reaches a receiver once.
        let mut alerts = firing;
        if send_repeat {
            alerts.append(&mut repeatable);
        }
        let changed = !alerts.is_empty() || !resolved.is_empty() || !blips.is_empty();
        for a in &alerts {
            group.notified.insert(a.fingerprint(), a.starts_at);
        }
        for a in &resolved {
            group.notified.remove(&a.fingerprint());
        }
        alerts.extend(resolved);
        alerts.extend(blips);
        group.next_flush = now + group.group_interval;
        let notification = changed.then(|| {
            group.last_sent = Some(now);
            Notification::for_route(
                &group.receiver,
                &group.route_key,
                group.labels.clone(),
                alerts,
                now,
                send_repeat,
            )
        });
        if group.is_idle() {
            self.groups.remove(key);
        }
        notification
    }

    fn mute(&self, alert: &Alert, now: OffsetDateTime, sources: &[Vec<Alert>]) -> Mute {
        if alert.state != AlertState::Firing {
            return Mute::No;
        }
        if self.silences.iter().any(|s| s.mutes(alert, now)) {
            return Mute::Silenced;
        }
        let inhibited = self
            .cfg
            .inhibit
            .iter()
            .zip(sources)
            .any(|(rule, sources)| rule.inhibits(alert, sources.iter()));
        if inhibited {
            return Mute::Inhibited;
        }
        Mute::No
    }
}

fn group_labels(group_by: &[String], alert: &Alert) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for name in group_by {
        if name == "..." {
            labels.extend(alert.labels.clone());
            labels.insert("alertname".into(), alert.rule.clone());
        } else if let Some(v) = label(alert, name) {
            labels.insert(name.clone(), v.to_string());
        }
    }
    labels
}

/// A critical alert starting to fire: delivered without grouping delays.
pub fn is_urgent(alert: &Alert) -> bool {
    alert.severity == callwatch_core::alert::Severity::Critical
        && alert.state == callwatch_core::alert::AlertState::Firing
}
