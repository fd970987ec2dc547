//! Which observer a finished call goes to: the one scoped to the running task
//! ([`with_observer`], for tests and for apps that keep several recorders), else the
//! process-wide one ([`set_global_observer`], which [`crate::init`] installs).

use std::future::Future;
use std::sync::Arc;

use callwatch_core::call::CallObserver;

tokio::task_local! {
    static SCOPED: Arc<dyn CallObserver>;
}

/// Runs `future` with every call it makes (through the macro or the middleware) reported to
/// `observer` instead of the global one. Scopes nest; the innermost wins.
///
/// ```
/// # async fn demo() {
/// let recorder = callwatch::Recorder::new();
/// callwatch::with_observer(std::sync::Arc::new(recorder.clone()), async {
///     // calls made here are recorded by `recorder` only
/// })
/// .await;
/// # }
/// ```
pub async fn with_observer<F: Future>(observer: Arc<dyn CallObserver>, future: F) -> F::Output {
    SCOPED.scope(observer, future).await
}

/// The observer a call finishing now reports to: the task's scoped one, else `preferred` (an
/// observer given to the middleware), else the global one.
pub(crate) fn current(preferred: Option<&Arc<dyn CallObserver>>) -> Option<Arc<dyn CallObserver>> {
    SCOPED
        .try_with(Arc::clone)
        .ok()
        .or_else(|| preferred.cloned())
        .or_else(|| callwatch_core::call::global_observer().cloned())
}

/// Installs the process-wide observer the macro and middleware report to when no scoped or
/// explicit one applies. [`crate::init`] calls it; call it yourself only without `init`.
///
/// # Errors
/// [`ObserverAlreadySet`] if one was installed before (the first one stays).
pub fn set_global_observer(observer: Arc<dyn CallObserver>) -> Result<(), ObserverAlreadySet> {
    if callwatch_core::call::set_global_observer(observer) {
        Ok(())
    } else {
        Err(ObserverAlreadySet)
    }
}

/// A global observer was already installed (by an earlier [`set_global_observer`] or
/// [`crate::init`]); the new one was not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a global callwatch observer is already installed (callwatch::init() or set_global_observer() ran before)")]
#[non_exhaustive]
pub struct ObserverAlreadySet;
