//! Receivers in the config: named, each with any number of `webhook_configs`, `slack_configs`
//! and `pagerduty_configs`; secrets from the key or from the file its `*_file` twin names.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;

use super::routing::RoutingBuilder;
use super::{PagerDutyConfig, SlackConfig, WebhookConfig};
use crate::receiver::{Integration, ReceiverConfig};
use crate::secret::{redact_url, Secret};

#[derive(Deserialize, Default, Clone)]
pub struct RawReceiver {
    pub name: Option<String>,
    pub webhook_configs: Option<Vec<RawWebhookConfig>>,
    pub slack_configs: Option<Vec<RawSlackConfig>>,
    pub pagerduty_configs: Option<Vec<RawPagerDutyConfig>>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawWebhookConfig {
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub send_resolved: Option<bool>,
    pub max_alerts: Option<u64>,
    /// callwatch.toml only: Standard Webhooks signing secret.
    pub secret: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawSlackConfig {
    pub api_url: Option<String>,
    pub api_url_file: Option<String>,
    pub channel: Option<String>,
    pub send_resolved: Option<bool>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RawPagerDutyConfig {
    pub routing_key: Option<String>,
    pub routing_key_file: Option<String>,
    pub url: Option<String>,
    pub send_resolved: Option<bool>,
}

impl RoutingBuilder<'_> {
    /// Receivers, each name once; `toml` allows callwatch's extra keys (`secret`).
    pub fn receivers(
        &mut self,
        path: &str,
        raw: &[RawReceiver],
        toml: bool,
    ) -> Vec<ReceiverConfig> {
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let at = format!("{path}.{i}");
            let Some(name) = r.name.clone().filter(|n| !n.trim().is_empty()) else {
                self.problems
                    .add(&format!("{at}.name"), "every receiver needs a name");
                continue;
            };
            if !names.insert(name.clone()) {
                self.problems.add(
                    &format!("{at}.name"),
                    format!("receiver {name:?} is defined twice (names must be unique)"),
                );
            }
            let mut integrations = Vec::new();
            for (j, w) in r.webhook_configs.iter().flatten().enumerate() {
                if let Some(c) = self.webhook(&format!("{at}.webhook_configs.{j}"), w, toml) {
                    integrations.push(Integration::Webhook(c));
                }
            }
            for (j, s) in r.slack_configs.iter().flatten().enumerate() {
                if let Some(c) = self.slack(&format!("{at}.slack_configs.{j}"), s) {
                    integrations.push(Integration::Slack(c));
                }
            }
            for (j, p) in r.pagerduty_configs.iter().flatten().enumerate() {
                if let Some(c) = self.pagerduty(&format!("{at}.pagerduty_configs.{j}"), p) {
                    integrations.push(Integration::PagerDuty(c));
                }
            }
            out.push(ReceiverConfig { name, integrations });
        }
        out
    }

    /// A secret from the key itself or from the file its `_file` twin names (one of the two).
    fn secret(
        &mut self,
        path: &str,
        key: &str,
        value: Option<&String>,
        file: Option<&String>,
    ) -> Option<String> {
        match (value, file) {
            (Some(_), Some(_)) => {
                self.problems.add(
                    &format!("{path}.{key}_file"),
                    format!("set {key} or {key}_file, not both"),
                );
                None
            }
            (Some(v), None) => Some(v.trim().to_string()),
            (None, Some(f)) => match (self.read_file)(f) {
                Ok(text) => Some(text.trim().to_string()),
                Err(e) => {
                    self.problems.add(
                        &format!("{path}.{key}_file"),
                        format!("{key}_file: cannot read {f:?}: {e}"),
                    );
                    None
                }
            },
            (None, None) => None,
        }
    }

    /// An http(s) URL; shown redacted in errors (its path may be the secret).
    fn url(&mut self, path: &str, value: String) -> Option<Secret> {
        let ok = reqwest::Url::parse(&value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if ok {
            Some(Secret::new(value))
        } else {
            self.problems.add(
                path,
                format!("{} is not an http:// or https:// URL", redact_url(&value)),
            );
            None
        }
    }

    fn webhook(&mut self, path: &str, w: &RawWebhookConfig, toml: bool) -> Option<WebhookConfig> {
        let url = self.secret(path, "url", w.url.as_ref(), w.url_file.as_ref());
        let Some(url) = url else {
            if w.url.is_none() && w.url_file.is_none() {
                self.problems
                    .add(path, "a webhook config needs url or url_file");
            }
            return None;
        };
        let url = self.url(&format!("{path}.url"), url)?;
        let secret = match (&w.secret, toml) {
            (Some(s), true) => {
                let s = Secret::new(s.trim());
                if let Err(e) = crate::sinks::WebhookSigner::new(&s) {
                    self.problems.add(&format!("{path}.secret"), e.to_string());
                }
                Some(s)
            }
            _ => None,
        };
        Some(WebhookConfig {
            url,
            secret,
            external_url: String::new(),
            generator_url: String::new(),
            send_resolved: w.send_resolved.unwrap_or(true),
            max_alerts: usize::try_from(w.max_alerts.unwrap_or(0)).unwrap_or(usize::MAX),
        })
    }

    fn slack(&mut self, path: &str, s: &RawSlackConfig) -> Option<SlackConfig> {
        let own = self.secret(path, "api_url", s.api_url.as_ref(), s.api_url_file.as_ref());
        let url = match own {
            Some(u) => u,
            None if s.api_url.is_some() || s.api_url_file.is_some() => return None,
            None => {
                let global = self.global.clone();
                match self.secret(
                    "global",
                    "slack_api_url",
                    global.slack_api_url.as_ref(),
                    global.slack_api_url_file.as_ref(),
                ) {
                    Some(u) => u,
                    None => {
                        self.problems.add(
                            path,
                            "a Slack config needs api_url or api_url_file (here or in global: slack_api_url)",
                        );
                        return None;
                    }
                }
            }
        };
        let webhook_url = self.url(&format!("{path}.api_url"), url)?;
        Some(SlackConfig {
            webhook_url,
            min_interval: Duration::from_secs(1),
            channel: s.channel.clone().filter(|c| !c.is_empty()),
            // Alertmanager's default for Slack.
            send_resolved: s.send_resolved.unwrap_or(false),
        })
    }

    fn pagerduty(&mut self, path: &str, p: &RawPagerDutyConfig) -> Option<PagerDutyConfig> {
        let key = self.secret(
            path,
            "routing_key",
            p.routing_key.as_ref(),
            p.routing_key_file.as_ref(),
        );
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            self.problems.add(
                path,
                "a PagerDuty config needs routing_key or routing_key_file (Events API v2)",
            );
            return None;
        };
        let url = p
            .url
            .clone()
            .or_else(|| self.global.pagerduty_url.clone())
            .unwrap_or_else(|| crate::sinks::PAGERDUTY_EVENTS_URL.to_string());
        let url = self.url(&format!("{path}.url"), url)?;
        Some(PagerDutyConfig {
            url,
            routing_key: Secret::new(key),
            source: "callwatch".into(),
            send_resolved: p.send_resolved.unwrap_or(true),
        })
    }
}
