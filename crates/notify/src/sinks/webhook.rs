//! Generic webhook: Alertmanager's webhook payload (version "4"), signed per Standard Webhooks
//! so receivers can verify it came from us and dedupe retries by `webhook-id`.

use std::collections::BTreeMap;

use reqwest::Client;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::notification::full_labels;
use crate::{Notification, Secret};
use callwatch_core::alert::{truncate_to_millis, Alert, AlertState};

use super::{http, Sink, SinkError, WebhookSigner};

/// Alertmanager writes this for "no end yet" in webhook payloads.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub struct WebhookSink {
    client: Client,
    url: Secret,
    signer: Option<WebhookSigner>,
    external_url: String,
    generator_url: String,
    /// 0: every alert.
    max_alerts: usize,
}

impl WebhookSink {
    pub fn new(
        client: Client,
        url: Secret,
        signer: Option<WebhookSigner>,
        external_url: String,
        generator_url: String,
    ) -> WebhookSink {
        WebhookSink {
            client,
            url,
            signer,
            external_url,
            generator_url,
            max_alerts: 0,
        }
    }

    /// At most `n` alerts per payload (0: all); the rest are counted in `truncatedAlerts`, as
    /// Alertmanager's `max_alerts` does.
    pub fn with_max_alerts(mut self, n: usize) -> WebhookSink {
        self.max_alerts = n;
        self
    }

    pub fn payload(&self, n: &Notification) -> Value {
        let kept = match self.max_alerts {
            0 => n.alerts.len(),
            max => max.min(n.alerts.len()),
        };
        let alerts: Vec<Value> = n.alerts[..kept]
            .iter()
            .map(|a| alert_json(a, &self.generator_url))
            .collect();
        let common_annotations = common(n.alerts.iter().map(annotations));
        json!({
            "version": "4",
            "groupKey": n.group_key,
            "truncatedAlerts": n.alerts.len() - kept,
            "status": n.status().as_str(),
            "receiver": n.receiver,
            "groupLabels": n.group_labels,
            "commonLabels": n.common_labels(),
            "commonAnnotations": common_annotations,
            "externalURL": self.external_url,
            "alerts": alerts,
        })
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        "webhook"
    }

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        let body = serde_json::to_vec(&self.payload(n)).map_err(|e| SinkError::Permanent {
            reason: format!("webhook payload: {e}"),
        })?;
        // The same id on every retry and after a restart (it is spooled with the notification),
        // signed or not: a receiver dedupes on it what a kill -9 mid-delivery sends twice.
        let mut request = self
            .client
            .post(self.url.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &n.id);
        if let Some(signer) = &self.signer {
            // Fresh timestamp and signature on every attempt.
            let timestamp = OffsetDateTime::now_utc().unix_timestamp();
            request = request
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signer.sign(&n.id, timestamp, &body));
        }
        http::send(request.body(body), "webhook").await
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    truncate_to_millis(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// summary, description, runbook, request ids and the numbers, as Alertmanager annotations.
pub fn annotations(a: &Alert) -> BTreeMap<String, String> {
    let mut out = BTreeMap::from([
        ("summary".to_string(), a.summary.clone()),
        ("description".to_string(), a.description.clone()),
    ]);
    if !a.runbook.is_empty() {
        out.insert("runbook".into(), a.runbook.clone());
    }
    if !a.request_ids.is_empty() {
        out.insert("request_ids".into(), a.request_ids.join(","));
    }
    for (k, v) in &a.values {
        out.insert(format!("value_{k}"), format!("{v}"));
    }
    out
}

fn alert_json(a: &Alert, generator_url: &str) -> Value {
    let ends_at = match a.state {
        AlertState::Firing => ZERO_TIME.to_string(),
        AlertState::Resolved => rfc3339(a.at),
    };
    json!({
        "status": a.state.as_str(),
        "labels": full_labels(a),
        "annotations": annotations(a),
        "startsAt": rfc3339(a.starts_at),
        "endsAt": ends_at,
        "generatorURL": generator_url,
        "fingerprint": a.fingerprint(),
    })
}

fn common(mut maps: impl Iterator<Item = BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let Some(mut first) = maps.next() else {
        return BTreeMap::new();
    };
    for m in maps {
        first.retain(|k, v| m.get(k) == Some(v));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(model: &str) -> Alert {
        let mut a = Alert::for_test("ServerErrorSpike", AlertState::Firing);
        a.labels.insert("model".into(), model.into());
        a
    }

    #[test]
    fn the_payload_is_alertmanagers_with_receiver_group_key_and_truncation() {
        let n = Notification::for_route(
            "oncall",
            r#"{}/{severity="critical"}"#,
            BTreeMap::from([("alertname".to_string(), "ServerErrorSpike".to_string())]),
            vec![alert("a"), alert("b"), alert("c")],
            OffsetDateTime::UNIX_EPOCH,
            false,
        );
        let sink = WebhookSink::new(
            crate::sinks::http_client(std::time::Duration::from_secs(1)),
            Secret::new("http://127.0.0.1:9/x"),
            None,
            "https://callwatch.example.com".into(),
            String::new(),
        )
        .with_max_alerts(2);
        let v = sink.payload(&n);
        assert_eq!(v["receiver"], "oncall");
        assert_eq!(
            v["groupKey"],
            r#"{}/{severity="critical"}:{alertname="ServerErrorSpike"}"#
        );
        assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
        assert_eq!(v["truncatedAlerts"], 1);
        assert_eq!(v["externalURL"], "https://callwatch.example.com");
        assert_eq!(v["version"], "4");
        let untruncated = sink.with_max_alerts(0).payload(&n);
        assert_eq!(untruncated["truncatedAlerts"], 0);
        assert_eq!(untruncated["alerts"].as_array().unwrap().len(), 3);
    }
}
