//! Inhibition: a firing source alert mutes target alerts it explains (Alertmanager's
//! `inhibit_rules`: source matchers, target matchers, labels that must be equal).

use callwatch_core::alert::Alert;

use super::matcher::{all_match, label, Matcher};

#[derive(Clone, Debug)]
pub struct InhibitRule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    /// Labels whose values must match between source and target (missing = empty).
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// Whether `target` is muted by any alert in `firing` (the router's active alerts).
    pub fn inhibits<'a>(&self, target: &Alert, firing: impl Iterator<Item = &'a Alert>) -> bool {
        if !all_match(&self.target, target) {
            return false;
        }
        firing.into_iter().any(|source| {
            // Cheap matchers first; an alert never inhibits itself, even matching both sides.
            all_match(&self.source, source)
                && self
                    .equal
                    .iter()
                    .all(|l| label(source, l).unwrap_or("") == label(target, l).unwrap_or(""))
                && (source.rule != target.rule || source.labels != target.labels)
        })
    }
}

/// A billing outage makes every call fail; the 5xx and permission noise it causes is not news.
pub fn default_rules() -> Vec<InhibitRule> {
    let billing = || vec![Matcher::equal("alertname", "BillingOutage")];
    let rule = |target: Matcher| InhibitRule {
        source: billing(),
        target: vec![target],
        equal: Vec::new(),
    };
    vec![
        rule(Matcher::equal("alertname", "ServerErrorSpike")),
        rule(Matcher::equal("class", "permission")),
        rule(Matcher::equal("error_type", "permission_error")),
    ]
}
