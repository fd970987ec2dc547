//! Delivery half of alerting: everything after the rules engine emits an [`Alert`] transition.
//!
//! ```text
//! Alert ──▶ router (group, dedup, inhibit, silence, repeat) ──▶ Notification
//! Alert ──▶ route tree ──▶ named receivers (each: any number of integrations)
//! Notification ──▶ one delivery worker per receiver integration (spool, retry, backoff)
//!              ──▶ Slack | webhook | PagerDuty | …
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
pub mod receiver;
pub mod router;
pub mod secret;
pub mod sinks;

pub use config::{ConfigError, NotifyConfig};
pub use delivery::{DeliveryConfig, DeliveryStats, SinkStats, StatsSource};
pub use notification::Notification;
pub use notifier::{Notifier, NotifierBuilder, NotifyError};
pub use receiver::{Integration, ReceiverConfig};
pub use router::{Matcher, Route, Router, RouterConfig};
pub use secret::{redact_url, Secret};
pub use sinks::{Sink, SinkError};
