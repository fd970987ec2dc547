//! Desktop notifications through notify-rust. With no session bus or no notification daemon
//! `show()` fails quickly; that is "unavailable", said once, never fatal and never retried
//! (a laptop without a daemon would otherwise fill the spool).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::Notification;
use callwatch_core::alert::AlertState;

use super::{Sink, SinkError};

pub struct DesktopSink {
    timeout: Duration,
    said_unavailable: AtomicBool,
}

impl DesktopSink {
    pub fn new(timeout: Duration) -> DesktopSink {
        DesktopSink {
            timeout,
            said_unavailable: AtomicBool::new(false),
        }
    }

    fn unavailable(&self, why: &str) {
        if !self.said_unavailable.swap(true, Ordering::Relaxed) {
            tracing::warn!("desktop notifications unavailable: {why}");
        }
    }
}

impl Sink for DesktopSink {
    fn name(&self) -> &str {
        "desktop"
    }

    /// A notification no desktop showed is `failed` (permanent: no session bus or no
    /// notification daemon will not appear by retrying), never counted as delivered.
    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        let (summary, body) = text(n);
        // D-Bus calls block: keep them off the async workers, and bounded in time.
        let show = tokio::task::spawn_blocking(move || show(&summary, &body));
        let why = match tokio::time::timeout(self.timeout, show).await {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(e))) => e,
            Ok(Err(join)) => join.to_string(),
            Err(_) => format!("no answer within {:?}", self.timeout),
        };
        self.unavailable(&why);
        Err(SinkError::Permanent {
            reason: format!("desktop notification not shown: {why}"),
        })
    }
}

#[cfg(feature = "desktop")]
fn show(summary: &str, body: &str) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname("callwatch")
        .summary(summary)
        .body(body)
        .show()
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "desktop"))]
fn show(_summary: &str, _body: &str) -> Result<(), String> {
    Err("this build has no desktop support (callwatch-notify's `desktop` feature)".into())
}

fn text(n: &Notification) -> (String, String) {
    let firing = n.firing().count();
    let name = n
        .alerts
        .first()
        .map(|a| a.rule.as_str())
        .unwrap_or("callwatch");
    let summary = match n.status() {
        AlertState::Firing => format!("callwatch: {name} firing ({firing})"),
        AlertState::Resolved => format!("callwatch: {name} resolved"),
    };
    let body: Vec<String> = n
        .alerts
        .iter()
        .take(5)
        .map(|a| format!("[{}] {}", a.state.as_str(), a.summary))
        .collect();
    (summary, body.join("\n"))
}
