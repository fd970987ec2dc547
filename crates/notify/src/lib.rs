//! Delivery half of alerting: everything after the rules engine emits an [`Alert`] transition.
//!
//! ```text
//! Alert ──▶ router (group, dedup, inhibit, silence, repeat) ──▶ Notification
//! Notification ──▶ one delivery worker per sink (spool, retry, backoff) ──▶ Slack | webhook | …
//! ```
//!
//! The [`Router`] is pure and driven by an explicit `now`, so tests and `replay` see exactly
//! what live mode does. [`Notifier`] wires router, sinks and workers together for live use.
//!
//! [`Alert`]: callwatch_core::alert::Alert

pub mod config;
pub mod delivery;
mod notification;
mod notifier;
pub mod router;
pub mod secret;
pub mod sinks;

pub use config::{ConfigError, NotifyConfig};
pub use delivery::{DeliveryConfig, DeliveryStats, SinkStats, StatsSource};
pub use notification::Notification;
pub use notifier::{Notifier, NotifierBuilder, NotifyError};
pub use router::{Matcher, Router, RouterConfig};
pub use secret::{redact_url, Secret};
pub use sinks::{Sink, SinkError};
