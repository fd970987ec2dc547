//! Amazon Bedrock's error shape: the error code in the `x-amzn-ErrorType` header
//! (`ThrottlingException:http://internal.amazon.com/coral/…`), the body `{"message": …}`
//! (sometimes with `__type`, `namespace#Code`), the request id in `x-amzn-RequestId`. In an
//! event stream the same codes arrive as `:exception-type` in lowerCamelCase
//! (`throttlingException`): [`class_of`] matches either.
//!
//! Billing vs permission: Bedrock answers a Marketplace subscription or payment problem and a
//! missing IAM permission with the same `AccessDeniedException` (403). Telling them apart would
//! mean guessing from the message wording, so it is always [`Class::Permission`] — never paged
//! as a billing outage (docs/providers.md).

use std::time::SystemTime;

use http::HeaderMap;
use serde::Deserialize;

use super::body::{bounded, MAX_MESSAGE_CHARS};
use super::lenient::Text;
use super::provider::Provider;
use super::response::retryable;
use super::{canonical_class, classify_response_at, Class, ClassInput, Outcome, MAX_BODY_PREFIX};

/// The header carrying the error code (HTTP header names are case-insensitive).
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";
/// The header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// Longest error code kept.
const MAX_CODE_CHARS: usize = 128;

/// The class a Bedrock error code means, whatever its case convention (`ThrottlingException`
/// over HTTP, `throttlingException` in an event stream); `None` for a code it does not know.
pub fn class_of(code: &str) -> Option<Class> {
    const TABLE: [(&str, Class); 22] = [
        ("ThrottlingException", Class::RateLimit),
        ("ServiceQuotaExceededException", Class::RateLimit),
        ("ModelNotReadyException", Class::Overloaded),
        ("ServiceUnavailableException", Class::Overloaded),
        ("ModelTimeoutException", Class::Timeout),
        ("UnrecognizedClientException", Class::Auth),
        ("InvalidSignatureException", Class::Auth),
        ("IncompleteSignature", Class::Auth),
        ("InvalidClientTokenId", Class::Auth),
        ("ExpiredTokenException", Class::Auth),
        ("MissingAuthenticationTokenException", Class::Auth),
        ("AccessDeniedException", Class::Permission),
        ("BadCScoreException", Class::Permission),
        ("ValidationException", Class::InvalidRequest),
        ("ModelErrorException", Class::InvalidRequest),
        ("ModelStreamErrorException", Class::Server),
        ("InternalServerException", Class::Server),
        ("InternalFailure", Class::Server),
        ("ResourceNotFoundException", Class::NotFound),
        ("FTUFormNotFilled", Class::NotFound),
        ("ConflictException", Class::Conflict),
        ("ServiceUnavailable", Class::Overloaded),
    ];
    TABLE
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(code))
        .map(|(_, class)| *class)
}

/// The code alone: `Code:namespace-uri` (header) and `namespace#Code` (`__type`) both give `Code`.
pub fn error_code(raw: &str) -> &str {
    let code = raw.split(':').next().unwrap_or(raw);
    let code = code.rsplit('#').next().unwrap_or(code);
    code.trim()
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Wire<'a> {
    #[serde(borrow)]
    message: Text<'a>,
    #[serde(rename = "Message", borrow)]
    message_upper: Text<'a>,
    #[serde(rename = "__type", borrow)]
    kind: Text<'a>,
}

pub(crate) fn classify(status: u16, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Outcome {
    let found = scan(headers);
    // A success is an Anthropic Messages body (InvokeModel on a Claude model): read it as such.
    if (200..300).contains(&status) {
        let mut outcome = classify_response_at(status, headers, body, now);
        outcome.provider = Provider::Bedrock;
        if outcome.request_id.is_none() {
            outcome.request_id = found.request_id.map(|id| bounded(id, MAX_CODE_CHARS));
        }
        return outcome;
    }
    let prefix = &body[..body.len().min(MAX_BODY_PREFIX)];
    let trimmed = prefix.trim_ascii_start();
    let wire: Wire = if trimmed.starts_with(b"{") {
        serde_json::from_slice(trimmed).unwrap_or_default()
    } else {
        Wire::default()
    };
    let code = found
        .error_type
        .or(wire.kind.0.as_deref())
        .map(error_code)
        .filter(|c| !c.is_empty())
        .map(|c| bounded(c, MAX_CODE_CHARS));
    let message = wire
        .message
        .0
        .as_deref()
        .or(wire.message_upper.0.as_deref())
        .map(|m| super::redact_owned(bounded(m, MAX_MESSAGE_CHARS), None));
    let class = code
        .as_deref()
        .and_then(class_of)
        .unwrap_or_else(|| by_status(status));
    let mut outcome = Outcome::bare(Some(status), None, class);
    outcome.provider = Provider::Bedrock;
    outcome.error_type = code;
    outcome.message = message;
    outcome.request_id = found.request_id.map(|id| bounded(id, MAX_CODE_CHARS));
    outcome.retryable = retryable(class, None);
    outcome
}

struct Found<'a> {
    error_type: Option<&'a str>,
    request_id: Option<&'a str>,
}

/// The two headers, in one walk of the map (a lookup by name hashes it; Bedrock sends few
/// headers, so walking them is cheaper). The first of a repeated header wins.
fn scan(headers: &HeaderMap) -> Found<'_> {
    let mut found = Found {
        error_type: None,
        request_id: None,
    };
    for (name, value) in headers {
        let slot = match name.as_str() {
            ERROR_TYPE_HEADER => &mut found.error_type,
            REQUEST_ID_HEADER => &mut found.request_id,
            _ => continue,
        };
        if slot.is_none() {
            *slot = value.to_str().ok();
        }
    }
    found
}

/// The status alone decides (an unknown code, or no code at all). A 403 without a code is
/// permission, never billing (the module doc).
fn by_status(status: u16) -> Class {
    canonical_class(ClassInput {
        status: Some(status),
        ..ClassInput::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn bedrock(status: u16, code: Option<&str>, body: &str) -> Outcome {
        let mut headers = HeaderMap::new();
        if let Some(code) = code {
            headers.insert(
                "x-amzn-ErrorType",
                HeaderValue::from_str(&format!(
                    "{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"
                ))
                .unwrap(),
            );
        }
        headers.insert("x-amzn-RequestId", HeaderValue::from_static("8c2b6a6e-req"));
        classify(status, &headers, body.as_bytes(), SystemTime::now())
    }

    #[test]
    fn each_documented_error_maps_to_its_class() {
        let cases = [
            (429, "ThrottlingException", Class::RateLimit, true),
            (400, "ServiceQuotaExceededException", Class::RateLimit, true),
            (503, "ServiceUnavailableException", Class::Overloaded, true),
            (429, "ModelNotReadyException", Class::Overloaded, true),
            (408, "ModelTimeoutException", Class::Timeout, true),
            (403, "UnrecognizedClientException", Class::Auth, false),
            (403, "InvalidSignatureException", Class::Auth, false),
            (403, "AccessDeniedException", Class::Permission, false),
            (400, "ValidationException", Class::InvalidRequest, false),
            (424, "ModelErrorException", Class::InvalidRequest, false),
            (500, "InternalServerException", Class::Server, true),
            (404, "ResourceNotFoundException", Class::NotFound, false),
        ];
        for (status, code, class, retry) in cases {
            let o = bedrock(status, Some(code), r#"{"message":"something"}"#);
            assert_eq!(o.class, class, "{code}");
            assert_eq!(o.retryable, retry, "{code}");
            assert_eq!(o.error_type.as_deref(), Some(code));
            assert_eq!(o.provider, Provider::Bedrock);
            assert_eq!(o.message.as_deref(), Some("something"));
            assert_eq!(o.request_id.as_deref(), Some("8c2b6a6e-req"));
        }
    }

    #[test]
    fn a_marketplace_access_denied_is_permission_never_billing() {
        let o = bedrock(
            403,
            Some("AccessDeniedException"),
            r#"{"message":"Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model."}"#,
        );
        assert_eq!(o.class, Class::Permission);
        assert_eq!(bedrock(403, None, "").class, Class::Permission);
    }

    #[test]
    fn the_body_type_serves_when_the_header_is_missing_and_bad_bodies_fall_back_to_status() {
        let o = bedrock(
            429,
            None,
            r#"{"__type":"com.amazon.bedrock#ThrottlingException","Message":"Too many"}"#,
        );
        assert_eq!(o.class, Class::RateLimit);
        assert_eq!(o.error_type.as_deref(), Some("ThrottlingException"));
        assert_eq!(o.message.as_deref(), Some("Too many"));
        assert_eq!(
            bedrock(502, None, "<html>bad gateway</html>").class,
            Class::Server
        );
        assert_eq!(bedrock(429, None, r#"{"message":"#).class, Class::RateLimit);
        let o = bedrock(418, Some("SomethingNewException"), "{}");
        assert_eq!(o.class, Class::Other);
        assert_eq!(o.error_type.as_deref(), Some("SomethingNewException"));
    }

    #[test]
    fn a_success_reads_the_anthropic_body_inside() {
        let o = bedrock(
            200,
            None,
            r#"{"id":"msg_1","type":"message","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":7}}"#,
        );
        assert_eq!(o.class, Class::Success);
        assert_eq!(o.provider, Provider::Bedrock);
        assert_eq!(o.usage.unwrap().output_tokens, 7);
        assert_eq!(o.request_id.as_deref(), Some("8c2b6a6e-req"));
    }

    #[test]
    fn stream_codes_match_whatever_their_case() {
        assert_eq!(class_of("throttlingException"), Some(Class::RateLimit));
        assert_eq!(class_of("modelStreamErrorException"), Some(Class::Server));
        assert_eq!(class_of("nope"), None);
        assert_eq!(error_code("A:b:c"), "A");
        assert_eq!(error_code("ns#Code"), "Code");
    }
}
