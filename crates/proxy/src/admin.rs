//! The admin listener: `GET /metrics` (Prometheus text exposition of the recorder, plus the
//! agent's health) and `GET /healthz`.

use std::net::SocketAddr;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

use callwatch_core::prometheus::{render, ExtraMetrics, CONTENT_TYPE_TEXT};

use callwatch_core::record::Recorder;

/// `GET /metrics` (the recorder's current snapshot) and `GET /healthz`.
pub fn router(recorder: Recorder) -> Router {
    router_with(recorder, None)
}

/// [`router`], with `extra` text appended to every `/metrics` answer.
pub fn router_with(recorder: Recorder, extra: Option<ExtraMetrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let recorder = recorder.clone();
                let extra = extra.clone();
                async move {
                    // A snapshot scans every series' histogram: keep it off the async workers.
                    let body = tokio::task::spawn_blocking(move || {
                        let mut text = render(&recorder.snapshot());
                        if let Some(extra) = extra {
                            text.push_str(&extra());
                        }
                        text
                    })
                    .await
                    .unwrap_or_else(|e| format!("# snapshot failed: {e}\n"));
                    ([(CONTENT_TYPE, CONTENT_TYPE_TEXT)], body)
                }
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
}

/// Binds `addr` and serves [`router`] until the task is dropped. Returns the bound address
/// (useful with port 0) and the server task.
pub async fn serve(
    addr: SocketAddr,
    recorder: Recorder,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(recorder);
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((local, task))
}
