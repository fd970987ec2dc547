//! An incremental scanner for a streamed (SSE) Messages response. The proxy and the middleware
//! feed it chunks as they pass through; it keeps at most one bounded line and one bounded
//! event's data, whatever the stream's size, and never copies content deltas it does not need.
//!
//! A 200 stream that later sends `event: error` (an `overloaded_error` mid-stream, say) is a
//! FAILED call: its [`Outcome`] keeps `status: Some(200)` — that is what HTTP said — but takes
//! `error_type`, `message` and `class` from the error event, so rules see the failure.

use super::body::{self, ErrorBody, Wire, WireUsage};
use super::response::{classify_response, retryable};
use super::{canonical_class, Class, ClassInput, Outcome, TransportFailure, Usage};
use http::HeaderMap;

/// `error.type` of a stream that ended before `message_stop` (and without an `error` event):
/// the caller got part of an answer, so the call failed (class connection, retryable).
pub const STREAM_INCOMPLETE: &str = "stream_incomplete";

/// Longest SSE line kept. The events we read (`message_start`, `message_delta`, `error`) are
/// small; a longer line is a content delta or garbage and is skipped (and counted).
pub const MAX_SSE_LINE: usize = 16 * 1024;

/// Scans a Messages event stream for the model, usage, stop reason and any error event.
#[derive(Debug, Default)]
pub struct SseScanner {
    line: Vec<u8>,
    line_too_long: bool,
    after_cr: bool,
    event: String,
    data: Vec<u8>,
    data_too_long: bool,
    /// Lines or events skipped because they exceeded the bound.
    skipped: u64,
    model: Option<String>,
    usage: Option<Usage>,
    stop_reason: Option<String>,
    error: Option<ErrorBody>,
    message_stopped: bool,
    /// `content_block_delta` events seen (output chunks; see `stream_timing`).
    output_chunks: u32,
}

impl SseScanner {
    pub fn new() -> SseScanner {
        SseScanner::default()
    }

    /// Feeds the next chunk; a chunk may end anywhere, even inside a `\r\n`.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.push_line_bytes(&chunk[..end]);
                    self.after_cr = chunk[end] == b'\r';
                    self.end_line();
                    chunk = &chunk[end + 1..];
                }
                None => {
                    self.push_line_bytes(chunk);
                    chunk = &[];
                }
            }
        }
    }

    /// Whether the stream reached `message_stop` or an `error` event (a stream that ends
    /// before either was cut off).
    pub fn completed(&self) -> bool {
        self.message_stopped || self.error.is_some()
    }

    /// Output chunks (`content_block_delta` events) seen so far.
    pub fn output_chunks(&self) -> u32 {
        self.output_chunks
    }

    /// Lines or events skipped because they were longer than the bound.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The outcome of a stream that ended (cleanly or not) with this HTTP status and headers.
    /// A 2xx stream that ended before `message_stop` (and without an `error` event) is a
    /// failed call: class connection, `error.type` [`STREAM_INCOMPLETE`].
    pub fn finish(self, status: u16, headers: &HeaderMap) -> Outcome {
        self.finish_inner(status, headers, true)
    }

    /// As [`SseScanner::finish`], except that a stream ending before `message_stop` is judged
    /// by what it said (for a caller that knows why it ended, or a container format that
    /// checks its own completeness).
    pub fn finish_lenient(self, status: u16, headers: &HeaderMap) -> Outcome {
        self.finish_inner(status, headers, false)
    }

    fn finish_inner(mut self, status: u16, headers: &HeaderMap, judge_cut: bool) -> Outcome {
        self.flush();
        let mut outcome = classify_response(status, headers, b"");
        let cut = judge_cut && !self.completed();
        if let Some(error) = self.error {
            outcome.class = canonical_class(ClassInput {
                status: Some(status),
                error_type: error.error_type.as_deref(),
                message: error.message.as_deref(),
                error_code: error.error_code.as_deref(),
            });
            // A 200 with an unnamed error event is still a failure.
            if outcome.class == Class::Success {
                outcome.class = Class::Other;
            }
            outcome.error_type = error.error_type;
            outcome.message = error.message;
            outcome.request_id = outcome.request_id.or(error.request_id);
            outcome.retryable = retryable(outcome.class, outcome.should_retry);
        }
        if cut && outcome.class == Class::Success {
            outcome.class = Class::Connection;
            outcome.error_type = Some(STREAM_INCOMPLETE.to_owned());
            outcome.retryable = retryable(outcome.class, None);
        }
        outcome.usage = self.usage;
        outcome.response_model = self.model;
        outcome.truncated = self.stop_reason.as_deref() == Some("max_tokens");
        outcome
    }

    /// The outcome of a stream the caller stopped reading: its own choice, so not a failure of
    /// the API even though `message_stop` never came.
    pub fn finish_dropped(self, status: u16, headers: &HeaderMap) -> Outcome {
        self.finish_lenient(status, headers)
    }

    /// The outcome of a stream whose body failed part-way (connection dropped, read timed out):
    /// status stays what HTTP said, the class is the transport failure.
    pub fn finish_interrupted(
        self,
        status: u16,
        headers: &HeaderMap,
        failure: TransportFailure,
    ) -> Outcome {
        let mut outcome = self.finish_lenient(status, headers);
        if outcome.class == Class::Success {
            outcome.class = match failure {
                TransportFailure::Timeout => Class::Timeout,
                TransportFailure::Connection => Class::Connection,
            };
            outcome.error_type = Some(failure.error_type().to_owned());
            outcome.retryable = retryable(outcome.class, None);
        }
        outcome
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) {
        if self.line_too_long {
            return;
        }
        if self.line.len() + bytes.len() > MAX_SSE_LINE {
            self.line_too_long = true;
            self.line.clear();
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self) {
        if std::mem::take(&mut self.line_too_long) {
            self.skipped += 1;
            self.line.clear();
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.process_line(&line);
        self.line = line;
        self.line.clear();
    }

    /// At end of stream, a last line or event without its terminator still counts.
    fn flush(&mut self) {
        if !self.line.is_empty() || self.line_too_long {
            self.end_line();
        }
        self.dispatch();
    }

    fn process_line(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.event = body::bounded(&String::from_utf8_lossy(value), 64),
            b"data" if !self.data_too_long => {
                if self.data.len() + value.len() + 1 > MAX_SSE_LINE {
                    self.data_too_long = true;
                    self.data.clear();
                } else {
                    if !self.data.is_empty() {
                        self.data.push(b'\n');
                    }
                    self.data.extend_from_slice(value);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event = std::mem::take(&mut self.event);
        if std::mem::take(&mut self.data_too_long) {
            self.skipped += 1;
        }
        if event == "content_block_delta" {
            self.output_chunks = self.output_chunks.saturating_add(1);
        }
        if self.data.is_empty() {
            return;
        }
        let interesting = matches!(
            event.as_str(),
            "" | "message_start" | "message_delta" | "message_stop" | "error"
        );
        // Taken out for the parse (the event borrows it), put back to keep its capacity.
        let mut data = std::mem::take(&mut self.data);
        if interesting {
            if let Some(event) = body::parse(&data) {
                self.apply(&event);
            }
        }
        data.clear();
        self.data = data;
    }

    fn apply(&mut self, event: &Wire) {
        match event.kind.0.as_deref() {
            Some("message_start") => {
                if let Some(message) = &event.message.0 {
                    let start = body::success_body(message);
                    self.model = start.model.or(self.model.take());
                    self.usage = start.usage.or(self.usage);
                }
            }
            Some("message_delta") => {
                let reason = event
                    .delta
                    .0
                    .as_ref()
                    .and_then(|d| body::short(&d.stop_reason));
                if let Some(reason) = reason {
                    self.stop_reason = Some(reason);
                }
                if let Some(delta) = &event.usage.0 {
                    self.usage = Some(merge_usage(self.usage, delta));
                }
            }
            Some("message_stop") => self.message_stopped = true,
            Some("error") => self.error = body::error_body(event),
            _ => {}
        }
    }
}

/// `message_delta` usage is cumulative and carries `output_tokens`; input counters appear in it
/// only when they changed, so keep `message_start`'s unless the delta names them.
fn merge_usage(start: Option<Usage>, delta: &WireUsage) -> Usage {
    let mut usage = start.unwrap_or_default();
    let named = body::usage(delta);
    usage.output_tokens = named.output_tokens;
    if delta.input_tokens.is_some() {
        usage.input_tokens = named.input_tokens;
    }
    if delta.cache_read_input_tokens.is_some() {
        usage.cache_read_input_tokens = named.cache_read_input_tokens;
    }
    if delta.cache_creation_input_tokens.is_some() {
        usage.cache_creation_input_tokens = named.cache_creation_input_tokens;
    }
    if delta.cache_creation.0.is_some() {
        usage.cache_creation_1h_input_tokens = named.cache_creation_1h_input_tokens;
    }
    usage
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
