//! The in-process proxy over a real loopback listener, and what it recorded: shared by the
//! provider tests (`proxy_providers.rs`) and the re-signing tests (`proxy_resign.rs`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use callwatch_core::call::{Call, CallObserver};
use callwatch_core::classify::{Class, Provider};
use callwatch_proxy::{bind, Proxy, ProxyConfig};
use tokio::sync::oneshot;

#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub provider: Provider,
    pub status: Option<u16>,
    pub class: Class,
    pub error_type: Option<String>,
    pub model: String,
    pub key_id: String,
    pub stream: Option<callwatch_core::classify::StreamTiming>,
}

#[derive(Default)]
pub struct Collect(Mutex<Vec<Seen>>);

impl CallObserver for Collect {
    fn observe(&self, call: &Call<'_>) {
        self.0.lock().unwrap().push(Seen {
            provider: call.outcome.provider,
            status: call.outcome.status,
            class: call.outcome.class,
            error_type: call.outcome.error_type.clone(),
            model: call.model.to_owned(),
            key_id: call.key_id.to_owned(),
            stream: call.outcome.stream.clone(),
        });
    }
}

pub struct Running {
    /// The proxy's base URL.
    pub url: String,
    seen: Arc<Collect>,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) -> Vec<Seen> {
        let _ = self.stop.send(());
        self.server.await.unwrap();
        let seen = self.seen.0.lock().unwrap().clone();
        seen
    }
}

/// A proxy to `upstream`, configured further by `configure` (e.g. a re-signer).
pub async fn start_proxy_with(upstream: &str, configure: impl FnOnce(&mut ProxyConfig)) -> Running {
    let seen = Arc::new(Collect::default());
    let mut config = ProxyConfig::new(upstream.parse().unwrap());
    // No retries follow in these tests: every call is reported as soon as it ends.
    config.retry_grace = Duration::ZERO;
    config.response_timeout = Duration::from_secs(5);
    configure(&mut config);
    let proxy = Proxy::new(&config, seen.clone()).unwrap();
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        proxy
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        url,
        seen,
        stop,
        server,
    }
}

pub async fn start_proxy(upstream: &str) -> Running {
    start_proxy_with(upstream, |_| {}).await
}
