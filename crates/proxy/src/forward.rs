//! Forwards one request upstream and streams the answer back, recording the attempt.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, StatusCode, Uri};

use http_body_util::BodyExt as _;

use super::attempts::AttemptTracker;
use super::body_budget::{BodyBudget, Reservation};
use super::error_reply::error_reply;
use super::observed_body::ObservedBody;
use super::provider_route;
use super::request_info::{self, RequestInfo};
use callwatch_core::classify::{classify_transport, TransportFailure};
use callwatch_core::trace_parent::{TraceParent, TRACEPARENT_HEADER};

/// The largest request body the proxy accepts (the API's own limit is 32 MB).
pub const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

pub struct Forwarder {
    pub client: reqwest::Client,
    /// Request bodies held in memory at once, across connections.
    pub budget: Arc<BodyBudget>,
    /// Longest wait for the next chunk of a request body.
    pub body_stall: Duration,
    pub upstream: reqwest::Url,
    pub tracker: Arc<AttemptTracker>,
    /// How long to wait for the upstream's response headers.
    pub response_timeout: Duration,
    /// Re-signs requests with the proxy's AWS credentials (see `resign`).
    #[cfg(feature = "aws-resign")]
    pub aws_resign: Option<Arc<super::resign::AwsResign>>,
}

impl Forwarder {
    fn resigns(&self) -> bool {
        #[cfg(feature = "aws-resign")]
        return self.aws_resign.is_some();
        #[cfg(not(feature = "aws-resign"))]
        false
    }
}

pub async fn forward(State(fwd): State<Arc<Forwarder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // Held until the upstream has answered (the body has been sent by then).
    let (body, _reservation) =
        match read_body(body, &parts.headers, &fwd.budget, fwd.body_stall).await {
            Ok(read) => read,
            Err(reply) => return reply,
        };
    let (info, url) = read_request(&fwd.upstream, &parts.uri, &parts.headers, &body);
    let url = match url {
        Some(url) => url,
        None => {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "callwatch proxy: bad request path",
            )
        }
    };
    let Some(headers) = outgoing_headers(&fwd, &parts.method, &url, &parts.headers, &body) else {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "callwatch proxy: the request cannot be signed for the upstream",
        );
    };
    let start = fwd.tracker.begin(
        &info.key_id,
        &info.model,
        parts.uri.path(),
        info.retry_count,
        parts
            .headers
            .get(TRACEPARENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(TraceParent::parse),
    );

    let upstream = fwd
        .client
        .request(parts.method, url)
        .headers(headers)
        .body(body);
    match tokio::time::timeout(fwd.response_timeout, upstream.send()).await {
        Err(_) => {
            fwd.tracker
                .end(start, classify_transport(TransportFailure::Timeout));
            error_reply(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout_error",
                "callwatch proxy: upstream timed out",
            )
        }
        Ok(Err(e)) => {
            let failure = if e.is_timeout() {
                TransportFailure::Timeout
            } else {
                TransportFailure::Connection
            };
            fwd.tracker.end(start, classify_transport(failure));
            let (status, kind) = match failure {
                TransportFailure::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout_error"),
                TransportFailure::Connection => (StatusCode::BAD_GATEWAY, "api_error"),
            };
            error_reply(status, kind, "callwatch proxy: upstream unreachable")
        }
        Ok(Ok(response)) => {
            let status = response.status();
            let headers = response_headers(response.headers());
            let observed = ObservedBody::new(
                response.bytes_stream(),
                status.as_u16(),
                headers.clone(),
                start,
                fwd.tracker.clone(),
            )
            .redacting(callwatch_core::classify::own_key(&parts.headers))
            .for_provider(info.provider);
            let mut reply = Response::new(Body::from_stream(observed));
            *reply.status_mut() = status;
            *reply.headers_mut() = headers;
            reply
        }
    }
}

/// The headers sent upstream: the client's, less hop-by-hop ones, `host` and
/// `accept-encoding` (both kept as sent when the client's SigV4 signature covers them and is
/// forwarded); with re-signing, the proxy's signature in place of the client's (`None`: the
/// request cannot be signed).
fn outgoing_headers(
    fwd: &Forwarder,
    method: &http::Method,
    url: &reqwest::Url,
    client: &HeaderMap,
    body: &[u8],
) -> Option<HeaderMap> {
    let keep_signed = !fwd.resigns() && provider_route::is_sigv4_signed(client);
    let mut headers = HeaderMap::with_capacity(client.len());
    for (name, value) in client {
        if forwardable(name) || (keep_signed && provider_route::kept_when_signed(name)) {
            headers.append(name, value.clone());
        }
    }
    #[cfg(feature = "aws-resign")]
    if let Some(signer) = &fwd.aws_resign {
        let now = std::time::SystemTime::now();
        if let Err(e) = signer.sign(method, url, &mut headers, body, now) {
            // The error names what could not be signed, never a credential.
            tracing::warn!(error = %e, "callwatch proxy: cannot re-sign a request");
            return None;
        }
    }
    #[cfg(not(feature = "aws-resign"))]
    let _ = (method, url, body);
    Some(headers)
}

fn too_large() -> Response {
    error_reply(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        "callwatch proxy: request body unreadable or over 64 MiB",
    )
}

/// The body budget is spent: the SDKs retry a 503 after `retry-after`.
fn busy() -> Response {
    let mut reply = error_reply(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded_error",
        "callwatch proxy: too many request bytes in flight, retry shortly",
    );
    reply.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("2"),
    );
    reply
}

/// Reads the whole body within the per-request cap and the shared budget: a declared
/// `content-length` is reserved before a byte is read, a chunked body as it arrives.
async fn read_body(
    mut body: Body,
    headers: &HeaderMap,
    budget: &Arc<BodyBudget>,
    stall: Duration,
) -> Result<(bytes::Bytes, Reservation), Response> {
    match collect(&mut body, headers, budget, stall).await {
        Ok(read) => Ok(read),
        Err(Refusal::Answer(reply)) => Err(reply),
        Err(Refusal::AfterDraining(reply)) => {
            // Read and drop the rest (no memory held), so the client, still sending, gets the
            // answer rather than a connection reset.
            drain(&mut body, stall).await;
            Err(reply)
        }
    }
}

enum Refusal {
    /// The body is broken or stalled: answer and let the connection close.
    Answer(Response),
    /// Too large or over the budget: the client may still be sending.
    AfterDraining(Response),
}

/// Longest refused body read through and dropped before giving up on the connection.
const MAX_DRAIN: usize = 2 * MAX_REQUEST_BODY;

async fn drain(body: &mut Body, stall: Duration) {
    let mut drained = 0usize;
    while drained <= MAX_DRAIN {
        match tokio::time::timeout(stall, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                drained += frame.data_ref().map_or(0, |d| d.len());
            }
            _ => return,
        }
    }
}

async fn collect(
    body: &mut Body,
    headers: &HeaderMap,
    budget: &Arc<BodyBudget>,
    stall: Duration,
) -> Result<(bytes::Bytes, Reservation), Refusal> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY) {
        return Err(Refusal::AfterDraining(too_large()));
    }
    let mut reservation = budget.reservation();
    if let Some(n) = declared {
        if !reservation.grow(n) {
            return Err(Refusal::AfterDraining(busy()));
        }
    }
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Err(_) => {
                return Err(Refusal::Answer(error_reply(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout_error",
                    "callwatch proxy: request body stalled",
                )))
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(_))) => return Err(Refusal::Answer(too_large())),
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let total = buf.len() + data.len();
        if total > MAX_REQUEST_BODY {
            return Err(Refusal::AfterDraining(too_large()));
        }
        let beyond = total.saturating_sub(reservation.held());
        if beyond > 0 && !reservation.grow(beyond) {
            return Err(Refusal::AfterDraining(busy()));
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), reservation))
}

/// What the proxy takes from a request before any I/O: what it records and the URL it forwards
/// to (`None`: answered with a 400). Pure, so the fuzzer drives the same code as [`forward`].
#[doc(hidden)]
pub fn read_request(
    upstream: &reqwest::Url,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (RequestInfo, Option<reqwest::Url>) {
    let info = request_info::read(headers, body, uri.path());
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    (info, upstream_url(upstream, path_and_query))
}

fn upstream_url(base: &reqwest::Url, path_and_query: &str) -> Option<reqwest::Url> {
    let mut url = base.clone();
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let base_path = base.path().trim_end_matches('/');
    url.set_path(&format!("{base_path}{path}"));
    url.set_query(query);
    // `..` segments (or `%2e%2e`) are resolved by the URL parser: a path that climbs out of
    // the upstream's base path is refused, not forwarded elsewhere on its host.
    let rest = url.path().strip_prefix(base_path)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(url)
}

/// Hop-by-hop headers belong to one connection, not the request; `host` is the upstream's;
/// `accept-encoding` is dropped so the upstream answers uncompressed and the classifier can
/// read error bodies (content is unchanged for the client, which accepts identity).
fn forwardable(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
            | "accept-encoding"
    )
}

fn response_headers(upstream: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(upstream.len());
    for (name, value) in upstream {
        if !matches!(
            name.as_str(),
            "connection" | "keep-alive" | "transfer-encoding" | "trailer" | "upgrade"
        ) {
            headers.append(name, value.clone());
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_url_keeps_base_path_and_query() {
        let base = reqwest::Url::parse("http://127.0.0.1:9/api/").unwrap();
        let url = upstream_url(&base, "/v1/messages?beta=true").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v1/messages?beta=true");
        let bare = reqwest::Url::parse("https://api.anthropic.com").unwrap();
        assert_eq!(
            upstream_url(&bare, "/v1/messages").unwrap().as_str(),
            "https://api.anthropic.com/v1/messages"
        );
    }

    #[test]
    fn a_path_cannot_climb_out_of_the_base_path() {
        // Found by fuzzing: `/..//v1/messages` went to http://127.0.0.1:9//v1/messages.
        let base = reqwest::Url::parse("http://127.0.0.1:9/api/").unwrap();
        for path in ["/..//v1/messages", "/../v1", "/%2e%2e/v1", "/v1/../../x"] {
            assert_eq!(upstream_url(&base, path), None, "{path}");
        }
        let url = upstream_url(&base, "/v1/../v1/messages").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v1/messages");
    }

    #[test]
    fn hop_by_hop_and_host_are_not_forwarded() {
        assert!(!forwardable(&HeaderName::from_static("host")));
        assert!(!forwardable(&HeaderName::from_static("connection")));
        assert!(forwardable(&HeaderName::from_static("x-api-key")));
        assert!(forwardable(&HeaderName::from_static("anthropic-version")));
    }
}
