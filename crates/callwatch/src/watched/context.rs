//! The task-local context of a `#[watch]` call: the middleware adds each HTTP exchange's
//! attempts, waits and final outcome to it instead of reporting a call of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use callwatch_core::call::CallObserver;
use callwatch_core::classify::{Outcome, UNKNOWN_MODEL};

tokio::task_local! {
    /// Set by `#[watch]` for the duration of the watched function.
    #[doc(hidden)]
    pub static CALL_CONTEXT: Arc<CallContext>;
}

#[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
pub(crate) fn current_context() -> Option<Arc<CallContext>> {
    CALL_CONTEXT.try_with(Arc::clone).ok()
}

/// What the middleware saw inside one watched call.
#[derive(Default)]
#[doc(hidden)]
pub struct CallContext {
    state: Mutex<Seen>,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext").finish_non_exhaustive()
    }
}

/// One HTTP exchange (all its attempts) as the middleware saw it.
#[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
pub(crate) struct Exchange<'a> {
    pub outcome: &'a Outcome,
    pub attempts: u32,
    pub retry_wait: Duration,
    pub futile_retries: u32,
    pub model: &'a str,
    pub key_id: &'a str,
    pub server: (&'a str, u16),
    pub observer: Option<&'a Arc<dyn CallObserver>>,
}

#[derive(Clone, Default)]
pub(crate) struct Seen {
    pub attempts: u32,
    pub retry_wait: Duration,
    pub futile_retries: u32,
    pub outcome: Option<Outcome>,
    pub model: Option<String>,
    pub key_id: Option<String>,
    pub server: Option<(String, u16)>,
    /// The observer the middleware was configured with, so the macro reports where the app
    /// said calls go.
    pub observer: Option<Arc<dyn CallObserver>>,
}

impl CallContext {
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn absorb(&self, exchange: Exchange<'_>) {
        let mut seen = self.state.lock().unwrap_or_else(|p| p.into_inner());
        seen.attempts = seen.attempts.saturating_add(exchange.attempts);
        seen.retry_wait += exchange.retry_wait;
        seen.futile_retries = seen.futile_retries.saturating_add(exchange.futile_retries);
        seen.outcome = Some(exchange.outcome.clone());
        if exchange.model != UNKNOWN_MODEL {
            seen.model = Some(exchange.model.to_owned());
        }
        if !exchange.key_id.is_empty() {
            seen.key_id = Some(exchange.key_id.to_owned());
        }
        seen.server = Some((exchange.server.0.to_owned(), exchange.server.1));
        if let Some(observer) = exchange.observer {
            seen.observer = Some(observer.clone());
        }
    }

    pub(crate) fn seen(&self) -> Seen {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
