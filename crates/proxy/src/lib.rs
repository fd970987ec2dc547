//! `callwatch proxy`: a transparent HTTP proxy in front of the Claude API, so an app in any
//! language gets every call recorded by pointing `ANTHROPIC_BASE_URL` at it.
//!
//! Requests are forwarded as they are (method, path, query, headers, body; auth untouched and
//! never logged); responses stream back chunk by chunk while being classified. The SDKs'
//! retries are joined into logical calls by `x-stainless-retry-count`.

pub mod admin;
mod attempts;
mod body_budget;
mod connections;
mod error_reply;
mod fd_limit;
mod forward;
mod metrics;
mod observed_body;
mod provider_route;
mod request_info;
#[cfg(feature = "aws-resign")]
mod resign;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use attempts::{AttemptTracker, DEFAULT_GRACE};
pub use body_budget::{BodyBudget, DEFAULT_BODY_BUDGET};
pub use connections::{ConnectionLimits, ConnectionStats};
pub use fd_limit::connection_limit;
#[doc(hidden)]
pub use forward::read_request;
pub use forward::MAX_REQUEST_BODY;
pub use request_info::{RequestInfo, RETRY_COUNT_HEADER};
#[cfg(feature = "aws-resign")]
pub use resign::{AwsResign, ResignSetupError};

use callwatch_core::call::{CallObserver, CallSpanSink};

#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub upstream: reqwest::Url,
    /// How long to wait for the upstream's response headers (the SDKs' own default is 10 min).
    pub response_timeout: Duration,
    /// How long a retryable failure waits for the SDK's next attempt.
    pub retry_grace: Duration,
    /// Client connections and header timeout.
    pub limits: ConnectionLimits,
    /// Request body bytes held in memory at once, across connections.
    pub body_budget: usize,
    /// Re-sign every request for the upstream with these AWS credentials (Bedrock); `None`:
    /// forward the client's own signature untouched.
    #[cfg(feature = "aws-resign")]
    pub aws_resign: Option<Arc<AwsResign>>,
}

impl ProxyConfig {
    pub fn new(upstream: reqwest::Url) -> Self {
        ProxyConfig {
            upstream,
            response_timeout: Duration::from_secs(600),
            retry_grace: DEFAULT_GRACE,
            limits: ConnectionLimits::default(),
            body_budget: DEFAULT_BODY_BUDGET,
            #[cfg(feature = "aws-resign")]
            aws_resign: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot build the upstream HTTP client: {0}")]
    Client(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("proxy server failed: {0}")]
    Serve(std::io::Error),
}

/// A running proxy's pieces that outlive the server: the tracker (to sweep and drain).
pub struct Proxy {
    tracker: Arc<AttemptTracker>,
    router: axum::Router,
    limits: ConnectionLimits,
    connections: Arc<ConnectionStats>,
    budget: Arc<BodyBudget>,
}

impl Proxy {
    pub fn new(config: &ProxyConfig, observer: Arc<dyn CallObserver>) -> Result<Proxy, ProxyError> {
        Proxy::with_spans(config, observer, None)
    }

    /// A proxy whose finished calls also become spans (`spans`: the OTLP exporter's
    /// [`CallSpanSink`], when traces are exported).
    pub fn with_spans(
        config: &ProxyConfig,
        observer: Arc<dyn CallObserver>,
        spans: Option<Arc<dyn CallSpanSink>>,
    ) -> Result<Proxy, ProxyError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ProxyError::Client(e.to_string()))?;
        let host = config.upstream.host_str().unwrap_or("").to_owned();
        let port = config.upstream.port_or_known_default().unwrap_or(443);
        let tracker = Arc::new(
            AttemptTracker::new(observer, host, port)
                .with_grace(config.retry_grace)
                .with_spans(spans),
        );
        let budget = BodyBudget::new(config.body_budget);
        let forwarder = Arc::new(forward::Forwarder {
            client,
            budget: budget.clone(),
            body_stall: config.limits.header_timeout,
            upstream: config.upstream.clone(),
            tracker: tracker.clone(),
            response_timeout: config.response_timeout,
            #[cfg(feature = "aws-resign")]
            aws_resign: config.aws_resign.clone(),
        });
        let router = axum::Router::new()
            .fallback(forward::forward)
            .with_state(forwarder);
        Ok(Proxy {
            tracker,
            router,
            limits: config.limits,
            connections: Arc::new(ConnectionStats::default()),
            budget,
        })
    }

    /// Prometheus text for the proxy's connections and body budget (for the admin listener).
    pub fn metrics_source(&self) -> callwatch_core::prometheus::ExtraMetrics {
        let connections = self.connections.clone();
        let budget = self.budget.clone();
        Arc::new(move || metrics::render(&connections, &budget))
    }

    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    pub fn tracker(&self) -> &Arc<AttemptTracker> {
        &self.tracker
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests and finishes every
    /// call still held open for a retry.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ProxyError> {
        let sweeper = {
            let tracker = self.tracker.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    tracker.sweep(std::time::Instant::now());
                }
            })
        };
        connections::serve(
            listener,
            self.router,
            self.limits,
            self.connections.clone(),
            shutdown,
        )
        .await;
        sweeper.abort();
        self.tracker.drain();
        Ok(())
    }
}

/// Binds a listener, naming the address in the error.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ProxyError::Listen { addr, source })
}
