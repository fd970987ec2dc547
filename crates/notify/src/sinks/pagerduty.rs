//! PagerDuty Events API v2: one event per alert, `dedup_key` = the alert's fingerprint so the
//! trigger and its resolve land on the same incident (and a retried trigger dedupes).

use reqwest::Client;
use serde_json::{json, Value};

use crate::{Notification, Secret};
use callwatch_core::alert::{Alert, AlertState, Severity};

use super::webhook::rfc3339;
use super::{http, Sink, SinkError};

pub const DEFAULT_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

pub struct PagerDutySink {
    client: Client,
    url: Secret,
    routing_key: Secret,
    source: String,
}

impl PagerDutySink {
    pub fn new(client: Client, url: Secret, routing_key: Secret, source: String) -> Self {
        PagerDutySink {
            client,
            url,
            routing_key,
            source,
        }
    }

    pub fn event(&self, a: &Alert) -> Value {
        let dedup_key = a.fingerprint();
        match a.state {
            AlertState::Resolved => json!({
                "routing_key": self.routing_key.expose(),
                "event_action": "resolve",
                "dedup_key": dedup_key,
            }),
            AlertState::Firing => json!({
                "routing_key": self.routing_key.expose(),
                "event_action": "trigger",
                "dedup_key": dedup_key,
                "payload": {
                    "summary": summary(a),
                    "source": self.source,
                    "severity": severity(a.severity),
                    "timestamp": rfc3339(a.starts_at),
                    "component": a.labels.get("model").cloned().unwrap_or_default(),
                    "class": a.rule,
                    "custom_details": {
                        "description": a.description,
                        "labels": a.labels,
                        "values": a.values,
                        "request_ids": a.request_ids,
                        "runbook": a.runbook,
                    },
                },
            }),
        }
    }
}

impl Sink for PagerDutySink {
    fn name(&self) -> &str {
        "pagerduty"
    }

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        // A retry re-sends earlier events of the notification too; the shared dedup_key makes
        // that harmless on PagerDuty's side.
        for a in &n.alerts {
            let request = self.client.post(self.url.expose()).json(&self.event(a));
            http::send(request, "pagerduty").await?;
        }
        Ok(())
    }
}

/// PagerDuty allows critical | error | warning | info.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// PagerDuty truncates summaries at 1024 characters; do it ourselves at a char boundary.
fn summary(a: &Alert) -> String {
    let s = if a.summary.is_empty() {
        a.rule.clone()
    } else {
        format!("{}: {}", a.rule, a.summary)
    };
    s.chars().take(1024).collect()
}
