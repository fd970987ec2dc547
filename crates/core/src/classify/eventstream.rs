//! An incremental scanner for a Bedrock streamed response (`application/vnd.amazon.eventstream`):
//! binary frames, each `total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload |
//! message_crc u32` (big-endian). `:message-type` `event` frames with `:event-type` `chunk`
//! carry `{"bytes":"<base64>"}`, the Anthropic stream event inside, which the [`SseScanner`]
//! reads as it would on the Anthropic API. An `exception` frame (`:exception-type`
//! `throttlingException`, `modelStreamErrorException`, …) inside a 200 makes the call a
//! failure, exactly as an SSE `error` event does. A `converse-stream` answer carries its own
//! events instead (`messageStart` … `messageStop` with the `stopReason`, then `metadata` with
//! the `usage`): those two are read directly.
//!
//! Output chunks (for time to first chunk, `stream_timing`) follow the Anthropic rule: a
//! `chunk` frame counts when the event inside is a `content_block_delta`, and in
//! `converse-stream` a `contentBlockDelta` event — the first frames that carry generated
//! content. The frames before them (`message_start` / `messageStart`, `content_block_start` /
//! `contentBlockStart`) go out as soon as Bedrock accepts the request, before any token exists:
//! counting from them would time the response headers again, not the model's first token.
//!
//! Like the SSE scanner it keeps at most one bounded frame, whatever the stream's size, and
//! gives the same outcome however the bytes are cut. CRCs are not checked: the scanner reads,
//! it does not validate (the client's decoder does, and TLS protects the bytes); a frame whose
//! lengths cannot be right stops the scan, counted in [`EventStreamScanner::skipped`].

use base64::Engine as _;
use http::HeaderMap;
use serde::Deserialize;

use super::body::{bounded, MAX_MESSAGE_CHARS};
use super::lenient::Text;
use super::provider::Provider;
use super::response::retryable;
use super::{bedrock, Class, Outcome, SseScanner, TransportFailure};

/// The largest frame read; a larger one (never an event we need) is skipped, not buffered.
pub const MAX_FRAME: usize = 64 * 1024;
/// The protocol's own bound on a frame (16 MiB payload plus headers): a larger length is garbage.
const MAX_PROTOCOL_FRAME: u32 = 16 * 1024 * 1024 + 128 * 1024 + 16;
const PRELUDE: usize = 12;
const MIN_FRAME: u32 = 16;
const MAX_CODE_CHARS: usize = 128;

#[derive(Debug)]
pub struct EventStreamScanner {
    prelude: [u8; PRELUDE],
    prelude_len: usize,
    /// Headers and payload (and CRC) of the frame being read, when it is within the bound.
    frame: Vec<u8>,
    headers_len: usize,
    /// Bytes of the current frame still to come after its prelude; 0 between frames.
    remaining: usize,
    skipping: bool,
    /// The framing was lost: nothing more can be read.
    lost: bool,
    skipped: u64,
    events: SseScanner,
    exception: Option<(String, Option<String>)>,
    /// `converse-stream`: what `messageStop` and `metadata` said.
    converse: Converse,
    /// The decoded event of the current `chunk` (kept for its capacity, at most a frame's).
    decoded: Vec<u8>,
}

#[derive(Debug, Default)]
struct Converse {
    /// `contentBlockDelta` events seen (output chunks).
    deltas: u32,
    stopped: bool,
    stop_reason: Option<String>,
    usage: Option<super::Usage>,
}

impl Default for EventStreamScanner {
    fn default() -> Self {
        EventStreamScanner {
            prelude: [0; PRELUDE],
            prelude_len: 0,
            frame: Vec::new(),
            headers_len: 0,
            remaining: 0,
            skipping: false,
            lost: false,
            skipped: 0,
            events: SseScanner::new(),
            exception: None,
            converse: Converse::default(),
            decoded: Vec::new(),
        }
    }
}

impl EventStreamScanner {
    pub fn new() -> EventStreamScanner {
        EventStreamScanner::default()
    }

    /// Feeds the next chunk; a chunk may end anywhere, even inside a prelude.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() && !self.lost {
            if self.remaining == 0 {
                let take = (PRELUDE - self.prelude_len).min(chunk.len());
                self.prelude[self.prelude_len..self.prelude_len + take]
                    .copy_from_slice(&chunk[..take]);
                self.prelude_len += take;
                chunk = &chunk[take..];
                if self.prelude_len == PRELUDE {
                    self.start_frame();
                }
                continue;
            }
            let take = self.remaining.min(chunk.len());
            if !self.skipping {
                self.frame.extend_from_slice(&chunk[..take]);
            }
            self.remaining -= take;
            chunk = &chunk[take..];
            if self.remaining == 0 {
                self.end_frame();
            }
        }
    }

    /// Whether the stream reached `message_stop` or an error (in-band exception or Anthropic
    /// `error` event); a stream that ends before either was cut off.
    pub fn completed(&self) -> bool {
        self.exception.is_some() || self.events.completed() || self.converse.stopped
    }

    /// Output chunks seen so far: `content_block_delta` events inside `chunk` frames, or
    /// `converse-stream`'s `contentBlockDelta` events.
    pub fn output_chunks(&self) -> u32 {
        self.events
            .output_chunks()
            .saturating_add(self.converse.deltas)
    }

    /// Frames skipped (too large, malformed headers) or the framing lost.
    pub fn skipped(&self) -> u64 {
        self.skipped + self.events.skipped()
    }

    /// The outcome of a stream that ended with this HTTP status and headers.
    pub fn finish(self, status: u16, headers: &HeaderMap) -> Outcome {
        let mut outcome = self.events.finish_lenient(status, headers);
        outcome.provider = Provider::Bedrock;
        if outcome.class == Class::Success {
            outcome.usage = outcome.usage.or(self.converse.usage);
            outcome.truncated |= self.converse.stop_reason.as_deref() == Some("max_tokens");
        }
        if outcome.request_id.is_none() {
            outcome.request_id = headers
                .get(bedrock::REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(|id| bounded(id, MAX_CODE_CHARS));
        }
        if let Some((code, message)) = self.exception {
            // Unknown or not, an exception inside a 200 is a failed call.
            outcome.class = bedrock::class_of(&code).unwrap_or(Class::Other);
            outcome.error_type = Some(code);
            outcome.message = message;
            outcome.retryable = retryable(outcome.class, outcome.should_retry);
        }
        outcome
    }

    /// The outcome of a stream whose body failed part-way: the class is the transport failure
    /// unless the stream had already said it failed.
    pub fn finish_interrupted(
        self,
        status: u16,
        headers: &HeaderMap,
        failure: TransportFailure,
    ) -> Outcome {
        let mut outcome = self.finish(status, headers);
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

    fn start_frame(&mut self) {
        self.prelude_len = 0;
        let word = |i: usize| {
            u32::from_be_bytes([
                self.prelude[i],
                self.prelude[i + 1],
                self.prelude[i + 2],
                self.prelude[i + 3],
            ])
        };
        let (total, headers_len) = (word(0), word(4));
        if !(MIN_FRAME..=MAX_PROTOCOL_FRAME).contains(&total) || headers_len > total - MIN_FRAME {
            self.lost = true;
            self.skipped += 1;
            return;
        }
        self.remaining = (total as usize) - PRELUDE;
        self.headers_len = headers_len as usize;
        self.skipping = self.remaining > MAX_FRAME;
        self.frame.clear();
    }

    fn end_frame(&mut self) {
        if std::mem::take(&mut self.skipping) {
            self.skipped += 1;
            return;
        }
        let frame = std::mem::take(&mut self.frame);
        // Headers, then the payload up to the 4-byte message CRC.
        let (head, rest) = frame.split_at(self.headers_len);
        let payload = &rest[..rest.len() - 4];
        match FrameHeaders::read(head) {
            Some(headers) => self.apply(&headers, payload),
            None => self.skipped += 1,
        }
        self.frame = frame;
        self.frame.clear();
    }

    fn apply(&mut self, headers: &FrameHeaders, payload: &[u8]) {
        match headers.message_type {
            Some("event") if headers.event_type == Some("chunk") => self.chunk(payload),
            Some("event") if headers.event_type == Some("contentBlockDelta") => {
                self.converse.deltas = self.converse.deltas.saturating_add(1);
            }
            Some("event") if headers.event_type == Some("messageStop") => {
                self.converse.stopped = true;
                if let Some(wire) = super::body::parse(payload) {
                    self.converse.stop_reason = super::body::short(&wire.stop_reason);
                }
            }
            Some("event") if headers.event_type == Some("metadata") => {
                match super::body::parse(payload) {
                    Some(wire) => {
                        if let Some(usage) = wire.usage.0.as_ref() {
                            self.converse.usage = Some(super::body::usage(usage));
                        }
                    }
                    None => self.skipped += 1,
                }
            }
            Some("exception") => {
                let code = headers.exception_type.unwrap_or("exception");
                self.set_exception(code, payload_message(payload));
            }
            Some("error") => {
                let code = headers.error_code.unwrap_or("error");
                self.set_exception(code, headers.error_message.map(str::to_owned));
            }
            _ => {}
        }
    }

    fn set_exception(&mut self, code: &str, message: Option<String>) {
        if self.exception.is_none() {
            let message =
                message.map(|m| super::redact_owned(bounded(&m, MAX_MESSAGE_CHARS), None));
            self.exception = Some((bounded(code, MAX_CODE_CHARS), message));
        }
    }

    /// `{"bytes":"<base64 Anthropic event>"}`: the event goes to the SSE scanner as one `data:`
    /// line (a JSON text's raw newlines are whitespace, so they become spaces), named by an
    /// `event:` line with its `type` as the Anthropic API names its events: the SSE scanner
    /// then counts output chunks by the same rule, and skips parsing content deltas.
    fn chunk(&mut self, payload: &[u8]) {
        #[derive(Default, Deserialize)]
        #[serde(default)]
        struct Chunk<'a> {
            #[serde(borrow)]
            bytes: Text<'a>,
        }
        let parsed;
        let encoded: &[u8] = match exact_chunk(payload) {
            Some(encoded) => encoded,
            None => {
                let Ok(chunk) = serde_json::from_slice::<Chunk>(payload) else {
                    self.skipped += 1;
                    return;
                };
                let Some(encoded) = chunk.bytes.0 else {
                    return;
                };
                parsed = encoded;
                parsed.as_bytes()
            }
        };
        let mut event = std::mem::take(&mut self.decoded);
        event.clear();
        if base64::engine::general_purpose::STANDARD
            .decode_vec(encoded, &mut event)
            .is_err()
        {
            self.skipped += 1;
            self.decoded = event;
            return;
        }
        for b in &mut event {
            if *b == b'\n' || *b == b'\r' {
                *b = b' ';
            }
        }
        if let Some(name) = event_name(&event) {
            self.events.feed(b"event: ");
            self.events.feed(name);
            self.events.feed(b"\n");
        }
        self.events.feed(b"data: ");
        self.events.feed(&event);
        self.events.feed(b"\n\n");
        self.decoded = event;
    }
}

/// The base64 text of a payload that is exactly `{"bytes":"<base64>"}`, as Bedrock sends a
/// `chunk`: read without a JSON parse (any other shape goes through one).
fn exact_chunk(payload: &[u8]) -> Option<&[u8]> {
    let encoded = payload
        .strip_prefix(br#"{"bytes":""#)?
        .strip_suffix(br#""}"#)?;
    encoded
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .then_some(encoded)
}

/// The `type` of an Anthropic stream event, when it is a plain name (what an SSE `event:`
/// line would carry). The events Bedrock relays begin with it (`{"type":"…"`), read without a
/// parse; otherwise the JSON is parsed for it alone (other fields skipped, not read).
fn event_name(event: &[u8]) -> Option<&[u8]> {
    let plain = |name: &[u8]| {
        !name.is_empty()
            && name.len() <= 64
            && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if let Some(rest) = event.strip_prefix(br#"{"type":""#) {
        let end = rest.iter().position(|&b| b == b'"')?;
        return plain(&rest[..end]).then_some(&rest[..end]);
    }
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Named<'a> {
        #[serde(rename = "type", borrow)]
        kind: Text<'a>,
    }
    let named: Named = serde_json::from_slice(event).ok()?;
    let name = named.kind.0?;
    // An escaped name is owned, and never plain.
    match name {
        std::borrow::Cow::Borrowed(name) if plain(name.as_bytes()) => Some(name.as_bytes()),
        _ => None,
    }
}

fn payload_message(payload: &[u8]) -> Option<String> {
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Message<'a> {
        #[serde(borrow)]
        message: Text<'a>,
        #[serde(rename = "Message", borrow)]
        message_upper: Text<'a>,
    }
    let m: Message = serde_json::from_slice(payload).ok()?;
    m.message.0.or(m.message_upper.0).map(|m| m.into_owned())
}

/// The string headers the scanner needs; other headers are skipped by their type's size.
#[derive(Default)]
struct FrameHeaders<'a> {
    message_type: Option<&'a str>,
    event_type: Option<&'a str>,
    exception_type: Option<&'a str>,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
}

impl<'a> FrameHeaders<'a> {
    /// `None` when the header block is malformed (a length past its end, an unknown type).
    fn read(mut bytes: &'a [u8]) -> Option<FrameHeaders<'a>> {
        let mut found = FrameHeaders::default();
        while !bytes.is_empty() {
            let name_len = *bytes.first()? as usize;
            let name = bytes.get(1..1 + name_len)?;
            let kind = *bytes.get(1 + name_len)?;
            bytes = &bytes[2 + name_len..];
            let fixed = match kind {
                0 | 1 => Some(0),
                2 => Some(1),
                3 => Some(2),
                4 => Some(4),
                5 | 8 => Some(8),
                9 => Some(16),
                6 | 7 => None,
                _ => return None,
            };
            let value = match fixed {
                Some(n) => {
                    let value = bytes.get(..n)?;
                    bytes = &bytes[n..];
                    value
                }
                None => {
                    let len = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]) as usize;
                    let value = bytes.get(2..2 + len)?;
                    bytes = &bytes[2 + len..];
                    value
                }
            };
            if kind != 7 {
                continue;
            }
            let value = std::str::from_utf8(value).ok();
            match name {
                b":message-type" => found.message_type = value,
                b":event-type" => found.event_type = value,
                b":exception-type" => found.exception_type = value,
                b":error-code" => found.error_code = value,
                b":error-message" => found.error_message = value,
                _ => {}
            }
        }
        Some(found)
    }
}

/// Frames as Bedrock sends them, for tests, benches and the mock (no CRC: see the module doc;
/// the mock computes real CRCs of its own).
#[doc(hidden)]
pub mod encode {
    /// One frame with string headers; CRC fields are written by `crc` (zeros when `None`).
    pub fn frame(
        headers: &[(&str, &str)],
        payload: &[u8],
        crc: Option<fn(&[u8]) -> u32>,
    ) -> Vec<u8> {
        let mut head = Vec::new();
        for (name, value) in headers {
            head.push(name.len() as u8);
            head.extend_from_slice(name.as_bytes());
            head.push(7);
            head.extend_from_slice(&(value.len() as u16).to_be_bytes());
            head.extend_from_slice(value.as_bytes());
        }
        let total = (16 + head.len() + payload.len()) as u32;
        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&(head.len() as u32).to_be_bytes());
        let prelude_crc = crc.map_or(0, |f| f(&out));
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(payload);
        let message_crc = crc.map_or(0, |f| f(&out));
        out.extend_from_slice(&message_crc.to_be_bytes());
        out
    }

    /// A `chunk` event carrying one Anthropic stream event (JSON).
    pub fn chunk(event_json: &str, crc: Option<fn(&[u8]) -> u32>) -> Vec<u8> {
        use base64::Engine as _;
        let payload = format!(
            r#"{{"bytes":"{}"}}"#,
            base64::engine::general_purpose::STANDARD.encode(event_json)
        );
        frame(
            &[
                (":event-type", "chunk"),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            payload.as_bytes(),
            crc,
        )
    }

    /// An in-band exception (`throttlingException`, …) with its `{"message"}` payload.
    pub fn exception(kind: &str, message: &str, crc: Option<fn(&[u8]) -> u32>) -> Vec<u8> {
        let payload = serde_json::json!({ "message": message }).to_string();
        frame(
            &[
                (":exception-type", kind),
                (":content-type", "application/json"),
                (":message-type", "exception"),
            ],
            payload.as_bytes(),
            crc,
        )
    }
}

#[cfg(test)]
#[path = "eventstream_tests.rs"]
mod tests;
