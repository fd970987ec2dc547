//! Claude as Amazon Bedrock and Google Vertex AI serve it: the same script and behaviour as the
//! Anthropic API routes, rendered in each provider's shapes.
//!
//! Bedrock (`POST /model/{id}/invoke`, `/invoke-with-response-stream`): SigV4 verified first
//! (403 `InvalidSignatureException` / `UnrecognizedClientException`, as Bedrock answers; a
//! bearer token — a Bedrock API key — is accepted as is); errors are `x-amzn-ErrorType` plus
//! `{"message"}`; streams are `application/vnd.amazon.eventstream` frames with real CRCs, and a
//! stream error is an in-band `exception` frame inside the 200.
//!
//! Vertex (`POST /v1/projects/…/publishers/anthropic/models/{m}:rawPredict` or
//! `:streamRawPredict`): a bearer token required (401 `UNAUTHENTICATED`); errors are a
//! `google.rpc.Status`, except `overloaded_error`, which the model server behind Vertex sends
//! Anthropic-shaped; successes and streams are the Anthropic API's.
//!
//! A scripted error type in the provider's own vocabulary (`ThrottlingException`,
//! `throttlingException` for a stream, `RESOURCE_EXHAUSTED`, `BILLING_DISABLED`) is sent as is;
//! an Anthropic one (`rate_limit_error`, from `Reply::status(429)` or the behaviour) is
//! translated to what that provider sends for the same failure.

use axum::body::{Body, Bytes};
use axum::extract::{Extension, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callwatch_core::classify::{eventstream_encode, route};
use futures_util::{stream, StreamExt as _};
use serde_json::json;

use super::record::RecordedRequest;
use super::reply::ReplyKind;
use super::server::{delta_wait, insert, next_reply, render, Kill, Shared};
use super::shapes::{self, MessageSpec};
use super::sigv4;

const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";

pub(crate) async fn bedrock(
    AxState(state): AxState<Shared>,
    Extension(kill): Extension<Kill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if !bearer {
        if let Err(refusal) = sigv4::verify(method.as_str(), target, &headers, &body) {
            return bedrock_error(403, refusal.code(), refusal.message(), 0);
        }
    }
    let path = route(uri.path());
    let request = RecordedRequest::new(method.as_str(), uri.path(), &headers, &body)
        .with_model(path.model.clone());
    let (reply, n) = next_reply(&state, &request, None);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = path
        .model
        .as_deref()
        .unwrap_or("anthropic.claude-sonnet-4-5");
    let message_id = format!("msg_bdrk_mock{n:016}");
    let status = reply.status;
    let mut response = match &reply.kind {
        ReplyKind::Error {
            error_type,
            message,
            ..
        } => {
            let (status, code) = bedrock_code(status, error_type);
            bedrock_error(status, &code, message, n)
        }
        ReplyKind::Success(spec) if path.stream => event_stream(
            spec,
            spec.model.as_deref().unwrap_or(model),
            &message_id,
            None,
        ),
        ReplyKind::StreamError {
            error_type,
            message,
        } => {
            let (_, code) = bedrock_code(500, error_type);
            let exception = lower_camel(&code);
            let spec = MessageSpec::default();
            event_stream(&spec, model, &message_id, Some((&exception, message)))
        }
        ReplyKind::Success(_) | ReplyKind::Html | ReplyKind::DropConnection => {
            let mut response = render(reply.clone(), n, model, false, &kill).await;
            strip_anthropic_headers(response.headers_mut());
            response
        }
    };
    let headers = response.headers_mut();
    insert(headers, "x-amzn-requestid", &request_id(n));
    for (name, value) in &reply.headers {
        insert(headers, name, value);
    }
    response
}

pub(crate) async fn vertex(
    AxState(state): AxState<Shared>,
    Extension(kill): Extension<Kill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = route(uri.path());
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > "Bearer ".len());
    if !bearer {
        return google_status(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.", false);
    }
    let request = RecordedRequest::new(method.as_str(), uri.path(), &headers, &body)
        .with_model(path.model.clone());
    let (reply, n) = next_reply(&state, &request, None);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = path.model.as_deref().unwrap_or("claude-sonnet-4@20250514");
    let mut response = match &reply.kind {
        ReplyKind::Error {
            error_type,
            message,
            ..
        } => match vertex_code(reply.status, error_type) {
            Some((status, code, billing)) => google_status(status, code, message, billing),
            None => render(reply.clone(), n, model, path.stream, &kill).await,
        },
        _ => render(reply.clone(), n, model, path.stream, &kill).await,
    };
    strip_anthropic_headers(response.headers_mut());
    response
}

fn request_id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Bedrock answers with none of the Anthropic API's own headers.
fn strip_anthropic_headers(headers: &mut HeaderMap) {
    let names: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("anthropic-ratelimit-") || k.as_str() == "request-id")
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

/// The Bedrock code (and its status) for a scripted error type.
fn bedrock_code(status: u16, error_type: &str) -> (u16, String) {
    let mapped = match error_type {
        "rate_limit_error" => (429, "ThrottlingException"),
        "overloaded_error" => (503, "ServiceUnavailableException"),
        "invalid_request_error" | "request_too_large" | "unprocessable_entity" => {
            (400, "ValidationException")
        }
        "authentication_error" => (403, "UnrecognizedClientException"),
        "permission_error" | "billing_error" => (403, "AccessDeniedException"),
        "not_found_error" => (404, "ResourceNotFoundException"),
        "timeout_error" => (408, "ModelTimeoutException"),
        "conflict_error" => (409, "ConflictException"),
        "api_error" => (500, "InternalServerException"),
        own => return (status, upper_camel(own)),
    };
    (mapped.0, mapped.1.to_owned())
}

/// The google.rpc code (status, name, billing detail) for a scripted error type; `None`: sent
/// Anthropic-shaped, as the model server behind Vertex sends it.
fn vertex_code(status: u16, error_type: &str) -> Option<(u16, &str, bool)> {
    Some(match error_type {
        "rate_limit_error" => (429, "RESOURCE_EXHAUSTED", false),
        "invalid_request_error" => (400, "INVALID_ARGUMENT", false),
        "authentication_error" => (401, "UNAUTHENTICATED", false),
        "permission_error" => (403, "PERMISSION_DENIED", false),
        "billing_error" | "BILLING_DISABLED" => (403, "PERMISSION_DENIED", true),
        "not_found_error" => (404, "NOT_FOUND", false),
        "timeout_error" => (504, "DEADLINE_EXCEEDED", false),
        "api_error" => (500, "INTERNAL", false),
        own if !own.is_empty() && own.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
            (status, own, false)
        }
        _ => return None,
    })
}

fn upper_camel(code: &str) -> String {
    let mut chars = code.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn lower_camel(code: &str) -> String {
    let mut chars = code.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn bedrock_error(status: u16, code: &str, message: &str, n: u64) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(json!({ "message": message }))).into_response();
    let headers = response.headers_mut();
    insert(
        headers,
        "x-amzn-errortype",
        &format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
    );
    insert(headers, "x-amzn-requestid", &request_id(n));
    response
}

fn google_status(status: u16, code: &str, message: &str, billing: bool) -> Response {
    let mut error = json!({"code": status, "message": message, "status": code});
    if billing {
        error["details"] = json!([{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "BILLING_DISABLED",
            "domain": "googleapis.com",
            "metadata": {"service": "aiplatform.googleapis.com", "consumer": "projects/mock"}
        }]);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", "application/json; charset=UTF-8")],
        Json(json!({ "error": error })),
    )
        .into_response()
}

/// The Anthropic stream events as Bedrock frames, one frame per chunk sent; with `exception`,
/// the stream stops after the first delta with an in-band exception frame.
fn event_stream(
    spec: &MessageSpec,
    model: &str,
    id: &str,
    exception: Option<(&str, &str)>,
) -> Response {
    let failing = exception.map(|_| json!({"type": "error"}));
    // Output chunks (`content_block_delta`) are paced as on the Anthropic routes: the first
    // waits `first_delta_delay`, later ones their scripted gaps.
    let mut deltas = 0usize;
    let mut frames: Vec<(std::time::Duration, Vec<u8>)> =
        shapes::stream_events(spec, model, id, failing)
            .iter()
            .filter_map(|event| event.split_once("data: ").map(|(_, data)| data.trim_end()))
            .filter(|data| !data.contains(r#""type":"error""#))
            .map(|data| {
                let delay = if data.contains(r#""type":"content_block_delta""#) {
                    deltas += 1;
                    delta_wait(spec.first_delta_delay, &spec.chunk_gaps, deltas)
                } else {
                    std::time::Duration::ZERO
                };
                (delay, eventstream_encode::chunk(data, Some(crc32)))
            })
            .collect();
    if let Some((kind, message)) = exception {
        let frame = eventstream_encode::exception(kind, message, Some(crc32));
        frames.push((std::time::Duration::ZERO, frame));
    }
    let chunks = stream::iter(frames).then(|(delay, frame)| async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok::<_, std::convert::Infallible>(Bytes::from(frame))
    });
    (
        StatusCode::OK,
        [("content-type", EVENTSTREAM)],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// CRC-32 (IEEE 802.3, the one AWS event-stream frames carry); bitwise, as a mock's frames are
/// few and small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn scripted_types_translate_to_each_provider() {
        assert_eq!(
            bedrock_code(429, "rate_limit_error"),
            (429, "ThrottlingException".to_owned())
        );
        assert_eq!(
            bedrock_code(529, "overloaded_error"),
            (503, "ServiceUnavailableException".to_owned())
        );
        assert_eq!(
            bedrock_code(400, "ServiceQuotaExceededException"),
            (400, "ServiceQuotaExceededException".to_owned())
        );
        assert_eq!(lower_camel("ThrottlingException"), "throttlingException");
        assert_eq!(
            vertex_code(429, "rate_limit_error"),
            Some((429, "RESOURCE_EXHAUSTED", false))
        );
        assert_eq!(
            vertex_code(403, "BILLING_DISABLED"),
            Some((403, "PERMISSION_DENIED", true))
        );
        assert_eq!(vertex_code(529, "overloaded_error"), None);
    }
}
