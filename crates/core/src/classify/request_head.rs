//! What every instrumentation path reads from a Messages request body: the model (a label)
//! and whether the response will stream. One reader, so the middleware, the macro and the
//! proxy label the same request the same way.

use std::borrow::Cow;

use serde::Deserialize;

/// The model label when a request names none (or its body is not JSON).
pub const UNKNOWN_MODEL: &str = "unknown";

/// A model name is a label: at most this many printable characters, whatever the client sent.
const MAX_MODEL_CHARS: usize = 96;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub model: String,
    pub stream: bool,
}

/// Reads only `model` and `stream`; serde skips every other field without building it.
pub fn request_head(body: &[u8]) -> RequestHead {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(borrow, default)]
        model: Option<Cow<'a, str>>,
        #[serde(default)]
        stream: Option<bool>,
    }
    let (model, stream) = match serde_json::from_slice::<Head<'_>>(body) {
        Ok(head) => (
            head.model.map(|m| bounded_model(&m)),
            head.stream.unwrap_or(false),
        ),
        Err(_) => (None, false),
    };
    RequestHead {
        model: model
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| UNKNOWN_MODEL.to_owned()),
        stream,
    }
}

/// The header the official SDKs number each attempt of a logical call with (0 = first).
pub const RETRY_COUNT_HEADER: &str = "x-stainless-retry-count";

/// What every instrumentation path (the middleware, the proxy) reads from a request before
/// sending it. The key itself is never kept, only its fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    /// The requested model (a bounded label; [`UNKNOWN_MODEL`] when the body names none).
    pub model: String,
    /// Whether the body asks for a stream.
    pub stream: bool,
    /// The key's fingerprint ([`key_id`](super::key_id)), "" when no key was sent.
    pub key_id: String,
    /// `x-stainless-retry-count` (0 when absent).
    pub retry_count: u32,
    /// Where the request goes, from its path (Bedrock and Vertex paths carry the model).
    pub provider: super::Provider,
}

/// Reads a request's headers, its path and, when given, its JSON body (`None`: not parsed, the
/// model is unknown unless the path names it — a caller may refuse to parse a huge prompt on
/// its hot path). Bedrock and Vertex paths give the provider, the model and the stream flag.
pub fn read_request(headers: &http::HeaderMap, body: Option<&[u8]>, path: &str) -> RequestFacts {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let head = body.map(request_head).unwrap_or_else(|| RequestHead {
        model: UNKNOWN_MODEL.to_owned(),
        stream: false,
    });
    let route = super::route(path);
    RequestFacts {
        model: route.model.unwrap_or(head.model),
        stream: head.stream || route.stream,
        provider: route.provider,
        key_id: super::key_from_headers(header("x-api-key"), header("authorization"))
            .unwrap_or_default(),
        retry_count: header(RETRY_COUNT_HEADER)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    }
}

/// Printable, bounded, and never a secret: a key sent as `model` becomes `redacted`.
fn bounded_model(model: &str) -> String {
    let printable: String = model
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(MAX_MODEL_CHARS)
        .collect();
    if printable.is_empty() {
        return printable;
    }
    super::model_label(&printable).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_model_and_stream_and_falls_back_to_unknown() {
        let head = request_head(br#"{"max_tokens":5,"model":"claude-sonnet-4-6","stream":true}"#);
        assert_eq!(head.model, "claude-sonnet-4-6");
        assert!(head.stream);
        assert_eq!(request_head(br#"{"model":"  "}"#).model, UNKNOWN_MODEL);
        assert_eq!(request_head(b"\xff not json").model, UNKNOWN_MODEL);
        // Longer than any model name: a label must not carry it (it may be a pasted key).
        assert_eq!(
            request_head(format!(r#"{{"model":"{}"}}"#, "m".repeat(500)).as_bytes()).model,
            super::super::REDACTED_MODEL
        );
        assert_eq!(
            request_head(br#"{"model":"sk-ant-api03-FAKE"}"#).model,
            super::super::REDACTED_MODEL
        );
    }
}
