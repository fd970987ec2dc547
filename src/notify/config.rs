//! `callwatch.toml`: routing, inhibition, silences, one section per sink, the spool, plus
//! environment variables for secrets and endpoints (they win over the file, so secrets can
//! stay out of it). A bad value is one line naming the key, the value (redacted when secret)
//! and what is allowed.
//!
//! ```toml
//! [route]
//! group_by = ["alertname", "model"]
//! group_wait = "30s"
//! group_interval = "5m"
//! repeat_interval = "4h"
//!
//! [[inhibit]]                      # none written: BillingOutage mutes the noise it causes
//! source_matchers = ['alertname="BillingOutage"']
//! target_matchers = ['alertname="ServerErrorSpike"']
//! equal = []
//!
//! [[silence]]
//! matchers = ['alertname="BadRequestBaselineRising"']
//! until = "2026-11-21T00:00:00Z"
//! comment = "deploy in progress"
//!
//! [slack]                          # webhook_url or CALLWATCH_SLACK_WEBHOOK_URL
//! [webhook]                        # url/secret or CALLWATCH_WEBHOOK_URL / _SECRET
//! [alertmanager]                   # url or CALLWATCH_ALERTMANAGER_URL; resend_interval = "60s"
//! [pagerduty]                      # routing_key or CALLWATCH_PAGERDUTY_ROUTING_KEY
//! [desktop]
//! [stdout]
//! [spool]
//! dir = "/var/lib/callwatch/spool"
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::delivery::DeliveryConfig;
use super::router::{default_inhibit_rules, InhibitRule, Matcher, RouterConfig, Silence};
use super::secret::{redact_url, Secret};
use super::sinks::WebhookSigner;
use crate::duration::{parse_duration, ALLOWED as DURATION_ALLOWED};

pub const ENV_SLACK_WEBHOOK_URL: &str = "CALLWATCH_SLACK_WEBHOOK_URL";
pub const ENV_WEBHOOK_URL: &str = "CALLWATCH_WEBHOOK_URL";
pub const ENV_WEBHOOK_SECRET: &str = "CALLWATCH_WEBHOOK_SECRET";
pub const ENV_ALERTMANAGER_URL: &str = "CALLWATCH_ALERTMANAGER_URL";
pub const ENV_PAGERDUTY_ROUTING_KEY: &str = "CALLWATCH_PAGERDUTY_ROUTING_KEY";

/// A configuration problem, as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub route: RouterConfig,
    pub delivery: DeliveryConfig,
    /// How often the notifier asks the router what is due.
    pub tick: Duration,
    pub slack: Option<SlackConfig>,
    pub webhook: Option<WebhookConfig>,
    pub alertmanager: Option<AlertmanagerConfig>,
    pub pagerduty: Option<PagerDutyConfig>,
    pub desktop: Option<DesktopConfig>,
    pub stdout: bool,
}

#[derive(Clone, Debug)]
pub struct SlackConfig {
    pub webhook_url: Secret,
    /// Slack allows about one message per second per webhook.
    pub min_interval: Duration,
}

#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub url: Secret,
    /// `whsec_<base64>`; without it requests are not signed.
    pub secret: Option<Secret>,
    pub external_url: String,
    pub generator_url: String,
}

#[derive(Clone, Debug)]
pub struct AlertmanagerConfig {
    /// Alertmanager's root URL; alerts go to `<url>/api/v2/alerts`.
    pub url: Secret,
    pub resend_interval: Duration,
    pub generator_url: String,
}

#[derive(Clone, Debug)]
pub struct PagerDutyConfig {
    pub url: Secret,
    pub routing_key: Secret,
    pub source: String,
}

#[derive(Clone, Debug)]
pub struct DesktopConfig {
    pub timeout: Duration,
}

impl Default for NotifyConfig {
    /// Stdout only, default routing, no spool: what `replay`-like tools want.
    fn default() -> Self {
        NotifyConfig {
            route: RouterConfig::default(),
            delivery: DeliveryConfig::default(),
            tick: Duration::from_secs(1),
            slack: None,
            webhook: None,
            alertmanager: None,
            pagerduty: None,
            desktop: None,
            stdout: true,
        }
    }
}

impl NotifyConfig {
    /// Read a file, then apply the process environment.
    pub fn load(path: &Path) -> Result<NotifyConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string(), &|k| {
            std::env::var(k).ok()
        })
    }

    /// Parse `text` (named `source` in errors); `env` looks up environment variables.
    pub fn parse(
        text: &str,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NotifyConfig, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(source, text, &e))?;
        Builder { source, env }.build(raw)
    }
}

struct Builder<'a> {
    source: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Builder<'_> {
    fn err(&self, key: &str, shown: &str, allowed: &str) -> ConfigError {
        ConfigError(format!("{}: {key} = {shown}: {allowed}", self.source))
    }

    fn duration(
        &self,
        key: &str,
        value: Option<&String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) => {
                parse_duration(v).map_err(|_| self.err(key, &format!("{v:?}"), DURATION_ALLOWED))
            }
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    /// Env wins over the file; the value must be an http(s) URL. Shown redacted.
    fn url(
        &self,
        key: &str,
        file: Option<&String>,
        env: Option<&str>,
    ) -> Result<Option<Secret>, ConfigError> {
        let (value, key) = match env.and_then(|e| self.env(e).map(|v| (v, e))) {
            Some((v, e)) => (v, e.to_string()),
            None => match file {
                Some(v) => (v.clone(), key.to_string()),
                None => return Ok(None),
            },
        };
        let ok = reqwest::Url::parse(value.trim())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            return Err(self.err(
                &key,
                &redact_url(value.trim()),
                "must be an http:// or https:// URL",
            ));
        }
        Ok(Some(Secret::new(value.trim())))
    }

    fn matchers(&self, key: &str, texts: &[String]) -> Result<Vec<Matcher>, ConfigError> {
        texts
            .iter()
            .map(|t| {
                Matcher::parse(t).map_err(|e| ConfigError(format!("{}: {key}: {e}", self.source)))
            })
            .collect()
    }

    fn build(&self, raw: RawFile) -> Result<NotifyConfig, ConfigError> {
        let defaults = NotifyConfig::default();
        let r = raw.route.unwrap_or_default();
        let mut route = RouterConfig::default();
        if let Some(v) = r.receiver {
            route.receiver = v;
        }
        if let Some(v) = r.group_by {
            if v.is_empty() {
                return Err(self.err(
                    "[route] group_by",
                    "[]",
                    "list at least one label, e.g. [\"alertname\"]",
                ));
            }
            route.group_by = v;
        }
        route.group_wait = self.duration(
            "[route] group_wait",
            r.group_wait.as_ref(),
            route.group_wait,
        )?;
        route.group_interval = self.duration(
            "[route] group_interval",
            r.group_interval.as_ref(),
            route.group_interval,
        )?;
        route.repeat_interval = self.duration(
            "[route] repeat_interval",
            r.repeat_interval.as_ref(),
            route.repeat_interval,
        )?;
        let tick = self.duration("[route] tick", r.tick.as_ref(), defaults.tick)?;
        if tick.is_zero() {
            return Err(self.err("[route] tick", "\"0s\"", "must be more than zero"));
        }
        route.inhibit = match raw.inhibit {
            None => default_inhibit_rules(),
            Some(rules) => rules
                .iter()
                .enumerate()
                .map(|(i, r)| self.inhibit(i, r))
                .collect::<Result<_, _>>()?,
        };
        route.silences = raw
            .silence
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, s)| self.silence(i, s))
            .collect::<Result<_, _>>()?;

        let delivery = self.delivery(raw.delivery.unwrap_or_default(), raw.spool)?;
        Ok(NotifyConfig {
            route,
            delivery,
            tick,
            slack: self.slack(raw.slack)?,
            webhook: self.webhook(raw.webhook)?,
            alertmanager: self.alertmanager(raw.alertmanager)?,
            pagerduty: self.pagerduty(raw.pagerduty)?,
            desktop: match raw.desktop {
                Some(d) if d.enabled.unwrap_or(true) => Some(DesktopConfig {
                    timeout: self.duration(
                        "[desktop] timeout",
                        d.timeout.as_ref(),
                        Duration::from_secs(5),
                    )?,
                }),
                _ => None,
            },
            stdout: raw.stdout.is_some_and(|s| s.enabled.unwrap_or(true)),
        })
    }

    fn inhibit(&self, i: usize, r: &RawInhibit) -> Result<InhibitRule, ConfigError> {
        let key = |k: &str| format!("[[inhibit]] #{} {k}", i + 1);
        let source = self.matchers(&key("source_matchers"), &r.source_matchers)?;
        let target = self.matchers(&key("target_matchers"), &r.target_matchers)?;
        if source.is_empty() || target.is_empty() {
            return Err(self.err(
                &key("source_matchers/target_matchers"),
                "[]",
                "both need at least one matcher",
            ));
        }
        Ok(InhibitRule {
            source,
            target,
            equal: r.equal.clone().unwrap_or_default(),
        })
    }

    fn silence(&self, i: usize, s: &RawSilence) -> Result<Silence, ConfigError> {
        let key = |k: &str| format!("[[silence]] #{} {k}", i + 1);
        let matchers = self.matchers(&key("matchers"), &s.matchers)?;
        if matchers.is_empty() {
            return Err(self.err(
                &key("matchers"),
                "[]",
                "a silence needs at least one matcher",
            ));
        }
        let time = |k: &str, v: &str| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                self.err(
                    &key(k),
                    &format!("{v:?}"),
                    "must be an RFC 3339 time, e.g. \"2026-11-21T00:00:00Z\"",
                )
            })
        };
        let starts_at = s.starts.as_deref().map(|v| time("starts", v)).transpose()?;
        Ok(Silence {
            id: format!("config-{}", i + 1),
            matchers,
            starts_at,
            ends_at: time("until", &s.until)?,
            comment: s.comment.clone().unwrap_or_default(),
        })
    }

    fn delivery(
        &self,
        d: RawDelivery,
        spool: Option<RawSpool>,
    ) -> Result<DeliveryConfig, ConfigError> {
        let def = DeliveryConfig::default();
        let spool_dir = match spool {
            Some(RawSpool {
                enabled: Some(false),
                ..
            }) => None,
            Some(RawSpool { dir: Some(dir), .. }) => Some(PathBuf::from(dir)),
            _ => default_spool_dir(self.env),
        };
        let queue_capacity = d.queue_capacity.unwrap_or(def.queue_capacity);
        if queue_capacity == 0 {
            return Err(self.err("[delivery] queue_capacity", "0", "must be at least 1"));
        }
        let max_attempts = d.max_attempts.unwrap_or(def.max_attempts);
        if max_attempts == 0 {
            return Err(self.err("[delivery] max_attempts", "0", "must be at least 1"));
        }
        Ok(DeliveryConfig {
            timeout: self.duration("[delivery] timeout", d.timeout.as_ref(), def.timeout)?,
            queue_capacity,
            max_attempts,
            initial_backoff: self.duration(
                "[delivery] initial_backoff",
                d.initial_backoff.as_ref(),
                def.initial_backoff,
            )?,
            max_backoff: self.duration(
                "[delivery] max_backoff",
                d.max_backoff.as_ref(),
                def.max_backoff,
            )?,
            max_retry_after: self.duration(
                "[delivery] max_retry_after",
                d.max_retry_after.as_ref(),
                def.max_retry_after,
            )?,
            spool_dir,
        })
    }

    fn slack(&self, s: Option<RawSlack>) -> Result<Option<SlackConfig>, ConfigError> {
        let s = match s {
            Some(s) if s.enabled == Some(false) => return Ok(None),
            Some(s) => s,
            None if self.env(ENV_SLACK_WEBHOOK_URL).is_some() => RawSlack::default(),
            None => return Ok(None),
        };
        let url = self
            .url(
                "[slack] webhook_url",
                s.webhook_url.as_ref(),
                Some(ENV_SLACK_WEBHOOK_URL),
            )?
            .ok_or_else(|| {
                self.err(
                    "[slack] webhook_url",
                    "(missing)",
                    &format!("set it or {ENV_SLACK_WEBHOOK_URL}"),
                )
            })?;
        Ok(Some(SlackConfig {
            webhook_url: url,
            min_interval: self.duration(
                "[slack] min_interval",
                s.min_interval.as_ref(),
                Duration::from_secs(1),
            )?,
        }))
    }

    fn webhook(&self, w: Option<RawWebhook>) -> Result<Option<WebhookConfig>, ConfigError> {
        let w = match w {
            Some(w) if w.enabled == Some(false) => return Ok(None),
            Some(w) => w,
            None if self.env(ENV_WEBHOOK_URL).is_some() => RawWebhook::default(),
            None => return Ok(None),
        };
        let url = self
            .url("[webhook] url", w.url.as_ref(), Some(ENV_WEBHOOK_URL))?
            .ok_or_else(|| {
                self.err(
                    "[webhook] url",
                    "(missing)",
                    &format!("set it or {ENV_WEBHOOK_URL}"),
                )
            })?;
        let (secret, key) = match self.env(ENV_WEBHOOK_SECRET) {
            Some(v) => (Some(Secret::new(v)), ENV_WEBHOOK_SECRET),
            None => (w.secret.map(Secret::new), "[webhook] secret"),
        };
        if let Some(secret) = &secret {
            WebhookSigner::new(secret).map_err(|e| self.err(key, "<redacted>", &e.to_string()))?;
        }
        Ok(Some(WebhookConfig {
            url,
            secret,
            external_url: w.external_url.unwrap_or_default(),
            generator_url: w.generator_url.unwrap_or_default(),
        }))
    }

    fn alertmanager(
        &self,
        a: Option<RawAlertmanager>,
    ) -> Result<Option<AlertmanagerConfig>, ConfigError> {
        let a = match a {
            Some(a) if a.enabled == Some(false) => return Ok(None),
            Some(a) => a,
            None if self.env(ENV_ALERTMANAGER_URL).is_some() => RawAlertmanager::default(),
            None => return Ok(None),
        };
        let url = self
            .url(
                "[alertmanager] url",
                a.url.as_ref(),
                Some(ENV_ALERTMANAGER_URL),
            )?
            .ok_or_else(|| {
                self.err(
                    "[alertmanager] url",
                    "(missing)",
                    &format!("set it or {ENV_ALERTMANAGER_URL}"),
                )
            })?;
        let resend_interval = self.duration(
            "[alertmanager] resend_interval",
            a.resend_interval.as_ref(),
            Duration::from_secs(60),
        )?;
        if resend_interval.is_zero() {
            return Err(self.err(
                "[alertmanager] resend_interval",
                "\"0s\"",
                "must be more than zero (and below Alertmanager's resolve_timeout)",
            ));
        }
        Ok(Some(AlertmanagerConfig {
            url,
            resend_interval,
            generator_url: a.generator_url.unwrap_or_default(),
        }))
    }

    fn pagerduty(&self, p: Option<RawPagerDuty>) -> Result<Option<PagerDutyConfig>, ConfigError> {
        let p = match p {
            Some(p) if p.enabled == Some(false) => return Ok(None),
            Some(p) => p,
            None if self.env(ENV_PAGERDUTY_ROUTING_KEY).is_some() => RawPagerDuty::default(),
            None => return Ok(None),
        };
        let routing_key = self
            .env(ENV_PAGERDUTY_ROUTING_KEY)
            .or(p.routing_key)
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                self.err(
                    "[pagerduty] routing_key",
                    "(missing)",
                    &format!("set it or {ENV_PAGERDUTY_ROUTING_KEY}"),
                )
            })?;
        let default_url = super::sinks::PAGERDUTY_EVENTS_URL.to_string();
        let url = self
            .url(
                "[pagerduty] url",
                Some(p.url.as_ref().unwrap_or(&default_url)),
                None,
            )?
            .unwrap_or_else(|| Secret::new(default_url));
        Ok(Some(PagerDutyConfig {
            url,
            routing_key: Secret::new(routing_key.trim()),
            source: p.source.unwrap_or_else(|| "callwatch".into()),
        }))
    }
}

/// `$XDG_STATE_HOME/callwatch/spool`, else `~/.local/state/callwatch/spool`.
fn default_spool_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(state) = env("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        return Some(PathBuf::from(state).join("callwatch/spool"));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/callwatch/spool"))
}

/// Tables whose values are never secrets, so an error may quote them.
const TABLES_WITHOUT_SECRETS: &[&str] = &[
    "stdout", "desktop", "route", "delivery", "spool", "inhibit", "silence",
];

/// One line: where (line and column) and what, without echoing the text (it may hold secrets).
fn toml_error(source: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let at = e.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!(":{line}:{col}")
    });
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    // serde quotes the offending value ("invalid type: string \"https://hooks…\""): a secret
    // at the wrong place in the file (top level, a receiver's table) must not be printed; only
    // tables that never hold one show it.
    let table_without_secrets = e
        .span()
        .and_then(|span| key_at(text, span.start))
        .and_then(|k| {
            let table = k.strip_prefix('[')?.trim_start_matches('[');
            Some(table.split(']').next()?.trim().to_owned())
        })
        .is_some_and(|t| TABLES_WITHOUT_SECRETS.contains(&t.as_str()));
    let message = if table_without_secrets {
        message
    } else {
        crate::classify::without_values(&message)
    };
    let key = e
        .span()
        .and_then(|span| key_at(text, span.start))
        // "unknown field `x`" already names it.
        .filter(|k| {
            !k.rsplit(' ')
                .next()
                .is_some_and(|last| message.contains(&format!("`{last}`")))
        })
        .map(|k| format!(" {k}:"))
        .unwrap_or_default();
    ConfigError(format!(
        "{source}{}:{key} {message}",
        at.unwrap_or_default()
    ))
}

/// The key an error offset falls on, as `[table] key` (names only, never a value): the last
/// table header before it and the key on its line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text.get(line_start..line_end)?.trim();
    if line.starts_with('[') {
        return Some(line.split('#').next().unwrap_or(line).trim().to_string());
    }
    let key = line.split_once('=')?.0.trim();
    let is_name = |c: char| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c);
    if key.is_empty() || !key.chars().all(is_name) {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.split('#').next().unwrap_or(l).trim());
    Some(match table {
        Some(t) => format!("{t} {key}"),
        None => key.to_string(),
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    route: Option<RawRoute>,
    inhibit: Option<Vec<RawInhibit>>,
    silence: Option<Vec<RawSilence>>,
    slack: Option<RawSlack>,
    webhook: Option<RawWebhook>,
    alertmanager: Option<RawAlertmanager>,
    pagerduty: Option<RawPagerDuty>,
    desktop: Option<RawToggle>,
    stdout: Option<RawToggle>,
    spool: Option<RawSpool>,
    delivery: Option<RawDelivery>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    receiver: Option<String>,
    group_by: Option<Vec<String>>,
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
    tick: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInhibit {
    source_matchers: Vec<String>,
    target_matchers: Vec<String>,
    equal: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSilence {
    matchers: Vec<String>,
    starts: Option<String>,
    until: String,
    comment: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSlack {
    enabled: Option<bool>,
    webhook_url: Option<String>,
    min_interval: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    enabled: Option<bool>,
    url: Option<String>,
    secret: Option<String>,
    external_url: Option<String>,
    generator_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAlertmanager {
    enabled: Option<bool>,
    url: Option<String>,
    resend_interval: Option<String>,
    generator_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPagerDuty {
    enabled: Option<bool>,
    url: Option<String>,
    routing_key: Option<String>,
    source: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawToggle {
    enabled: Option<bool>,
    timeout: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSpool {
    enabled: Option<bool>,
    dir: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    timeout: Option<String>,
    queue_capacity: Option<usize>,
    max_attempts: Option<u32>,
    initial_backoff: Option<String>,
    max_backoff: Option<String>,
    max_retry_after: Option<String>,
}
