//! The task-local context of a `#[watch]` call: the middleware adds each HTTP call's attempts,
//! waits and final outcome to it instead of reporting a call of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::middleware::request::{RequestInfo, UNKNOWN_MODEL};
use crate::retry::AttemptSummary;
use callwatch_core::classify::Outcome;

tokio::task_local! {
    /// Set by `#[watch]` for the duration of the watched function.
    #[doc(hidden)]
    pub static CALL_CONTEXT: Arc<CallContext>;
}

pub(crate) fn current_context() -> Option<Arc<CallContext>> {
    CALL_CONTEXT.try_with(Arc::clone).ok()
}

/// What the middleware saw inside one watched call.
#[derive(Debug, Default)]
pub struct CallContext {
    state: Mutex<Seen>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub http_calls: u32,
    pub attempts: u32,
    pub retry_wait: Duration,
    pub futile_retries: u32,
    pub outcome: Option<Outcome>,
    pub model: Option<String>,
    pub key_id: Option<String>,
    pub server: Option<(String, u16)>,
}

impl CallContext {
    pub(crate) fn absorb(&self, info: &RequestInfo, summary: AttemptSummary, outcome: &Outcome) {
        let mut seen = self.state.lock().unwrap_or_else(|p| p.into_inner());
        seen.http_calls += 1;
        seen.attempts = seen.attempts.saturating_add(summary.attempts);
        seen.retry_wait += summary.retry_wait;
        seen.futile_retries = seen.futile_retries.saturating_add(summary.futile_retries);
        seen.outcome = Some(outcome.clone());
        if info.model != UNKNOWN_MODEL {
            seen.model = Some(info.model.clone());
        }
        if !info.key_id.is_empty() {
            seen.key_id = Some(info.key_id.clone());
        }
        seen.server = Some((info.server_address.clone(), info.server_port));
    }

    pub(crate) fn seen(&self) -> Seen {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
