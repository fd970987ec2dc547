//! inactive → pending → firing → resolved, with `for` (pending) and `keep_firing_for`
//! (hysteresis). Only firing and resolved are emitted (the alert line's two states).

use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Inactive,
    Pending { since: OffsetDateTime },
    Firing { last_true: OffsetDateTime },
}

/// What a step decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    None,
    Fire,
    Resolve,
}

impl Phase {
    pub fn is_firing(self) -> bool {
        matches!(self, Phase::Firing { .. })
    }

    pub fn is_active(self) -> bool {
        !matches!(self, Phase::Inactive)
    }

    /// Advances the phase at `at` given whether the condition holds.
    pub fn step(
        &mut self,
        holds: bool,
        at: OffsetDateTime,
        pending_for: time::Duration,
        keep_firing_for: time::Duration,
    ) -> Step {
        match (*self, holds) {
            (Phase::Inactive, true) if pending_for.is_zero() => {
                *self = Phase::Firing { last_true: at };
                Step::Fire
            }
            (Phase::Inactive, true) => {
                *self = Phase::Pending { since: at };
                Step::None
            }
            (Phase::Pending { since }, true) if at - since >= pending_for => {
                *self = Phase::Firing { last_true: at };
                Step::Fire
            }
            (Phase::Pending { .. }, false) => {
                *self = Phase::Inactive;
                Step::None
            }
            (Phase::Firing { .. }, true) => {
                *self = Phase::Firing { last_true: at };
                Step::None
            }
            (Phase::Firing { last_true }, false) if at - last_true >= keep_firing_for => {
                *self = Phase::Inactive;
                Step::Resolve
            }
            _ => Step::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    #[test]
    fn pending_then_firing_then_hysteresis() {
        let t = datetime!(2026-11-20 08:00:00 UTC);
        let s = Duration::seconds;
        let mut p = Phase::Inactive;
        assert_eq!(p.step(true, t, s(30), s(60)), Step::None);
        assert!(matches!(p, Phase::Pending { .. }));
        assert_eq!(p.step(true, t + s(29), s(30), s(60)), Step::None);
        assert_eq!(p.step(true, t + s(30), s(30), s(60)), Step::Fire);
        assert_eq!(p.step(false, t + s(31), s(30), s(60)), Step::None);
        assert_eq!(p.step(true, t + s(40), s(30), s(60)), Step::None);
        assert_eq!(p.step(false, t + s(99), s(30), s(60)), Step::None);
        assert_eq!(p.step(false, t + s(100), s(30), s(60)), Step::Resolve);
        assert_eq!(p, Phase::Inactive);
        let mut q = Phase::Inactive;
        q.step(true, t, s(30), s(0));
        q.step(false, t + s(1), s(30), s(0));
        assert_eq!(q, Phase::Inactive, "a blip shorter than `for` never fires");
    }
}
