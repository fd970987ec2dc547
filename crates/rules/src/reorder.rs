//! Lines of an event log put back in event-time order before the engine sees them.
//!
//! Writers append a call when it ends, and several processes may share one log, so a call can be
//! written a little after a later one. The engine counts a late call into its own second, which
//! keeps every window right, but an `any` rule (BillingOutage) fires at the call it sees first:
//! without reordering, a billing call written 73 ms after an earlier one was named as the first.
//! Holding each event until the log's clock is [`REORDER_S`](crate::replay::REORDER_S) past it,
//! and releasing in timestamp order, makes the engine see the calls as they happened.

use std::collections::VecDeque;

/// Events held at most (a log at 20k calls a second fills 5 seconds of slack with 100k). Past
/// this the oldest are released early, in order: nothing is dropped, only reordered less.
pub const MAX_HELD: usize = 100_000;

/// Items ordered by a timestamp (nanoseconds), equal timestamps in arrival order. In-order
/// arrival, the usual case, is an append; a late item is inserted where it belongs.
#[derive(Debug)]
pub struct ReorderBuffer<T> {
    held: VecDeque<(i128, T)>,
}

impl<T> Default for ReorderBuffer<T> {
    fn default() -> Self {
        ReorderBuffer {
            held: VecDeque::new(),
        }
    }
}

impl<T> ReorderBuffer<T> {
    pub fn push(&mut self, at: i128, item: T) {
        if self.held.back().is_none_or(|(last, _)| *last <= at) {
            self.held.push_back((at, item));
        } else {
            let i = self.held.partition_point(|(t, _)| *t <= at);
            self.held.insert(i, (at, item));
        }
    }

    /// The oldest item if it is at or before `through`, or if more than [`MAX_HELD`] are held.
    pub fn pop_through(&mut self, through: i128) -> Option<T> {
        let due = self
            .held
            .front()
            .is_some_and(|(t, _)| *t <= through || self.held.len() > MAX_HELD);
        if due {
            self.held.pop_front().map(|(_, item)| item)
        } else {
            None
        }
    }

    /// The oldest item, whatever its time (end of input).
    pub fn pop(&mut self) -> Option<T> {
        self.held.pop_front().map(|(_, item)| item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T>(b: &mut ReorderBuffer<T>) -> Vec<T> {
        std::iter::from_fn(|| b.pop()).collect()
    }

    #[test]
    fn late_items_are_released_in_timestamp_order_and_ties_keep_arrival_order() {
        let mut b = ReorderBuffer::default();
        for (t, name) in [(10, "a"), (30, "c"), (20, "b"), (30, "d"), (5, "z")] {
            b.push(t, name);
        }
        assert_eq!(b.pop_through(19), Some("z"));
        assert_eq!(b.pop_through(19), Some("a"));
        assert_eq!(b.pop_through(19), None, "20 is not due at 19");
        assert_eq!(drain(&mut b), ["b", "c", "d"]);
    }

    #[test]
    fn past_the_bound_the_oldest_is_released_early_not_dropped() {
        let mut b = ReorderBuffer::default();
        for t in 0..=MAX_HELD as i128 {
            b.push(t, t);
        }
        assert_eq!(b.pop_through(-1), Some(0));
        assert_eq!(b.pop_through(-1), None);
        assert_eq!(drain(&mut b).len(), MAX_HELD);
    }
}
