use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{agent_setup, UserError};
use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::record::Recorder;
use callwatch_proxy::{bind, Proxy, ProxyConfig};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where apps connect (set ANTHROPIC_BASE_URL=http://<this>). Loopback by default.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The API to forward to.
    #[arg(long, default_value = "https://api.anthropic.com")]
    upstream: String,
    /// Admin listener: GET /metrics (Prometheus text) and GET /healthz.
    #[arg(long, default_value = "127.0.0.1:9464")]
    admin_listen: SocketAddr,
    /// Notification config (TOML); sinks also turn on from CALLWATCH_* variables.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Rule file (default: the embedded alerts/default.yaml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Also write every call to this event log (event-line contract).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Mute notifications matching these labels for a while (repeatable), e.g.
    /// --silence 'alertname="RateLimitPressure" for 2h'.
    #[arg(long, value_parser = agent_setup::silence_arg)]
    silence: Vec<agent_setup::SilenceArg>,
    /// How long to wait for the upstream's response headers (e.g. 10m).
    #[arg(long, value_parser = agent_setup::duration_arg, default_value = "10m")]
    upstream_timeout: Duration,
    /// How long a retryable failure waits for the SDK's next attempt before it is recorded
    /// as the call's end (beyond its retry-after).
    #[arg(long, value_parser = agent_setup::duration_arg, default_value = "10s")]
    retry_grace: Duration,
    /// Client connections held at once (default: from the open-file limit, keeping a reserve
    /// for upstream connections, the admin listener and files).
    #[arg(long)]
    max_connections: Option<usize>,
    /// A request's headers, and the next request on a kept-alive connection, must arrive
    /// within this; a request body may not stall longer between chunks.
    #[arg(long, value_parser = agent_setup::duration_arg, default_value = "20s")]
    header_timeout: Duration,
    /// Request body MiB held in memory at once across all clients; beyond it: 503 + retry-after.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=65536))]
    body_budget_mib: u64,
    /// Re-sign every request for the upstream with the proxy's own AWS credentials
    /// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; region from a
    /// bedrock-runtime.<region>.amazonaws.com upstream, else AWS_REGION): Bedrock clients then
    /// need no AWS credentials of their own. Needs a build with the `aws-resign` feature.
    #[arg(long)]
    aws_resign: bool,
}

pub fn run_cli(args: Args) -> Result<ExitCode, UserError> {
    // The value may carry userinfo or a token in its query: errors show it through `url_shown`.
    let shown = callwatch_core::classify::url_shown(&args.upstream);
    let upstream: reqwest::Url = args.upstream.parse().map_err(|e| {
        UserError(format!(
            "--upstream {shown}: {e} (allowed: an http or https URL)"
        ))
    })?;
    if !matches!(upstream.scheme(), "http" | "https") {
        return Err(UserError(format!(
            "--upstream {shown}: allowed schemes are http and https"
        )));
    }
    let resign = aws_resign(args.aws_resign, &upstream)?;
    let rules = agent_setup::load_rules(args.rules.as_deref())?;
    let runtime = agent_setup::runtime()?;
    runtime.block_on(async move {
        // Listeners first: a port in use stops us before anything else has started.
        let listener = bind_flag("--listen", args.listen).await?;
        let admin = bind_flag("--admin-listen", args.admin_listen).await?;
        let listen_addr = listener.local_addr().unwrap_or(args.listen);
        let admin_addr = admin.local_addr().unwrap_or(args.admin_listen);
        let spend = agent_setup::spend_config(args.config.as_deref())?;
        let recorder = Recorder::builder().prices(spend.prices.clone()).build();
        let telemetry = agent_setup::telemetry(&recorder)?;
        let notifier =
            agent_setup::notifier(args.config.as_deref(), false, true, &args.silence, 1.0)?;
        let budget = spend.budget;
        // The firing alerts persist beside the spool: a restart neither loses a resolve nor
        // sends a second firing.
        let mut agent = Agent::start_restoring_with_spend(
            AgentOptions {
                rules,
                clock: Clock::system(),
                event_log: args.events,
                notifier,
                on_alert: None,
                recorder: recorder.clone(),
            },
            spend,
        )
        .map_err(|e| UserError(e.to_string()))?;
        agent.reconcile_from_env(&budget);
        if let Some(telemetry) = &telemetry {
            agent.export_health(&telemetry.meter());
        }
        let mut config = ProxyConfig::new(upstream.clone());
        config.response_timeout = args.upstream_timeout;
        config.retry_grace = args.retry_grace;
        config.limits.header_timeout = args.header_timeout;
        if let Some(max) = args.max_connections {
            config.limits.max_connections = max.max(1);
        }
        config.body_budget =
            usize::try_from(args.body_budget_mib * 1024 * 1024).unwrap_or(usize::MAX);
        let resigning = resign.map(|signer| signer.apply(&mut config));
        let spans = telemetry
            .as_ref()
            .and_then(|t| t.call_spans())
            .map(|spans| {
                let sink: std::sync::Arc<dyn callwatch_core::call::CallSpanSink> =
                    std::sync::Arc::new(spans);
                sink
            });
        let proxy = Proxy::with_spans(&config, agent.observer(), spans)?;
        let agent_metrics = agent.metrics_source();
        let proxy_metrics = proxy.metrics_source();
        let extra: callwatch_core::prometheus::ExtraMetrics =
            std::sync::Arc::new(move || agent_metrics() + &proxy_metrics());
        let admin_router = callwatch_proxy::admin::router_with(recorder.clone(), Some(extra));
        let admin_task = tokio::spawn(async move {
            let _ = axum::serve(admin, admin_router).await;
        });
        eprintln!(
            "callwatch proxy: listening on http://{} → {} (metrics: http://{}/metrics; up to \
             {} connections)",
            listen_addr,
            redact_url(&upstream),
            admin_addr,
            config.limits.max_connections
        );
        if let Some(resigning) = resigning {
            eprintln!("callwatch proxy: {resigning}");
        }
        let served = proxy.serve(listener, agent_setup::shutdown_signal()).await;
        admin_task.abort();
        let summary = agent
            .stop(tokio::time::Instant::now() + Duration::from_secs(10))
            .await;
        eprintln!(
            "callwatch proxy: stopped after {} calls ({} dropped from alerting)",
            summary.calls, summary.dropped
        );
        for s in summary.delivery.iter().flat_map(|d| &d.sinks) {
            if s.failed + s.dropped + s.spool_errors + s.pending > 0 {
                eprintln!(
                    "callwatch proxy: {} notifications: {} sent, {} failed, {} dropped, {} not \
                     spooled (kept in memory), {} undelivered",
                    s.sink, s.sent, s.failed, s.dropped, s.spool_errors, s.pending
                );
            }
        }
        served?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(feature = "aws-resign")]
type AwsResign = std::sync::Arc<callwatch_proxy::AwsResign>;

/// Built without the `aws-resign` feature: nothing to hold.
#[cfg(not(feature = "aws-resign"))]
enum AwsResign {}

/// `--aws-resign`: the signer from the AWS variables, before anything starts.
fn aws_resign(wanted: bool, upstream: &reqwest::Url) -> Result<Option<AwsResign>, UserError> {
    if !wanted {
        return Ok(None);
    }
    #[cfg(feature = "aws-resign")]
    return callwatch_proxy::AwsResign::from_env(upstream)
        .map(|signer| Some(std::sync::Arc::new(signer)))
        .map_err(|e| UserError(e.to_string()));
    #[cfg(not(feature = "aws-resign"))]
    {
        let _ = upstream;
        Err(UserError(
            "--aws-resign: this callwatch was built without the aws-resign feature (cargo \
             install callwatch-cli --features aws-resign)"
                .into(),
        ))
    }
}

trait ApplyResign {
    /// Puts the signer in the proxy's config; says what the proxy signs with (region and the
    /// access key id's fingerprint: never a credential).
    fn apply(self, config: &mut ProxyConfig) -> String;
}

impl ApplyResign for AwsResign {
    fn apply(self, config: &mut ProxyConfig) -> String {
        #[cfg(feature = "aws-resign")]
        {
            let shown = format!(
                "re-signing every request for AWS region {} with access key {}",
                self.region(),
                self.key_id()
            );
            config.aws_resign = Some(self);
            shown
        }
        #[cfg(not(feature = "aws-resign"))]
        match (self, config) {}
    }
}

async fn bind_flag(flag: &str, addr: SocketAddr) -> Result<tokio::net::TcpListener, UserError> {
    bind(addr).await.map_err(|e| match e {
        callwatch_proxy::ProxyError::Listen { source, .. } => UserError(format!(
            "{flag} {addr}: cannot listen ({source}); allowed: a free address:port"
        )),
        other => UserError(other.to_string()),
    })
}

/// Scheme, host and port only: a URL's path or query can carry a token.
fn redact_url(url: &reqwest::Url) -> String {
    match url.port() {
        Some(port) => format!("{}://{}:{port}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}
