//! The canonical class every rule matches on, and the one decision table that maps what the
//! API sent (status, raw `error.type`, message, spend-cap code) to it. Both the live classifier
//! (full response) and the event-line reader (`replay`) go through [`canonical_class`], so a
//! replayed call classifies exactly as the live one did.

use serde::{Deserialize, Serialize};

/// What kind of failure (or success) a call was, independent of the status that carried it.
///
/// 403 is two things (`permission_error`, `billing_error`); billing also arrives as 402, as a
/// 400 whose message says the credit balance is too low, and as a spend-cap 429. Rules match
/// on this class, never on the raw status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Class {
    /// 2xx: the API answered.
    Success,
    /// 400 `invalid_request_error`: the request is wrong (a rising share: a deploy broke it).
    InvalidRequest,
    /// 401 `authentication_error`: key missing, wrong or revoked.
    Auth,
    /// 403 `permission_error`: the key lacks access (never billing).
    Permission,
    /// `billing_error` (402/403), a 400 saying the credit balance is too low, a spend-cap 429:
    /// an outage, not a bug.
    Billing,
    /// 404 `not_found_error`: bad model id or endpoint.
    NotFound,
    /// 413 `request_too_large`.
    RequestTooLarge,
    /// 422: semantically invalid (a tool schema, say).
    Unprocessable,
    /// 409 `conflict_error`: transient.
    Conflict,
    /// 429 `rate_limit_error`: rate pressure.
    RateLimit,
    /// 500/502/503/504 `api_error`: a provider incident.
    Server,
    /// 529 `overloaded_error`: platform capacity.
    Overloaded,
    /// No response in time.
    Timeout,
    /// No connection, or it dropped before a response.
    Connection,
    /// Anything else (an error the instrumentation could not read).
    Other,
    /// The instrumentation could not tell how the call ended: a `#[watch]` function returned
    /// `Ok` with a value that says nothing about the API's answer and no HTTP exchange was seen.
    /// Neither a success nor a failure.
    Unknown,
}

impl Class {
    /// Every class, in a fixed order.
    pub const ALL: [Class; 16] = [
        Class::Success,
        Class::InvalidRequest,
        Class::Auth,
        Class::Permission,
        Class::Billing,
        Class::NotFound,
        Class::RequestTooLarge,
        Class::Unprocessable,
        Class::Conflict,
        Class::RateLimit,
        Class::Server,
        Class::Overloaded,
        Class::Timeout,
        Class::Connection,
        Class::Other,
        Class::Unknown,
    ];

    /// The label value (`callwatch.class`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Class::Success => "success",
            Class::InvalidRequest => "invalid_request",
            Class::Auth => "auth",
            Class::Permission => "permission",
            Class::Billing => "billing",
            Class::NotFound => "not_found",
            Class::RequestTooLarge => "request_too_large",
            Class::Unprocessable => "unprocessable",
            Class::Conflict => "conflict",
            Class::RateLimit => "rate_limit",
            Class::Server => "server",
            Class::Overloaded => "overloaded",
            Class::Timeout => "timeout",
            Class::Connection => "connection",
            Class::Other => "other",
            Class::Unknown => "unknown",
        }
    }

    /// The class a label value names.
    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A dense index (the position in [`Class::ALL`]).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the call failed (neither a success nor unknown).
    pub const fn is_error(self) -> bool {
        !matches!(self, Class::Success | Class::Unknown)
    }

    /// Whether a call of this class is worth retrying at all, before headers
    /// (`x-should-retry`, `retry-after`) have their say.
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            Class::Conflict
                | Class::RateLimit
                | Class::Server
                | Class::Overloaded
                | Class::Timeout
                | Class::Connection
        )
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `error.details.error_code` of a 429 that is a spend cap, not a rate limit.
pub const SPEND_CAP_ERROR_CODE: &str = "enforced_spend_limit_reached";

/// What [`canonical_class`] decides from.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClassInput<'a> {
    /// HTTP status; `None` when no response arrived.
    pub status: Option<u16>,
    /// Raw `error.type` from the body (or `timeout` / `connection_error` for transport failures).
    pub error_type: Option<&'a str>,
    /// `error.message` from the body.
    pub message: Option<&'a str>,
    /// `error.details.error_code` from the body.
    pub error_code: Option<&'a str>,
}

/// Maps what the API sent to a [`Class`]. The raw `error.type` wins over the status (403 is
/// permission *or* billing); a billing-shaped message on a 400 or 429 makes it billing; the
/// status decides when there is no body.
pub fn canonical_class(input: ClassInput<'_>) -> Class {
    let ClassInput {
        status,
        error_type,
        message,
        error_code,
    } = input;
    if error_code == Some(SPEND_CAP_ERROR_CODE) {
        return Class::Billing;
    }
    if let Some(kind) = error_type {
        match kind {
            "billing_error" => return Class::Billing,
            "permission_error" => return Class::Permission,
            "authentication_error" => return Class::Auth,
            "invalid_request_error" | "rate_limit_error"
                if message.is_some_and(message_says_billing) =>
            {
                return Class::Billing
            }
            "invalid_request_error" => return Class::InvalidRequest,
            "not_found_error" => return Class::NotFound,
            "request_too_large" => return Class::RequestTooLarge,
            "unprocessable_entity" | "unprocessable_entity_error" => return Class::Unprocessable,
            "conflict_error" => return Class::Conflict,
            "rate_limit_error" => return Class::RateLimit,
            "overloaded_error" => return Class::Overloaded,
            "api_error" => return Class::Server,
            "timeout_error" | "timeout" => return Class::Timeout,
            "connection_error" => return Class::Connection,
            // Written by the library for a call it could not read (never sent by the API), so
            // a replayed event line keeps that verdict instead of reading "no status" as a
            // connection failure.
            "unknown" => return Class::Unknown,
            _ => {}
        }
    }
    match status {
        None => Class::Connection,
        Some(200..=299) => Class::Success,
        Some(400) => Class::InvalidRequest,
        Some(401) => Class::Auth,
        Some(402) => Class::Billing,
        Some(403) => Class::Permission,
        Some(404) => Class::NotFound,
        Some(408) => Class::Timeout,
        Some(409) => Class::Conflict,
        Some(413) => Class::RequestTooLarge,
        Some(422) => Class::Unprocessable,
        Some(429) => Class::RateLimit,
        Some(504) => Class::Timeout,
        Some(529) => Class::Overloaded,
        Some(500..=599) => Class::Server,
        Some(_) => Class::Other,
    }
}

/// The provider words a credit or spend problem as a 400 (or 429) message; these phrases are
/// the ones it uses ("Your credit balance is too low…", "…spend limit…").
pub fn message_says_billing(message: &str) -> bool {
    const PHRASES: [&str; 6] = [
        "credit balance",
        "spend limit",
        "spending limit",
        "usage limit",
        "billing",
        "insufficient credit",
    ];
    let lower = message.to_ascii_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(status: Option<u16>, error_type: Option<&str>, message: Option<&str>) -> Class {
        canonical_class(ClassInput {
            status,
            error_type,
            message,
            error_code: None,
        })
    }

    #[test]
    fn billing_is_billing_whatever_the_status() {
        assert_eq!(
            class(Some(402), Some("billing_error"), None),
            Class::Billing
        );
        assert_eq!(
            class(Some(403), Some("billing_error"), None),
            Class::Billing
        );
        assert_eq!(class(Some(402), None, None), Class::Billing);
        assert_eq!(
            class(
                Some(400),
                Some("invalid_request_error"),
                Some("Your credit balance is too low to access the Anthropic API.")
            ),
            Class::Billing
        );
        let spend_cap = canonical_class(ClassInput {
            status: Some(429),
            error_type: Some("rate_limit_error"),
            message: Some("Rate limited"),
            error_code: Some(SPEND_CAP_ERROR_CODE),
        });
        assert_eq!(spend_cap, Class::Billing);
    }

    #[test]
    fn permission_403_is_never_billing() {
        assert_eq!(
            class(
                Some(403),
                Some("permission_error"),
                Some("Your API key does not have permission to use the specified resource.")
            ),
            Class::Permission
        );
        assert_eq!(class(Some(403), None, None), Class::Permission);
    }

    #[test]
    fn statuses_without_body_classify_by_status() {
        assert_eq!(class(Some(502), None, None), Class::Server);
        assert_eq!(class(Some(529), None, None), Class::Overloaded);
        assert_eq!(class(Some(504), None, None), Class::Timeout);
        assert_eq!(class(None, Some("timeout"), None), Class::Timeout);
        assert_eq!(class(None, None, None), Class::Connection);
        assert_eq!(class(Some(200), None, None), Class::Success);
    }

    #[test]
    fn only_transient_classes_are_retryable() {
        let retryable: Vec<_> = Class::ALL.into_iter().filter(|c| c.retryable()).collect();
        assert_eq!(
            retryable,
            [
                Class::Conflict,
                Class::RateLimit,
                Class::Server,
                Class::Overloaded,
                Class::Timeout,
                Class::Connection
            ]
        );
        assert_eq!(Class::parse("billing"), Some(Class::Billing));
        assert_eq!(Class::parse("nope"), None);
    }
}
