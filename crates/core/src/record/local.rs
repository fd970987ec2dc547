//! The per-thread cache from a call's borrowed labels to its series and this thread's shard.
//! After a series' first call on a thread, recording finds it here: a hash, a compare, no lock
//! and no allocation; while the thread's calls repeat one series, its hot slot ([`HOT`]) finds
//! it with the compare alone.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Weak};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::labels::LabelsRef;
use super::series::Series;
use super::shard::SeriesShard;
use crate::call::Call;

pub struct LocalEntry {
    hash: u64,
    pub series: Arc<Series>,
    pub shard: Arc<SeriesShard>,
}

/// One thread's cache for one recorder.
struct LocalCache {
    recorder_id: u64,
    /// Lets the cache be dropped once its recorder is gone.
    recorder: Weak<()>,
    hasher: DefaultHashBuilder,
    /// Append-only, so a position stays valid for the cache's life.
    entries: Vec<LocalEntry>,
    /// Hash of an entry's labels → its position in `entries`.
    positions: HashTable<usize>,
    /// Position of the entry the last lookup found.
    last: Cell<usize>,
}

impl LocalCache {
    /// Hash and probe; also says whether the entry is the one the last lookup found.
    #[inline]
    fn probe(&self, labels: &LabelsRef<'_>) -> Option<(&LocalEntry, bool)> {
        let entries = &self.entries;
        let hash = labels.hash_with(&self.hasher);
        let position = *self.positions.find(hash, |&i| {
            entries[i].series.labels().as_ref().same_as(labels)
        })?;
        let repeated = position == self.last.get();
        self.last.set(position);
        Some((&entries[position], repeated))
    }
}

/// The series a thread's calls have been repeating, for one recorder: calls of one thread
/// mostly repeat the series of the call before (same model, key and outcome), and while they
/// do, a call is compared with this series first and a match skips the cache (its borrow,
/// its recorder search, hashing and probing). Threads that interleave series leave it empty
/// and pay no failed compare.
#[derive(Clone, Copy)]
struct Hot {
    /// 0 (no recorder has it) when empty.
    recorder_id: u64,
    series: *const Series,
    shard: *const SeriesShard,
}

impl Hot {
    const EMPTY: Hot = Hot {
        recorder_id: 0,
        series: std::ptr::null(),
        shard: std::ptr::null(),
    };
}

thread_local! {
    /// Two slots: a recorder's call series and attempt series have consecutive ids (an even
    /// one, then the next odd one), so a proxy thread recording an attempt then its call keeps
    /// both hot.
    ///
    /// Invariant (what makes dereferencing a slot sound): a slot whose `recorder_id` is not 0
    /// points at a series and shard that an entry of this thread's cache for that recorder
    /// holds (`Arc`s: the pointees do not move). Entries are never removed from a cache, and
    /// a cache clears its slot when it is dropped ([`LocalCache`]'s `Drop`), before the
    /// entries go. Recorder ids are never reused.
    static HOT: [Cell<Hot>; 2] = const { [Cell::new(Hot::EMPTY), Cell::new(Hot::EMPTY)] };
}

/// The hot slot of a recorder id: its parity.
#[inline(always)]
pub fn hot_slot(recorder_id: u64) -> usize {
    (recorder_id & 1) as usize
}

impl Drop for LocalCache {
    /// The thread is exiting (or the recorder is gone): hand this thread's counts to the series.
    fn drop(&mut self) {
        // `HOT` needs no destructor, so it is still there while `CACHES` is torn down.
        let _ = HOT.try_with(|hot| {
            let slot = &hot[hot_slot(self.recorder_id)];
            if slot.get().recorder_id == self.recorder_id {
                slot.set(Hot::EMPTY);
            }
        });
        for entry in &self.entries {
            entry.series.retire(&entry.shard);
        }
    }
}

thread_local! {
    static CACHES: RefCell<Vec<LocalCache>> = const { RefCell::new(Vec::new()) };
}

/// What a lookup in this thread's cache found.
pub enum Lookup<R> {
    /// The series was cached; `R` is what the closure returned.
    Hit(R),
    /// Not cached yet: insert with [`insert`].
    Miss,
    /// Thread-locals are being torn down: use the locked path.
    Unavailable,
}

/// Runs `hit` on the cached series and shard for `call`'s labels, if any. `slot` is
/// [`hot_slot`] of `recorder_id`, which the caller knows without computing it (a constant once
/// inlined); any slot would be sound, only slower.
#[inline]
pub fn with_entry<R>(
    recorder_id: u64,
    slot: usize,
    call: &Call<'_>,
    hit: impl FnOnce(&Series, &SeriesShard) -> R,
) -> Lookup<R> {
    debug_assert_eq!(slot, hot_slot(recorder_id));
    let slot = HOT.with(|hot| hot[slot].get());
    if slot.recorder_id == recorder_id {
        // SAFETY: a slot with this recorder's id points into this thread's live cache for
        // it (the invariant at `HOT`); this thread is the one reading it.
        let (series, shard) = unsafe { (&*slot.series, &*slot.shard) };
        // Compared straight from the call: building its labels first kept a dozen values
        // alive across the lookup (spilled to the stack on every call).
        if series.matches(call) {
            return Lookup::Hit(hit(series, shard));
        }
    }
    with_cache(recorder_id, call, hit)
}

/// The series changed since the last call (or none is hot yet): the cache.
#[inline(never)]
fn with_cache<R>(
    recorder_id: u64,
    call: &Call<'_>,
    hit: impl FnOnce(&Series, &SeriesShard) -> R,
) -> Lookup<R> {
    CACHES
        .try_with(|caches| {
            let caches = caches.borrow();
            let Some(cache) = caches.iter().find(|c| c.recorder_id == recorder_id) else {
                return Lookup::Miss;
            };
            let Some((entry, repeated)) = cache.probe(&LabelsRef::of(call)) else {
                return Lookup::Miss;
            };
            let hot = if repeated {
                Hot {
                    recorder_id,
                    series: Arc::as_ptr(&entry.series),
                    shard: Arc::as_ptr(&entry.shard),
                }
            } else {
                Hot::EMPTY
            };
            HOT.with(|slots| {
                let slot = &slots[hot_slot(recorder_id)];
                if repeated || slot.get().recorder_id == recorder_id {
                    slot.set(hot);
                }
            });
            Lookup::Hit(hit(&entry.series, &entry.shard))
        })
        .unwrap_or(Lookup::Unavailable)
}

/// Caches `series` for this thread under `labels` (the call's own labels, which equal the
/// series' labels: overflowed series are never cached) with a new shard, and returns the entry's
/// shard. `None` if thread-locals are being torn down.
pub fn insert(
    recorder_id: u64,
    recorder: &Weak<()>,
    series: Arc<Series>,
) -> Option<Arc<SeriesShard>> {
    CACHES
        .try_with(|caches| {
            let mut caches = caches.borrow_mut();
            // Caches of recorders that no longer exist only hold memory: drop them now.
            caches.retain(|c| c.recorder.strong_count() > 0);
            let index = match caches.iter().position(|c| c.recorder_id == recorder_id) {
                Some(index) => index,
                None => {
                    caches.push(LocalCache {
                        recorder_id,
                        recorder: recorder.clone(),
                        hasher: DefaultHashBuilder::default(),
                        entries: Vec::new(),
                        positions: HashTable::new(),
                        last: Cell::new(0),
                    });
                    caches.len() - 1
                }
            };
            let cache = &mut caches[index];
            let hash = series.labels().as_ref().hash_with(&cache.hasher);
            let shard = series.new_shard();
            let position = cache.entries.len();
            cache.entries.push(LocalEntry {
                hash,
                series,
                shard: Arc::clone(&shard),
            });
            let entries = &cache.entries;
            cache
                .positions
                .insert_unique(hash, position, |&i| entries[i].hash);
            cache.last.set(position);
            shard
        })
        .ok()
}
