//! What the router knows about firing alerts across an agent restart: which firing alerts it
//! has not yet handed to delivery (so the agent can persist that), and taking back an alert a
//! previous run had already notified (so it is not sent as a new `firing`, its repeats go on,
//! and its resolve is sent as usual).

use std::collections::BTreeSet;

use time::OffsetDateTime;

use callwatch_core::alert::{Alert, AlertState};

use super::group::Group;
use super::Router;
use crate::notification::{group_key, Notification};

impl Router {
    /// Fingerprints of firing alerts some route has not yet handed to delivery (waiting out
    /// `group_wait`, or muted).
    pub fn undelivered(&self) -> BTreeSet<String> {
        self.groups
            .values()
            .flat_map(|g| {
                g.active
                    .iter()
                    .filter(|(fp, a)| g.notified.get(*fp) != Some(&a.starts_at))
                    .map(|(fp, _)| fp.clone())
            })
            .collect()
    }

    /// Takes back a firing alert a previous run already handed to delivery on every route:
    /// active and notified, as if its last message went out at `now`. Returns, per group, the
    /// alert as a repeat: what a receiver that must keep hearing about firing alerts
    /// (Alertmanager, idempotent by labels) is re-sent; no other receiver gets it.
    pub fn restore_notified(&mut self, alert: Alert, now: OffsetDateTime) -> Vec<Notification> {
        let mut out = Vec::new();
        if alert.state != AlertState::Firing {
            return out;
        }
        for matched in self.cfg.matching(&alert) {
            let labels = super::group_labels(&matched.route.group_by, &alert);
            let key = format!("{}:{}", matched.id, group_key(&labels));
            let group = self.groups.entry(key).or_insert_with(|| {
                let mut g = Group::new(labels, &matched, now);
                g.next_flush = now + matched.route.group_interval;
                g
            });
            group.last_sent.get_or_insert(now);
            group.notified.insert(alert.fingerprint(), alert.starts_at);
            group.active.insert(alert.fingerprint(), alert.clone());
            out.push(Notification::for_route(
                &group.receiver,
                &group.route_key,
                group.labels.clone(),
                vec![alert.clone()],
                now,
                true,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::{Route, RouterConfig};
    use std::time::Duration;
    use time::macros::datetime;

    fn config() -> RouterConfig {
        RouterConfig {
            route: Route {
                receiver: "chat".into(),
                group_wait: Duration::from_secs(30),
                group_interval: Duration::from_secs(60),
                repeat_interval: Duration::from_secs(3600),
                ..Route::default()
            },
            ..RouterConfig::default()
        }
    }

    #[test]
    fn a_restored_alert_is_not_sent_again_but_its_resolve_and_repeat_are() {
        let t0 = datetime!(2026-11-20 08:00 UTC);
        let firing = Alert::for_test("ServerErrorSpike", AlertState::Firing);
        let mut router = Router::new(config());
        let refresh = router.restore_notified(firing.clone(), t0);
        assert_eq!(refresh.len(), 1);
        assert!(refresh[0].repeat);
        assert!(router.undelivered().is_empty());
        assert!(router.flush_due(t0 + time::Duration::minutes(5)).is_empty());
        let repeat = router.flush_due(t0 + time::Duration::minutes(61));
        assert_eq!(repeat.len(), 1);
        assert!(repeat[0].repeat);
        let mut resolved = firing.clone();
        resolved.state = AlertState::Resolved;
        router.push(resolved, t0 + time::Duration::minutes(62));
        let sent = router.flush_due(t0 + time::Duration::minutes(63));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].alerts[0].state, AlertState::Resolved);
    }

    #[test]
    fn a_pushed_firing_is_undelivered_until_flushed() {
        let t0 = datetime!(2026-11-20 08:00 UTC);
        let mut firing = Alert::for_test("ServerErrorSpike", AlertState::Firing);
        firing.severity = callwatch_core::alert::Severity::Warning;
        let mut router = Router::new(config());
        router.push(firing.clone(), t0);
        assert_eq!(
            router.undelivered().into_iter().collect::<Vec<_>>(),
            vec![firing.fingerprint()]
        );
        assert_eq!(router.flush_all(t0).len(), 1);
        assert!(router.undelivered().is_empty());
    }
}
