//! Rate-limit headroom gauges: the last value seen per (model, key id, kind). One cell per
//! (model, key id), shared by every series of that pair; a record is a relaxed load and, only
//! when the value changed, a relaxed store (last writer wins, which is what a gauge means).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::classify::{Headroom, RateLimit};

/// Kind names in the order of [`RateLimit::kinds`] (and of the cells).
pub const KINDS: [&str; 4] = ["requests", "tokens", "input_tokens", "output_tokens"];

#[derive(Default)]
pub struct HeadroomCell {
    // (limit + 1) << 32 | remaining, both saturated to 32 bits; 0 = never seen.
    kinds: [AtomicU64; 4],
}

#[inline]
fn pack(h: &Headroom) -> u64 {
    let limit = h.limit.min(u64::from(u32::MAX) - 1) + 1;
    let remaining = h.remaining.min(u64::from(u32::MAX));
    (limit << 32) | remaining
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
            (packed != 0).then(|| (*kind, (packed >> 32) - 1, packed & u64::from(u32::MAX)))
        })
    }
}
