//! The accept loop and the handlers. Each connection gets a kill switch so a reply can close the
//! socket without answering (a dropped connection), which a plain axum handler cannot do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{stream, StreamExt};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::record::RecordedRequest;
use super::reply::{Reply, ReplyKind};
use super::shapes::{self, MessageSpec};
use super::{lock, State};

pub(crate) type Shared = Arc<Mutex<State>>;

/// Closes this connection without a response when notified.
#[derive(Clone)]
pub(crate) struct Kill(pub(crate) Arc<Notify>);

pub(crate) async fn serve(listener: TcpListener, state: Shared) {
    let router = Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/models", get(models))
        .route("/model/{*rest}", post(super::providers::bedrock))
        .route("/v1/projects/{*rest}", post(super::providers::vertex))
        .merge(super::admin::routes())
        .merge(super::billing_reports::routes())
        .with_state(state);
    // Connections live in the set, so aborting the server aborts them too.
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let kill = Arc::new(Notify::new());
        let service = TowerToHyperService::new(router.clone().layer(Extension(Kill(kill.clone()))));
        connections.spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {} // dropping the connection closes the socket
            }
        });
    }
}

async fn models(AxState(_): AxState<Shared>) -> Json<Value> {
    Json(json!({
        "data": [
            {"type": "model", "id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6"},
            {"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5"}
        ],
        "has_more": false, "first_id": "claude-sonnet-4-6", "last_id": "claude-haiku-4-5-20251001"
    }))
}

async fn messages(
    AxState(state): AxState<Shared>,
    Extension(kill): Extension<Kill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = RecordedRequest::new(method.as_str(), uri.path(), &headers, &body);
    let (reply, n) = next_reply(&state, &request, Some(&body));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = request.model.as_deref().unwrap_or("claude-sonnet-4-6");
    render(reply, n, model, request.stream, &kill).await
}

/// The scripted reply, else the behaviour's; the request is recorded. `validate`: the body to
/// check as a Messages request (the Anthropic API's shape; provider bodies differ).
pub(crate) fn next_reply(
    state: &Shared,
    request: &RecordedRequest,
    validate: Option<&[u8]>,
) -> (Reply, u64) {
    let mut state = lock(state);
    state.served += 1;
    let n = state.served;
    let reply = match state.script.pop_front() {
        Some(reply) => reply,
        None => {
            let State { behavior, rng, .. } = &mut *state;
            let reply = behavior.reply(request.key_id.as_deref(), n - 1, rng);
            // Like the API: a rejected key is answered first, then a malformed request.
            match validate.and_then(super::validate::invalid_request) {
                Some(message) if reply.status < 400 || reply.status >= 500 => {
                    Reply::error(400, "invalid_request_error", &message)
                }
                _ => reply,
            }
        }
    };
    state.recorder.push(request.clone());
    (reply, n)
}

pub(crate) async fn render(
    reply: Reply,
    n: u64,
    model: &str,
    stream: bool,
    kill: &Kill,
) -> Response {
    let request_id = format!("req_mock{n:020}");
    let message_id = format!("msg_mock{n:020}");
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match &reply.kind {
        ReplyKind::DropConnection => {
            kill.0.notify_one();
            // The connection task drops this future with the socket; never answer.
            return std::future::pending::<Response>().await;
        }
        ReplyKind::Html => (
            status,
            [("content-type", "text/html")],
            shapes::BAD_GATEWAY_HTML,
        )
            .into_response(),
        ReplyKind::Error {
            error_type,
            message,
            error_code,
        } => (
            status,
            Json(shapes::error_body(
                error_type,
                message,
                error_code.as_deref(),
                &request_id,
            )),
        )
            .into_response(),
        ReplyKind::Success(spec) => {
            let model = spec.model.as_deref().unwrap_or(model);
            if stream {
                sse(
                    status,
                    shapes::stream_events(spec, model, &message_id, None),
                    spec.first_delta_delay,
                    &spec.chunk_gaps,
                )
            } else {
                (status, Json(shapes::message_body(spec, model, &message_id))).into_response()
            }
        }
        ReplyKind::StreamError {
            error_type,
            message,
        } => {
            let error = shapes::error_body(error_type, message, None, &request_id);
            let spec = MessageSpec::default();
            sse(
                status,
                shapes::stream_events(&spec, model, &message_id, Some(error)),
                Duration::ZERO,
                &[],
            )
        }
    };
    let headers = response.headers_mut();
    insert(headers, "request-id", &request_id);
    if reply.status < 400 {
        rate_limit_headers(headers);
    }
    for (name, value) in &reply.headers {
        insert(headers, name, value);
    }
    response
}

/// How long the `n`-th content delta (from 1) waits before it goes out: the first waits
/// `first_delta_delay`, each later one the gap scripted before it (none past the list's end).
/// The Anthropic and Bedrock streams are paced alike.
pub(crate) fn delta_wait(
    first_delta_delay: Duration,
    chunk_gaps: &[Duration],
    n: usize,
) -> Duration {
    match n {
        0 | 1 => first_delta_delay,
        n => chunk_gaps.get(n - 2).copied().unwrap_or(Duration::ZERO),
    }
}

/// An event stream delivered event by event, so clients see real chunked streaming. The first
/// `content_block_delta` (the first output chunk) waits `first_delta_delay`, as a model takes
/// its time to the first token after the headers and `message_start` went out; the `i`-th
/// delta after it waits `chunk_gaps[i]` (none when the list is shorter).
pub(crate) fn sse(
    status: StatusCode,
    events: Vec<String>,
    first_delta_delay: Duration,
    chunk_gaps: &[Duration],
) -> Response {
    let mut deltas = 0usize;
    let paced: Vec<(Duration, String)> = events
        .into_iter()
        .map(|e| {
            if !e.starts_with("event: content_block_delta") {
                return (Duration::ZERO, e);
            }
            deltas += 1;
            (delta_wait(first_delta_delay, chunk_gaps, deltas), e)
        })
        .collect();
    let chunks = stream::iter(paced).then(|(delay, e)| async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok::<_, std::convert::Infallible>(Bytes::from(e))
    });
    (
        status,
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

fn rate_limit_headers(headers: &mut HeaderMap) {
    let reset = time::OffsetDateTime::now_utc() + Duration::from_secs(60);
    let reset = reset
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    for (kind, limit, remaining) in [
        ("requests", 50, 49),
        ("tokens", 100_000, 99_000),
        ("input-tokens", 80_000, 79_000),
        ("output-tokens", 20_000, 19_900),
    ] {
        insert(
            headers,
            &format!("anthropic-ratelimit-{kind}-limit"),
            &limit.to_string(),
        );
        insert(
            headers,
            &format!("anthropic-ratelimit-{kind}-remaining"),
            &remaining.to_string(),
        );
        insert(
            headers,
            &format!("anthropic-ratelimit-{kind}-reset"),
            &reset,
        );
    }
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        axum::http::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}
