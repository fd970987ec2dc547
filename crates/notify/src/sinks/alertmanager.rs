//! Push to an Alertmanager (`POST /api/v2/alerts`), as Prometheus does: Alertmanager resolves
//! an alert nobody re-sends once its `endsAt` passes, so firing alerts are re-sent every
//! `resend_interval` (well below `resolve_timeout`) with `endsAt` a few intervals ahead, and a
//! resolution carries its resolve time as `endsAt`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::notification::full_labels;
use crate::{Notification, Secret};
use callwatch_core::alert::{Alert, AlertState};

use super::webhook::{annotations, rfc3339};
use super::{http, Sink, SinkError};

/// `endsAt` of a firing alert = now + this many resend intervals (Prometheus uses 4), so one
/// or two lost re-sends do not resolve it.
const VALIDITY_INTERVALS: u32 = 4;

pub struct AlertmanagerSink {
    client: Client,
    alerts_url: Secret,
    generator_url: String,
    resend_interval: Duration,
    /// Firing alerts Alertmanager must keep hearing about, by fingerprint.
    active: Mutex<BTreeMap<String, Alert>>,
}

impl AlertmanagerSink {
    /// `base_url` is Alertmanager's root (e.g. `http://alertmanager:9093`).
    pub fn new(
        client: Client,
        base_url: &Secret,
        generator_url: String,
        resend_interval: Duration,
    ) -> AlertmanagerSink {
        let alerts_url = format!("{}/api/v2/alerts", base_url.expose().trim_end_matches('/'));
        AlertmanagerSink {
            client,
            alerts_url: Secret::new(alerts_url),
            generator_url,
            resend_interval,
            active: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn payload(&self, alerts: &[Alert], now: OffsetDateTime) -> Value {
        let valid_until = now + self.resend_interval * VALIDITY_INTERVALS;
        let items: Vec<Value> = alerts
            .iter()
            .map(|a| {
                let ends_at = match a.state {
                    AlertState::Firing => valid_until,
                    AlertState::Resolved => a.at,
                };
                json!({
                    "labels": full_labels(a),
                    "annotations": annotations(a),
                    "startsAt": rfc3339(a.starts_at),
                    "endsAt": rfc3339(ends_at),
                    "generatorURL": self.generator_url,
                })
            })
            .collect();
        Value::Array(items)
    }

    async fn post(&self, alerts: &[Alert]) -> Result<(), SinkError> {
        let body = self.payload(alerts, OffsetDateTime::now_utc());
        let request = self.client.post(self.alerts_url.expose()).json(&body);
        http::send(request, "alertmanager").await
    }

    fn remember(&self, n: &Notification) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        for a in &n.alerts {
            match a.state {
                AlertState::Firing => active.insert(a.fingerprint(), a.clone()),
                AlertState::Resolved => active.remove(&a.fingerprint()),
            };
        }
    }
}

impl Sink for AlertmanagerSink {
    fn name(&self) -> &str {
        "alertmanager"
    }

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        self.post(&n.alerts).await?;
        self.remember(n);
        Ok(())
    }

    fn refresh_interval(&self) -> Option<Duration> {
        Some(self.resend_interval)
    }

    async fn refresh(&self) -> Result<(), SinkError> {
        let firing: Vec<Alert> = {
            let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
            active.values().cloned().collect()
        };
        if firing.is_empty() {
            return Ok(());
        }
        self.post(&firing).await
    }
}
