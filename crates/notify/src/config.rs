//! The notification config: an Alertmanager YAML file as is ([`alertmanager`]), or
//! `callwatch.toml` — the same routing model (`[route]` tree, `[[receivers]]`, `[[inhibit]]`)
//! plus what Alertmanager has no words for (spool, desktop, stdout, delivery, silences), and
//! the single-sink sections with environment variables for secrets and endpoints (they win
//! over the file, so secrets can stay out of it). Without `[[receivers]]`, the sinks set that
//! way are routed by the defaults in [`defaults`]. A bad value is one line naming the key, the
//! value (redacted when secret) and what is allowed.
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

pub mod alertmanager;
pub mod defaults;
mod receivers;
pub mod routing;
mod time_windows;

use super::delivery::DeliveryConfig;
use super::receiver::{Integration, ReceiverConfig};
use super::router::{default_inhibit_rules, Matcher, RouterConfig, Silence};
use super::secret::{redact_url, Secret};
use super::sinks::WebhookSigner;
use callwatch_core::duration::{parse_duration, ALLOWED as DURATION_ALLOWED};
use routing::{RawInhibitRule, RawReceiver, RawRoute, RoutingBuilder};

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
    /// The route tree, inhibition, silences.
    pub route: RouterConfig,
    /// Named receivers the routes point at.
    pub receivers: Vec<ReceiverConfig>,
    pub delivery: DeliveryConfig,
    /// How often the notifier asks the router what is due.
    pub tick: Duration,
}

#[derive(Clone, Debug)]
pub struct SlackConfig {
    pub webhook_url: Secret,
    /// Slack allows about one message per second per webhook.
    pub min_interval: Duration,
    /// Overrides the webhook's default channel.
    pub channel: Option<String>,
    /// Alertmanager's default for Slack is false; callwatch's own `[slack]` says true.
    pub send_resolved: bool,
}

#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub url: Secret,
    /// `whsec_<base64>`; without it requests are not signed.
    pub secret: Option<Secret>,
    pub external_url: String,
    pub generator_url: String,
    pub send_resolved: bool,
    /// At most this many alerts per payload (the rest counted in `truncatedAlerts`); 0: all.
    pub max_alerts: usize,
}

impl WebhookConfig {
    /// An unsigned webhook to `url` that sends everything.
    pub fn new(url: Secret) -> WebhookConfig {
        WebhookConfig {
            url,
            secret: None,
            external_url: String::new(),
            generator_url: String::new(),
            send_resolved: true,
            max_alerts: 0,
        }
    }
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
    pub send_resolved: bool,
}

#[derive(Clone, Debug)]
pub struct DesktopConfig {
    pub timeout: Duration,
}

impl Default for NotifyConfig {
    /// Stdout only (receiver `callwatch`), default routing, no spool: what `replay`-like tools
    /// want.
    fn default() -> Self {
        NotifyConfig {
            route: RouterConfig::default(),
            receivers: vec![ReceiverConfig::new("callwatch", vec![Integration::Stdout])],
            delivery: DeliveryConfig::default(),
            tick: Duration::from_secs(1),
        }
    }
}

impl NotifyConfig {
    /// No receivers yet, default routing: add them with [`NotifyConfig::with_receiver`].
    pub fn empty() -> NotifyConfig {
        NotifyConfig {
            receivers: Vec::new(),
            ..NotifyConfig::default()
        }
    }

    /// Add a receiver (the route tree must point at it to get anything).
    pub fn with_receiver(mut self, name: &str, integrations: Vec<Integration>) -> NotifyConfig {
        self.receivers.push(ReceiverConfig::new(name, integrations));
        self
    }

    pub fn receiver(&self, name: &str) -> Option<&ReceiverConfig> {
        self.receivers.iter().find(|r| r.name == name)
    }

    /// A receiver that hears every alert whatever the tree says (desktop, stdout, an
    /// Alertmanager push): a route of its own beside the tree, with the root's timing.
    pub fn add_side_receiver(&mut self, name: &str, integration: Integration) {
        if let Some(r) = self.receivers.iter_mut().find(|r| r.name == name) {
            r.integrations.push(integration);
            return;
        }
        self.receivers
            .push(ReceiverConfig::new(name, vec![integration]));
        let mut side = self.route.route.clone();
        side.receiver = name.to_string();
        side.routes.clear();
        self.route.side_routes.push(side);
    }

    /// Remove every integration of `kind` (e.g. `stdout` when the caller prints alerts itself).
    pub fn remove_integrations(&mut self, kind: &str) {
        for r in &mut self.receivers {
            r.integrations.retain(|i| i.kind() != kind);
        }
    }

    /// Whether any receiver has anything to deliver to.
    pub fn has_integrations(&self) -> bool {
        self.receivers.iter().any(|r| !r.integrations.is_empty())
    }

    /// Read a file — Alertmanager YAML (by extension `.yml`/`.yaml`, or content) or
    /// callwatch TOML — then apply the process environment (TOML only).
    pub fn load(path: &Path) -> Result<NotifyConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
        let source = path.display().to_string();
        if alertmanager::is_alertmanager(path, &text) {
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let read =
                move |f: &str| std::fs::read_to_string(base.join(f)).map_err(|e| e.to_string());
            return alertmanager::parse(&text, &source, &read, &|k| std::env::var(k).ok())
                .map_err(|e| ConfigError(e.to_string()));
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let read = move |f: &str| std::fs::read_to_string(base.join(f)).map_err(|e| e.to_string());
        Self::parse_with(&text, &source, &|k| std::env::var(k).ok(), &read)
    }

    /// Parse callwatch TOML `text` (named `source` in errors); `env` looks up environment
    /// variables. Every problem of the routing sections is reported, not only the first.
    pub fn parse(
        text: &str,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NotifyConfig, ConfigError> {
        let read = |f: &str| std::fs::read_to_string(f).map_err(|e| e.to_string());
        Self::parse_with(text, source, env, &read)
    }

    /// [`NotifyConfig::parse`], with `read_file` reading what `*_file` keys name.
    pub fn parse_with(
        text: &str,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<NotifyConfig, ConfigError> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| toml_error(source, text, &e))?;
        let raw: RawFile = serde_ignored::deserialize(de, |path| {
            unknown.push(alertmanager::dotted(&path));
        })
        .map_err(|e| toml_error(source, text, &e))?;
        let builder = Builder { source, env };
        let mut lines: Vec<String> = unknown
            .iter()
            .map(|path| {
                format!(
                    "{source}:{}: unknown key `{}` ({})",
                    toml_line(text, path),
                    path,
                    alertmanager::supported_here(path, true)
                )
            })
            .collect();
        let built = builder.build(raw, read_file);
        match built {
            Ok((cfg, problems)) => {
                lines.extend(problems.0.iter().map(|p| {
                    format!(
                        "{source}:{}: {}: {}",
                        toml_line(text, &p.path),
                        p.path,
                        p.message
                    )
                }));
                if lines.is_empty() {
                    Ok(cfg)
                } else {
                    Err(ConfigError(lines.join("\n")))
                }
            }
            Err(e) => {
                lines.push(e.0);
                Err(ConfigError(lines.join("\n")))
            }
        }
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

    /// The config, plus the routing problems found (all of them); `Err` for the first problem
    /// of the single-sink sections.
    fn build(
        &self,
        raw: RawFile,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<(NotifyConfig, routing::Problems), ConfigError> {
        let defaults = NotifyConfig::default();
        let r = raw.route.clone().unwrap_or_default();
        let tick = self.duration("[route] tick", r.tick.as_ref(), defaults.tick)?;
        if tick.is_zero() {
            return Err(self.err("[route] tick", "\"0s\"", "must be more than zero"));
        }
        if r.group_by.as_ref().is_some_and(Vec::is_empty) {
            return Err(self.err(
                "[route] group_by",
                "[]",
                "list at least one label, e.g. [\"alertname\"]",
            ));
        }
        let mut rb = RoutingBuilder {
            problems: routing::Problems::default(),
            read_file,
            global: routing::RawGlobal::default(),
        };
        let explicit = raw.receivers.is_some();
        let mut route_raw = r.clone();
        if !explicit {
            // The receivers are the defaults' (`chat`, `pager`): the tree is theirs too.
            if route_raw.receiver.is_some() || route_raw.routes.is_some() {
                rb.problems.add(
                    "route.receiver",
                    "a route that names receivers needs [[receivers]] (without them, the sinks set by [slack], [webhook], [pagerduty] or CALLWATCH_* variables are routed by the defaults: see docs/notify.md)",
                );
            }
            route_raw.receiver = Some(defaults::CHAT.into());
            route_raw.routes = None;
        }
        let mut route = RouterConfig {
            route: rb.route("route", &route_raw, None),
            side_routes: Vec::new(),
            inhibit: match &raw.inhibit {
                None => default_inhibit_rules(),
                Some(rules) => rules
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| rb.inhibit_rule(&format!("inhibit.{i}"), r))
                    .collect(),
            },
            silences: Vec::new(),
            time_intervals: Default::default(),
        };
        rb.time_intervals(
            "time_intervals",
            raw.time_intervals.as_deref().unwrap_or(&[]),
            &mut route.time_intervals,
        );
        rb.check_time_interval_names("route", &route.route, &route.time_intervals);
        route.silences = raw
            .silence
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, s)| self.silence(i, s))
            .collect::<Result<_, _>>()?;

        let delivery = self.delivery(raw.delivery.unwrap_or_default(), raw.spool)?;
        let mut cfg = NotifyConfig {
            route,
            receivers: Vec::new(),
            delivery,
            tick,
        };
        let slack = self.slack(raw.slack, explicit)?;
        let webhook = self.webhook(raw.webhook, explicit)?;
        let pagerduty = self.pagerduty(raw.pagerduty, explicit)?;
        if explicit {
            for (section, set) in [
                ("slack", slack.is_some()),
                ("webhook", webhook.is_some()),
                ("pagerduty", pagerduty.is_some()),
            ] {
                if set {
                    rb.problems.add(
                        section,
                        format!("with [[receivers]], put it in a receiver ({section}_configs)"),
                    );
                }
            }
            cfg.receivers =
                rb.receivers("receivers", raw.receivers.as_deref().unwrap_or(&[]), true);
            rb.check_references("route", &cfg.route.route, &cfg.receivers);
        } else {
            defaults::apply(&mut cfg, slack, webhook, pagerduty);
        }
        if let Some(a) = self.alertmanager(raw.alertmanager)? {
            cfg.add_side_receiver("alertmanager", Integration::Alertmanager(a));
        }
        if let Some(d) = raw.desktop {
            if d.enabled.unwrap_or(true) {
                let timeout = self.duration(
                    "[desktop] timeout",
                    d.timeout.as_ref(),
                    Duration::from_secs(5),
                )?;
                cfg.add_side_receiver("desktop", Integration::Desktop(DesktopConfig { timeout }));
            }
        }
        if raw.stdout.is_some_and(|s| s.enabled.unwrap_or(true)) {
            cfg.add_side_receiver("stdout", Integration::Stdout);
        }
        Ok((cfg, rb.problems))
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

    /// `explicit`: the file has `[[receivers]]`, so the environment adds no sink of its own.
    fn slack(
        &self,
        s: Option<RawSlack>,
        explicit: bool,
    ) -> Result<Option<SlackConfig>, ConfigError> {
        let s = match s {
            Some(s) if s.enabled == Some(false) => return Ok(None),
            Some(s) => s,
            None if !explicit && self.env(ENV_SLACK_WEBHOOK_URL).is_some() => RawSlack::default(),
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
            channel: s.channel.filter(|c| !c.is_empty()),
            send_resolved: true,
        }))
    }

    fn webhook(
        &self,
        w: Option<RawWebhook>,
        explicit: bool,
    ) -> Result<Option<WebhookConfig>, ConfigError> {
        let w = match w {
            Some(w) if w.enabled == Some(false) => return Ok(None),
            Some(w) => w,
            None if !explicit && self.env(ENV_WEBHOOK_URL).is_some() => RawWebhook::default(),
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
            send_resolved: true,
            max_alerts: 0,
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

    fn pagerduty(
        &self,
        p: Option<RawPagerDuty>,
        explicit: bool,
    ) -> Result<Option<PagerDutyConfig>, ConfigError> {
        let p = match p {
            Some(p) if p.enabled == Some(false) => return Ok(None),
            Some(p) => p,
            None if !explicit && self.env(ENV_PAGERDUTY_ROUTING_KEY).is_some() => {
                RawPagerDuty::default()
            }
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
            send_resolved: true,
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
        callwatch_core::classify::without_values(&message)
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

/// `line:col` of the key at dotted `path` in TOML `text`, found by its last name: the first
/// `name =` line, or table header naming it, after the header of its parent table when there
/// is one; `1:1` when not found.
fn toml_line(text: &str, path: &str) -> String {
    let names: Vec<&str> = path
        .split('.')
        .filter(|p| p.parse::<usize>().is_err())
        .collect();
    let Some(last) = names.last() else {
        return "1:1".into();
    };
    let parent = names.len().checked_sub(2).map(|i| names[i]);
    let mut after_parent = parent.is_none();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let col = line.len() - t.len() + 1;
        if t.starts_with('[') {
            let header = t.trim_matches(|c| c == '[' || c == ']' || c == ' ');
            if parent.is_some_and(|p| header.rsplit('.').next() == Some(p)) {
                after_parent = true;
            }
            if header.rsplit('.').next() == Some(last) {
                return format!("{}:{col}", i + 1);
            }
            continue;
        }
        let key = t.split('=').next().unwrap_or("").trim().trim_matches('"');
        if after_parent && t.contains('=') && key == *last {
            return format!("{}:{col}", i + 1);
        }
    }
    "1:1".into()
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

/// callwatch.toml. Not `deny_unknown_fields`: unknown keys are collected (serde_ignored) so
/// every one is reported; the single-sink sections still refuse unknown keys at once.
#[derive(Deserialize, Default)]
struct RawFile {
    route: Option<RawRoute>,
    receivers: Option<Vec<RawReceiver>>,
    inhibit: Option<Vec<RawInhibitRule>>,
    time_intervals: Option<Vec<routing::RawTimeIntervalSet>>,
    silence: Option<Vec<RawSilence>>,
    slack: Option<RawSlack>,
    webhook: Option<RawWebhook>,
    alertmanager: Option<RawAlertmanager>,
    pagerduty: Option<RawPagerDuty>,
    desktop: Option<RawToggle>,
    stdout: Option<RawToggle>,
    spool: Option<RawSpool>,
    delivery: Option<RawDelivery>,
    // Read and validated by callwatch_core::cost::SpendConfig (accepted here so they are not
    // reported as unknown keys).
    #[serde(rename = "budget")]
    _budget: Option<toml::Value>,
    #[serde(rename = "prices")]
    _prices: Option<toml::Value>,
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
    channel: Option<String>,
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
