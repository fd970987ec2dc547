//! One series: its labels, the shared atomic latency histogram, the per-thread counter shards
//! and what exited threads left behind.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hdrhistogram::Histogram;

use super::atomic_hdr::AtomicHdr;
use super::headroom::HeadroomCell;
use super::labels::SeriesLabels;
use super::own_latency;
use super::shard::{SeriesShard, Totals};
use super::usual::UsualLabels;
use crate::call::Call;

pub struct Series {
    /// Private and never changed after `new`: `usual` is a copy of it.
    labels: SeriesLabels,
    /// The labels again in fixed-size buffers, when they have the usual shape (`usual.rs`):
    /// what the hot slot's repeat check compares a call with.
    usual: Option<UsualLabels>,
    pub latency: AtomicHdr,
    /// Streamed calls' timings, allocated by the series' first stream (most series never see
    /// one, and a non-streamed call pays one branch).
    pub stream: OnceLock<StreamHdrs>,
    pub headroom: Arc<HeadroomCell>,
    shards: Mutex<Shards>,
    /// Written only while the registry lock is held (calls that cannot use a thread's own
    /// shard: overflowed labels, or a thread already tearing down its thread-locals).
    pub locked_shard: SeriesShard,
}

#[derive(Default)]
struct Shards {
    live: Vec<Arc<SeriesShard>>,
    retired: Totals,
}

impl Series {
    pub fn new(labels: SeriesLabels, headroom: Arc<HeadroomCell>) -> Series {
        Series {
            usual: UsualLabels::of(&labels),
            labels,
            latency: AtomicHdr::new(),
            stream: OnceLock::new(),
            headroom,
            shards: Mutex::default(),
            locked_shard: SeriesShard::default(),
        }
    }

    pub fn labels(&self) -> &SeriesLabels {
        &self.labels
    }

    /// Whether `call`'s labels are this series' (the hot slot's repeat check).
    #[inline(always)]
    pub fn matches(&self, call: &Call<'_>) -> bool {
        match &self.usual {
            Some(usual) => usual.matches(call),
            None => self.labels.matches(call),
        }
    }

    /// The stream histograms, allocated on first use.
    pub fn stream(&self) -> &StreamHdrs {
        self.stream.get_or_init(|| StreamHdrs {
            time_to_first_chunk: AtomicHdr::new(),
            time_per_output_chunk: AtomicHdr::new(),
            duration: AtomicHdr::new(),
        })
    }

    /// A new shard for the calling thread (its first call on this series).
    pub fn new_shard(&self) -> Arc<SeriesShard> {
        let shard = Arc::new(SeriesShard::default());
        self.lock().live.push(Arc::clone(&shard));
        shard
    }

    /// Folds a shard whose thread is exiting into the retired totals, atomically with respect
    /// to [`Series::totals`], so nothing is counted twice or lost.
    pub fn retire(&self, shard: &Arc<SeriesShard>) {
        let mut shards = self.lock();
        if let Some(pos) = shards.live.iter().position(|s| Arc::ptr_eq(s, shard)) {
            let retired = shards.live.swap_remove(pos);
            retired.add_to(&mut shards.retired);
            if let Some(own) = retired.own_latency.get() {
                own.add_into(&self.latency);
            }
        }
    }

    /// Gives `shard` (written only by the calling thread) a latency histogram of its own, if
    /// the process bound allows (`own_latency.rs`). The locked shard never gets one: a
    /// snapshot reads own histograms through the live shards, which it is not among.
    #[cold]
    #[inline(never)]
    pub fn promote(&self, shard: &SeriesShard) {
        if std::ptr::eq(shard, &self.locked_shard) || shard.own_latency.get().is_some() {
            return;
        }
        if let Some(own) = own_latency::reserve() {
            // Only this shard's thread sets it, and it was empty just above.
            if shard.own_latency.set(own).is_err() {
                own_latency::release();
            }
        }
    }

    /// Live shards that have their own latency histogram.
    #[cfg(test)]
    pub fn own_histograms(&self) -> usize {
        let shards = self.lock();
        shards
            .live
            .iter()
            .filter(|s| s.own_latency.get().is_some())
            .count()
    }

    /// Every latency recorded so far: the shared histogram and the live shards' own ones,
    /// read under the lock a retiring shard hands its own counts over under.
    pub fn latency_histogram(&self) -> Histogram<u64> {
        let shards = self.lock();
        let mut histogram = self.latency.to_histogram();
        for own in shards.live.iter().filter_map(|s| s.own_latency.get()) {
            own.add_to_histogram(&mut histogram);
        }
        histogram
    }

    /// Everything recorded so far: live shards, retired totals and the locked shard.
    pub fn totals(&self) -> Totals {
        let shards = self.lock();
        let mut totals = shards.retired.clone();
        self.locked_shard.add_to(&mut totals);
        for shard in &shards.live {
            shard.add_to(&mut totals);
        }
        totals
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shards> {
        // The guarded data stays consistent at every step, so a poisoned lock is still usable.
        self.shards.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Time to first chunk, time per output chunk and duration of a series' streamed calls (ms).
pub struct StreamHdrs {
    pub time_to_first_chunk: AtomicHdr,
    pub time_per_output_chunk: AtomicHdr,
    /// The whole streamed call, from sending the request to the stream's end.
    pub duration: AtomicHdr,
}
