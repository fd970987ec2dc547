//! A thread's own latency histogram for a series it keeps recording.
//!
//! A call's latency goes into its series' shared histogram with one atomic `fetch_add`: a
//! `lock`-prefixed instruction, the one instruction of the hot path that costs more than its
//! count (a build without it was 15 % faster on a core, BENCHMARKS.md, session 22), on a cache
//! line that threads recording the same series hand back and forth. A thread's shard of a
//! series that reaches [`PROMOTE_EVERY`] calls gets a histogram of its own, which only that
//! thread writes: a load and a store. A snapshot adds a series' own histograms to its shared
//! one, and a thread's exit hands its own histogram's counts to the shared one, both under the
//! series' shard lock, so nothing is counted twice or lost.
//!
//! Bounded: at most [`MAX_OWN`] own histograms in the process at once, 14 KiB of address space
//! each, resident only where latencies landed (calloc'd like every [`AtomicHdr`]: a page or two
//! for one series' calls), 3.5 MiB at most. Past the bound, shards keep the shared histogram
//! and try again every [`PROMOTE_EVERY`] calls; a slot comes back when its shard is dropped
//! (its thread exited, or its recorder is gone).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::atomic_hdr::AtomicHdr;

/// Own histograms in the process at most (threads × the series each keeps recording).
pub const MAX_OWN: usize = 256;

/// A shard asks for its own histogram once every this many calls (a power of two: the check
/// is a mask), so a series a thread records a few times keeps the shared one.
pub const PROMOTE_EVERY: u64 = 64;

static OWN: AtomicUsize = AtomicUsize::new(0);

/// Whether the shard that has just recorded `calls` calls should ask for its own histogram.
#[inline(always)]
pub fn due(calls: u64) -> bool {
    calls & (PROMOTE_EVERY - 1) == 0
}

/// A new own histogram, if the process bound allows one. Give it back with [`release`].
pub fn reserve() -> Option<AtomicHdr> {
    if OWN.load(Relaxed) >= MAX_OWN {
        return None;
    }
    if OWN.fetch_add(1, Relaxed) >= MAX_OWN {
        OWN.fetch_sub(1, Relaxed);
        return None;
    }
    Some(AtomicHdr::new())
}

/// An own histogram was dropped: its slot is free again.
pub fn release() {
    OWN.fetch_sub(1, Relaxed);
}

/// Own histograms in the process now.
#[cfg(test)]
pub fn in_use() -> usize {
    OWN.load(Relaxed)
}
