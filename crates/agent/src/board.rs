//! The agent's own account of alerts, for the live view and the closing summary: which rules
//! fired and resolved, and the most recent transitions.

use std::collections::{BTreeMap, VecDeque};

use callwatch_core::alert::{Alert, AlertState};

const RECENT: usize = 32;

#[derive(Clone, Debug, Default)]
pub struct AlertBoard {
    /// Firing instances by fingerprint.
    firing: BTreeMap<String, Alert>,
    /// The last few resolved transitions, newest last.
    resolved: VecDeque<Alert>,
    /// Per rule: (times fired, times resolved).
    pub counts: BTreeMap<String, (u64, u64)>,
    /// Transitions seen so far.
    pub transitions: u64,
    /// Instances pending (condition true, waiting out `for`), refreshed every tick.
    pending: Vec<String>,
}

impl AlertBoard {
    pub fn apply(&mut self, alert: &Alert) {
        self.transitions += 1;
        let counts = self.counts.entry(alert.rule.clone()).or_default();
        match alert.state {
            AlertState::Firing => {
                counts.0 += 1;
                self.firing.insert(alert.fingerprint(), alert.clone());
            }
            AlertState::Resolved => {
                counts.1 += 1;
                self.firing.remove(&alert.fingerprint());
                if self.resolved.len() == RECENT {
                    self.resolved.pop_front();
                }
                self.resolved.push_back(alert.clone());
            }
        }
    }

    /// Replaces the pending list (the engine's view at the last tick).
    pub fn set_pending(&mut self, pending: Vec<String>) {
        self.pending = pending;
    }

    pub fn pending(&self) -> &[String] {
        &self.pending
    }

    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.firing.values()
    }

    pub fn resolved(&self) -> impl Iterator<Item = &Alert> {
        self.resolved.iter().rev()
    }

    /// Rules that both fired and resolved at least once.
    pub fn fired_and_resolved(&self, rule: &str) -> bool {
        self.counts.get(rule).is_some_and(|(f, r)| *f > 0 && *r > 0)
    }
}

/// `Rule [severity] key=value …` for one line of the view.
pub fn describe(alert: &Alert) -> String {
    describe_instance(
        &format!("{} [{}]", alert.rule, alert.severity.as_str()),
        &alert.labels,
    )
}

/// `head key=value …`.
pub fn describe_instance(head: &str, labels: &BTreeMap<String, String>) -> String {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if labels.is_empty() {
        head.to_owned()
    } else {
        format!("{head} {}", labels.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(state: AlertState, model: &str) -> Alert {
        let mut alert = Alert::for_test("ServerErrorSpike", state);
        alert.labels.insert("model".into(), model.into());
        alert
    }

    #[test]
    fn firing_then_resolved_moves_the_instance_and_counts_both() {
        let mut board = AlertBoard::default();
        board.apply(&alert(AlertState::Firing, "a"));
        board.apply(&alert(AlertState::Firing, "b"));
        assert_eq!(board.firing().count(), 2);
        assert!(!board.fired_and_resolved("ServerErrorSpike"));
        board.apply(&alert(AlertState::Resolved, "a"));
        assert_eq!(board.firing().count(), 1);
        assert_eq!(board.resolved().count(), 1);
        assert!(board.fired_and_resolved("ServerErrorSpike"));
        assert_eq!(board.counts["ServerErrorSpike"], (2, 1));
        assert_eq!(
            describe(&alert(AlertState::Firing, "a")),
            "ServerErrorSpike [critical] model=a"
        );
    }
}
