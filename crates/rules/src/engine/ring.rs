//! Per-second counts over a sliding window, kept by the engine itself. Each slot is stamped
//! with its second, so a call landing a few seconds late (or early, ahead of the evaluation
//! clock) goes into its own second; the running window sum makes a tick O(1).

use std::ops::{AddAssign, SubAssign};

/// Calls in one second: all of the group's calls, and those the rule matched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub matched: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.total += o.total;
        self.matched += o.matched;
    }
}

impl SubAssign for Counts {
    fn sub_assign(&mut self, o: Counts) {
        self.total = self.total.saturating_sub(o.total);
        self.matched = self.matched.saturating_sub(o.matched);
    }
}

/// Extra slots beyond the window, so calls up to this many seconds ahead of (or behind) the
/// evaluation clock keep their own second.
pub const SLACK_S: i64 = 16;

#[derive(Clone, Debug)]
pub struct Ring {
    slots: Box<[(i64, Counts)]>,
    window: i64,
    /// Seconds `< eval_end` have been evaluated; the window is `[eval_end - window, eval_end)`.
    eval_end: i64,
    sum: Counts,
}

impl Ring {
    pub fn new(window_s: i64, eval_end: i64) -> Ring {
        let len = (window_s + SLACK_S).max(1) as usize;
        Ring {
            slots: vec![(i64::MIN, Counts::default()); len].into_boxed_slice(),
            window: window_s,
            eval_end,
            sum: Counts::default(),
        }
    }

    fn index(&self, sec: i64) -> usize {
        sec.rem_euclid(self.slots.len() as i64) as usize
    }

    fn in_window(&self, sec: i64) -> bool {
        sec >= self.eval_end - self.window && sec < self.eval_end
    }

    /// Adds counts to `sec`. `false` if that second is too old to hold any more.
    #[inline]
    pub fn add(&mut self, sec: i64, c: Counts) -> bool {
        if sec < self.eval_end - self.window {
            return false;
        }
        let i = self.index(sec);
        let (stamp, old) = self.slots[i];
        if stamp != sec {
            if stamp > sec {
                return false;
            }
            if self.in_window(stamp) {
                self.sum -= old;
            }
            self.slots[i] = (sec, Counts::default());
        }
        self.slots[i].1 += c;
        if self.in_window(sec) {
            self.sum += c;
        }
        true
    }

    /// Counts of one second, if the ring still holds it.
    pub fn get(&self, sec: i64) -> Counts {
        let (stamp, c) = self.slots[self.index(sec)];
        if stamp == sec {
            c
        } else {
            Counts::default()
        }
    }

    /// Moves the evaluation clock to `end` (seconds before it are complete).
    pub fn advance(&mut self, end: i64) {
        if end <= self.eval_end {
            return;
        }
        if end - self.eval_end > self.slots.len() as i64 {
            self.eval_end = end;
            self.sum = Counts::default();
            for &(stamp, c) in self.slots.iter() {
                if self.in_window(stamp) {
                    self.sum += c;
                }
            }
            return;
        }
        for s in self.eval_end..end {
            self.sum += self.get(s);
            self.sum -= self.get(s - self.window);
        }
        self.eval_end = end;
    }

    /// Totals over the window ending at the evaluation clock.
    pub fn sum(&self) -> Counts {
        self.sum
    }

    /// Totals over the part of the window from second `start` on (O(window)).
    pub fn sum_from(&self, start: i64) -> Counts {
        let from = start.max(self.eval_end - self.window);
        let mut c = Counts::default();
        for &(stamp, counts) in self.slots.iter() {
            if stamp >= from && stamp < self.eval_end {
                c += counts;
            }
        }
        c
    }

    pub fn window_s(&self) -> i64 {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(total: u64, matched: u64) -> Counts {
        Counts { total, matched }
    }

    #[test]
    fn window_slides_and_late_calls_land_in_their_second() {
        let mut r = Ring::new(3, 100);
        assert!(r.add(100, c(1, 1)));
        assert!(r.add(101, c(2, 0)));
        assert_eq!(r.sum(), c(0, 0)); // not evaluated yet
        r.advance(102);
        assert_eq!(r.sum(), c(3, 1));
        assert!(r.add(101, c(1, 1))); // late, inside the evaluated window
        assert_eq!(r.sum(), c(4, 2));
        r.advance(104); // window [101, 104)
        assert_eq!(r.sum(), c(3, 1));
        r.advance(200);
        assert_eq!(r.sum(), c(0, 0));
        assert!(!r.add(100, c(1, 1)), "too old for the ring");
    }

    #[test]
    fn matches_a_naive_sum_under_random_order() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut r = Ring::new(10, 0);
        let mut all: Vec<(i64, u64)> = Vec::new();
        for end in 1..500i64 {
            for _ in 0..rng.random_range(0..4) {
                let sec = end - 1 + rng.random_range(-5..=5);
                if r.add(sec, c(1, 0)) {
                    all.push((sec, 1));
                }
            }
            r.advance(end);
            let naive: u64 = all
                .iter()
                .filter(|(s, _)| *s >= end - 10 && *s < end)
                .map(|x| x.1)
                .sum();
            assert_eq!(r.sum().total, naive, "at {end}");
        }
    }
}
