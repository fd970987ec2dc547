//! How a streamed response arrived, as the user reading it feels it: time to the first output
//! chunk and the mean time between output chunks (`gen_ai.client.operation.time_to_first_chunk`
//! and `…time_per_output_chunk`).
//!
//! An output chunk is a `content_block_delta` event: the first event that carries generated
//! content (text, a tool call's JSON, thinking). `message_start`, `content_block_start` and
//! `ping` go out as soon as the API accepts the request, before any token exists, so counting
//! from them would measure the response headers again, not the model's first token. Times run
//! from when the attempt's request was sent to when the chunk completing the event arrived.

use std::time::{Duration, Instant};

/// Timings of one streamed response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTiming {
    /// From sending the request to the first output chunk; `None` when none arrived.
    pub time_to_first_chunk: Option<Duration>,
    /// Mean time between consecutive output chunks (the convention records each gap; one mean
    /// per stream keeps recording to one histogram update); `None` below two chunks.
    pub time_per_output_chunk: Option<Duration>,
    /// Output chunks received.
    pub output_chunks: u32,
}

/// Notes when output chunks arrive (no allocation, no per-chunk state beyond three words).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ChunkClock {
    sent: Option<Instant>,
    first: Option<Instant>,
    last: Option<Instant>,
    chunks: u32,
}

impl ChunkClock {
    pub fn sent_at(&mut self, sent: Instant) {
        self.sent = Some(sent);
    }

    /// `total` output chunks have arrived so far (called when the count grew).
    pub fn chunks_arrived(&mut self, total: u32, at: Instant) {
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
    }
}
