//! One test per row of DESIGN.md's classification table, plus the bad-body cases and a
//! property test that no input panics.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn error_body(kind: &str, message: &str) -> Vec<u8> {
    serde_json::json!({"type":"error","error":{"type":kind,"message":message},"request_id":"req_body"})
        .to_string()
        .into_bytes()
}

fn classify(status: u16, kind: &str, message: &str) -> Outcome {
    classify_response(status, &HeaderMap::new(), &error_body(kind, message))
}

#[test]
fn table_row_400_invalid_request_never_retried() {
    let o = classify(400, "invalid_request_error", "messages: field required");
    assert_eq!(o.class, Class::InvalidRequest);
    assert_eq!(o.error_type.as_deref(), Some("invalid_request_error"));
    assert_eq!(o.message.as_deref(), Some("messages: field required"));
    assert_eq!(o.request_id.as_deref(), Some("req_body"));
    assert!(!o.retryable);
}

#[test]
fn table_row_400_credit_balance_is_billing() {
    let o = classify(
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    );
    assert_eq!(o.class, Class::Billing);
    assert_eq!(o.error_type.as_deref(), Some("invalid_request_error"));
    assert!(!o.retryable);
}

#[test]
fn table_rows_401_403_404_413_422_never_retried() {
    for (status, kind, class) in [
        (401, "authentication_error", Class::Auth),
        (403, "permission_error", Class::Permission),
        (404, "not_found_error", Class::NotFound),
        (413, "request_too_large", Class::RequestTooLarge),
        (422, "unprocessable_entity", Class::Unprocessable),
    ] {
        let o = classify(status, kind, "x");
        assert_eq!((o.class, o.retryable), (class, false), "{status}");
        assert_eq!(o.status, Some(status));
    }
}

#[test]
fn table_row_402_and_403_billing_error_are_billing_even_if_told_to_retry() {
    for status in [402, 403] {
        let h = headers(&[("x-should-retry", "true")]);
        let o = classify_response(status, &h, &error_body("billing_error", "Billing issue"));
        assert_eq!(o.class, Class::Billing, "{status}");
        assert_eq!(o.should_retry, Some(true));
        assert!(!o.retryable, "billing is never retried");
    }
}

#[test]
fn table_row_409_conflict_is_retried() {
    let o = classify(409, "conflict_error", "conflict");
    assert_eq!((o.class, o.retryable), (Class::Conflict, true));
}

#[test]
fn table_row_429_rate_limit_is_retried_and_carries_retry_after() {
    let h = headers(&[("retry-after", "7"), ("request-id", "req_header")]);
    let o = classify_response(429, &h, &error_body("rate_limit_error", "Rate limited"));
    assert_eq!((o.class, o.retryable), (Class::RateLimit, true));
    assert_eq!(o.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(o.request_id.as_deref(), Some("req_header"), "header wins");
}

#[test]
fn table_row_429_spend_cap_is_billing_and_never_retried() {
    let body = br#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_cap"}"#;
    let o = classify_response(429, &headers(&[("x-should-retry", "true")]), body);
    assert_eq!(o.class, Class::Billing);
    assert_eq!(o.error_type.as_deref(), Some("rate_limit_error"));
    assert_eq!(o.retry_after, None);
    assert!(!o.retryable);
}

#[test]
fn table_row_500_api_error_is_retried() {
    let o = classify(500, "api_error", "Internal server error");
    assert_eq!((o.class, o.retryable), (Class::Server, true));
}

#[test]
fn table_row_502_503_504_without_json_classify_by_status() {
    let html = b"<html><head><title>502 Bad Gateway</title></head></html>";
    for (status, class) in [
        (502, Class::Server),
        (503, Class::Server),
        (504, Class::Timeout),
    ] {
        let o = classify_response(status, &HeaderMap::new(), html);
        assert_eq!((o.class, o.retryable), (class, true), "{status}");
        assert_eq!(o.error_type, None);
        assert_eq!(o.message, None);
    }
    let o = classify(504, "timeout_error", "Request timed out");
    assert_eq!((o.class, o.retryable), (Class::Timeout, true));
}

#[test]
fn table_row_529_overloaded_is_retried() {
    let h = headers(&[("retry-after-ms", "20")]);
    let o = classify_response(529, &h, &error_body("overloaded_error", "Overloaded"));
    assert_eq!((o.class, o.retryable), (Class::Overloaded, true));
    assert_eq!(o.retry_after, Some(Duration::from_millis(20)));
}

#[test]
fn table_row_no_response_is_timeout_or_connection_error() {
    let t = classify_transport(TransportFailure::Timeout);
    assert_eq!(
        (t.status, t.error_type.as_deref(), t.class),
        (None, Some("timeout"), Class::Timeout)
    );
    assert!(t.retryable);
    let c = classify_transport(TransportFailure::Connection);
    assert_eq!(c.error_type.as_deref(), Some("connection_error"));
    assert_eq!((c.class, c.retryable), (Class::Connection, true));
}

#[test]
fn x_should_retry_overrides_the_status() {
    let o = classify_response(
        400,
        &headers(&[("x-should-retry", "true")]),
        &error_body("invalid_request_error", "x"),
    );
    assert!(o.retryable);
    let o = classify_response(
        529,
        &headers(&[("x-should-retry", "false")]),
        &error_body("overloaded_error", "x"),
    );
    assert!(!o.retryable);
}

#[test]
fn success_reads_usage_model_and_max_tokens() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens","usage":{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":3,"cache_creation_input_tokens":4}}"#;
    let h = headers(&[
        ("anthropic-ratelimit-requests-limit", "50"),
        ("anthropic-ratelimit-requests-remaining", "49"),
    ]);
    let o = classify_response(200, &h, body);
    assert_eq!((o.class, o.retryable), (Class::Success, false));
    assert_eq!(o.response_model.as_deref(), Some("claude-sonnet-4-6"));
    let u = o.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.total_input()),
        (10, 20, 17)
    );
    assert!(o.truncated);
    assert_eq!(o.rate_limit.requests.unwrap().remaining, 49);
}

#[test]
fn empty_truncated_and_huge_bodies_classify_by_status() {
    assert_eq!(
        classify_response(529, &HeaderMap::new(), b"").class,
        Class::Overloaded
    );
    let cut = &error_body("billing_error", "Billing")[..20];
    assert_eq!(
        classify_response(403, &HeaderMap::new(), cut).class,
        Class::Permission
    );
    let mut huge = error_body("billing_error", "x");
    huge.truncate(huge.len() - 1);
    huge.extend(std::iter::repeat_n(b' ', MAX_BODY_PREFIX));
    huge.push(b'}');
    let o = classify_response(403, &HeaderMap::new(), &huge);
    assert_eq!(
        o.class,
        Class::Permission,
        "beyond the prefix: the status decides"
    );
    let long = "é".repeat(5000);
    let o = classify(400, "invalid_request_error", &long);
    assert_eq!(o.message.unwrap().chars().count(), body::MAX_MESSAGE_CHARS);
}

proptest! {
    #[test]
    fn arbitrary_status_headers_and_bytes_never_panic(
        status in any::<u16>(),
        pairs in proptest::collection::vec(
            (prop::sample::select(vec![
                "retry-after", "retry-after-ms", "x-should-retry", "request-id",
                "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset",
            ]), "[ -~]{0,40}"),
            0..6,
        ),
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        json_kind in prop::option::of("[a-z_]{0,20}"),
    ) {
        let mut h = HeaderMap::new();
        for (k, v) in &pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append(*k, v);
            }
        }
        let _ = classify_response(status, &h, &bytes);
        if let Some(kind) = json_kind {
            let o = classify_response(status, &h, &error_body(&kind, "m"));
            prop_assert!(!(o.class == Class::Billing && o.retryable));
        }
    }
}
