//! The per-thread cache from a call's borrowed labels to its series and this thread's shard.
//! After a series' first call on a thread, recording finds it here: a hash, a compare, no lock
//! and no allocation.

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
    /// Whether the last two lookups found the same entry. Calls of one thread mostly repeat
    /// the series of the call before (same model, key and outcome): while they do, `last` is
    /// compared first and a match skips hashing and probing. Threads that interleave series
    /// keep this off and pay no failed compare.
    repeating: Cell<bool>,
}

impl LocalCache {
    #[inline(always)]
    fn find(&self, call: &Call<'_>) -> Option<&LocalEntry> {
        if self.repeating.get() {
            if let Some(entry) = self.entries.get(self.last.get()) {
                // Compared straight from the call: building its labels first kept a dozen
                // values alive across the lookup (spilled to the stack on every call).
                if entry.series.labels.matches(call) {
                    return Some(entry);
                }
            }
        }
        self.probe(&LabelsRef::of(call))
    }

    /// The series changed since the last call: hash and probe.
    #[inline(never)]
    fn probe(&self, labels: &LabelsRef<'_>) -> Option<&LocalEntry> {
        let entries = &self.entries;
        let hash = labels.hash_with(&self.hasher);
        let position = *self
            .positions
            .find(hash, |&i| entries[i].series.labels.as_ref().same_as(labels))?;
        self.repeating.set(position == self.last.get());
        self.last.set(position);
        Some(&entries[position])
    }
}

impl Drop for LocalCache {
    /// The thread is exiting (or the recorder is gone): hand this thread's counts to the series.
    fn drop(&mut self) {
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

/// Runs `hit` on the cached entry for `labels`, if any.
#[inline]
pub fn with_entry<R>(
    recorder_id: u64,
    call: &Call<'_>,
    hit: impl FnOnce(&LocalEntry) -> R,
) -> Lookup<R> {
    CACHES
        .try_with(|caches| {
            let caches = caches.borrow();
            let Some(cache) = caches.iter().find(|c| c.recorder_id == recorder_id) else {
                return Lookup::Miss;
            };
            match cache.find(call) {
                Some(entry) => Lookup::Hit(hit(entry)),
                None => Lookup::Miss,
            }
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
                        repeating: Cell::new(false),
                    });
                    caches.len() - 1
                }
            };
            let cache = &mut caches[index];
            let hash = series.labels.as_ref().hash_with(&cache.hasher);
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
            cache.repeating.set(false);
            shard
        })
        .ok()
}
