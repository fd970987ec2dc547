//! A bound on the model names the engine keeps apart. The model comes from the request body, so
//! a client can send any number of them; as in the recorder, the first
//! [`callwatch_core::record::Limits`]`::models` names keep their own series and later ones share the
//! [`callwatch_core::names::OVERFLOW_VALUE`] series — still evaluated, so nothing leaves alerting, and
//! a million names cost 65 series rather than the engine's per-group bound of 10,000.

// hashbrown's default hasher (foldhash): every replayed call's model is looked up here, and
// std's SipHash cost more than the lookup.
use hashbrown::HashSet;

pub(super) struct LabelBound {
    seen: HashSet<Box<str>>,
    limit: usize,
}

impl LabelBound {
    pub fn new(limit: usize) -> LabelBound {
        LabelBound {
            seen: HashSet::new(),
            limit,
        }
    }

    /// Whether `value` keeps its own series (remembering it if there is room).
    pub fn admits(&mut self, value: &str) -> bool {
        if self.seen.contains(value) {
            return true;
        }
        if self.seen.len() < self.limit {
            self.seen.insert(value.into());
            return true;
        }
        false
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
}
