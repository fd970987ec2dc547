//! A latency histogram with the exact bucket layout of `hdrhistogram::Histogram::<u64>
//! ::new_with_bounds(1, 600_000, 2)` (unit: milliseconds, 1 ms … 10 min, 2 significant digits),
//! stored as atomic counters so recording is one relaxed `fetch_add` and needs no lock.
//! It is converted to a real `Histogram` only when a snapshot is taken.
//!
//! Precision: 2 significant digits keep every value below 256 ms exact and any larger one within
//! 0.8% (its bucket is at most 1/128 of the value wide: a 3,000 ms call lands in 2,992–3,007);
//! alerting on p99 and the exported buckets need no more. It costs 1,792 counters (14 KiB) per
//! series, where 3 digits cost 11,264 (88 KiB) and made the recorder most of the agent's memory
//! (about 66 KB resident per series, 73 MB for 1,000 series; see BENCHMARKS.md).

use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use hdrhistogram::Histogram;

/// Lowest discernible value (ms).
pub const LOWEST_MS: u64 = 1;
/// Highest trackable value (ms); longer calls are clamped to it.
pub const HIGHEST_MS: u64 = 600_000;
/// Significant digits kept.
pub const SIGNIFICANT_DIGITS: u8 = 2;

// The layout hdrhistogram derives from the bounds above (see `Histogram::new_with_bounds`):
// 2 * 10^2 values need 8 bits of sub-bucket, half of which (128) is each bucket's stride;
// unit magnitude is 0 because the lowest value is 1; 13 buckets reach past 600 000
// (256 << 12 > 600 000).
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (SUB_BUCKET_HALF_COUNT << 1) - 1;
const LEADING_ZERO_COUNT_BASE: u32 = 64 - SUB_BUCKET_HALF_COUNT_MAGNITUDE - 1;
const BUCKET_COUNT: usize = 13;
/// Number of counters (equals `Histogram::distinct_values()` for the same bounds).
pub const LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

/// The counter index hdrhistogram would use for `ms` (clamped to [`HIGHEST_MS`]).
#[inline]
pub fn index_of(ms: u64) -> usize {
    index_within_bounds(ms.min(HIGHEST_MS))
}

/// [`index_of`] of `millis(latency)` (`record::millis`: whole milliseconds, rounded to nearest
/// from whole microseconds): one test for the top bucket, where `millis` clamps the seconds
/// against overflow and `index_of` the milliseconds.
#[inline]
pub fn index_of_latency(latency: Duration) -> usize {
    let secs = latency.as_secs();
    if secs >= HIGHEST_MS / 1000 {
        return index_within_bounds(HIGHEST_MS);
    }
    // Under 600 s: at most 600,000 ms once rounded.
    index_within_bounds(secs * 1000 + (u64::from(latency.subsec_micros()) + 500) / 1000)
}

/// The index of a value already within [`HIGHEST_MS`].
#[inline(always)]
fn index_within_bounds(value: u64) -> usize {
    debug_assert!(value <= HIGHEST_MS);
    let bucket = LEADING_ZERO_COUNT_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    // Below 256 already (the shift leaves 8 significant bits); the mask lets the compiler see
    // it, and so see that the index is below `LEN` (no bounds check where it is used).
    let sub_bucket = (value >> bucket) & SUB_BUCKET_MASK;
    ((u64::from(bucket) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub_bucket) as usize
}

/// The lowest value that lands in counter `index` (the inverse of [`index_of`]).
pub fn value_at(index: usize) -> u64 {
    let index = index as u64;
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

/// An empty histogram with the recorder's bounds.
pub fn empty_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_MS, HIGHEST_MS, SIGNIFICANT_DIGITS)
        .expect("constant bounds are valid")
}

pub struct AtomicHdr {
    /// A fixed-size array: with [`index_of`]'s bound visible to the compiler, a record
    /// carries no bounds check.
    counts: Box<[AtomicU64; LEN]>,
}

impl AtomicHdr {
    /// Allocates the counters zeroed by the allocator (calloc / fresh mmap), so pages no call
    /// ever touches are never made resident: a series costs only the buckets its calls use.
    pub fn new() -> AtomicHdr {
        let layout = Layout::array::<AtomicU64>(LEN).expect("constant layout");
        // SAFETY: `layout` is non-zero sized; all-zero bytes are a valid `AtomicU64` (0); the
        // pointer comes from the global allocator with the very layout `Box<[AtomicU64; LEN]>`
        // deallocates with (an array's layout is that of as many elements).
        let counts = unsafe {
            let ptr = alloc_zeroed(layout) as *mut AtomicU64;
            if ptr.is_null() {
                handle_alloc_error(layout);
            }
            Box::from_raw(ptr.cast::<[AtomicU64; LEN]>())
        };
        AtomicHdr { counts }
    }

    #[inline]
    pub fn record(&self, ms: u64) {
        self.counts[index_of(ms)].fetch_add(1, Relaxed);
    }

    /// Counts one value at `index` (from [`index_of`] or [`index_of_latency`]).
    #[inline]
    pub fn record_index(&self, index: usize) {
        self.counts[index].fetch_add(1, Relaxed);
    }

    /// [`AtomicHdr::record_index`] for a histogram only one thread ever writes: a load and a
    /// store, no `lock` prefix (as [`AtomicHdr::record_single_writer`]).
    #[inline]
    pub fn record_index_single_writer(&self, index: usize) {
        let counter = &self.counts[index];
        counter.store(counter.load(Relaxed).wrapping_add(1), Relaxed);
    }

    /// [`AtomicHdr::record`] for a histogram only one thread ever writes: a load and a store,
    /// no `lock` prefix (readers see the old count or the new one, never a torn one). Calling it
    /// from two threads at once loses counts; it is never unsound.
    #[inline]
    pub fn record_single_writer(&self, ms: u64) {
        let counter = &self.counts[index_of(ms)];
        counter.store(counter.load(Relaxed).wrapping_add(1), Relaxed);
    }

    /// Adds every count of this histogram into `into` (a thread's own histogram handed to its
    /// series when the thread exits).
    pub fn add_into(&self, into: &AtomicHdr) {
        for (index, count) in self.counts.iter().enumerate() {
            let count = count.load(Relaxed);
            if count > 0 {
                into.counts[index].fetch_add(count, Relaxed);
            }
        }
    }

    /// Adds `count` values to counter `index` (from [`index_of`]; an index past the end goes
    /// to the last counter, as a value past [`HIGHEST_MS`] does).
    pub fn record_index_n(&self, index: usize, count: u64) {
        self.counts[index.min(LEN - 1)].fetch_add(count, Relaxed);
    }

    /// The counts so far as a real histogram (for percentiles). Concurrent records may or may
    /// not be included; none is half-included.
    pub fn to_histogram(&self) -> Histogram<u64> {
        let mut histogram = empty_histogram();
        self.add_to_histogram(&mut histogram);
        histogram
    }

    /// Adds the counts so far into `histogram` (one with the recorder's bounds).
    pub fn add_to_histogram(&self, histogram: &mut Histogram<u64>) {
        for (index, count) in self.counts.iter().enumerate() {
            let count = count.load(Relaxed);
            if count > 0 {
                histogram
                    .record_n(value_at(index), count)
                    .expect("value_at stays within the bounds");
            }
        }
    }
}

impl Default for AtomicHdr {
    fn default() -> Self {
        AtomicHdr::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdrhistogram() {
        let reference = empty_histogram();
        assert_eq!(reference.distinct_values(), LEN);
        let mut value = 0u64;
        while value <= HIGHEST_MS {
            let index = index_of(value);
            assert!(index < LEN, "index {index} for {value}");
            assert_eq!(
                value_at(index),
                reference.lowest_equivalent(value),
                "{value}"
            );
            value += 1 + value / 100;
        }
    }

    #[test]
    fn histogram_round_trips_counts_and_clamps_long_calls() {
        let hdr = AtomicHdr::new();
        let mut reference = empty_histogram();
        for ms in [0, 1, 7, 999, 2048, 2049, 12_345, 599_999, 600_000] {
            hdr.record(ms);
            reference.record(ms).unwrap();
        }
        hdr.record(10_000_000);
        reference.record(HIGHEST_MS).unwrap();
        let got = hdr.to_histogram();
        assert_eq!(got.len(), reference.len());
        for q in [0.0, 0.25, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(
                got.value_at_quantile(q),
                reference.value_at_quantile(q),
                "q={q}"
            );
        }
    }
}
