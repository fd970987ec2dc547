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

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        let (summary, body) = text(n);
        // D-Bus calls block: keep them off the async workers, and bounded in time.
        let show = tokio::task::spawn_blocking(move || {
            notify_rust::Notification::new()
                .appname("callwatch")
                .summary(&summary)
                .body(&body)
                .show()
                .map(drop)
                .map_err(|e| e.to_string())
        });
        match tokio::time::timeout(self.timeout, show).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => self.unavailable(&e),
            Ok(Err(join)) => self.unavailable(&join.to_string()),
            Err(_) => self.unavailable(&format!("no answer within {:?}", self.timeout)),
        }
        Ok(())
    }
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
