//! One `#[watch]` call: opened when the function starts, finished with its classified result.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tracing::{Instrument, Span};

use super::context::{CallContext, CALL_CONTEXT};
use crate::middleware::span;
use callwatch_core::call::Call;
use callwatch_core::classify::Outcome;

/// The running call the macro's generated code drives (`start`, `run`, `finish`).
#[doc(hidden)]
pub struct WatchedCall {
    operation: &'static str,
    model: Option<String>,
    span: Span,
    context: Arc<CallContext>,
    started: Instant,
}

impl WatchedCall {
    pub fn start(operation: &'static str, model: Option<String>) -> WatchedCall {
        let label = model
            .as_deref()
            .unwrap_or(crate::middleware::request::UNKNOWN_MODEL);
        WatchedCall {
            operation,
            span: span::call_span(operation, label),
            model,
            context: Arc::new(CallContext::default()),
            started: Instant::now(),
        }
    }

    /// Runs the function body inside the span, with the context the middleware reports into.
    pub async fn run<F: Future>(&self, body: F) -> F::Output {
        CALL_CONTEXT
            .scope(self.context.clone(), body.instrument(self.span.clone()))
            .await
    }

    /// Reports the call. `returned` is what the function's result says; when the middleware saw
    /// the same ending (the same status, or the same absence of one), its outcome is the richer
    /// one: it read the body and headers (a 400 whose message says the credit balance is too
    /// low is billing, which the status alone cannot tell).
    pub fn finish(self, returned: Outcome) {
        let seen = self.context.seen();
        let outcome = match seen.outcome {
            Some(observed) if observed.status == returned.status => observed,
            _ => returned,
        };
        let attempts = seen.attempts.max(1);
        let futile_retries = if outcome.class.is_error() {
            seen.futile_retries
        } else {
            0
        };
        let model = self
            .model
            .or(seen.model)
            .unwrap_or_else(|| crate::middleware::request::UNKNOWN_MODEL.to_owned());
        let key_id = seen.key_id.unwrap_or_default();
        let (server_address, server_port) = seen.server.unwrap_or_default();
        span::record_request(&self.span, &server_address, server_port, &key_id);
        span::record_outcome(&self.span, &outcome, attempts);
        if let Some(observer) = callwatch_core::call::global_observer() {
            observer.observe(&Call {
                operation: self.operation,
                model: &model,
                key_id: &key_id,
                outcome: &outcome,
                attempts,
                latency: self.started.elapsed(),
                retry_wait: seen.retry_wait,
                futile_retries,
                server_address: &server_address,
                server_port,
            });
        }
    }
}
