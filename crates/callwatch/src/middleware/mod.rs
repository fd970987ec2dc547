//! A `reqwest_middleware` middleware that watches every call through a client: retries with
//! a [`RetryPolicy`], classifies each attempt, reports one [`Call`](callwatch_core::call::Call) per
//! logical call, and wraps it in a `chat {model}` span with the GenAI attributes.
//!
//! ```no_run
//! use callwatch::middleware::CallwatchMiddleware;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(CallwatchMiddleware::new())
//!     .build();
//! # let _ = client;
//! ```
//!
//! Non-streamed responses are read up to [`MAX_BODY_PREFIX`](callwatch_core::classify::MAX_BODY_PREFIX)
//! to classify them and handed back whole. A streamed (`text/event-stream`) 2xx response is
//! handed back at once with its body observed; the call is reported when the stream ends, and
//! is never retried (the caller already has it).

mod buffer;
mod report;
pub(crate) mod request;
pub(crate) mod span;
mod stream;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Extensions, HeaderValue};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use tracing::Instrument;

use crate::retry::{AttemptLog, Decision, RetryPolicy};
use crate::watched::Classify;
use callwatch_core::call::CallObserver;
use callwatch_core::classify::{
    classify_response, classify_transport, Outcome, SseScanner, TransportFailure,
};
use callwatch_core::names;
use report::PendingCall;
use request::RequestInfo;
use stream::{SseWatch, TailWatch};

/// The header the official SDKs send with the number of the retry (0 on the first attempt).
pub const RETRY_COUNT_HEADER: &str = "x-stainless-retry-count";

/// Watches calls made through a `reqwest_middleware` client. Add it last (innermost) if other
/// middlewares retry, so each of its attempts is one HTTP exchange.
#[derive(Clone)]
pub struct CallwatchMiddleware {
    operation: Arc<str>,
    policy: RetryPolicy,
    observer: Option<Arc<dyn CallObserver>>,
    server: Option<(String, u16)>,
}

impl Default for CallwatchMiddleware {
    fn default() -> Self {
        CallwatchMiddleware::new()
    }
}

impl CallwatchMiddleware {
    /// Operation `chat`, the default retry policy, reporting to the global observer.
    pub fn new() -> CallwatchMiddleware {
        CallwatchMiddleware {
            operation: Arc::from(names::OPERATION_CHAT),
            policy: RetryPolicy::default(),
            observer: None,
            server: None,
        }
    }

    /// `gen_ai.operation.name` (default `chat`).
    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = Arc::from(operation);
        self
    }

    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Report to this observer instead of [`callwatch_core::call::global_observer`].
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// `server.address` / `server.port` (default: from each request's URL).
    pub fn server_address(mut self, address: &str, port: u16) -> Self {
        self.server = Some((address.to_owned(), port));
        self
    }

    async fn run(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
        mut call: PendingCall,
    ) -> reqwest_middleware::Result<Response> {
        let mut request = request;
        let mut wait_before = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // Keep a copy for a retry; a streaming request body cannot be copied: one attempt.
            let spare = request.try_clone();
            request
                .headers_mut()
                .insert(RETRY_COUNT_HEADER, HeaderValue::from(attempt - 1));
            let sent = Instant::now();
            let result = next.clone().run(request, extensions).await;
            let (outcome, reply, large_head) = match result {
                Ok(response) if is_event_stream(&response) => {
                    call.log.record(
                        &streaming_placeholder(&response),
                        sent.elapsed(),
                        wait_before,
                    );
                    attempt_event(attempt, &call.log);
                    let watch = SseWatch {
                        scanner: SseScanner::new(),
                        status: response.status().as_u16(),
                        headers: response.headers().clone(),
                        call,
                    };
                    return Ok(stream::observe(response, Box::new(watch)));
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match buffer::buffer_prefix(response).await {
                        Ok(b) => (
                            classify_response(status, &headers, &b.prefix),
                            Ok(b.response),
                            b.overflowed.then_some(b.prefix),
                        ),
                        Err(e) => (
                            classify_transport(transport_failure(e.is_timeout())),
                            Err(reqwest_middleware::Error::Reqwest(e)),
                            None,
                        ),
                    }
                }
                // No response: timeout, connection, or an inner middleware's own error.
                Err(error) => (error.outcome(), Err(error), None),
            };
            call.log.record(&outcome, sent.elapsed(), wait_before);
            attempt_event(attempt, &call.log);
            match (
                self.policy.decide(&outcome, attempt, call.log.waited()),
                spare,
            ) {
                (Decision::Retry { wait }, Some(copy)) => {
                    request = copy;
                    wait_before = wait;
                    tokio::time::sleep(wait).await;
                }
                (decision, _) => {
                    if let Decision::Stop(reason) = decision {
                        tracing::debug!(attempt, %reason, "callwatch: not retrying");
                    }
                    return match (reply, large_head) {
                        // Too large to parse up front: read usage from its end as it passes.
                        (Ok(response), Some(head)) if outcome.is_success() => {
                            let watch = TailWatch {
                                outcome,
                                head,
                                tail: VecDeque::new(),
                                call,
                            };
                            Ok(stream::observe(response, Box::new(watch)))
                        }
                        (reply, _) => {
                            call.finish(&outcome);
                            reply
                        }
                    };
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Middleware for CallwatchMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut info = RequestInfo::read(&request);
        if let Some((address, port)) = &self.server {
            info.server_address.clone_from(address);
            info.server_port = *port;
        }
        // Inside a #[watch] fn the macro owns the logical call and its span: report into its
        // context, and let attempt events land on its span.
        let context = crate::watched::current_context();
        let span = if context.is_some() {
            tracing::Span::none()
        } else {
            let span = span::call_span(&self.operation, &info.model);
            span::record_request(&span, &info.server_address, info.server_port, &info.key_id);
            span
        };
        let call = PendingCall {
            operation: self.operation.clone(),
            info,
            observer: self.observer.clone(),
            log: AttemptLog::new(),
            started: Instant::now(),
            span: span.clone(),
            context,
        };
        self.run(request, extensions, next, call)
            .instrument(span)
            .await
    }
}

fn is_event_stream(response: &Response) -> bool {
    response.status().is_success()
        && response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// The attempt record of a stream, before its body says how it ended.
fn streaming_placeholder(response: &Response) -> Outcome {
    classify_response(response.status().as_u16(), response.headers(), b"")
}

pub(crate) fn transport_failure(timed_out: bool) -> TransportFailure {
    if timed_out {
        TransportFailure::Timeout
    } else {
        TransportFailure::Connection
    }
}

/// One event per attempt: what came back and how long we waited before it.
fn attempt_event(attempt: u32, log: &AttemptLog) {
    if let Some(a) = log.attempts().last() {
        tracing::info!(
            { names::CALLWATCH_ATTEMPT } = attempt,
            { names::HTTP_RESPONSE_STATUS_CODE } = a.status,
            { names::ERROR_TYPE } = a.error_type.as_deref(),
            { names::CALLWATCH_CLASS } = a.class.as_str(),
            { names::CALLWATCH_RETRY_WAIT_MS } = a.wait_before.as_secs_f64() * 1000.0,
            latency_ms = a.latency.as_secs_f64() * 1000.0,
            "callwatch attempt"
        );
    }
}
