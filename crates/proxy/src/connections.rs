//! The proxy's accept loop: a bounded number of client connections, each with a header-read
//! timeout, so clients that connect and stall (slowloris) or idle forever cannot take every
//! descriptor and lock out real clients and the admin listener.
//!
//! At the limit a new connection is answered at once with a 503 (`retry-after: 1`, which the
//! SDKs retry) and closed, rather than left in the kernel's backlog behind hundreds of stalled
//! ones; a stalled connection closes within the header timeout, so a real client gets in
//! again within that time. hyper starts that timer whenever a connection waits for a
//! request's headers, the first or the next one, so it bounds idle keep-alive connections too.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// The whole answer to a connection over the limit, shaped as the API's own overload error.
const OVER_LIMIT_REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
x-should-retry: true\r\n\
connection: close\r\n\
content-length: 102\r\n\r\n\
{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"callwatch proxy: too many connections\"}}";

/// How the accept loop bounds clients.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Client connections held at once.
    pub max_connections: usize,
    /// A request's headers (or the next request on a kept-alive connection) must arrive within
    /// this; a request body may not stall longer than this between chunks.
    pub header_timeout: Duration,
    /// How long shutdown waits for open connections to finish their requests.
    pub drain: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: super::fd_limit::for_this_process(),
            header_timeout: Duration::from_secs(20),
            drain: Duration::from_secs(30),
        }
    }
}

/// What the accept loop saw, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    pub limit: AtomicU64,
    pub open: AtomicU64,
    /// Connections refused (503 and closed) because the limit was reached.
    pub refused: AtomicU64,
    /// `accept` failures (e.g. `Too many open files` from another part of the process).
    pub accept_errors: AtomicU64,
}

impl ConnectionStats {
    fn refuse(&self) {
        let before = self.refused.fetch_add(1, Ordering::Relaxed);
        if before.is_power_of_two() || before == 0 {
            tracing::warn!(
                limit = self.limit.load(Ordering::Relaxed),
                refused = before + 1,
                "callwatch proxy: connection limit reached; new connections get 503 until one \
                 closes (stalled clients are closed after the header timeout)"
            );
        }
    }

    fn accept_failed(&self, e: &std::io::Error) {
        let before = self.accept_errors.fetch_add(1, Ordering::Relaxed);
        if before.is_power_of_two() || before == 0 {
            tracing::warn!(errors = before + 1, "callwatch proxy: accept failed: {e}");
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown`, then lets open connections
/// finish (up to `limits.drain`).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    stats: Arc<ConnectionStats>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let max = limits.max_connections.clamp(1, u32::MAX as usize);
    stats.limit.store(max as u64, Ordering::Relaxed);
    let permits = Arc::new(Semaphore::new(max));
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    stats.accept_failed(&e);
                    // Out of descriptors or memory: give the process a moment, keep serving.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            stats.refuse();
            // Best effort, never waits: the socket buffer of a fresh connection has room.
            let _ = tcp.try_write(OVER_LIMIT_REPLY);
            continue;
        };
        // Small writes go out at once: the response body is streamed after its headers, and
        // Nagle would hold a small chunk until the client ACKs what went before.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("proxy: cannot set TCP_NODELAY on a connection: {e}");
        }
        let service = TowerToHyperService::new(router.clone());
        let mut closing = closing_rx.clone();
        let stats = stats.clone();
        let header_timeout = limits.header_timeout;
        stats.open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::trace!("proxy: connection ended: {e}");
                    }
                }
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            stats.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let _ = closing_tx.send(true);
    // Every permit back means every connection has finished.
    let _ = tokio::time::timeout(limits.drain, permits.acquire_many(max as u32)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_over_limit_reply_declares_its_own_length() {
        let text = std::str::from_utf8(OVER_LIMIT_REPLY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["type"], "overloaded_error");
    }
}
