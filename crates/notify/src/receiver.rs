//! Named receivers, as in Alertmanager: a receiver is a name the route tree points at, and the
//! integrations (any number of each kind) that a notification for it goes to.

use super::config::{
    AlertmanagerConfig, DesktopConfig, PagerDutyConfig, SlackConfig, WebhookConfig,
};

#[derive(Clone, Debug)]
pub struct ReceiverConfig {
    pub name: String,
    /// Empty is allowed (Alertmanager's "null receiver"): what routes there is dropped on
    /// purpose.
    pub integrations: Vec<Integration>,
}

#[derive(Clone, Debug)]
pub enum Integration {
    Slack(SlackConfig),
    Webhook(WebhookConfig),
    Alertmanager(AlertmanagerConfig),
    PagerDuty(PagerDutyConfig),
    Desktop(DesktopConfig),
    Stdout,
}

impl Integration {
    /// The kind, as sinks name themselves (`webhook`, `slack`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Integration::Slack(_) => "slack",
            Integration::Webhook(_) => "webhook",
            Integration::Alertmanager(_) => "alertmanager",
            Integration::PagerDuty(_) => "pagerduty",
            Integration::Desktop(_) => "desktop",
            Integration::Stdout => "stdout",
        }
    }

    /// Whether resolutions are sent (Alertmanager's `send_resolved`).
    pub fn send_resolved(&self) -> bool {
        match self {
            Integration::Slack(s) => s.send_resolved,
            Integration::Webhook(w) => w.send_resolved,
            Integration::PagerDuty(p) => p.send_resolved,
            _ => true,
        }
    }
}

impl ReceiverConfig {
    pub fn new(name: &str, integrations: Vec<Integration>) -> ReceiverConfig {
        ReceiverConfig {
            name: name.to_string(),
            integrations,
        }
    }
}

/// The spool directory of one integration of one receiver: `<receiver>/<kind>` (`-<n>` for
/// the second of a kind on). Receiver names are free text, so anything outside
/// `[A-Za-z0-9_.-]` is replaced, with a hash of the real name so two names never share a
/// directory.
pub fn spool_name(receiver: &str, kind: &str, index_of_kind: usize) -> String {
    let safe: String = receiver
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe != receiver || safe.starts_with('.') || safe.is_empty() {
        use std::hash::Hasher;
        let mut h = callwatch_core::alert::Fnv64::default();
        h.write(receiver.as_bytes());
        format!("{}-{:08x}", safe.trim_start_matches('.'), h.finish() as u32)
    } else {
        safe
    };
    match index_of_kind {
        0 => format!("{safe}/{kind}"),
        n => format!("{safe}/{kind}-{}", n + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_names_stay_inside_the_spool_and_apart() {
        assert_eq!(spool_name("pager", "webhook", 0), "pager/webhook");
        assert_eq!(spool_name("pager", "webhook", 1), "pager/webhook-2");
        let a = spool_name("../x", "slack", 0);
        let b = spool_name("__/x", "slack", 0);
        assert!(!a.contains(".."), "{a}");
        assert_ne!(a, b);
    }
}
