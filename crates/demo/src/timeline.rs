//! The demo's scripted incident timeline, in event time. Each phase sets what the fleet sends
//! and what the (mock) API answers; the rules engine is never told about phases — it has to
//! find the incidents in the traffic, as it would in production.

use std::time::Duration;

/// What the world looks like during one phase.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditions {
    /// Share of attempts the API answers with a 500 `api_error` (provider incident).
    pub server_error_rate: f64,
    /// Share of attempts answered 529 `overloaded_error`.
    pub overloaded_rate: f64,
    /// Share of attempts answered 429 `rate_limit_error` (with `retry-after-ms`).
    pub rate_limit_rate: f64,
    /// Share of requests the app sends malformed (a 400 from the API), at phase start and end:
    /// the share ramps linearly between them.
    pub bad_request_rate: (f64, f64),
    /// Credits are exhausted: every call is a billing error.
    pub out_of_credits: bool,
    /// The fleet's agent worker is stuck in a loop: it calls without pause, its context
    /// grown large (see `credit_story`).
    pub runaway_loop: bool,
    /// The key rotation state of the fleet.
    pub keys: KeyState,
}

/// Which keys the fleet's instances use and which the API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Every instance uses the original key.
    Original,
    /// The key was rotated (old key revoked) but only half the instances have the new one.
    HalfRolled,
    /// Every instance uses the new key.
    Rotated,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: &'static str,
    /// Event time from the demo's start.
    pub starts: Duration,
    pub conditions: Conditions,
}

const fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

const QUIET: Conditions = Conditions {
    server_error_rate: 0.0,
    overloaded_rate: 0.002,
    rate_limit_rate: 0.01,
    bad_request_rate: (0.003, 0.003),
    out_of_credits: false,
    runaway_loop: false,
    keys: KeyState::Original,
};

/// The story: a provider incident, a half-rolled key rotation, a deploy that breaks the
/// request format, and a runaway agent loop that burns the credits until they run out — with
/// quiet stretches between so each alert can resolve. The credit story is told by the spend
/// rules before the outage: SpendRateSpike, then CreditRunwayLow (warning, then critical),
/// and only then BillingOutage.
pub fn script() -> Vec<Phase> {
    let rotated = Conditions {
        keys: KeyState::Rotated,
        ..QUIET
    };
    vec![
        Phase {
            name: "steady traffic",
            starts: minutes(0),
            conditions: QUIET,
        },
        Phase {
            name: "provider incident: 500s",
            starts: minutes(6),
            conditions: Conditions {
                server_error_rate: 0.7,
                overloaded_rate: 0.05,
                ..QUIET
            },
        },
        Phase {
            name: "provider recovered",
            starts: minutes(11),
            conditions: QUIET,
        },
        Phase {
            name: "key rotated; half the fleet still sends the revoked key",
            starts: minutes(16),
            conditions: Conditions {
                keys: KeyState::HalfRolled,
                ..QUIET
            },
        },
        Phase {
            name: "new key reached every instance",
            starts: minutes(23),
            conditions: rotated.clone(),
        },
        Phase {
            name: "deploy: request format broken for a growing share",
            starts: minutes(27),
            conditions: Conditions {
                bad_request_rate: (0.003, 0.08),
                ..rotated.clone()
            },
        },
        Phase {
            name: "deploy rolled back",
            starts: minutes(42),
            conditions: rotated.clone(),
        },
        Phase {
            name: "agent worker stuck in a loop: spend jumps",
            starts: LOOP_STARTS,
            conditions: Conditions {
                runaway_loop: true,
                ..rotated.clone()
            },
        },
        Phase {
            name: "credits ran out",
            starts: CREDITS_OUT,
            conditions: Conditions {
                out_of_credits: true,
                runaway_loop: true,
                ..rotated.clone()
            },
        },
        Phase {
            name: "loop stopped, credits topped up",
            starts: TOPPED_UP,
            conditions: rotated,
        },
    ]
}

/// When the runaway loop starts: after the agent worker's spend has the 30 minutes of
/// baseline SpendRateSpike needs, and after the deploy's incident resolved.
pub const LOOP_STARTS: Duration = minutes(44);
/// When the credits run out (the opening balance is set so the loop spends it by then).
pub const CREDITS_OUT: Duration = minutes(60);
pub const TOPPED_UP: Duration = minutes(64);

/// The default length of the story in event time: the last phase plus time to resolve
/// (CreditRunwayLow keeps firing 15 minutes after its runway recovers).
pub const STORY_LENGTH: Duration = minutes(84);

/// The phase in force at `elapsed`, and how far through it we are (0..1, for ramps).
pub fn phase_at(phases: &[Phase], elapsed: Duration) -> (&Phase, f64) {
    let index = phases
        .iter()
        .rposition(|p| p.starts <= elapsed)
        .unwrap_or(0);
    let phase = &phases[index];
    let end = phases
        .get(index + 1)
        .map_or(STORY_LENGTH, |next| next.starts);
    let span = end.saturating_sub(phase.starts).as_secs_f64().max(1.0);
    let progress = (elapsed.saturating_sub(phase.starts).as_secs_f64() / span).clamp(0.0, 1.0);
    (phase, progress)
}

impl Conditions {
    /// The bad-request share at `progress` through the phase.
    pub fn bad_request_share(&self, progress: f64) -> f64 {
        let (from, to) = self.bad_request_rate;
        from + (to - from) * progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_ordered_and_cover_the_story() {
        let phases = script();
        assert!(phases.windows(2).all(|w| w[0].starts < w[1].starts));
        assert!(phases.last().unwrap().starts < STORY_LENGTH);
        let (phase, _) = phase_at(&phases, minutes(8));
        assert!(phase.conditions.server_error_rate > 0.5);
        let (phase, _) = phase_at(&phases, minutes(61));
        assert!(phase.conditions.out_of_credits);
        let (phase, _) = phase_at(&phases, minutes(50));
        assert!(phase.conditions.runaway_loop && !phase.conditions.out_of_credits);
    }

    #[test]
    fn the_deploy_ramps_its_bad_request_share() {
        let phases = script();
        let (phase, start) = phase_at(&phases, minutes(27));
        assert!(phase.conditions.bad_request_share(start) < 0.005);
        let (phase, late) = phase_at(&phases, minutes(41) + Duration::from_secs(59));
        assert!(phase.conditions.bad_request_share(late) > 0.07);
    }
}
