//! Where notifications go. Each sink renders a [`Notification`] in its receiver's format and
//! sends it once; retries, spooling and pacing between notifications belong to delivery.

mod alertmanager;
mod desktop;
mod http;
mod pagerduty;
mod signer;
mod slack;
mod stdout;
mod webhook;

use std::future::Future;
use std::time::Duration;

pub use alertmanager::AlertmanagerSink;
pub use desktop::DesktopSink;
pub use http::http_client;
pub use pagerduty::{PagerDutySink, DEFAULT_EVENTS_URL as PAGERDUTY_EVENTS_URL};
pub use signer::{SignerError, WebhookSigner};
pub use slack::SlackSink;
pub use stdout::StdoutSink;
pub use webhook::WebhookSink;

use super::Notification;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Try again later; `after` is the receiver's own `Retry-After` when it gave one.
    #[error("retryable: {reason}")]
    Retryable {
        after: Option<Duration>,
        reason: String,
    },
    /// Retrying cannot help (the receiver rejected the payload or the credentials).
    #[error("permanent: {reason}")]
    Permanent { reason: String },
}

impl SinkError {
    pub fn retryable(reason: impl Into<String>) -> SinkError {
        SinkError::Retryable {
            after: None,
            reason: reason.into(),
        }
    }
}

/// A receiver of notifications.
pub trait Sink: Send + Sync + 'static {
    /// Short stable name: the spool directory and the stats label.
    fn name(&self) -> &str;

    /// Deliver one notification (one attempt; no retry here).
    fn send(&self, n: &Notification) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// For receivers that forget alerts unless reminded (Alertmanager's `resolve_timeout`):
    /// how often delivery should call [`Sink::refresh`].
    fn refresh_interval(&self) -> Option<Duration> {
        None
    }

    /// Re-send whatever the receiver must keep hearing about.
    fn refresh(&self) -> impl Future<Output = Result<(), SinkError>> + Send {
        async { Ok(()) }
    }
}
