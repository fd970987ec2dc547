//! A response body classified as it passes on its way to the caller: the one body watcher
//! the reqwest middleware and the proxy share. Chunks are only looked at, never held back, so
//! time to first token is unchanged. A server-sent event stream goes through the
//! [`SseScanner`], Bedrock's AWS event stream through the [`EventStreamScanner`]; any other
//! body keeps a bounded head (the error envelope, or a success's `model`) and a bounded tail (a
//! large success's `usage` and `stop_reason` come last), classified in its provider's shape.

use std::collections::VecDeque;
use std::time::Instant;

use http::HeaderMap;

use super::provider::{classify_provider_response, Provider};
use super::redact::redact_owned;
use super::response::{complete_from_ends, retryable, TransportFailure};
use super::stream_timing::ChunkClock;
use super::{Class, EventStreamScanner, Outcome, SseScanner, MAX_BODY_PREFIX};

/// The content type of Bedrock's streamed responses.
const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";

/// How much of a large body's end is kept to find `usage` and `stop_reason`.
const TAIL_BYTES: usize = 8 * 1024;

/// How a watched body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyEnd {
    /// Every byte arrived.
    Complete,
    /// The transfer failed part-way: whatever the status said, the call failed.
    Failed(TransportFailure),
    /// The caller stopped reading: its own choice, not a failure of the API.
    Dropped,
}

/// Classifies a response body from the chunks fed to it.
#[derive(Debug)]
pub struct BodyScan {
    status: u16,
    headers: HeaderMap,
    kind: Kind,
    provider: Provider,
    /// The request's own key: an upstream may echo it in its error message whatever its shape.
    own_key: Option<String>,
    /// When output chunks of an event stream arrived.
    clock: ChunkClock,
}

#[derive(Debug)]
enum Kind {
    Sse(Box<SseScanner>),
    EventStream(Box<EventStreamScanner>),
    Json {
        head: Vec<u8>,
        tail: VecDeque<u8>,
        overflowed: bool,
    },
}

impl BodyScan {
    /// A body about to arrive from the Anthropic API ([`BodyScan::for_provider`] for another):
    /// an event stream when `content-type` says so.
    pub fn new(status: u16, headers: HeaderMap) -> BodyScan {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim_start();
        let kind = if content_type.starts_with("text/event-stream") {
            Kind::Sse(Box::new(SseScanner::new()))
        } else if content_type.starts_with(EVENTSTREAM) {
            Kind::EventStream(Box::new(EventStreamScanner::new()))
        } else {
            Kind::Json {
                head: Vec::new(),
                tail: VecDeque::new(),
                overflowed: false,
            }
        };
        BodyScan {
            status,
            headers,
            kind,
            provider: Provider::Anthropic,
            own_key: None,
            clock: ChunkClock::default(),
        }
    }

    /// When the attempt's request was sent: a stream's time to first chunk runs from here.
    pub fn sent_at(mut self, sent: Instant) -> BodyScan {
        self.clock.sent_at(sent);
        self
    }

    /// Classifies in `provider`'s shape (Bedrock and Vertex errors differ from the API's).
    pub fn for_provider(mut self, provider: Provider) -> BodyScan {
        self.provider = provider;
        self
    }

    /// Redacts `key` (the request's own API key) from the message before it is recorded.
    pub fn redacting(mut self, key: Option<String>) -> BodyScan {
        self.own_key = key;
        self
    }

    /// Looks at the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        match &mut self.kind {
            Kind::Sse(scanner) => {
                let before = scanner.output_chunks();
                scanner.feed(chunk);
                let after = scanner.output_chunks();
                if after != before {
                    self.clock.chunks_arrived(after, Instant::now());
                }
            }
            Kind::EventStream(scanner) => {
                let before = scanner.output_chunks();
                scanner.feed(chunk);
                let after = scanner.output_chunks();
                if after != before {
                    self.clock.chunks_arrived(after, Instant::now());
                }
            }
            Kind::Json {
                head,
                tail,
                overflowed,
            } => {
                let room = MAX_BODY_PREFIX.saturating_sub(head.len());
                head.extend_from_slice(&chunk[..chunk.len().min(room)]);
                let rest = &chunk[chunk.len().min(room)..];
                if rest.is_empty() {
                    return;
                }
                *overflowed = true;
                let rest = &rest[rest.len().saturating_sub(TAIL_BYTES)..];
                let excess = (tail.len() + rest.len()).saturating_sub(TAIL_BYTES);
                tail.drain(..excess.min(tail.len()));
                tail.extend(rest);
            }
        }
    }

    /// The outcome, given how the body ended.
    pub fn finish(self, end: BodyEnd) -> Outcome {
        let mut outcome = match self.kind {
            Kind::Sse(scanner) => {
                let mut outcome = match end {
                    BodyEnd::Failed(failure) => {
                        scanner.finish_interrupted(self.status, &self.headers, failure)
                    }
                    BodyEnd::Complete => scanner.finish(self.status, &self.headers),
                    BodyEnd::Dropped => scanner.finish_dropped(self.status, &self.headers),
                };
                outcome.stream = Some(self.clock.timing());
                outcome
            }
            Kind::EventStream(scanner) => {
                let mut outcome = match end {
                    BodyEnd::Failed(failure) => {
                        scanner.finish_interrupted(self.status, &self.headers, failure)
                    }
                    BodyEnd::Complete | BodyEnd::Dropped => {
                        scanner.finish(self.status, &self.headers)
                    }
                };
                outcome.stream = Some(self.clock.timing());
                outcome
            }
            Kind::Json {
                head,
                mut tail,
                overflowed,
            } => {
                let mut outcome =
                    classify_provider_response(self.provider, self.status, &self.headers, &head);
                if overflowed && end == BodyEnd::Complete && outcome.is_success() {
                    complete_from_ends(&mut outcome, &head, tail.make_contiguous());
                }
                if let (BodyEnd::Failed(failure), Class::Success) = (end, outcome.class) {
                    outcome.class = match failure {
                        TransportFailure::Timeout => Class::Timeout,
                        TransportFailure::Connection => Class::Connection,
                    };
                    outcome.error_type = Some(failure.error_type().to_owned());
                    outcome.retryable = retryable(outcome.class, None);
                }
                outcome
            }
        };
        outcome.provider = self.provider;
        outcome.message = outcome
            .message
            .map(|m| redact_owned(m, self.own_key.as_deref()));
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers
    }

    #[test]
    fn an_error_body_classifies_however_it_is_cut() {
        let body =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        for cut in 0..body.len() {
            let mut scan = BodyScan::new(529, json_headers());
            scan.feed(&body[..cut]);
            scan.feed(&body[cut..]);
            let outcome = scan.finish(BodyEnd::Complete);
            assert_eq!(outcome.class, Class::Overloaded);
            assert_eq!(outcome.error_type.as_deref(), Some("overloaded_error"));
        }
    }

    #[test]
    fn a_large_success_reads_its_usage_from_the_end() {
        let head =
            br#"{"type":"message","model":"claude-sonnet-4-6","content":[{"type":"text","text":""#;
        let filler = vec![b'x'; MAX_BODY_PREFIX * 2];
        let end =
            br#""}],"stop_reason":"max_tokens","usage":{"input_tokens":7,"output_tokens":9}}"#;
        let mut scan = BodyScan::new(200, json_headers());
        scan.feed(head);
        for chunk in filler.chunks(1000) {
            scan.feed(chunk);
        }
        scan.feed(end);
        let outcome = scan.finish(BodyEnd::Complete);
        assert!(outcome.is_success());
        assert_eq!(outcome.usage.map(|u| u.output_tokens), Some(9));
        assert!(
            outcome.truncated,
            "stop_reason max_tokens read from the tail"
        );
    }

    #[test]
    fn a_success_cut_part_way_is_a_transport_failure_and_a_dropped_one_is_not() {
        let mut scan = BodyScan::new(200, json_headers());
        scan.feed(br#"{"type":"message","#);
        let failed = scan.finish(BodyEnd::Failed(TransportFailure::Timeout));
        assert_eq!(failed.class, Class::Timeout);
        assert_eq!(failed.status, Some(200));
        let mut scan = BodyScan::new(200, json_headers());
        scan.feed(br#"{"type":"message","#);
        assert!(scan.finish(BodyEnd::Dropped).is_success());
    }

    #[test]
    fn a_bedrock_event_stream_has_stream_timings() {
        use crate::classify::eventstream_encode::chunk;
        let mut headers = HeaderMap::new();
        headers.insert("content-type", EVENTSTREAM.parse().unwrap());
        let sent = Instant::now();
        let mut scan = BodyScan::new(200, headers)
            .sent_at(sent)
            .for_provider(Provider::Bedrock);
        for event in [
            r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}"#,
            r#"{"type":"message_stop"}"#,
        ] {
            scan.feed(&chunk(event, None));
        }
        let outcome = scan.finish(BodyEnd::Complete);
        assert!(outcome.is_success());
        let timing = outcome.stream.expect("a Bedrock stream has timings");
        assert_eq!(timing.output_chunks, 2);
        assert!(timing.time_to_first_chunk.is_some());
        assert!(timing.time_per_output_chunk.is_some());
    }

    #[test]
    fn the_own_key_echoed_in_a_message_is_redacted() {
        let key = "sk-ant-test-echo-0000";
        let body = format!(
            r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key: {key}"}}}}"#
        );
        let mut scan = BodyScan::new(401, json_headers()).redacting(Some(key.to_owned()));
        scan.feed(body.as_bytes());
        let outcome = scan.finish(BodyEnd::Complete);
        assert!(!outcome.message.unwrap_or_default().contains(key));
    }
}
