//! One aggregation group's state: what is firing, what the receiver already knows, and
//! which resolutions are still to be told.

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;

use callwatch_core::alert::{Alert, AlertState};

use super::route::Matched;

pub(super) struct Group {
    pub labels: BTreeMap<String, String>,
    /// Receiver and timing of the route node the group belongs to.
    pub receiver: String,
    /// The node's route key (`{}/{severity="critical"}`), for the `groupKey`.
    pub route_key: String,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// The node's `mute_time_intervals` and `active_time_intervals` (names).
    pub mute_intervals: Vec<String>,
    pub active_intervals: Vec<String>,
    /// Currently firing alerts by fingerprint (latest data).
    pub active: BTreeMap<String, Alert>,
    /// Firing alerts the receiver has been told about: fingerprint → `starts_at`.
    pub notified: BTreeMap<String, OffsetDateTime>,
    /// Resolutions of notified (or unknown to this process) alerts, to be sent.
    pub resolved: Vec<Alert>,
    /// Alerts that fired and resolved before the group was flushed: (firing, resolved).
    pub blips: Vec<(Alert, Alert)>,
    pub next_flush: OffsetDateTime,
    pub last_sent: Option<OffsetDateTime>,
}

impl Group {
    pub fn new(
        labels: BTreeMap<String, String>,
        route: &Matched<'_>,
        now: OffsetDateTime,
    ) -> Group {
        Group {
            labels,
            receiver: route.route.receiver.clone(),
            route_key: route.key.clone(),
            group_interval: route.route.group_interval,
            repeat_interval: route.route.repeat_interval,
            mute_intervals: route.route.mute_time_intervals.clone(),
            active_intervals: route.route.active_time_intervals.clone(),
            next_flush: now + route.route.group_wait,
            active: BTreeMap::new(),
            notified: BTreeMap::new(),
            resolved: Vec::new(),
            blips: Vec::new(),
            last_sent: None,
        }
    }

    pub fn add(&mut self, alert: Alert) {
        let fp = alert.fingerprint();
        match alert.state {
            AlertState::Firing => {
                self.active.insert(fp, alert);
            }
            AlertState::Resolved => match self.active.remove(&fp) {
                Some(firing) if !self.notified.contains_key(&fp) => {
                    self.blips.push((firing, alert))
                }
                // Notified before, or never seen here (fired before a restart): the receiver
                // may know it as firing, so tell it. Resolving is idempotent everywhere.
                _ => self.resolved.push(alert),
            },
        }
    }

    pub fn is_idle(&self) -> bool {
        self.active.is_empty() && self.resolved.is_empty() && self.blips.is_empty()
    }
}
