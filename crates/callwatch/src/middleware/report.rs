//! Hands one finished logical call to the observer and writes its result onto the span.

use std::sync::Arc;
use std::time::Instant;

use tracing::Span;

use super::request::RequestInfo;
use crate::retry::AttemptLog;
use crate::watched::CallContext;
use callwatch_core::call::{Call, CallObserver};
use callwatch_core::classify::Outcome;
use callwatch_core::names;

/// Everything needed to report a call once its last attempt (or its stream) ends.
pub(crate) struct PendingCall {
    pub operation: Arc<str>,
    pub info: RequestInfo,
    pub observer: Option<Arc<dyn CallObserver>>,
    pub log: AttemptLog,
    pub started: Instant,
    pub span: Span,
    /// The `#[watch]` call this HTTP call belongs to, if any.
    pub context: Option<Arc<CallContext>>,
}

impl PendingCall {
    pub fn finish(mut self, outcome: &Outcome) {
        self.log.settle_last(outcome);
        let summary = self.log.summary();
        if let Some(context) = &self.context {
            context.absorb(&self.info, summary, outcome);
            return;
        }
        super::span::record_outcome(&self.span, outcome, summary.attempts);
        let Some(observer) = self
            .observer
            .as_ref()
            .or(callwatch_core::call::global_observer())
        else {
            return;
        };
        observer.observe(&Call {
            operation: &self.operation,
            model: &self.info.model,
            key_id: &self.info.key_id,
            outcome,
            attempts: summary.attempts,
            latency: self.started.elapsed(),
            retry_wait: summary.retry_wait,
            futile_retries: summary.futile_retries,
            server_address: &self.info.server_address,
            server_port: self.info.server_port,
        });
    }
}

/// `error.type` as the conventions want it: empty on success, the API's type, else the status,
/// else `_OTHER`.
pub(crate) fn error_type(outcome: &Outcome) -> String {
    if outcome.is_success() {
        return String::new();
    }
    match (&outcome.error_type, outcome.status) {
        (Some(kind), _) => kind.clone(),
        (None, Some(status)) => status.to_string(),
        (None, None) => names::ERROR_TYPE_OTHER.to_owned(),
    }
}
