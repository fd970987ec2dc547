//! From what came back to an [`Outcome`]: [`classify_response`] for a response (status,
//! headers, body prefix) and [`classify_transport`] when none came.
//!
//! Retry decision (documented choice): `x-should-retry` overrides the class's default, as the
//! official SDKs obey it first — except for billing. A billing failure (402/403
//! `billing_error`, the 400 credit-balance message, the spend-cap 429) is never retryable
//! whatever the header says: waiting cannot add credit, and retrying a spend cap only adds
//! load and noise to an outage.

use std::time::SystemTime;

use http::HeaderMap;

use super::{body, canonical_class, headers, Class, ClassInput, Outcome};

/// The most of a body the classifier reads. Error bodies are a few hundred bytes; a success
/// body larger than this still classifies (by status and headers) but loses its usage.
pub const MAX_BODY_PREFIX: usize = 64 * 1024;

/// Why no response arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The request (connect, send or read) ran out of time.
    Timeout,
    /// The connection could not be made or was dropped before a response.
    Connection,
}

impl TransportFailure {
    /// The raw `error_type` recorded for it (the event-line contract's values).
    pub const fn error_type(self) -> &'static str {
        match self {
            TransportFailure::Timeout => "timeout",
            TransportFailure::Connection => "connection_error",
        }
    }
}

/// Classifies a call that got no response: status `None`, retryable.
pub fn classify_transport(kind: TransportFailure) -> Outcome {
    let class = match kind {
        TransportFailure::Timeout => Class::Timeout,
        TransportFailure::Connection => Class::Connection,
    };
    Outcome::bare(None, Some(kind.error_type()), class)
}

/// Classifies one response. Reads at most [`MAX_BODY_PREFIX`] bytes of `body`; never panics,
/// whatever the bytes.
pub fn classify_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Outcome {
    classify_response_at(status, headers, body, SystemTime::now())
}

/// [`classify_response`] with the clock (for an HTTP-date `retry-after`) given.
pub fn classify_response_at(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Outcome {
    let prefix = &body[..body.len().min(MAX_BODY_PREFIX)];
    let json = body::parse(prefix);
    let error = json.as_ref().and_then(body::error_body).unwrap_or_default();
    let class = canonical_class(ClassInput {
        status: Some(status),
        error_type: error.error_type.as_deref(),
        message: error.message.as_deref(),
        error_code: error.error_code.as_deref(),
    });
    let mut outcome = Outcome::bare(Some(status), None, class);
    outcome.error_type = error.error_type;
    outcome.message = error.message;
    let read = headers::read(headers, now);
    outcome.request_id = read.request_id.or(error.request_id);
    outcome.retry_after = read.retry_after;
    outcome.should_retry = read.should_retry;
    outcome.rate_limit = read.rate_limit;
    outcome.retryable = retryable(class, outcome.should_retry);
    if class == Class::Success {
        if let Some(json) = &json {
            let success = body::success_body(json);
            outcome.usage = success.usage;
            outcome.response_model = success.model;
            outcome.truncated = success.stop_reason.as_deref() == Some("max_tokens");
        }
    }
    outcome
}

/// Completes a success outcome whose body was larger than [`MAX_BODY_PREFIX`] (so
/// [`classify_response`] could not parse it) from the body's first and last bytes, once the
/// whole body has passed: `head` is the prefix, `tail` its last few KiB. Best effort: fields it
/// cannot find stay empty. Does nothing to a non-success.
pub fn complete_from_ends(outcome: &mut Outcome, head: &[u8], tail: &[u8]) {
    if outcome.class != Class::Success {
        return;
    }
    let found = body::success_from_ends(head, tail);
    outcome.usage = outcome.usage.or(found.usage);
    if outcome.response_model.is_none() {
        outcome.response_model = found.model;
    }
    outcome.truncated |= found.stop_reason.as_deref() == Some("max_tokens");
}

/// The class's default, overridden by `x-should-retry`, except that billing is never retried
/// (see the module doc) and a success needs no retry.
pub(crate) fn retryable(class: Class, should_retry: Option<bool>) -> bool {
    match class {
        Class::Billing | Class::Success => false,
        _ => should_retry.unwrap_or(class.retryable()),
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
