//! Per-thread counters of one series. Each shard has exactly one writer (its thread), which
//! updates with a relaxed load and store — no lock prefix, no cache line shared with another
//! writer. Snapshots read every live shard and add the totals of shards whose thread exited.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Duration;

use super::atomic_hdr::AtomicHdr;
use super::cost_tokens::{CacheTokenCells, CacheTokens};
use super::own_latency;
use crate::call::Call;
use crate::names::TOKEN_BOUNDARIES;

/// Attempts tracked exactly: 0 ..= 10; the last slot counts 11 and more.
pub const ATTEMPT_SLOTS: usize = 12;
/// One slot per `TOKEN_BOUNDARIES` bucket plus the overflow bucket.
pub const TOKEN_SLOTS: usize = TOKEN_BOUNDARIES.len() + 1;

/// Plain (non-atomic) sums: what a snapshot reports and a retired shard folds into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub calls: u64,
    /// Sum of call latencies, microseconds (exact; the HDR histogram holds the distribution).
    pub latency_sum_us: u64,
    /// Calls by attempts made: index = attempts (last slot: that many or more).
    pub attempts: [u64; ATTEMPT_SLOTS],
    pub attempts_sum: u64,
    pub retry_wait_us: u64,
    pub futile_retries: u64,
    pub truncated: u64,
    /// Input tokens, cache reads and writes included.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Calls that reported usage, by `TOKEN_BOUNDARIES` bucket of their input tokens.
    pub input_token_buckets: [u64; TOKEN_SLOTS],
    /// Calls that reported usage, by bucket of their output tokens.
    pub output_token_buckets: [u64; TOKEN_SLOTS],
    /// Cache reads and writes (what cost needs beyond the totals above).
    pub cache_tokens: CacheTokens,
}

impl Totals {
    pub fn merge(&mut self, other: &Totals) {
        self.calls += other.calls;
        self.latency_sum_us += other.latency_sum_us;
        add_slots(&mut self.attempts, &other.attempts);
        self.attempts_sum += other.attempts_sum;
        self.retry_wait_us += other.retry_wait_us;
        self.futile_retries += other.futile_retries;
        self.truncated += other.truncated;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        add_slots(&mut self.input_token_buckets, &other.input_token_buckets);
        add_slots(&mut self.output_token_buckets, &other.output_token_buckets);
        self.cache_tokens.merge(&other.cache_tokens);
    }
}

fn add_slots(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

/// Aligned to 128 bytes (two cache lines, what adjacent-line prefetching pairs) so that two
/// threads' shards, allocated side by side, never share a line: each thread's writes stay in
/// its own cache.
#[derive(Default)]
#[repr(align(128))]
pub struct SeriesShard {
    /// This thread's own latency histogram for the series, once it has earned one
    /// (`own_latency.rs`); until then its latencies go into the series' shared histogram.
    pub own_latency: OnceLock<AtomicHdr>,
    calls: AtomicU64,
    latency_sum_us: AtomicU64,
    attempts: [AtomicU64; ATTEMPT_SLOTS],
    attempts_sum: AtomicU64,
    retry_wait_us: AtomicU64,
    futile_retries: AtomicU64,
    truncated: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    // Beside the token totals: a call with usage touches them together (one cache line more
    // at the end of the shard cost a few ns per call).
    cache_tokens: CacheTokenCells,
    input_token_buckets: [AtomicU64; TOKEN_SLOTS],
    output_token_buckets: [AtomicU64; TOKEN_SLOTS],
}

/// Single-writer add: the owner thread is the only writer, so load + store cannot lose an
/// update, and readers see either the old or the new value.
#[inline(always)]
fn add(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// The `TOKEN_BOUNDARIES` bucket of `tokens` (boundaries are 4^k, buckets are (prev, bound]).
#[inline]
pub fn token_slot(tokens: u64) -> usize {
    // The bucket follows from ceil(log2(tokens)), i.e. from the highest bit set in tokens - 1
    // (0 and 1 alike): one table load instead of the halving and the cap. `leading_zeros ^ 63`
    // is that bit's position (x86's `bsr`, which the compiler then emits alone), or 127 for 0.
    SLOT_BY_HIGHEST_BIT[(tokens.saturating_sub(1).leading_zeros() ^ 63) as usize] as usize
}

/// [`token_slot`] by `leading_zeros(tokens - 1) ^ 63`: ceil(bits / 2) capped at the overflow
/// slot, where bits = 64 - leading zeros; 127 (no bit set) is slot 0.
const SLOT_BY_HIGHEST_BIT: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut zeros: usize = 0;
    while zeros <= 64 {
        let slot = (64 - zeros).div_ceil(2);
        table[zeros ^ 63] = if slot < TOKEN_SLOTS - 1 {
            slot
        } else {
            TOKEN_SLOTS - 1
        } as u8;
        zeros += 1;
    }
    table
};

/// Whole microseconds for a sum: wrapping, like the sums themselves (a single duration only
/// wraps past 584,000 years), so the hot path carries no overflow check.
#[inline(always)]
pub fn micros_for_sum(d: Duration) -> u64 {
    d.as_secs()
        .wrapping_mul(1_000_000)
        .wrapping_add(u64::from(d.subsec_micros()))
}

impl Drop for SeriesShard {
    fn drop(&mut self) {
        if self.own_latency.get().is_some() {
            own_latency::release();
        }
    }
}

impl SeriesShard {
    /// Calls recorded into this shard so far (its writer's view: exact on its own thread).
    #[inline(always)]
    pub fn calls(&self) -> u64 {
        self.calls.load(Relaxed)
    }

    /// Must only be called by the thread that owns this shard. `latency_us` is
    /// [`micros_for_sum`] of the call's latency (the caller has it already).
    #[inline]
    pub fn record(&self, call: &Call<'_>, latency_us: u64) {
        add(&self.calls, 1);
        add(&self.latency_sum_us, latency_us);
        let attempts = call.attempts as usize;
        add(&self.attempts[attempts.min(ATTEMPT_SLOTS - 1)], 1);
        add(&self.attempts_sum, u64::from(call.attempts));
        // Retries and truncation are rare: one test for the three of them.
        let rare = call.retry_wait.as_secs()
            | u64::from(call.retry_wait.subsec_nanos())
            | u64::from(call.futile_retries)
            | u64::from(call.outcome.truncated);
        if rare != 0 {
            self.record_retries_and_truncation(call);
        }
        if let Some(usage) = &call.outcome.usage {
            // Wrapping like every sum here (`total_input` saturates: two more branches).
            let input = usage
                .input_tokens
                .wrapping_add(usage.cache_read_input_tokens)
                .wrapping_add(usage.cache_creation_input_tokens);
            add(&self.input_tokens, input);
            add(&self.output_tokens, usage.output_tokens);
            add(&self.input_token_buckets[token_slot(input)], 1);
            add(
                &self.output_token_buckets[token_slot(usage.output_tokens)],
                1,
            );
            self.cache_tokens.record(usage);
        }
    }

    #[cold]
    #[inline(never)]
    fn record_retries_and_truncation(&self, call: &Call<'_>) {
        add(&self.retry_wait_us, micros_for_sum(call.retry_wait));
        add(&self.futile_retries, u64::from(call.futile_retries));
        add(&self.truncated, u64::from(call.outcome.truncated));
    }

    /// Adds this shard's current values into `totals`.
    pub fn add_to(&self, totals: &mut Totals) {
        let get = |c: &AtomicU64| c.load(Relaxed);
        totals.calls += get(&self.calls);
        totals.latency_sum_us += get(&self.latency_sum_us);
        for (t, c) in totals.attempts.iter_mut().zip(&self.attempts) {
            *t += get(c);
        }
        totals.attempts_sum += get(&self.attempts_sum);
        totals.retry_wait_us += get(&self.retry_wait_us);
        totals.futile_retries += get(&self.futile_retries);
        totals.truncated += get(&self.truncated);
        totals.input_tokens += get(&self.input_tokens);
        totals.output_tokens += get(&self.output_tokens);
        for (t, c) in totals
            .input_token_buckets
            .iter_mut()
            .zip(&self.input_token_buckets)
        {
            *t += get(c);
        }
        for (t, c) in totals
            .output_token_buckets
            .iter_mut()
            .zip(&self.output_token_buckets)
        {
            *t += get(c);
        }
        self.cache_tokens.add_to(&mut totals.cache_tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_slots_follow_the_boundaries() {
        for tokens in [
            0u64,
            1,
            2,
            3,
            4,
            5,
            15,
            16,
            17,
            1000,
            1 << 26,
            (1 << 26) + 1,
            u64::MAX,
        ] {
            let expected = TOKEN_BOUNDARIES
                .iter()
                .position(|b| tokens as f64 <= *b)
                .unwrap_or(TOKEN_BOUNDARIES.len());
            assert_eq!(token_slot(tokens), expected, "{tokens}");
        }
    }
}
