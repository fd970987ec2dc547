//! What the router hands to delivery: one group's transitions for one receiver.

use std::collections::BTreeMap;
use std::hash::Hasher;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use callwatch_core::alert::{Alert, AlertState};

/// One message for one group: the alerts that changed (or repeat) since the group's last
/// notification. Serialisable because delivery spools it to disk before the first attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable id (derived from group, flush time and transitions): the Standard Webhooks
    /// `webhook-id`, the spool file name, and what a restart dedupes on.
    pub id: String,
    pub receiver: String,
    /// Alertmanager's `groupKey`: `{}/{severity="critical"}:{alertname="…"}` (route key, then
    /// the group labels).
    pub group_key: String,
    pub group_labels: BTreeMap<String, String>,
    /// Firing first, then resolved; each sorted by rule then fingerprint.
    pub alerts: Vec<Alert>,
    /// Router time of the flush that produced it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// True when nothing changed and the group is re-sent because `repeat_interval` passed.
    #[serde(default)]
    pub repeat: bool,
}

impl Notification {
    /// A notification of the root route (`groupKey` `{}:{…}`).
    pub fn new(
        receiver: &str,
        group_labels: BTreeMap<String, String>,
        alerts: Vec<Alert>,
        at: OffsetDateTime,
        repeat: bool,
    ) -> Self {
        Self::for_route(receiver, "{}", group_labels, alerts, at, repeat)
    }

    /// A notification of the route node whose Alertmanager route key is `route_key`.
    pub fn for_route(
        receiver: &str,
        route_key: &str,
        group_labels: BTreeMap<String, String>,
        mut alerts: Vec<Alert>,
        at: OffsetDateTime,
        repeat: bool,
    ) -> Self {
        alerts.sort_by(|a, b| {
            (a.state != AlertState::Firing, &a.rule, a.fingerprint()).cmp(&(
                b.state != AlertState::Firing,
                &b.rule,
                b.fingerprint(),
            ))
        });
        // Alertmanager's `groupKey`: route key, then the group labels.
        let group_key = format!("{route_key}:{}", group_key(&group_labels));
        let id = notification_id(receiver, &group_key, at, &alerts);
        Notification {
            id,
            receiver: receiver.to_string(),
            group_key,
            group_labels,
            alerts,
            at,
            repeat,
        }
    }

    /// `firing` when any alert in it fires, like Alertmanager's group status.
    pub fn status(&self) -> AlertState {
        if self.firing().next().is_some() {
            AlertState::Firing
        } else {
            AlertState::Resolved
        }
    }

    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.state == AlertState::Firing)
    }

    pub fn resolved(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|a| a.state == AlertState::Resolved)
    }

    /// Labels every alert shares (alertname and severity included), for `commonLabels`.
    pub fn common_labels(&self) -> BTreeMap<String, String> {
        let mut iter = self.alerts.iter().map(full_labels);
        let Some(mut common) = iter.next() else {
            return BTreeMap::new();
        };
        for labels in iter {
            common.retain(|k, v| labels.get(k) == Some(v));
        }
        common
    }
}

/// An alert's labels as receivers see them: `alertname` = rule, plus `severity`.
pub fn full_labels(alert: &Alert) -> BTreeMap<String, String> {
    let mut labels = alert.labels.clone();
    labels.insert("alertname".into(), alert.rule.clone());
    labels
        .entry("severity".into())
        .or_insert_with(|| alert.severity.as_str().to_string());
    labels
}

pub fn group_key(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(","))
}

fn notification_id(
    receiver: &str,
    group_key: &str,
    at: OffsetDateTime,
    alerts: &[Alert],
) -> String {
    // FNV-1a like `alert::fingerprint`: stable across processes, so a spooled notification
    // keeps its id through a restart.
    let mut h = callwatch_core::alert::Fnv64::default();
    for part in [receiver, group_key] {
        h.write(part.as_bytes());
        h.write(&[0xff]);
    }
    h.write(&at.unix_timestamp_nanos().to_le_bytes());
    for a in alerts {
        h.write(a.fingerprint().as_bytes());
        h.write(a.state.as_str().as_bytes());
        h.write(&a.at.unix_timestamp_nanos().to_le_bytes());
    }
    format!("msg_{:016x}", h.finish())
}
