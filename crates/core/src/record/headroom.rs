//! Rate-limit headroom gauges: the last value seen per (model, key id, kind). One cell per
//! (model, key id), shared by every series of that pair; a record is a relaxed load and, only
//! when the value changed, a relaxed store (last writer wins, which is what a gauge means).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::classify::{Headroom, RateLimit};

/// Kind names in the order of [`RateLimit::kinds`] (and of the cells).
pub const KINDS: [&str; 4] = ["requests", "tokens", "input_tokens", "output_tokens"];

#[derive(Default)]
pub struct HeadroomCell {
    // remaining << 32 | (limit + 1), both saturated to 32 bits; 0 = never seen.
    kinds: [AtomicU64; 4],
}

#[inline(always)]
fn pack(h: &Headroom) -> u64 {
    // Both below u32::MAX (every limit the API sends): nothing to saturate, and one test
    // instead of two clamps.
    if (h.limit | h.remaining) < u64::from(u32::MAX) {
        return (h.remaining << 32) | (h.limit + 1);
    }
    pack_saturated(h)
}

#[cold]
fn pack_saturated(h: &Headroom) -> u64 {
    let limit = h.limit.min(u64::from(u32::MAX) - 1) + 1;
    let remaining = h.remaining.min(u64::from(u32::MAX));
    (remaining << 32) | limit
}

impl HeadroomCell {
    #[inline]
    pub fn record(&self, rate_limit: &RateLimit) {
        let kinds = [
            &rate_limit.requests,
            &rate_limit.tokens,
            &rate_limit.input_tokens,
            &rate_limit.output_tokens,
        ];
        for (cell, headroom) in self.kinds.iter().zip(kinds) {
            if let Some(h) = headroom {
                let packed = pack(h);
                // Store only on change: an unchanged gauge leaves the cache line shared.
                if cell.load(Relaxed) != packed {
                    cell.store(packed, Relaxed);
                }
            }
        }
    }

    /// (kind, limit, remaining) of every kind seen so far.
    pub fn read(&self) -> impl Iterator<Item = (&'static str, u64, u64)> + '_ {
        KINDS.iter().zip(&self.kinds).filter_map(|(kind, cell)| {
            let packed = cell.load(Relaxed);
            (packed != 0).then(|| (*kind, (packed & u64::from(u32::MAX)) - 1, packed >> 32))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_pack_is_the_saturating_one() {
        let max = u64::from(u32::MAX);
        let values = [0, 1, 3990, 4000, max - 1, max, max + 1, u64::MAX];
        for limit in values {
            for remaining in values {
                let h = Headroom {
                    limit,
                    remaining,
                    reset: None,
                };
                assert_eq!(pack(&h), pack_saturated(&h), "{limit} {remaining}");
            }
        }
    }

    #[test]
    fn a_cell_reads_back_what_it_recorded_saturated() {
        let cell = HeadroomCell::default();
        let headroom = |limit, remaining| {
            Some(Headroom {
                limit,
                remaining,
                reset: None,
            })
        };
        cell.record(&RateLimit {
            requests: headroom(4000, 3990),
            output_tokens: headroom(u64::MAX, 1 << 40),
            ..RateLimit::default()
        });
        let max = u64::from(u32::MAX);
        let read: Vec<_> = cell.read().collect();
        assert_eq!(
            read,
            [("requests", 4000, 3990), ("output_tokens", max - 1, max)]
        );
    }
}
