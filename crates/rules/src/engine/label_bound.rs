//! A bound on the model names the engine keeps apart. The model comes from the request body, so
//! a client can send any number of them; as in the recorder, the first
//! [`callwatch_core::record::Limits`]`::models` names keep their own series and later ones share the
//! [`callwatch_core::names::OVERFLOW_VALUE`] series — still evaluated, so nothing leaves alerting, and
//! a million names cost 65 series rather than the engine's per-group bound of 10,000.

// hashbrown's default hasher (foldhash): every replayed call's model is looked up here, and
// std's SipHash cost more than the lookup.
use hashbrown::HashSet;

/// Admitted values remembered for the next calls: a log's calls cycle through a few models,
/// and comparing with a few short strings costs less than hashing and probing the set.
const RECENT: usize = 4;

pub(super) struct LabelBound {
    seen: HashSet<Box<str>>,
    limit: usize,
    /// Values admitted lately (a value once admitted stays admitted, so a match here is final).
    recent: Vec<Box<str>>,
    next_recent: usize,
}

impl LabelBound {
    pub fn new(limit: usize) -> LabelBound {
        LabelBound {
            seen: HashSet::new(),
            limit,
            recent: Vec::with_capacity(RECENT),
            next_recent: 0,
        }
    }

    /// Whether `value` keeps its own series (remembering it if there is room).
    pub fn admits(&mut self, value: &str) -> bool {
        if self.recent.iter().any(|r| **r == *value) {
            return true;
        }
        let admitted = if self.seen.contains(value) {
            true
        } else if self.seen.len() < self.limit {
            self.seen.insert(value.into());
            true
        } else {
            false
        };
        if admitted {
            self.remember(value);
        }
        admitted
    }

    fn remember(&mut self, value: &str) {
        if self.recent.len() < RECENT {
            self.recent.push(value.into());
        } else {
            self.recent[self.next_recent] = value.into();
            self.next_recent = (self.next_recent + 1) % RECENT;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_values_are_admitted_and_later_ones_are_not() {
        let mut bound = LabelBound::new(2);
        assert!(bound.admits("a") && bound.admits("b") && bound.admits("a"));
        assert!(!bound.admits("c"));
        assert!(bound.admits("b"), "a known value stays admitted");
    }

    /// The recent values answer only for values admitted: past the limit, a new value is
    /// refused however many admitted ones come between, and each admitted one stays admitted.
    #[test]
    fn recent_values_never_admit_a_value_past_the_limit() {
        let mut bound = LabelBound::new(RECENT + 2);
        let names: Vec<String> = (0..RECENT + 2).map(|i| format!("model-{i}")).collect();
        for round in 0..3 {
            for name in &names {
                assert!(bound.admits(name), "{name} in round {round}");
            }
            assert!(!bound.admits("model-new"), "round {round}");
            assert!(
                !bound.admits("model-"),
                "a prefix of admitted names, round {round}"
            );
        }
        assert_eq!(bound.seen.len(), RECENT + 2);
    }
}
