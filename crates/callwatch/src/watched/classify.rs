//! [`Classify`]: how a value a watched function returned says what kind of call it was.

use std::fmt;

use http::HeaderMap;

use callwatch_core::classify::{classify_response, Outcome};

/// A value that knows what call outcome it stands for. Implemented for [`ApiError`] and, with
/// the `reqwest` feature, for `reqwest::Response`, `reqwest::Error` and
/// `reqwest_middleware::Error`; implement it for your own error type so `#[watch]` classifies
/// it. An error type without it is searched through its `source()` chain (and `anyhow`'s) for
/// one of these; failing that it counts as class `other`.
pub trait Classify {
    /// The outcome this value stands for.
    fn outcome(&self) -> Outcome;
}

#[cfg(feature = "reqwest")]
mod reqwest_impls {
    use http::HeaderMap;

    use super::Classify;
    use callwatch_core::classify::{
        classify_response, classify_transport, Class, Outcome, TransportFailure,
    };
    use callwatch_core::names;

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
                reqwest_middleware::Error::Middleware(error) => {
                    let error: &(dyn std::error::Error + 'static) = error.as_ref();
                    super::error_chain_outcome(error).unwrap_or_else(|| {
                        Outcome::bare(None, Some(names::ERROR_TYPE_OTHER), Class::Other)
                    })
                }
            }
        }
    }
}

/// The outcome of the first error in `error`'s `source()` chain that knows one: an
/// [`ApiError`], a `reqwest::Error` or a `reqwest_middleware::Error`. This is how `#[watch]`
/// finds the status inside an `anyhow::Error` or an app's own error enum.
#[doc(hidden)]
pub fn error_chain_outcome(error: &(dyn std::error::Error + 'static)) -> Option<Outcome> {
    std::iter::successors(Some(error), |e| e.source()).find_map(known_outcome)
}

fn known_outcome(error: &(dyn std::error::Error + 'static)) -> Option<Outcome> {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return Some(api.outcome.clone());
    }
    #[cfg(feature = "reqwest")]
    {
        if let Some(e) = error.downcast_ref::<reqwest::Error>() {
            return Some(e.outcome());
        }
        if let Some(e) = error.downcast_ref::<reqwest_middleware::Error>() {
            return Some(e.outcome());
        }
    }
    None
}

/// An API failure carrying its classified outcome: a ready error type for code that reads the
/// response itself.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
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

    /// From an outcome classified elsewhere.
    pub fn from_outcome(outcome: Outcome) -> ApiError {
        ApiError { outcome }
    }

    /// What the API answered.
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
