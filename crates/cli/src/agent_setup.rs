//! What the long-running verbs (`demo`, `proxy`) set up the same way: the runtime, the rule
//! set, the notifier, telemetry and the shutdown signal.

use std::path::Path;
use std::time::Duration;

use super::UserError;
use callwatch_core::record::Recorder;
use callwatch_notify::config::DesktopConfig;
use callwatch_notify::receiver::Integration;
use callwatch_notify::{Notifier, NotifyConfig};
use callwatch_otlp::ExportGuard;
use callwatch_rules::RuleSet;

pub fn runtime() -> Result<tokio::runtime::Runtime, UserError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UserError(format!("cannot start the async runtime: {e}")))
}

pub fn duration_arg(text: &str) -> Result<Duration, String> {
    callwatch_rules::parse_duration(text)
}

/// A silence from the command line: `MATCHER[,MATCHER…] for DURATION`, e.g.
/// `alertname="RateLimitPressure",model=~"claude-haiku.*" for 2h`.
#[derive(Clone, Debug)]
pub struct SilenceArg {
    pub matchers: Vec<callwatch_notify::Matcher>,
    pub lasts: Duration,
    pub text: String,
}

pub fn silence_arg(text: &str) -> Result<SilenceArg, String> {
    let allowed =
        "write MATCHER[,MATCHER…] for DURATION, e.g. 'alertname=\"RateLimitPressure\" for 2h'";
    let (matchers, lasts) = text
        .rsplit_once(" for ")
        .ok_or_else(|| format!("silence {text:?}: no duration ({allowed})"))?;
    let lasts = callwatch_core::duration::parse_duration(lasts)?;
    let matchers = matchers
        .split(',')
        .map(|m| callwatch_notify::Matcher::parse(m.trim()).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    if matchers.is_empty() || lasts.is_zero() {
        return Err(format!(
            "silence {text:?}: needs a matcher and a duration above 0 ({allowed})"
        ));
    }
    Ok(SilenceArg {
        matchers,
        lasts,
        text: text.to_owned(),
    })
}

pub fn load_rules(path: Option<&Path>) -> Result<RuleSet, UserError> {
    match path {
        None => Ok(callwatch_rules::default_rules()),
        Some(path) => {
            callwatch_rules::load_rules_file(path).map_err(|errors| UserError(errors.to_string()))
        }
    }
}

/// Prices and budget from the config file's `[prices]` and `[budget]` (an Alertmanager file
/// has none) and the `CALLWATCH_*` budget variables; every problem named with its file and line.
pub fn spend_config(config: Option<&Path>) -> Result<callwatch_core::cost::SpendConfig, UserError> {
    use callwatch_core::cost::SpendConfig;
    let spend = match config {
        Some(path) => SpendConfig::load(path),
        None => SpendConfig::from_env(&|k| std::env::var(k).ok(), &|f| {
            std::fs::read_to_string(f).map_err(|e| e.to_string())
        }),
    };
    spend.map_err(|e| UserError(e.0))
}

/// Receivers from the config file (callwatch TOML or an Alertmanager YAML file) and the
/// CALLWATCH_* environment variables (the file is optional); grouping delays run `speed` times
/// faster. `desktop` turns desktop notifications on whatever the file says; `stdout`
/// keeps or drops the JSON alert lines. `None` when no sink is left.
pub fn notifier(
    config: Option<&Path>,
    desktop: bool,
    stdout: bool,
    silences: &[SilenceArg],
    speed: f64,
) -> Result<Option<Notifier>, UserError> {
    let env = |k: &str| std::env::var(k).ok();
    let mut cfg = match config {
        Some(path) => NotifyConfig::load(path),
        None => NotifyConfig::parse("", "environment", &env),
    }
    .map_err(|e| UserError(e.to_string()))?;
    let has = |cfg: &NotifyConfig, kind: &str| {
        cfg.receivers
            .iter()
            .any(|r| r.integrations.iter().any(|i| i.kind() == kind))
    };
    if desktop && !has(&cfg, "desktop") {
        cfg.add_side_receiver(
            "desktop",
            Integration::Desktop(DesktopConfig {
                timeout: Duration::from_secs(5),
            }),
        );
    }
    if !stdout {
        cfg.remove_integrations("stdout");
    } else if !has(&cfg, "stdout") {
        cfg.add_side_receiver("stdout", Integration::Stdout);
    }
    // A compressed clock (the demo) compresses the grouping delays with it, so a notification
    // arrives when the story says, not half an hour of event time later.
    cfg.route.scale_timing(speed);
    let now = time::OffsetDateTime::now_utc();
    for (i, silence) in silences.iter().enumerate() {
        cfg.route.silences.push(callwatch_notify::router::Silence {
            id: format!("cli-{}", i + 1),
            matchers: silence.matchers.clone(),
            starts_at: None,
            ends_at: now + silence.lasts,
            comment: format!("--silence {}", silence.text),
        });
    }
    if !cfg.has_integrations() {
        return Ok(None);
    }
    Notifier::from_config(cfg)
        .map(Some)
        .map_err(|e| UserError(e.to_string()))
}

/// Logs to stderr (`RUST_LOG`, default warnings), and — when an OTLP endpoint is configured
/// through the standard `OTEL_EXPORTER_OTLP_*` variables — metrics and spans over OTLP.
pub fn telemetry(recorder: &Recorder) -> Result<Option<ExportGuard>, UserError> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colour codes only on a terminal: a log file or a pipe gets plain lines.
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
    if !configured {
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt)
            .try_init();
        return Ok(None);
    }
    let guard = callwatch_otlp::install(callwatch_otlp::ExportConfig::new(), recorder.clone())
        .map_err(|e| UserError(e.to_string()))?;
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(guard.tracing_layer())
        .try_init();
    Ok(Some(guard))
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_args_read_matchers_and_a_duration() {
        let s =
            silence_arg(r#"alertname="RateLimitPressure",model=~"claude-haiku.*" for 2h"#).unwrap();
        assert_eq!(s.matchers.len(), 2);
        assert_eq!(s.lasts, Duration::from_secs(7200));
        assert!(silence_arg(r#"alertname="X""#)
            .unwrap_err()
            .contains("no duration"));
        assert!(silence_arg(r#"alertname="X" for 0s"#).is_err());
        assert!(silence_arg(r#"alertname "X" for 1h"#).is_err());
    }
}
