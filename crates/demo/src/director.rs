//! Plays the timeline: as event time passes it flips the mock API's behaviour and the fleet's
//! orders, and announces each phase. It never talks to the rules engine about incidents.

use std::borrow::Cow;
use std::time::Duration;

use tokio::sync::watch;

use super::credit_story::{LOOP_TOKENS, TOP_UP_USD, WORKER_KEY, WORKER_TOKENS};
use super::fleet::{Orders, ORIGINAL_KEY, ROTATED_KEY};
use super::timeline::{phase_at, Conditions, KeyState, Phase};
use callwatch_agent::Clock;
use callwatch_core::event::{CreditBalance, Event, KeyRotation};
use callwatch_mock::{Behavior, Failure, MockClaude};

/// Typical generation time the mock API takes at the default speed (spread around it, with a
/// tail). Faster demos compress it too, so calls in flight stay bounded.
pub const API_LATENCY: Duration = Duration::from_millis(250);
/// The default `--speed`, at which the mock answers in [`API_LATENCY`].
pub const DEFAULT_SPEED: f64 = 60.0;

pub fn behavior_for(conditions: &Conditions, speed: f64) -> Behavior {
    let latency = API_LATENCY
        .mul_f64((DEFAULT_SPEED / speed.max(1.0)).min(1.0))
        .max(Duration::from_millis(2));
    let mut behavior = Behavior::healthy()
        .latency(latency)
        .with_failure(Failure::ServerError, conditions.server_error_rate)
        .with_failure(Failure::Overloaded, conditions.overloaded_rate)
        .with_failure(Failure::RateLimited, conditions.rate_limit_rate)
        .billing(conditions.out_of_credits);
    behavior.latency_spread = true;
    // The agent worker's key is its own: the rotation does not touch it.
    let behavior = match conditions.keys {
        KeyState::Original => behavior.accept_keys([ORIGINAL_KEY, WORKER_KEY]),
        // The old key was revoked when the new one was issued.
        KeyState::HalfRolled | KeyState::Rotated => behavior.accept_keys([ROTATED_KEY, WORKER_KEY]),
    };
    let worker_tokens = if conditions.runaway_loop {
        LOOP_TOKENS
    } else {
        WORKER_TOKENS
    };
    behavior.usage_for_key(WORKER_KEY, worker_tokens)
}

/// Announces phases: called with each new phase.
pub type PhaseHook<'a> = &'a mut dyn FnMut(&Phase, Duration);

pub struct Director<'a> {
    pub phases: Vec<Phase>,
    pub clock: Clock,
    pub mock: &'a MockClaude,
    pub orders: watch::Sender<Orders>,
    /// Sends explicit events (the operator's key rotation) to the agent.
    pub announce: &'a dyn Fn(Event<'static>),
}

impl Director<'_> {
    /// Applies the phase in force now; returns its index.
    pub fn step(&self, current: Option<usize>, on_phase: PhaseHook<'_>) -> usize {
        let elapsed = self.clock.elapsed();
        let (phase, progress) = phase_at(&self.phases, elapsed);
        let index = self
            .phases
            .iter()
            .position(|p| p.starts == phase.starts)
            .unwrap_or(0);
        if current != Some(index) {
            self.mock
                .set_behavior(behavior_for(&phase.conditions, self.clock.speed()));
            let was = current.map(|i| self.phases[i].conditions.keys);
            if phase.conditions.keys == KeyState::HalfRolled && was == Some(KeyState::Original) {
                (self.announce)(Event::KeyRotated(KeyRotation {
                    ts: self.clock.now(),
                    key_id: Cow::Owned(callwatch_core::classify::key_id(ROTATED_KEY)),
                }));
            }
            // The operator tops the credits up once the outage is noticed; the rules count
            // down from the new balance.
            let was_out = current.is_some_and(|i| self.phases[i].conditions.out_of_credits);
            if was_out && !phase.conditions.out_of_credits {
                (self.announce)(Event::CreditBalance(CreditBalance {
                    ts: self.clock.now(),
                    balance_usd: TOP_UP_USD,
                }));
            }
            on_phase(phase, elapsed);
        }
        let _ = self.orders.send(Orders {
            conditions: phase.conditions.clone(),
            progress,
        });
        index
    }
}
