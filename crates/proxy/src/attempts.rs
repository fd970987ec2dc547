//! Attributes the attempts the proxy sees to logical calls. The official SDKs retry on their
//! own and number each attempt in `x-stainless-retry-count`; the proxy sees each attempt as a
//! separate request. An attempt that failed retryably is held open for a grace period in case
//! the next attempt (count + 1, same key, model and path) arrives; otherwise the call ends
//! with it. Successes and non-retryable failures end the call at once. Every attempt is also
//! reported on its own the moment it ends, so the rate-limit and overload pressure that a
//! retry absorbs is counted without waiting for the call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use callwatch_core::attempts::AttemptLog;
use callwatch_core::call::{Attempt, Call, CallObserver, CallSpanSink, TimedCall};
use callwatch_core::classify::Outcome;
use callwatch_core::trace_parent::TraceParent;

/// How long a retryable failure waits for the SDK's next attempt beyond its `retry-after`.
/// The SDKs back off at most 8 s between attempts by default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
/// Bound on held-open calls: past it the oldest are finished early rather than growing.
const MAX_PENDING: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ChainKey {
    key_id: String,
    model: String,
    path: String,
}

/// A logical call still open.
struct Open {
    first_start: Instant,
    last_end: Instant,
    log: AttemptLog,
    next_retry_count: u32,
    deadline: Instant,
    /// The trace the first attempt seen carried.
    parent: Option<TraceParent>,
}

/// What the tracker hands back when an attempt begins: where it belongs.
pub struct AttemptStart {
    key: ChainKey,
    open: Option<Open>,
    retry_count: u32,
    started: Instant,
    parent: Option<TraceParent>,
}

impl AttemptStart {
    /// When the request arrived (and went upstream): a stream's time to first chunk runs
    /// from here.
    pub fn started(&self) -> Instant {
        self.started
    }
}

pub struct AttemptTracker {
    pending: Mutex<HashMap<ChainKey, Vec<Open>>>,
    observer: Arc<dyn CallObserver>,
    /// Where finished calls become spans, when traces are exported.
    spans: Option<Arc<dyn CallSpanSink>>,
    grace: Duration,
    server_address: String,
    server_port: u16,
}

impl AttemptTracker {
    pub fn new(observer: Arc<dyn CallObserver>, server_address: String, server_port: u16) -> Self {
        AttemptTracker {
            pending: Mutex::new(HashMap::new()),
            observer,
            spans: None,
            grace: DEFAULT_GRACE,
            server_address,
            server_port,
        }
    }

    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Also makes each finished call a span.
    pub fn with_spans(mut self, spans: Option<Arc<dyn CallSpanSink>>) -> Self {
        self.spans = spans;
        self
    }

    /// Called when a request arrives: joins the open call it continues, if any.
    /// `parent`: the request's `traceparent`, which the call's span joins.
    pub fn begin(
        &self,
        key_id: &str,
        model: &str,
        path: &str,
        retry_count: u32,
        parent: Option<TraceParent>,
    ) -> AttemptStart {
        let key = ChainKey {
            key_id: key_id.to_owned(),
            model: model.to_owned(),
            path: path.to_owned(),
        };
        let open = if retry_count > 0 {
            let mut pending = self.lock();
            let chain = pending.get_mut(&key);
            let found = chain
                .as_ref()
                .and_then(|c| c.iter().position(|o| o.next_retry_count == retry_count));
            let taken = match (chain, found) {
                (Some(c), Some(i)) => Some(c.swap_remove(i)),
                _ => None,
            };
            if pending.get(&key).is_some_and(Vec::is_empty) {
                pending.remove(&key);
            }
            taken
        } else {
            None
        };
        AttemptStart {
            key,
            open,
            retry_count,
            started: Instant::now(),
            parent,
        }
    }

    /// Called when an attempt's response (or failure) is complete. The attempt is reported at
    /// once; only the logical call waits for the SDK's next attempt.
    pub fn end(&self, start: AttemptStart, outcome: Outcome) {
        let now = Instant::now();
        self.observer.observe_attempt(&Attempt {
            operation: callwatch_core::names::OPERATION_CHAT,
            model: &start.key.model,
            key_id: &start.key.key_id,
            outcome: &outcome,
            number: start.retry_count.saturating_add(1),
            latency: now.saturating_duration_since(start.started),
            server_address: &self.server_address,
            server_port: self.server_port,
        });
        let mut open = start.open.unwrap_or_else(|| {
            let mut log = AttemptLog::default();
            // A continuation whose earlier attempts we never saw still made them.
            log.record_unseen(start.retry_count);
            Open {
                first_start: start.started,
                last_end: start.started,
                log,
                next_retry_count: 0,
                deadline: now,
                parent: start.parent,
            }
        });
        let wait_before = if open.log.attempts().is_empty() {
            Duration::ZERO
        } else {
            start.started.saturating_duration_since(open.last_end)
        };
        open.log.record(
            &outcome,
            now.saturating_duration_since(start.started),
            wait_before,
        );
        open.last_end = now;
        open.next_retry_count = start.retry_count + 1;
        let hold = sdk_may_retry(&outcome);
        let wait = outcome
            .retry_after
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(60));
        open.deadline = now + wait + self.grace;
        if hold {
            let evicted = {
                let mut pending = self.lock();
                pending.entry(start.key.clone()).or_default().push(open);
                evict_oldest_over(&mut pending, MAX_PENDING)
            };
            for (key, open) in evicted {
                self.finish(&key, open);
            }
        } else {
            self.finish(&start.key, open);
        }
    }

    /// Finishes calls whose grace period ran out. Call about once a second.
    pub fn sweep(&self, now: Instant) {
        let expired: Vec<(ChainKey, Open)> = {
            let mut pending = self.lock();
            let mut out = Vec::new();
            pending.retain(|key, chain| {
                let mut i = 0;
                while i < chain.len() {
                    if chain[i].deadline <= now {
                        out.push((key.clone(), chain.swap_remove(i)));
                    } else {
                        i += 1;
                    }
                }
                !chain.is_empty()
            });
            out
        };
        for (key, open) in expired {
            self.finish(&key, open);
        }
    }

    /// Finishes every open call (shutdown).
    pub fn drain(&self) {
        let all: Vec<(ChainKey, Open)> = {
            let mut pending = self.lock();
            pending
                .drain()
                .flat_map(|(k, chain)| chain.into_iter().map(move |o| (k.clone(), o)))
                .collect()
        };
        for (key, open) in all {
            self.finish(&key, open);
        }
    }

    pub fn open_calls(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    fn finish(&self, key: &ChainKey, open: Open) {
        let Some(outcome) = open.log.last_outcome() else {
            return;
        };
        let summary = open.log.summary();
        let call = Call {
            operation: callwatch_core::names::OPERATION_CHAT,
            model: &key.model,
            key_id: &key.key_id,
            outcome,
            attempts: summary.attempts,
            latency: open.last_end.saturating_duration_since(open.first_start),
            retry_wait: summary.retry_wait,
            futile_retries: summary.futile_retries,
            server_address: &self.server_address,
            server_port: self.server_port,
        };
        self.observer.observe(&call);
        if let Some(spans) = &self.spans {
            // The call may end a grace period after its last attempt: its times are the
            // attempts', carried from the monotonic clock to the wall clock once, here.
            let (now, wall) = (Instant::now(), SystemTime::now());
            let wall_at = |at: Instant| {
                wall.checked_sub(now.saturating_duration_since(at))
                    .unwrap_or(wall)
            };
            spans.call_ended(&TimedCall {
                call: &call,
                started: wall_at(open.first_start),
                ended: wall_at(open.last_end),
                attempts: open.log.attempts(),
                parent: open.parent,
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ChainKey, Vec<Open>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the official SDKs retry this answer: `x-should-retry` when sent, else 408, 409,
/// 429, 5xx and transport failures — by status, not by our class, so a spend-cap 429 (billing,
/// never worth retrying) is still held open for the retries an SDK will make of it anyway.
fn sdk_may_retry(outcome: &Outcome) -> bool {
    if outcome.is_success() {
        return false;
    }
    if let Some(decided) = outcome.should_retry {
        return decided;
    }
    match outcome.status {
        None => true,
        Some(status) => matches!(status, 408 | 409 | 429) || status >= 500,
    }
}

fn evict_oldest_over(
    pending: &mut HashMap<ChainKey, Vec<Open>>,
    bound: usize,
) -> Vec<(ChainKey, Open)> {
    let total: usize = pending.values().map(Vec::len).sum();
    if total <= bound {
        return Vec::new();
    }
    let oldest = pending
        .iter()
        .flat_map(|(k, c)| {
            c.iter()
                .enumerate()
                .map(move |(i, o)| (o.deadline, k.clone(), i))
        })
        .min_by_key(|(deadline, _, _)| *deadline);
    let Some((_, key, i)) = oldest else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(chain) = pending.get_mut(&key) {
        out.push((key.clone(), chain.swap_remove(i)));
        if chain.is_empty() {
            pending.remove(&key);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::classify::Class;

    #[derive(Default)]
    struct Collect(
        Mutex<Vec<(u32, Option<u16>, String)>>,
        Mutex<Vec<(u32, Option<u16>)>>,
    );

    impl CallObserver for Collect {
        fn observe(&self, call: &Call<'_>) {
            self.0.lock().unwrap().push((
                call.attempts,
                call.outcome.status,
                call.model.to_owned(),
            ));
        }

        fn observe_attempt(&self, attempt: &Attempt<'_>) {
            self.1
                .lock()
                .unwrap()
                .push((attempt.number, attempt.outcome.status));
        }
    }

    fn outcome(status: u16, class: Class) -> Outcome {
        Outcome::bare(Some(status), None, class)
    }

    #[test]
    fn sdk_retries_join_one_logical_call() {
        let seen = Arc::new(Collect::default());
        let tracker = AttemptTracker::new(seen.clone(), "api".into(), 443);
        let a = tracker.begin("k-1", "m", "/v1/messages", 0, None);
        tracker.end(a, outcome(529, Class::Overloaded));
        let b = tracker.begin("k-1", "m", "/v1/messages", 1, None);
        tracker.end(b, outcome(529, Class::Overloaded));
        let c = tracker.begin("k-1", "m", "/v1/messages", 2, None);
        tracker.end(c, outcome(200, Class::Success));
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![(3, Some(200), "m".to_owned())]
        );
        assert_eq!(tracker.open_calls(), 0);
        assert_eq!(
            *seen.1.lock().unwrap(),
            vec![(1, Some(529)), (2, Some(529)), (3, Some(200))],
            "every attempt, reported as it ended"
        );
    }

    #[test]
    fn an_unanswered_retryable_failure_ends_after_grace() {
        let seen = Arc::new(Collect::default());
        let tracker =
            AttemptTracker::new(seen.clone(), "api".into(), 443).with_grace(Duration::ZERO);
        let a = tracker.begin("k-1", "m", "/v1/messages", 0, None);
        tracker.end(a, outcome(500, Class::Server));
        assert!(seen.0.lock().unwrap().is_empty());
        assert_eq!(
            *seen.1.lock().unwrap(),
            vec![(1, Some(500))],
            "the attempt does not wait for the grace period"
        );
        tracker.sweep(Instant::now() + Duration::from_millis(1));
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![(1, Some(500), "m".to_owned())]
        );
    }

    #[test]
    fn sdk_retries_of_a_spend_cap_429_stay_one_call() {
        let seen = Arc::new(Collect::default());
        let tracker = AttemptTracker::new(seen.clone(), "api".into(), 443);
        for n in 0..3 {
            let a = tracker.begin("k-1", "m", "/v1/messages", n, None);
            tracker.end(a, outcome(429, Class::Billing));
        }
        assert!(
            seen.0.lock().unwrap().is_empty(),
            "held open for a possible retry"
        );
        tracker.drain();
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![(3, Some(429), "m".to_owned())]
        );
    }

    #[test]
    fn non_retryable_failure_ends_at_once() {
        let seen = Arc::new(Collect::default());
        let tracker = AttemptTracker::new(seen.clone(), "api".into(), 443);
        let a = tracker.begin("k-1", "m", "/v1/messages", 0, None);
        tracker.end(a, outcome(401, Class::Auth));
        assert_eq!(seen.0.lock().unwrap().len(), 1);
    }
}
