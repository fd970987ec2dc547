//! [`Retry`]: the SDK-like retry policy as a middleware of its own. Observing and retrying are
//! separate layers; stack this one before (outside) [`Middleware`](crate::Middleware) on
//! purpose, and every attempt it makes is counted in the same logical call.

use std::time::Duration;

use http::{Extensions, HeaderValue};
use reqwest::{Request, Response};
use reqwest_middleware::Next;

use super::policy::{Decision, RetryPolicy};
use crate::watched::Classify;
use callwatch_core::classify::classify_response;

/// The header the official SDKs send with the number of the retry (0 on the first attempt).
pub const RETRY_COUNT_HEADER: &str = "x-stainless-retry-count";

/// Retries a call the way the official SDKs do ([`RetryPolicy`]): on 408/409/429/5xx and
/// transport failures, honouring `x-should-retry` and `retry-after`, never on billing.
/// Sets `x-stainless-retry-count` on each attempt, as the SDKs do.
#[derive(Clone, Debug, Default)]
pub struct Retry {
    policy: RetryPolicy,
}

impl Retry {
    /// Retries by `policy`.
    pub fn new(policy: RetryPolicy) -> Retry {
        Retry { policy }
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Retry {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut waited = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // Keep a copy for a retry; a streaming request body cannot be copied: one attempt.
            let spare = request.try_clone();
            request
                .headers_mut()
                .insert(RETRY_COUNT_HEADER, HeaderValue::from(attempt - 1));
            let result = next.clone().run(request, extensions).await;
            // The observing middleware inside read the body; without it, status and headers.
            let outcome =
                crate::middleware::last_outcome(extensions).unwrap_or_else(|| match &result {
                    Ok(response) => {
                        classify_response(response.status().as_u16(), response.headers(), b"")
                    }
                    Err(error) => error.outcome(),
                });
            match (self.policy.decide(&outcome, attempt, waited), spare) {
                (Decision::Retry { wait }, Some(copy)) => {
                    request = copy;
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
                (decision, _) => {
                    if let Decision::Stop(reason) = decision {
                        tracing::debug!(attempt, %reason, "callwatch: not retrying");
                    }
                    return result;
                }
            }
        }
    }
}
