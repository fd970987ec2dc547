//! An alert transition: what the rules engine emits and every sink delivers. Its JSON line
//! form is a contract (`callwatch replay` prints it, the `stdout` sink writes it):
//!
//! ```json
//! {"at":"2026-11-20T12:25:00.412Z","rule":"BillingOutage","state":"firing","severity":"critical",
//!  "labels":{"error_type":"billing_error"},"summary":"…","description":"…"}
//! ```

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One transition of one alert instance (a rule and one value of its group-by labels).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Event time of the transition.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub rule: String,
    pub state: AlertState,
    pub severity: Severity,
    /// Identifying labels: group-by values plus the rule's static labels. Never a secret.
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub description: String,
    /// When the instance started firing (equal to `at` on the firing transition).
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// The numbers that fired it (`share`, `baseline`, `count`, `window_s`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, f64>,
    /// A few request ids of the calls behind it, for the provider's support.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    /// What to do about it (from the seeds), for the sinks that show it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runbook: String,
}

impl Alert {
    /// Stable identity of the instance: rule name plus labels. Dedup, grouping, PagerDuty's
    /// `dedup_key` and Alertmanager all key on it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.rule, &self.labels)
    }

    /// The contract alert line (one JSON object, no trailing newline).
    pub fn to_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(with = "time::serde::rfc3339")]
            at: OffsetDateTime,
            rule: &'a str,
            state: AlertState,
            severity: Severity,
            labels: &'a BTreeMap<String, String>,
            summary: &'a str,
            description: &'a str,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            values: &'a BTreeMap<String, f64>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            request_ids: &'a [String],
            #[serde(skip_serializing_if = "str::is_empty")]
            runbook: &'a str,
        }
        let line = Line {
            at: truncate_to_millis(self.at),
            rule: &self.rule,
            state: self.state,
            severity: self.severity,
            labels: &self.labels,
            summary: &self.summary,
            description: &self.description,
            values: &self.values,
            request_ids: &self.request_ids,
            runbook: &self.runbook,
        };
        serde_json::to_string(&line).unwrap_or_else(|e| {
            // Serialising plain strings and finite numbers cannot fail; say so if it ever does.
            format!(
                r#"{{"rule":"{}","error":"alert line not serialisable: {e}"}}"#,
                self.rule
            )
        })
    }
}

impl Alert {
    /// A critical alert with no labels at the Unix epoch, for unit tests to adjust.
    pub fn for_test(rule: &str, state: AlertState) -> Alert {
        let at = OffsetDateTime::UNIX_EPOCH;
        Alert {
            at,
            rule: rule.into(),
            state,
            severity: Severity::Critical,
            labels: BTreeMap::new(),
            summary: String::new(),
            description: String::new(),
            starts_at: at,
            values: BTreeMap::new(),
            request_ids: vec![],
            runbook: String::new(),
        }
    }
}

/// Fingerprint of a rule name and label set (FNV-1a, 16 hex digits): stable across runs and
/// processes, unlike `std`'s randomly seeded hasher.
pub fn fingerprint(rule: &str, labels: &BTreeMap<String, String>) -> String {
    let mut h = Fnv64::default();
    rule.hash(&mut h);
    for (k, v) in labels {
        k.hash(&mut h);
        v.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// RFC 3339 with millisecond precision, as the contract examples show.
pub fn truncate_to_millis(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000_000).unwrap_or(t)
}

/// FNV-1a: stable across runs and processes (std's hasher is randomly seeded), for ids that
/// must match after a restart.
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> Alert {
        Alert {
            at: datetime!(2026-11-20 12:25:00.412345 UTC),
            rule: "BillingOutage".into(),
            state: AlertState::Firing,
            severity: Severity::Critical,
            labels: BTreeMap::from([("error_type".into(), "billing_error".into())]),
            summary: "s".into(),
            description: "d".into(),
            starts_at: datetime!(2026-11-20 12:25:00 UTC),
            values: BTreeMap::new(),
            request_ids: vec![],
            runbook: String::new(),
        }
    }

    #[test]
    fn alert_line_has_the_contract_fields() {
        let line = sample().to_line();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["at"], "2026-11-20T12:25:00.412Z");
        assert_eq!(v["rule"], "BillingOutage");
        assert_eq!(v["state"], "firing");
        assert_eq!(v["severity"], "critical");
        assert_eq!(v["labels"]["error_type"], "billing_error");
        assert_eq!(v["summary"], "s");
        assert_eq!(v["description"], "d");
    }

    #[test]
    fn fingerprint_depends_on_rule_and_labels_only() {
        let a = sample();
        let mut b = sample();
        b.state = AlertState::Resolved;
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.labels.insert("model".into(), "m".into());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
