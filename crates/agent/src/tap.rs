//! Hands every finished call from the application's threads to the agent's engine task as an
//! event line. The queue is bounded: when the engine falls behind, calls are counted as
//! dropped (and said so) instead of growing memory or blocking the caller.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::Clock;
use callwatch_core::call::{Attempt, Call, CallObserver};
use callwatch_core::event::{CallEvent, Event};

/// What the tap queues for the engine task: a line of the event log (a finished call, a key
/// rotation), or an attempt that just ended, which only the rules engine hears of (the event
/// log keeps calls only, its contract).
#[derive(Debug)]
pub enum Tapped {
    Event(Event<'static>),
    /// The attempt as its call would look had it ended there (`attempts` = its number).
    Attempt(CallEvent<'static>),
}

pub struct EventTap {
    tx: mpsc::Sender<Tapped>,
    clock: Clock,
    dropped: AtomicU64,
    /// Calls the engine itself refused (series limit), as last reported by the engine task.
    engine_refused: AtomicU64,
}

impl EventTap {
    pub fn new(capacity: usize, clock: Clock) -> (EventTap, mpsc::Receiver<Tapped>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            EventTap {
                tx,
                clock,
                dropped: AtomicU64::new(0),
                engine_refused: AtomicU64::new(0),
            },
            rx,
        )
    }

    /// Calls dropped because the engine's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Calls the engine did not evaluate because of its series limit (a running total).
    pub fn engine_refused(&self) -> u64 {
        self.engine_refused.load(Ordering::Relaxed)
    }

    pub(super) fn set_engine_refused(&self, total: u64) {
        self.engine_refused.store(total, Ordering::Relaxed);
    }

    /// Queues an explicit event (a key rotation announced by an operator, say).
    pub fn send(&self, event: Event<'static>) {
        if self.tx.try_send(Tapped::Event(event)).is_err() {
            self.count_drop();
        }
    }

    fn count_drop(&self) {
        let before = self.dropped.fetch_add(1, Ordering::Relaxed);
        if before.is_power_of_two() || before == 0 {
            tracing::warn!(
                dropped = before + 1,
                "callwatch: rules engine queue full, calls dropped from alerting and from the event log (metrics still count them)"
            );
        }
    }
}

/// The event line for a finished call, stamped with the agent's clock.
pub fn call_event(call: &Call<'_>, clock: &Clock) -> CallEvent<'static> {
    let outcome = call.outcome;
    let owned = |s: &str| (!s.is_empty()).then(|| Cow::Owned(s.to_owned()));
    CallEvent {
        ts: clock.now(),
        status: outcome.status,
        error_type: outcome.error_type.clone().map(Cow::Owned),
        // The live classifier saw headers and details the event line cannot carry (a spend-cap
        // code, say): keep its verdict rather than re-deriving it.
        class: outcome.class,
        attempts: call.attempts.max(1),
        latency_ms: Some(call.latency.as_secs_f64() * 1000.0),
        model: owned(call.model),
        operation: owned(call.operation),
        key_id: owned(call.key_id),
        request_id: outcome.request_id.clone().map(Cow::Owned),
        message: outcome.message.clone().map(Cow::Owned),
        provider: outcome.provider,
        usage: outcome.usage,
        ttft_ms: outcome
            .stream
            .as_ref()
            .and_then(|s| s.time_to_first_chunk)
            .map(|d| d.as_secs_f64() * 1000.0),
        stream: outcome.stream.as_ref().map(|_| true),
        ratelimit: (!outcome.rate_limit.is_empty()).then_some(outcome.rate_limit),
    }
}

/// The engine's view of an attempt: the call as it would look had it ended with this attempt.
pub fn attempt_event(attempt: &Attempt<'_>, clock: &Clock) -> CallEvent<'static> {
    call_event(
        &Call {
            operation: attempt.operation,
            model: attempt.model,
            key_id: attempt.key_id,
            outcome: attempt.outcome,
            attempts: attempt.number,
            latency: attempt.latency,
            retry_wait: std::time::Duration::ZERO,
            futile_retries: 0,
            server_address: attempt.server_address,
            server_port: attempt.server_port,
        },
        clock,
    )
}

impl CallObserver for EventTap {
    fn observe(&self, call: &Call<'_>) {
        let event = Event::Call(call_event(call, &self.clock));
        if self.tx.try_send(Tapped::Event(event)).is_err() {
            self.count_drop();
        }
    }

    fn observe_attempt(&self, attempt: &Attempt<'_>) {
        let event = attempt_event(attempt, &self.clock);
        if self.tx.try_send(Tapped::Attempt(event)).is_err() {
            self.count_drop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::classify::{Class, Outcome, Provider};
    use std::time::Duration;

    #[test]
    fn the_event_line_names_the_provider_the_call_went_to() {
        let mut outcome = Outcome::bare(Some(429), Some("ThrottlingException"), Class::RateLimit);
        outcome.provider = Provider::Bedrock;
        let call = Call {
            operation: "chat",
            model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
            key_id: "k-1",
            outcome: &outcome,
            attempts: 1,
            latency: Duration::from_millis(40),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "bedrock-runtime.us-east-1.amazonaws.com",
            server_port: 443,
        };
        let event = call_event(&call, &Clock::system());
        assert_eq!(event.provider, Provider::Bedrock);
        assert!(
            event.to_line().contains(r#""provider":"aws.bedrock""#),
            "{}",
            event.to_line()
        );
        let mut anthropic = outcome.clone();
        anthropic.provider = Provider::Anthropic;
        let call = Call {
            outcome: &anthropic,
            ..call
        };
        assert!(!call_event(&call, &Clock::system())
            .to_line()
            .contains("provider"));
    }
}
