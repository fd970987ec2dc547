//! [`Classify`]: how a value a watched function returned says what kind of call it was.

use std::fmt;

use http::HeaderMap;

use callwatch_core::classify::{
    classify_response, classify_transport, Class, Outcome, TransportFailure,
};
use callwatch_core::names;

/// A value that knows what call outcome it stands for. Implemented for `reqwest::Response`,
/// `reqwest::Error`, `reqwest_middleware::Error` and [`ApiError`]; implement it for your own
/// error type so `#[watch]` classifies it (an error type without it counts as `other`).
pub trait Classify {
    fn outcome(&self) -> Outcome;
}

impl Classify for reqwest::Response {
    /// By status and headers (the body is the caller's to read).
    fn outcome(&self) -> Outcome {
        classify_response(self.status().as_u16(), self.headers(), b"")
    }
}

impl Classify for reqwest::Error {
    fn outcome(&self) -> Outcome {
        if self.is_timeout() {
            return classify_transport(TransportFailure::Timeout);
        }
        if let Some(status) = self.status() {
            return classify_response(status.as_u16(), &HeaderMap::new(), b"");
        }
        if self.is_connect() || self.is_request() {
            return classify_transport(TransportFailure::Connection);
        }
        Outcome::bare(None, Some(names::ERROR_TYPE_OTHER), Class::Other)
    }
}

impl Classify for reqwest_middleware::Error {
    fn outcome(&self) -> Outcome {
        match self {
            reqwest_middleware::Error::Reqwest(error) => error.outcome(),
            reqwest_middleware::Error::Middleware(_) => {
                Outcome::bare(None, Some(names::ERROR_TYPE_OTHER), Class::Other)
            }
        }
    }
}

/// An API failure carrying its classified outcome: a ready error type for code that reads the
/// response itself.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    outcome: Outcome,
}

impl ApiError {
    /// From a full (or prefix of a) response.
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ApiError {
        ApiError {
            outcome: classify_response(status, headers, body),
        }
    }

    pub fn from_outcome(outcome: Outcome) -> ApiError {
        ApiError { outcome }
    }

    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.outcome;
        match o.status {
            Some(status) => write!(f, "Claude API returned {status}")?,
            None => f.write_str("Claude API call failed without a response")?,
        }
        write!(
            f,
            " ({}",
            o.error_type.as_deref().unwrap_or(o.class.as_str())
        )?;
        if let Some(message) = &o.message {
            write!(f, ": {message}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ApiError {}

impl Classify for ApiError {
    fn outcome(&self) -> Outcome {
        self.outcome.clone()
    }
}
