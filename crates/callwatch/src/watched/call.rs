//! One `#[watch]` call: opened when the function starts, finished with its classified result.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tracing::{Instrument, Span};

use super::context::{CallContext, CALL_CONTEXT};
use crate::span;
use callwatch_core::call::{Attempt, Call};
use callwatch_core::classify::{Outcome, UNKNOWN_MODEL};

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
        let label = model.as_deref().unwrap_or(UNKNOWN_MODEL);
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

    /// Reports the call. Whenever the middleware saw the HTTP exchange, its outcome is the
    /// call's outcome, whatever the function returned: it read the status, headers and body as
    /// the API sent them, while the function's `Ok` may hold the text of a 529 it never
    /// checked, and its `Err` may have lost the status (`error_for_status`, `anyhow`). Only
    /// without an observed exchange does `returned` (what the result itself says) decide.
    pub fn finish(self, returned: Outcome) {
        let seen = self.context.seen();
        let outcome = seen.outcome.unwrap_or(returned);
        let attempts = seen.attempts.max(1);
        let futile_retries = if outcome.class.is_error() {
            seen.futile_retries
        } else {
            0
        };
        let model = self
            .model
            .or(seen.model)
            .unwrap_or_else(|| UNKNOWN_MODEL.to_owned());
        let key_id = seen.key_id.unwrap_or_default();
        let (server_address, server_port) = seen.server.unwrap_or_default();
        span::record_request(&self.span, &server_address, server_port, &key_id);
        span::record_outcome(&self.span, &outcome, attempts);
        if let Some(observer) = crate::observer::current(seen.observer.as_ref()) {
            if seen.attempts == 0 {
                // No middleware saw the exchange (another client, or none): the function's
                // result is the one attempt anyone knows of. (With the middleware, it has
                // reported each attempt as it ended.)
                observer.observe_attempt(&Attempt {
                    operation: self.operation,
                    model: &model,
                    key_id: &key_id,
                    outcome: &outcome,
                    number: 1,
                    latency: self.started.elapsed(),
                    server_address: &server_address,
                    server_port,
                });
            }
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
