//! Google Vertex AI's shapes. Errors raised by Vertex itself are a `google.rpc.Status` in the
//! JSON mapping, `{"error":{"code":429,"message":…,"status":"RESOURCE_EXHAUSTED","details":[…]}}`
//! (`:streamRawPredict` may wrap it in a one-element array); errors raised by the model server
//! behind it are Anthropic-shaped (`overloaded_error`, also mid-stream), and so are successes.
//! The raw `error_type` kept is the canonical code name (`RESOURCE_EXHAUSTED`) or the Anthropic
//! `error.type`.
//!
//! Billing vs permission: both are `403 PERMISSION_DENIED`. Only a `google.rpc.ErrorInfo` detail
//! with reason `BILLING_DISABLED` makes it [`Class::Billing`], and then that reason is the raw
//! `error_type` kept (the more specific of the two, and what lets a recorded call replay as
//! billing); any other 403 is permission.

use std::time::SystemTime;

use http::HeaderMap;
use serde::Deserialize;

use super::body::{bounded, MAX_MESSAGE_CHARS};
use super::lenient::{Object, Text};
use super::provider::Provider;
use super::response::retryable;
use super::{classify_response_at, Class, Outcome, MAX_BODY_PREFIX};

/// The `google.rpc.ErrorInfo.reason` for a project whose billing account is disabled.
pub const BILLING_DISABLED: &str = "BILLING_DISABLED";
const MAX_CODE_CHARS: usize = 64;

/// The class a `google.rpc.Code` name means; `None` for one it does not know.
pub fn class_of(status: &str) -> Option<Class> {
    Some(match status {
        "RESOURCE_EXHAUSTED" => Class::RateLimit,
        "UNAVAILABLE" => Class::Server,
        "DEADLINE_EXCEEDED" => Class::Timeout,
        "UNAUTHENTICATED" => Class::Auth,
        "PERMISSION_DENIED" => Class::Permission,
        BILLING_DISABLED => Class::Billing,
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => Class::InvalidRequest,
        "NOT_FOUND" | "UNIMPLEMENTED" => Class::NotFound,
        "ALREADY_EXISTS" | "ABORTED" => Class::Conflict,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" => Class::Server,
        "CANCELLED" => Class::Other,
        _ => return None,
    })
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Wire<'a> {
    #[serde(borrow)]
    error: Object<Status<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Status<'a> {
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    message: Text<'a>,
}

pub(crate) fn classify(status: u16, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Outcome {
    let prefix = &body[..body.len().min(MAX_BODY_PREFIX)];
    // Only an error body naming a `"status"` can be a google.rpc.Status: anything else (a
    // success, an Anthropic-shaped error) is read once, by the Anthropic classifier.
    if status >= 400 && contains(prefix, b"\"status\"") {
        if let Some(outcome) = google_status(status, headers, prefix, now) {
            return outcome;
        }
    }
    let mut outcome = classify_response_at(status, headers, body, now);
    outcome.provider = Provider::Vertex;
    outcome
}

fn google_status(
    status: u16,
    headers: &HeaderMap,
    prefix: &[u8],
    now: SystemTime,
) -> Option<Outcome> {
    let mut trimmed = prefix.trim_ascii_start();
    // `[{"error":…}]`: read the first element.
    if let Some(rest) = trimmed.strip_prefix(b"[") {
        trimmed = rest.trim_ascii_start();
    }
    if !trimmed.starts_with(b"{") {
        return None;
    }
    let mut objects = serde_json::Deserializer::from_slice(trimmed).into_iter::<Wire>();
    let wire = objects.next()?.ok()?;
    let error = wire.error.0?;
    let code = error
        .status
        .0
        .as_deref()
        .map(|c| bounded(c, MAX_CODE_CHARS))?;
    let billing = code == "PERMISSION_DENIED" && contains(prefix, BILLING_DISABLED.as_bytes());
    let code = if billing {
        BILLING_DISABLED.to_owned()
    } else {
        code
    };
    let class = if billing {
        Class::Billing
    } else {
        class_of(&code).unwrap_or_else(|| {
            super::canonical_class(super::ClassInput {
                status: Some(status),
                ..Default::default()
            })
        })
    };
    let mut outcome = Outcome::bare(Some(status), None, class);
    outcome.provider = Provider::Vertex;
    outcome.error_type = Some(code);
    outcome.message = error
        .message
        .0
        .as_deref()
        .map(|m| super::redact_owned(bounded(m, MAX_MESSAGE_CHARS), None));
    let read = super::headers::read(headers, now);
    outcome.request_id = read.request_id;
    outcome.retry_after = read.retry_after;
    outcome.should_retry = read.should_retry;
    outcome.retryable = retryable(class, outcome.should_retry);
    Some(outcome)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vertex(status: u16, body: &str) -> Outcome {
        classify(
            status,
            &HeaderMap::new(),
            body.as_bytes(),
            SystemTime::now(),
        )
    }

    fn rpc(code: u16, status: &str) -> String {
        format!(r#"{{"error":{{"code":{code},"message":"m {status}","status":"{status}"}}}}"#)
    }

    #[test]
    fn each_rpc_status_maps_to_its_class() {
        let cases = [
            (429, "RESOURCE_EXHAUSTED", Class::RateLimit),
            (504, "DEADLINE_EXCEEDED", Class::Timeout),
            (401, "UNAUTHENTICATED", Class::Auth),
            (403, "PERMISSION_DENIED", Class::Permission),
            (400, "INVALID_ARGUMENT", Class::InvalidRequest),
            (404, "NOT_FOUND", Class::NotFound),
            (500, "INTERNAL", Class::Server),
            (503, "UNAVAILABLE", Class::Server),
        ];
        for (status, code, class) in cases {
            let o = vertex(status, &rpc(status, code));
            assert_eq!(o.class, class, "{code}");
            assert_eq!(o.error_type.as_deref(), Some(code));
            assert_eq!(o.message.as_deref(), Some(format!("m {code}").as_str()));
            assert_eq!(o.provider, Provider::Vertex);
        }
        // The array form streamRawPredict answers with.
        let o = vertex(429, &format!("[{}]", rpc(429, "RESOURCE_EXHAUSTED")));
        assert_eq!(o.class, Class::RateLimit);
        assert!(o.retryable);
    }

    #[test]
    fn billing_disabled_is_billing_and_any_other_403_is_permission() {
        let billing = r#"{"error":{"code":403,"message":"This API method requires billing to be enabled.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"BILLING_DISABLED","domain":"googleapis.com"}]}}"#;
        let o = vertex(403, billing);
        assert_eq!(o.class, Class::Billing);
        assert_eq!(o.error_type.as_deref(), Some(BILLING_DISABLED));
        assert!(!o.retryable);
        let iam = r#"{"error":{"code":403,"message":"Permission 'aiplatform.endpoints.predict' denied","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED"}]}}"#;
        assert_eq!(vertex(403, iam).class, Class::Permission);
    }

    #[test]
    fn anthropic_shaped_bodies_on_vertex_classify_as_anthropic_ones() {
        let o = vertex(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(o.class, Class::Overloaded);
        assert_eq!(o.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(o.provider, Provider::Vertex);
        let ok = vertex(
            200,
            r#"{"type":"message","model":"claude-sonnet-4@20250514","usage":{"input_tokens":1,"output_tokens":2},"stop_reason":"end_turn"}"#,
        );
        assert_eq!(ok.class, Class::Success);
        assert_eq!(ok.usage.unwrap().output_tokens, 2);
        // A message that merely mentions "status" is still read as Anthropic.
        let o = vertex(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad \"status\" field"}}"#,
        );
        assert_eq!(o.class, Class::InvalidRequest);
        assert_eq!(o.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(vertex(503, "upstream connect error").class, Class::Server);
        assert_eq!(
            vertex(400, r#"[{"error":{"status":"#).class,
            Class::InvalidRequest
        );
    }
}
