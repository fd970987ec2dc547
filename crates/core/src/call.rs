//! One finished logical call, as every instrumentation path (the `#[watch]` macro, the reqwest
//! middleware, the proxy) hands it over, and the observer trait that receives it. The recorder
//! is one observer; the agent's rules engine tap is another.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::attempts::AttemptRecord;
use crate::classify::Outcome;
use crate::trace_parent::TraceParent;

/// A finished logical call (all its attempts). Borrowed so handing it over allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// `gen_ai.operation.name` (`chat` for the Messages API).
    pub operation: &'a str,
    /// Requested model (the response's model is in `outcome.response_model`).
    pub model: &'a str,
    /// Key fingerprint ([`crate::classify::key_id`]), or "" when unknown.
    pub key_id: &'a str,
    /// The final attempt's outcome.
    pub outcome: &'a Outcome,
    /// Attempts made (1 = no retry).
    pub attempts: u32,
    /// Wall time of the whole call, retries and waits included.
    pub latency: Duration,
    /// Total time spent waiting between attempts.
    pub retry_wait: Duration,
    /// Retries that could not help (made, and the call still failed).
    pub futile_retries: u32,
    /// `server.address` / `server.port` of the API.
    pub server_address: &'a str,
    /// See `server_address`.
    pub server_port: u16,
}

/// One HTTP attempt of a logical call, handed over the moment it ends (before any retry), so
/// pressure that a retry later absorbs (a 429, a 529) is still counted. The call it belongs to
/// is reported separately, once, when it ends.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// `gen_ai.operation.name` of the call.
    pub operation: &'a str,
    /// Requested model.
    pub model: &'a str,
    /// Key fingerprint, or "" when unknown.
    pub key_id: &'a str,
    /// How this attempt ended (for a stream: once the stream ended).
    pub outcome: &'a Outcome,
    /// 1 for the first attempt (`http.request.resend_count` is `number - 1`).
    pub number: u32,
    /// From sending the request to the end of this attempt's response.
    pub latency: Duration,
    /// `server.address` / `server.port` of the API.
    pub server_address: &'a str,
    /// See `server_address`.
    pub server_port: u16,
}

/// Receives every finished call. Implementations must be cheap and must not block: they run on
/// the application's hot path.
pub trait CallObserver: Send + Sync {
    /// Takes one finished call.
    fn observe(&self, call: &Call<'_>);

    /// Takes one finished attempt (every attempt, the last one included). The default ignores
    /// it, so an observer that only wants calls implements nothing more.
    fn observe_attempt(&self, attempt: &Attempt<'_>) {
        let _ = attempt;
    }
}

static GLOBAL: OnceLock<Arc<dyn CallObserver>> = OnceLock::new();

/// Installs the process-wide observer the macro and middleware report to when none is given
/// explicitly. Returns `false` (and changes nothing) if one was already installed.
pub fn set_global_observer(observer: Arc<dyn CallObserver>) -> bool {
    GLOBAL.set(observer).is_ok()
}

/// The process-wide observer, if one was installed.
pub fn global_observer() -> Option<&'static Arc<dyn CallObserver>> {
    GLOBAL.get()
}

/// Sends a call to several observers (the recorder and the agent's tap, say).
pub struct Fanout(pub Vec<Arc<dyn CallObserver>>);

impl CallObserver for Fanout {
    fn observe(&self, call: &Call<'_>) {
        for observer in &self.0 {
            observer.observe(call);
        }
    }

    fn observe_attempt(&self, attempt: &Attempt<'_>) {
        for observer in &self.0 {
            observer.observe_attempt(attempt);
        }
    }
}

/// A finished call as a span needs it: when it started and ended on the wall clock, and what
/// each attempt did. A [`CallObserver`] is told neither (the hot path has no use for them);
/// the proxy, which learns a call's times only when the call ends, hands it to a
/// [`CallSpanSink`] to become a span.
pub struct TimedCall<'a> {
    /// The call, as observers get it.
    pub call: &'a Call<'a>,
    /// When its first attempt was sent.
    pub started: SystemTime,
    /// When its last attempt ended.
    pub ended: SystemTime,
    /// Every attempt seen, in order.
    pub attempts: &'a [AttemptRecord],
    /// The trace the call's first request said it belongs to (`traceparent`), if any.
    pub parent: Option<TraceParent>,
}

impl TimedCall<'_> {
    /// When each attempt was sent and ended: the first at [`TimedCall::started`], each next
    /// one after the wait before it.
    pub fn attempt_times(&self) -> Vec<(SystemTime, SystemTime)> {
        let mut sent = self.started;
        let mut times = Vec::with_capacity(self.attempts.len());
        // Checked: a clock near the end of `SystemTime`'s range must not panic (it only stops).
        let after = |t: SystemTime, d: Duration| t.checked_add(d).unwrap_or(t);
        for (i, attempt) in self.attempts.iter().enumerate() {
            if i > 0 {
                sent = after(sent, attempt.wait_before);
            }
            let ended = after(sent, attempt.latency);
            times.push((sent, ended));
            sent = ended;
        }
        times
    }
}

/// Receives each finished call with its times, to make a span of it (see [`TimedCall`]).
pub trait CallSpanSink: Send + Sync {
    /// Takes one finished call.
    fn call_ended(&self, call: &TimedCall<'_>);
}
