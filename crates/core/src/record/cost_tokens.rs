//! The token counts cost needs beyond the input and output totals: cache reads and writes,
//! and the writes' 1-hour share (each kind has its own price). Same single-writer discipline
//! as the rest of the shard.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::classify::Usage;
use crate::cost::TokenCounts;

/// Sums, as a snapshot reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheTokens {
    pub cache_read: u64,
    /// All cache writes (`cache_creation_input_tokens`).
    pub cache_write: u64,
    /// The writes with the 1-hour TTL (part of `cache_write`).
    pub cache_write_1h: u64,
}

impl CacheTokens {
    pub fn merge(&mut self, other: &CacheTokens) {
        self.cache_read += other.cache_read;
        self.cache_write += other.cache_write;
        self.cache_write_1h += other.cache_write_1h;
    }

    /// The billed kinds of a series, from its input total (which includes the cache tokens)
    /// and output total.
    pub fn token_counts(&self, input_total: u64, output: u64) -> TokenCounts {
        let write_1h = self.cache_write_1h.min(self.cache_write);
        TokenCounts {
            input: input_total.saturating_sub(self.cache_read.saturating_add(self.cache_write)),
            output,
            cache_read: self.cache_read,
            cache_write_5m: self.cache_write - write_1h,
            cache_write_1h: write_1h,
        }
    }
}

#[derive(Default)]
pub struct CacheTokenCells {
    cache_read: AtomicU64,
    cache_write: AtomicU64,
    cache_write_1h: AtomicU64,
}

#[inline(always)]
fn add(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

impl CacheTokenCells {
    /// Only the shard's owner thread calls this.
    #[inline]
    pub fn record(&self, usage: &Usage) {
        // Unconditional: adding 0 to a line only this thread writes costs less than the test.
        add(&self.cache_read, usage.cache_read_input_tokens);
        // Writes are rarer than reads (once per cached prefix per TTL).
        if usage.cache_creation_input_tokens != 0 {
            add(&self.cache_write, usage.cache_creation_input_tokens);
            add(&self.cache_write_1h, usage.cache_creation_1h_input_tokens);
        }
    }

    pub fn add_to(&self, totals: &mut CacheTokens) {
        totals.cache_read += self.cache_read.load(Relaxed);
        totals.cache_write += self.cache_write.load(Relaxed);
        totals.cache_write_1h += self.cache_write_1h.load(Relaxed);
    }
}
