//! [`Middleware`]: observes every call through a `reqwest_middleware` client — classifies each
//! attempt, reports one [`Call`](callwatch_core::call::Call) per logical call, and wraps it in
//! a `chat {model}` span with the GenAI attributes. It never retries and never changes the
//! request or the response: stack [`Retry`](crate::Retry) (or reqwest-retry) before it for
//! that, and each attempt is counted.
//!
//! Non-streamed responses are read up to [`MAX_BODY_PREFIX`](callwatch_core::classify::MAX_BODY_PREFIX)
//! to classify them and handed back whole. A streamed (`text/event-stream`) 2xx response is
//! handed back at once with its body observed; the call is reported when the stream ends.

mod buffer;
mod logical;
mod request;
mod stream;

use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::Next;
use tracing::Instrument;

use crate::watched::Classify;
use callwatch_core::call::CallObserver;
use callwatch_core::classify::{
    classify_provider_response, classify_transport, BodyScan, Outcome, Provider, TransportFailure,
};
use callwatch_core::names;
pub(crate) use logical::CallHandle;
use request::RequestInfo;

/// Observes calls made through a `reqwest_middleware` client. Add it after (inside) any
/// middleware that retries, so each of its runs is one attempt of the same logical call.
///
/// ```no_run
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(callwatch::Retry::default()) // optional: SDK-like retries, each attempt counted
///     .with(callwatch::Middleware::default())
///     .build();
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct Middleware {
    operation: Arc<str>,
    observer: Option<Arc<dyn CallObserver>>,
    server: Option<(String, u16)>,
}

impl std::fmt::Debug for Middleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Middleware")
            .field("operation", &self.operation)
            .field("observer", &self.observer.is_some())
            .field("server", &self.server)
            .finish()
    }
}

impl Default for Middleware {
    fn default() -> Self {
        Middleware::new()
    }
}

impl Middleware {
    /// Operation `chat`, reporting to the scoped or global observer.
    pub fn new() -> Middleware {
        Middleware {
            operation: Arc::from(names::OPERATION_CHAT),
            observer: None,
            server: None,
        }
    }

    /// `gen_ai.operation.name` (default `chat`).
    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = Arc::from(operation);
        self
    }

    /// Report to this observer instead of the global one (a [`with_observer`](crate::with_observer)
    /// scope still wins).
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// `server.address` / `server.port` (default: from each request's URL).
    pub fn server_address(mut self, address: &str, port: u16) -> Self {
        self.server = Some((address.to_owned(), port));
        self
    }

    /// The logical call this attempt belongs to: the one a previous attempt left in the
    /// request's extensions, or a new one.
    fn logical_call(&self, request: &Request, extensions: &mut Extensions) -> CallHandle {
        if let Some(call) = extensions.get::<CallHandle>() {
            return call.clone();
        }
        let mut info = RequestInfo::read(request);
        if let Some((address, port)) = &self.server {
            info.server_address.clone_from(address);
            info.server_port = *port;
        }
        // Inside a #[watch] fn the macro owns the logical call and its span: report into its
        // context, and let attempt events land on its span.
        let context = crate::watched::current_context();
        let span = if context.is_some() {
            tracing::Span::current()
        } else {
            let span = crate::span::call_span(&self.operation, &info.facts.model);
            crate::span::record_request(
                &span,
                &info.server_address,
                info.server_port,
                &info.facts.key_id,
            );
            span
        };
        let call = CallHandle::new(
            self.operation.clone(),
            info,
            self.observer.clone(),
            span,
            context,
            callwatch_core::classify::own_key(request.headers()),
        );
        extensions.insert(call.clone());
        call
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Middleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let call = self.logical_call(&request, extensions);
        let span = call.span().clone();
        let provider = call.provider();
        observe_attempt(call, provider, request, extensions, next)
            .instrument(span)
            .await
    }
}

/// Sends one attempt and records what came back. The response goes back to the caller as it
/// arrived (a body read for classification is handed back whole).
async fn observe_attempt(
    call: CallHandle,
    provider: Provider,
    request: Request,
    extensions: &mut Extensions,
    next: Next<'_>,
) -> reqwest_middleware::Result<Response> {
    let attempt = call.begin_attempt();
    match next.run(request, extensions).await {
        Ok(response) if is_event_stream(&response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let head = classify_provider_response(provider, status, &headers, b"");
            let sent = attempt.sent();
            call.end_attempt_unsettled(attempt, &head);
            let scan = BodyScan::new(status, headers)
                .for_provider(provider)
                .sent_at(sent);
            Ok(stream::observe(response, scan, call))
        }
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match buffer::buffer_prefix(response).await {
                Ok(b) => {
                    let outcome = classify_provider_response(provider, status, &headers, &b.prefix);
                    if b.overflowed && outcome.is_success() {
                        // Too large to parse up front: read usage from its end as it passes
                        // (the rebuilt body replays the head first).
                        call.end_attempt_unsettled(attempt, &outcome);
                        let scan = BodyScan::new(status, headers).for_provider(provider);
                        return Ok(stream::observe(b.response, scan, call));
                    }
                    call.end_attempt(attempt, &outcome);
                    Ok(b.response)
                }
                Err(e) => {
                    let failure = transport_failure(e.is_timeout());
                    call.end_attempt(attempt, &classify_transport(failure));
                    Err(reqwest_middleware::Error::Reqwest(e))
                }
            }
        }
        // No response: timeout, connection, or an inner middleware's own error.
        Err(error) => {
            call.end_attempt(attempt, &error.outcome());
            Err(error)
        }
    }
}

/// A streamed success (server-sent events, or Bedrock's AWS event stream): handed back at
/// once, its body watched as it is read.
fn is_event_stream(response: &Response) -> bool {
    response.status().is_success()
        && response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::trim_start)
            .is_some_and(|v| {
                v.starts_with("text/event-stream")
                    || v.starts_with("application/vnd.amazon.eventstream")
            })
}

pub(crate) fn transport_failure(timed_out: bool) -> TransportFailure {
    if timed_out {
        TransportFailure::Timeout
    } else {
        TransportFailure::Connection
    }
}

/// The last outcome this logical call recorded, for the retry layer.
pub(crate) fn last_outcome(extensions: &Extensions) -> Option<Outcome> {
    extensions.get::<CallHandle>()?.last_outcome()
}
