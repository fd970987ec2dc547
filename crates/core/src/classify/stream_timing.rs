//! How a streamed response arrived, as the user reading it feels it: time to the first output
//! chunk and every gap between output chunks (`gen_ai.client.operation.time_to_first_chunk`
//! and `…time_per_output_chunk`).
//!
//! An output chunk is a `content_block_delta` event: the first event that carries generated
//! content (text, a tool call's JSON, thinking). `message_start`, `content_block_start` and
//! `ping` go out as soon as the API accepts the request, before any token exists, so counting
//! from them would measure the response headers again, not the model's first token. Times run
//! from when the attempt's request was sent to when the chunk completing the event arrived.

use std::time::{Duration, Instant};

use super::chunk_gaps::{ChunkGaps, GapTally};

/// Timings of one streamed response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamTiming {
    /// From sending the request to the first output chunk; `None` when none arrived.
    pub time_to_first_chunk: Option<Duration>,
    /// Mean time between consecutive output chunks; `None` below two chunks.
    pub time_per_output_chunk: Option<Duration>,
    /// Output chunks received.
    pub output_chunks: u32,
    /// Every gap between consecutive output chunks, which the recorder's
    /// `time_per_output_chunk` histogram records one by one, as the convention says. Empty
    /// when the chunks were not watched one by one (a timing built by hand): the recorder then
    /// records the mean, once.
    pub chunk_gaps: ChunkGaps,
}

/// Notes when output chunks arrive: three instants, a count, and the gaps by histogram bucket.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChunkClock {
    sent: Option<Instant>,
    first: Option<Instant>,
    last: Option<Instant>,
    chunks: u32,
    gaps: GapTally,
}

impl ChunkClock {
    pub fn sent_at(&mut self, sent: Instant) {
        self.sent = Some(sent);
    }

    /// `total` output chunks have arrived so far (called when the count grew). Chunks that
    /// completed in the same read arrived together: the gap before each but the first of them
    /// is zero, as the reader saw it.
    pub fn chunks_arrived(&mut self, total: u32, at: Instant) {
        let new = total.saturating_sub(self.chunks);
        match self.last {
            Some(last) => {
                self.gaps.add(at.saturating_duration_since(last), 1);
                self.gaps.add(Duration::ZERO, new.saturating_sub(1));
            }
            None => self.gaps.add(Duration::ZERO, new.saturating_sub(1)),
        }
        if self.first.is_none() {
            self.first = Some(at);
        }
        self.last = Some(at);
        self.chunks = total;
    }

    pub fn timing(&self) -> StreamTiming {
        let time_to_first_chunk = match (self.sent, self.first) {
            (Some(sent), Some(first)) => Some(first.saturating_duration_since(sent)),
            _ => None,
        };
        let time_per_output_chunk = match (self.first, self.last) {
            (Some(first), Some(last)) if self.chunks >= 2 => {
                Some(last.saturating_duration_since(first) / (self.chunks - 1))
            }
            _ => None,
        };
        StreamTiming {
            time_to_first_chunk,
            time_per_output_chunk,
            output_chunks: self.chunks,
            chunk_gaps: self.gaps.gaps(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_chunk_and_mean_gap_from_the_send() {
        let sent = Instant::now();
        let mut clock = ChunkClock::default();
        clock.sent_at(sent);
        assert_eq!(clock.timing().time_to_first_chunk, None);
        clock.chunks_arrived(1, sent + Duration::from_millis(300));
        clock.chunks_arrived(3, sent + Duration::from_millis(340));
        let t = clock.timing();
        assert_eq!(t.time_to_first_chunk, Some(Duration::from_millis(300)));
        assert_eq!(t.time_per_output_chunk, Some(Duration::from_millis(20)));
        assert_eq!(t.output_chunks, 3);
        // Chunks 2 and 3 completed in one read, 40 ms after the first: gaps 40 and 0.
        assert_eq!(t.chunk_gaps.values_ms().collect::<Vec<_>>(), [0, 40]);
    }

    #[test]
    fn every_gap_after_the_first_chunk_is_noted() {
        let sent = Instant::now();
        let ms = Duration::from_millis;
        let mut clock = ChunkClock::default();
        clock.sent_at(sent);
        for (total, at) in [(1, 300), (2, 320), (3, 340), (4, 420), (6, 500)] {
            clock.chunks_arrived(total, sent + ms(at));
        }
        let t = clock.timing();
        assert_eq!(t.output_chunks, 6);
        assert_eq!(t.chunk_gaps.len(), 5, "one gap per chunk after the first");
        let gaps: Vec<u64> = t.chunk_gaps.values_ms().collect();
        assert_eq!(gaps, [0, 20, 20, 80, 80]);
        assert_eq!(t.time_per_output_chunk, Some(ms(40)));
    }
}
