//! Where alerts go when no receivers are written, only sinks (CALLWATCH_* variables, or the
//! `[slack]`, `[webhook]`, `[pagerduty]` sections): critical alerts to the pager and to chat,
//! everything else to chat only. A warning never pages unless a written route says so.
//!
//! | alert | `pager` (PagerDuty) | `chat` (Slack, webhook) |
//! |---|---|---|
//! | critical | yes | yes |
//! | warning  | no  | yes |
//!
//! As an Alertmanager tree: root receiver `chat`; child `{severity="critical"}` → `pager` with
//! `continue: true`; then child `{}` → `chat`.

use super::{NotifyConfig, PagerDutyConfig, SlackConfig, WebhookConfig};
use crate::receiver::{Integration, ReceiverConfig};
use crate::router::Matcher;

/// Receives everything: Slack and the webhook.
pub const CHAT: &str = "chat";
/// Receives critical alerts only: PagerDuty.
pub const PAGER: &str = "pager";

/// Build the default receivers and tree under `cfg.route.route` (whose timing and grouping the
/// children inherit).
pub fn apply(
    cfg: &mut NotifyConfig,
    slack: Option<SlackConfig>,
    webhook: Option<WebhookConfig>,
    pagerduty: Option<PagerDutyConfig>,
) {
    let mut chat = Vec::new();
    if let Some(s) = slack {
        chat.push(Integration::Slack(s));
    }
    if let Some(w) = webhook {
        chat.push(Integration::Webhook(w));
    }
    let root = &mut cfg.route.route;
    root.receiver = CHAT.into();
    root.routes.clear();
    if let Some(p) = pagerduty {
        let mut page = root.child(vec![Matcher::equal("severity", "critical")], PAGER);
        page.continue_matching = true;
        root.routes.push(page);
        let everything = root.child(Vec::new(), CHAT);
        root.routes.push(everything);
        cfg.receivers
            .push(ReceiverConfig::new(PAGER, vec![Integration::PagerDuty(p)]));
    }
    // Present even when empty (no chat sink): the tree's fallback, delivering nowhere.
    cfg.receivers.push(ReceiverConfig::new(CHAT, chat));
}
