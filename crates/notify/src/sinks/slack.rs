//! Slack incoming webhook, Block Kit: a header, severity, the numbers that fired the alert,
//! the key id or message signature, a few request ids and what to do. Resolutions get their
//! own look. Slack allows about one message per second per webhook, so sends are paced, and a
//! 429's `Retry-After` goes back to delivery.

use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::{Notification, Secret};
use callwatch_core::alert::{Alert, AlertState};

use super::{http, Sink, SinkError};

/// Slack refuses more than 50 blocks; keep room for header, fields and the "more" line.
const MAX_ALERT_BLOCKS: usize = 10;
const MAX_SECTION_CHARS: usize = 2900;
const MAX_HEADER_CHARS: usize = 150;
const MAX_REQUEST_IDS: usize = 3;

pub struct SlackSink {
    client: Client,
    url: Secret,
    channel: Option<String>,
    min_interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl SlackSink {
    pub fn new(client: Client, url: Secret, min_interval: Duration) -> SlackSink {
        SlackSink {
            client,
            url,
            channel: None,
            min_interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Post to `channel` instead of the webhook's default one.
    pub fn with_channel(mut self, channel: Option<String>) -> SlackSink {
        self.channel = channel;
        self
    }

    pub fn payload(&self, n: &Notification) -> Value {
        let mut v = render(n);
        if let (Some(channel), Some(obj)) = (&self.channel, v.as_object_mut()) {
            obj.insert("channel".into(), Value::String(channel.clone()));
        }
        v
    }
}

impl Sink for SlackSink {
    fn name(&self) -> &str {
        "slack"
    }

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        let mut slot = self.next_slot.lock().await;
        if let Some(at) = *slot {
            tokio::time::sleep_until(at).await;
        }
        *slot = Some(Instant::now() + self.min_interval);
        let request = self.client.post(self.url.expose()).json(&render(n));
        http::send(request, "slack").await
    }
}

pub fn render(n: &Notification) -> Value {
    let firing: Vec<&Alert> = n.firing().collect();
    let resolved: Vec<&Alert> = n.resolved().collect();
    let title = title(n, &firing, &resolved);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip(&title, MAX_HEADER_CHARS), "emoji": true}}),
    ];
    let worst = n.alerts.iter().map(|a| a.severity).max();
    let group: Vec<String> = n
        .group_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    blocks.push(json!({"type": "section", "fields": [
        mrkdwn(&format!("*Severity*\n{}", worst.map(|s| s.as_str()).unwrap_or("info"))),
        mrkdwn(&format!("*Group*\n{}", escape(&group.join(", ")))),
    ]}));
    let shown: Vec<&Alert> = firing.iter().chain(resolved.iter()).copied().collect();
    for a in shown.iter().take(MAX_ALERT_BLOCKS) {
        blocks.push(
            json!({"type": "section", "text": mrkdwn(&clip(&alert_text(a), MAX_SECTION_CHARS))}),
        );
        if a.state == AlertState::Firing && !a.runbook.is_empty() {
            let todo = format!("*What to do:* {}", escape(&a.runbook));
            blocks.push(
                json!({"type": "context", "elements": [mrkdwn(&clip(&todo, MAX_SECTION_CHARS))]}),
            );
        }
    }
    if shown.len() > MAX_ALERT_BLOCKS {
        let more = format!(
            "…and {} more alerts in this group",
            shown.len() - MAX_ALERT_BLOCKS
        );
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&more)]}));
    }
    json!({"text": title, "blocks": blocks})
}

fn title(n: &Notification, firing: &[&Alert], resolved: &[&Alert]) -> String {
    let name = n
        .group_labels
        .get("alertname")
        .cloned()
        .or_else(|| n.alerts.first().map(|a| a.rule.clone()))
        .unwrap_or_default();
    let repeat = if n.repeat { " (still firing)" } else { "" };
    match (firing.len(), resolved.len()) {
        (0, r) => format!("✅ Resolved: {name} ({r} resolved)"),
        (f, 0) => format!("🔥 {name}: {f} firing{repeat}"),
        (f, r) => format!("🔥 {name}: {f} firing, {r} resolved"),
    }
}

fn alert_text(a: &Alert) -> String {
    let mut lines = Vec::new();
    match a.state {
        AlertState::Firing => {
            lines.push(format!("🔴 *{}* — {}", escape(&a.rule), escape(&a.summary)))
        }
        AlertState::Resolved => lines.push(format!(
            "🟢 *{}* resolved — {}",
            escape(&a.rule),
            escape(&a.summary)
        )),
    }
    if !a.description.is_empty() && a.state == AlertState::Firing {
        lines.push(escape(&a.description));
    }
    let numbers: Vec<String> = a.values.iter().map(|(k, v)| format_value(k, *v)).collect();
    if !numbers.is_empty() {
        lines.push(numbers.join(" · "));
    }
    for (label, what) in [
        ("key_id", "key"),
        ("signature", "message"),
        ("message", "message"),
    ] {
        if let Some(v) = a.labels.get(label) {
            lines.push(format!("{what}: `{}`", escape(v)));
        }
    }
    if !a.request_ids.is_empty() {
        let ids: Vec<String> = a
            .request_ids
            .iter()
            .take(MAX_REQUEST_IDS)
            .map(|id| format!("`{}`", escape(id)))
            .collect();
        lines.push(format!("requests: {}", ids.join(", ")));
    }
    lines.join("\n")
}

/// Shares and baselines read best as percentages, counts as integers, windows in seconds.
fn format_value(key: &str, v: f64) -> String {
    if (key.contains("share") || key.contains("baseline") || key.contains("ratio"))
        && v.abs() <= 1.0
    {
        format!("{key} {:.1}%", v * 100.0)
    } else if key == "count" && v.fract() == 0.0 {
        format!("count {v:.0}")
    } else if let Some(unit) = key.strip_suffix("_s") {
        format!("{unit} {v}s")
    } else {
        format!("{key} {v}")
    }
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

/// Slack's mrkdwn control characters.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, the last one `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_human_wrote_them() {
        assert_eq!(format_value("share", 0.425), "share 42.5%");
        assert_eq!(format_value("baseline", 0.02), "baseline 2.0%");
        assert_eq!(format_value("count", 120.0), "count 120");
        assert_eq!(format_value("window_s", 300.0), "window 300s");
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
