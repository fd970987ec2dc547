//! One logical call: every attempt the client makes for one `send()`. A retry layer stacked
//! outside the middleware (callwatch's [`Retry`](crate::Retry), reqwest-retry, your own) runs
//! the inner middlewares again with the same request `Extensions`, so the first attempt puts a
//! [`CallHandle`] there and later attempts find it. The call is reported when the last handle
//! drops: after the last attempt (the `Extensions` die when `send()` returns) or, for a body
//! still being read, when that body ends.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::Span;

use super::request::RequestInfo;
use crate::span;
use crate::watched::{CallContext, Exchange};
use callwatch_core::attempts::AttemptLog;
use callwatch_core::call::{Attempt, Call, CallObserver};
use callwatch_core::classify::{redact_owned, Outcome};
use callwatch_core::names;

/// Shared by every attempt of one logical call and by the body watchers of its response.
#[derive(Clone)]
pub(crate) struct CallHandle(Arc<LogicalCall>);

pub(crate) struct LogicalCall {
    operation: Arc<str>,
    info: RequestInfo,
    observer: Option<Arc<dyn CallObserver>>,
    started: Instant,
    span: Span,
    /// The `#[watch]` call this HTTP call belongs to, if any.
    context: Option<Arc<CallContext>>,
    /// The request's own key, only to redact it from messages the API echoes back (whatever
    /// its shape); never stored beyond the call, never shown.
    own_key: Option<String>,
    attempts: Mutex<Attempts>,
}

#[derive(Default)]
struct Attempts {
    log: AttemptLog,
    /// When the previous attempt ended: the gap to the next one is the retry wait, whichever
    /// layer slept.
    last_end: Option<Instant>,
    /// When the last attempt was sent, while its body is still watched: the attempt is
    /// reported (see [`CallObserver::observe_attempt`]) once the body says how it ended.
    unsettled: Option<Instant>,
}

/// One attempt in flight: its start and the wait before it.
pub(crate) struct AttemptStart {
    sent: Instant,
    wait_before: Duration,
}

impl AttemptStart {
    /// When the request went out (a stream's time to first chunk runs from here).
    pub fn sent(&self) -> Instant {
        self.sent
    }
}

impl CallHandle {
    pub fn new(
        operation: Arc<str>,
        info: RequestInfo,
        observer: Option<Arc<dyn CallObserver>>,
        span: Span,
        context: Option<Arc<CallContext>>,
        own_key: Option<String>,
    ) -> CallHandle {
        CallHandle(Arc::new(LogicalCall {
            operation,
            info,
            observer,
            started: Instant::now(),
            span,
            context,
            own_key,
            attempts: Mutex::new(Attempts::default()),
        }))
    }

    pub fn span(&self) -> &Span {
        &self.0.span
    }

    /// Where the call goes (from the request path), so each attempt classifies in its shape.
    pub fn provider(&self) -> callwatch_core::classify::Provider {
        self.0.info.facts.provider
    }

    pub fn begin_attempt(&self) -> AttemptStart {
        let sent = Instant::now();
        let attempts = self.0.attempts();
        AttemptStart {
            sent,
            wait_before: attempts
                .last_end
                .map_or(Duration::ZERO, |end| sent.saturating_duration_since(end)),
        }
    }

    /// Records an attempt that ended with `outcome` and reports it at once (see
    /// [`CallHandle::end_attempt_unsettled`] for a body still being watched).
    pub fn end_attempt(&self, start: AttemptStart, outcome: &Outcome) {
        let sent = start.sent;
        let outcome = self.0.redacted(outcome);
        self.record_attempt(start, &outcome);
        self.0.report_attempt(&outcome, sent.elapsed());
    }

    /// Records an attempt whose body is still being watched (a stream): `outcome` is its
    /// status so far; the attempt is reported when [`CallHandle::settle`] says how it ended.
    pub fn end_attempt_unsettled(&self, start: AttemptStart, outcome: &Outcome) {
        let sent = start.sent;
        self.record_attempt(start, &self.0.redacted(outcome));
        self.0.attempts().unsettled = Some(sent);
    }

    /// Logs an attempt whose `outcome` is already redacted.
    fn record_attempt(&self, start: AttemptStart, outcome: &Outcome) {
        let mut attempts = self.0.attempts();
        attempts
            .log
            .record(outcome, start.sent.elapsed(), start.wait_before);
        attempts.last_end = Some(Instant::now());
        let number = attempts.log.attempts().len();
        if let Some(a) = attempts.log.attempts().last() {
            tracing::info!(
                { names::CALLWATCH_ATTEMPT } = number,
                { names::HTTP_RESPONSE_STATUS_CODE } = a.status,
                { names::ERROR_TYPE } = a.error_type.as_deref(),
                { names::CALLWATCH_CLASS } = a.class.as_str(),
                { names::CALLWATCH_RETRY_WAIT_MS } = a.wait_before.as_secs_f64() * 1000.0,
                latency_ms = a.latency.as_secs_f64() * 1000.0,
                "callwatch attempt"
            );
        }
    }

    /// The last attempt's final outcome, once its body said how it ended.
    pub fn settle(&self, outcome: &Outcome) {
        let outcome = self.0.redacted(outcome);
        let sent = {
            let mut attempts = self.0.attempts();
            attempts.log.settle_last(&outcome);
            attempts.unsettled.take()
        };
        if let Some(sent) = sent {
            self.0.report_attempt(&outcome, sent.elapsed());
        }
    }

    /// The last attempt's outcome, for a retry layer deciding whether to try again: classified
    /// from the body, which the retry layer cannot read without consuming it.
    pub fn last_outcome(&self) -> Option<Outcome> {
        self.0.attempts().log.last_outcome().cloned()
    }
}

impl LogicalCall {
    /// `outcome` with the request's own key taken out of its message (the shared redaction
    /// catches key-shaped text; only this call knows its own key's exact text).
    fn redacted(&self, outcome: &Outcome) -> Outcome {
        let mut outcome = outcome.clone();
        outcome.message = outcome
            .message
            .map(|m| redact_owned(m, self.own_key.as_deref()));
        outcome
    }

    /// Hands one ended attempt to the observer at once (not waiting for the logical call), so
    /// a 429 a retry absorbs is counted. Also inside a `#[watch]` fn, which only owns the call.
    fn report_attempt(&self, outcome: &Outcome, latency: Duration) {
        let Some(observer) = crate::observer::current(self.observer.as_ref()) else {
            return;
        };
        let number = self.attempts().log.attempts().len();
        let info = &self.info;
        observer.observe_attempt(&Attempt {
            operation: &self.operation,
            model: &info.facts.model,
            key_id: &info.facts.key_id,
            outcome,
            number: u32::try_from(number).unwrap_or(u32::MAX),
            latency,
            server_address: &info.server_address,
            server_port: info.server_port,
        });
    }

    fn attempts(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.attempts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for LogicalCall {
    fn drop(&mut self) {
        let attempts = self
            .attempts
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(outcome) = attempts.log.last_outcome().cloned() else {
            return; // no attempt ever ran
        };
        let summary = attempts.log.summary();
        let info = &self.info;
        if let Some(context) = &self.context {
            context.absorb(Exchange {
                outcome: &outcome,
                attempts: summary.attempts,
                retry_wait: summary.retry_wait,
                futile_retries: summary.futile_retries,
                model: &info.facts.model,
                key_id: &info.facts.key_id,
                server: (&info.server_address, info.server_port),
                observer: self.observer.as_ref(),
            });
            return;
        }
        span::record_outcome(&self.span, &outcome, summary.attempts);
        let Some(observer) = crate::observer::current(self.observer.as_ref()) else {
            return;
        };
        observer.observe(&Call {
            operation: &self.operation,
            model: &info.facts.model,
            key_id: &info.facts.key_id,
            outcome: &outcome,
            attempts: summary.attempts,
            latency: self.started.elapsed(),
            retry_wait: summary.retry_wait,
            futile_retries: summary.futile_retries,
            server_address: &info.server_address,
            server_port: info.server_port,
        });
    }
}
