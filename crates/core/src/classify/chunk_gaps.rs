//! Every gap between a stream's output chunks, as `gen_ai.client.operation.time_per_output_chunk`
//! records them: one value per chunk after the first, from the end of the previous chunk to the
//! end of this one. Kept as counts per bucket of the recorder's latency histogram (whole
//! milliseconds, 2 significant digits), so a stream of any length holds at most one entry per
//! bucket (bounded, nothing dropped) and the recorder adds each bucket's count in one step, the
//! same buckets recording every gap on its own would have filled.

use std::time::Duration;

use crate::record::atomic_hdr;

/// The gaps between one stream's output chunks, by histogram bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkGaps {
    /// (bucket index, gaps in it), sorted by index; at most one entry per bucket. A boxed
    /// slice, not a `Vec`: `Option<StreamTiming>` then keeps telling "no stream" apart with
    /// the one compare it had (a `Vec`'s niche took a second instruction on the hot path).
    buckets: Box<[(u16, u32)]>,
}

/// Counts gaps as a stream's chunks arrive; [`GapTally::gaps`] hands them over.
#[derive(Clone, Debug, Default)]
pub(crate) struct GapTally {
    buckets: Vec<(u16, u32)>,
}

impl GapTally {
    /// Notes `count` gaps of `gap` each.
    pub fn add(&mut self, gap: Duration, count: u32) {
        if count == 0 {
            return;
        }
        let index = atomic_hdr::index_of(crate::record::millis(gap));
        // Below 2^16: the histogram has 1,792 buckets.
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        match self.buckets.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(at) => self.buckets[at].1 = self.buckets[at].1.saturating_add(count),
            Err(at) => self.buckets.insert(at, (index, count)),
        }
    }

    pub fn gaps(&self) -> ChunkGaps {
        ChunkGaps {
            buckets: self.buckets.as_slice().into(),
        }
    }
}

impl ChunkGaps {
    /// The gaps of a stream read elsewhere (a timing built by hand, a test).
    pub fn from_durations(gaps: impl IntoIterator<Item = Duration>) -> ChunkGaps {
        let mut tally = GapTally::default();
        for gap in gaps {
            tally.add(gap, 1);
        }
        tally.gaps()
    }

    /// Gaps noted so far.
    pub fn len(&self) -> u64 {
        self.buckets.iter().map(|&(_, n)| u64::from(n)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// (histogram bucket index, gaps in it), by index.
    pub fn buckets(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.buckets
            .iter()
            .map(|&(i, n)| (usize::from(i), u64::from(n)))
    }

    /// The gaps' lowest values, in milliseconds, each as often as it was noted (for tests and
    /// for reading one stream's gaps).
    pub fn values_ms(&self) -> impl Iterator<Item = u64> + '_ {
        self.buckets().flat_map(|(index, count)| {
            std::iter::repeat_n(atomic_hdr::value_at(index), count as usize)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_land_in_the_histograms_buckets_counted_once_each() {
        let mut tally = GapTally::default();
        let ms = Duration::from_millis;
        for gap in [ms(20), ms(80), ms(20), ms(0), ms(2_001), ms(20)] {
            tally.add(gap, 1);
        }
        tally.add(ms(0), 3);
        tally.add(ms(5), 0);
        let gaps = tally.gaps();
        assert_eq!(gaps.len(), 9);
        let values: Vec<u64> = gaps.values_ms().collect();
        // 2,001 ms is in the 2,000–2,007 ms bucket (2 significant digits).
        assert_eq!(values, [0, 0, 0, 0, 20, 20, 20, 80, 2_000]);
        let buckets: Vec<(usize, u64)> = gaps.buckets().collect();
        assert_eq!(buckets.len(), 4, "one entry per bucket: {buckets:?}");
        assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0));
        let same = ChunkGaps::from_durations([20, 80, 20, 0, 2_001, 20, 0, 0, 0].map(ms));
        assert_eq!(same, gaps);
    }
}
