//! The agent's own account of alerts, for the live view and the closing summary: which rules
//! fired and resolved, and the most recent transitions.

use std::collections::{BTreeMap, VecDeque};

use crate::alert::{Alert, AlertState};

const RECENT: usize = 32;

#[derive(Clone, Debug, Default)]
pub struct AlertBoard {
    /// Firing instances by fingerprint.
    firing: BTreeMap<String, Alert>,
    /// The last few resolved transitions, newest last.
    resolved: VecDeque<Alert>,
    /// Per rule: (times fired, times resolved).
    pub counts: BTreeMap<String, (u64, u64)>,
    /// Every transition in order (bounded), for the summary.
    pub transitions: u64,
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

/// `Rule key=value …` for one line of the view.
pub fn describe(alert: &Alert) -> String {
    let labels: Vec<String> = alert
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if labels.is_empty() {
        format!("{} [{}]", alert.rule, alert.severity.as_str())
    } else {
        format!(
            "{} [{}] {}",
            alert.rule,
            alert.severity.as_str(),
            labels.join(" ")
        )
    }
}
