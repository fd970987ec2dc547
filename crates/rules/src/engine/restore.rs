//! The engine's firing alerts taken out (so the agent can persist them across a restart) and
//! put back into a fresh engine.
//!
//! A restored alert continues: it is firing again at once, without a new `firing`
//! transition. Its condition is not known after the restart (the windows are empty), so the
//! restart counts as the last moment it was seen true, and the rule gets its look-back to see
//! it again: `window + for` for a threshold rule (then `keep_firing_for` as always), `quiet_for`
//! for an `any` rule. Seen again in that time, it keeps firing; not seen, it resolves once.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::lifecycle::Phase;
use super::{std_to_time, Engine, Incident, LastMatch, RuleState, Series, MAX_SERIES_PER_GROUP};
use crate::model::RuleKind;
use callwatch_core::alert::{Alert, AlertState};

/// One firing alert instance, as much as a fresh engine needs to continue it.
#[derive(Clone, Debug, PartialEq)]
pub struct FiringInstance {
    /// The instance's firing transition (rule, labels, `starts_at`, summary, …).
    pub alert: Alert,
    /// The rule's group-by values that name the series, by field name (`model`, `key_id`, …).
    pub series: BTreeMap<String, String>,
    /// Matched calls since it fired, for the totals its resolve carries.
    pub matched: u64,
    /// Highest share it held at.
    pub peak_share: Option<f64>,
}

/// Why a persisted instance was not taken back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRestored {
    /// The rule set no longer has a rule of that name (its resolve cannot be computed).
    UnknownRule(String),
    /// The transition is not a firing one.
    NotFiring(String),
    /// The rule's group is at its series limit.
    SeriesLimit(String),
}

impl std::fmt::Display for NotRestored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotRestored::UnknownRule(rule) => write!(f, "{rule}: no rule of that name any more"),
            NotRestored::NotFiring(rule) => write!(f, "{rule}: not a firing transition"),
            NotRestored::SeriesLimit(rule) => write!(f, "{rule}: its series limit is reached"),
        }
    }
}

impl Engine {
    /// Every firing instance, for the agent to persist.
    pub fn firing_instances(&self) -> Vec<FiringInstance> {
        let mut out = Vec::new();
        for group in &self.groups {
            for series in group.series.values() {
                for st in &series.states {
                    let Some(alert) = st.alert.as_ref().filter(|_| st.phase.is_firing()) else {
                        continue;
                    };
                    out.push(FiringInstance {
                        alert: alert.clone(),
                        series: series.labels.clone(),
                        matched: st.incident.matched,
                        peak_share: st.incident.peak_share,
                    });
                }
            }
        }
        out
    }

    /// Takes back instances a previous run persisted, at `now` (the restart): each continues
    /// firing with no new transition, and resolves once unless the engine sees its condition
    /// again within the rule's look-back (see the module docs). Returns what it could not take.
    pub fn restore(
        &mut self,
        instances: Vec<FiringInstance>,
        now: OffsetDateTime,
    ) -> Vec<NotRestored> {
        let sec = now.unix_timestamp();
        let eval_end = *self.eval_end.get_or_insert(sec);
        let mut refused = Vec::new();
        for instance in instances {
            let rule_name = instance.alert.rule.clone();
            if instance.alert.state != AlertState::Firing {
                refused.push(NotRestored::NotFiring(rule_name));
                continue;
            }
            let Some(rule_index) = self.rules.rules.iter().position(|r| r.name == rule_name) else {
                refused.push(NotRestored::UnknownRule(rule_name));
                continue;
            };
            let rule = &self.rules.rules[rule_index];
            let Some(group) = self
                .groups
                .iter_mut()
                .find(|g| g.rules.contains(&rule_index))
            else {
                refused.push(NotRestored::UnknownRule(rule_name));
                continue;
            };
            // The key `observe` builds for a call of this series.
            let mut key = String::new();
            for field in &group.fields {
                key.push('\u{1f}');
                match instance.series.get(field.as_str()) {
                    Some(v) => key.push_str(v),
                    None => key.push('\u{0}'),
                }
            }
            if !group.series.contains_key(&key) && group.series.len() >= MAX_SERIES_PER_GROUP {
                refused.push(NotRestored::SeriesLimit(rule_name));
                continue;
            }
            let series = group.series.entry(key).or_insert_with(|| Series {
                labels: instance
                    .series
                    .iter()
                    .filter(|(k, _)| group.fields.iter().any(|f| f.as_str() == k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                states: group
                    .rules
                    .iter()
                    .map(|&i| RuleState::new(&self.rules.rules[i], eval_end))
                    .collect(),
                last_seen: sec,
            });
            series.last_seen = series.last_seen.max(sec);
            let Some(pos) = group.rules.iter().position(|&i| i == rule_index) else {
                continue;
            };
            let state = &mut series.states[pos];
            state.phase = match rule.kind {
                RuleKind::Any { .. } => {
                    state.last_match = Some(LastMatch::new(now, now.unix_timestamp()));
                    Phase::Firing { last_true: now }
                }
                // A last-seen-true time in the future: the rule's window (and `for`) to see
                // the condition again before `keep_firing_for` starts counting.
                _ => Phase::Firing {
                    last_true: now
                        + std_to_time(rule.kind.window())
                        + std_to_time(rule.pending_for),
                },
            };
            state.incident = Incident {
                matched: instance.matched,
                peak_share: instance.peak_share,
            };
            state.alert = Some(instance.alert);
        }
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::event::CallEvent;
    use time::macros::datetime;
    use time::Duration;

    const RULES: &str = "rules:
  - name: Spike
    kind: share_over_threshold
    window: 10s
    threshold: 0.5
    min_calls: 2
    match:
      classes: [server]
    group_by: [model]
  - name: Billing
    kind: any
    quiet_for: 30s
    match:
      classes: [billing]
";

    fn call(at: OffsetDateTime, status: u16) -> CallEvent<'static> {
        let error_type = match status {
            500 => Some("api_error"),
            402 => Some("billing_error"),
            _ => None,
        };
        let mut c = CallEvent::new(at, Some(status), error_type);
        c.model = Some("m1".into());
        c
    }

    /// An engine with Spike{model=m1} and Billing firing at `t0`.
    fn firing_engine(t0: OffsetDateTime) -> (Engine, Vec<FiringInstance>) {
        let rules = crate::load_rules("r.yaml", RULES).unwrap();
        let mut e = Engine::new(rules);
        let mut fired = e.observe(&call(t0, 402));
        for s in 0..4 {
            e.observe(&call(t0 + Duration::seconds(s), 500));
        }
        fired.extend(e.tick(t0 + Duration::seconds(5)));
        assert_eq!(fired.len(), 2, "{fired:?}");
        let instances = e.firing_instances();
        assert_eq!(instances.len(), 2);
        (e, instances)
    }

    fn fresh() -> Engine {
        Engine::new(crate::load_rules("r.yaml", RULES).unwrap())
    }

    #[test]
    fn a_restored_alert_still_failing_continues_without_a_second_firing() {
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let (_, instances) = firing_engine(t0);
        let restart = t0 + Duration::seconds(20);
        let mut e = fresh();
        assert!(e.restore(instances, restart).is_empty());
        assert_eq!(e.firing().count(), 2);
        let mut out = Vec::new();
        // The server errors go on; the billing errors too.
        for s in 0..60 {
            let at = restart + Duration::seconds(s);
            out.extend(e.observe(&call(at, 500)));
            if s % 10 == 0 {
                out.extend(e.observe(&call(at, 402)));
            }
            out.extend(e.tick(at));
        }
        assert!(
            out.is_empty(),
            "no transition while it still fails: {out:?}"
        );
        assert_eq!(e.firing().count(), 2);
    }

    #[test]
    fn a_restored_alert_not_seen_again_resolves_once_after_its_look_back() {
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let (_, instances) = firing_engine(t0);
        let restart = t0 + Duration::seconds(20);
        let mut e = fresh();
        assert!(e.restore(instances, restart).is_empty());
        let mut out = Vec::new();
        for s in 0..120 {
            let at = restart + Duration::seconds(s);
            out.extend(e.observe(&call(at, 200)));
            out.extend(e.tick(at));
        }
        let resolved: Vec<(&str, OffsetDateTime)> = out
            .iter()
            .map(|a| {
                assert_eq!(a.state, AlertState::Resolved);
                assert!(a.starts_at <= t0 + Duration::seconds(5), "starts_at kept");
                (a.rule.as_str(), a.at)
            })
            .collect();
        assert_eq!(
            resolved,
            vec![
                ("Spike", restart + Duration::seconds(10)),
                ("Billing", restart + Duration::seconds(30)),
            ]
        );
        assert_eq!(e.firing().count(), 0);
    }

    #[test]
    fn instances_of_unknown_rules_or_resolves_are_refused_and_named() {
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let (_, mut instances) = firing_engine(t0);
        instances[0].alert.rule = "Gone".into();
        instances[1].alert.state = AlertState::Resolved;
        let refused = fresh().restore(instances, t0);
        assert_eq!(refused.len(), 2);
        assert!(refused.contains(&NotRestored::UnknownRule("Gone".into())));
    }
}
