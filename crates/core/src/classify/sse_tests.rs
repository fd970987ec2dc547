use http::HeaderMap;

use super::*;

const STREAM: &str = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-6\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\r\n\r\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
: a comment\n\
event: ping\ndata: {\"type\": \"ping\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

const MID_STREAM_ERROR: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n\
event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

fn scan_in(pieces: &[&[u8]]) -> Outcome {
    let mut scanner = SseScanner::new();
    for piece in pieces {
        scanner.feed(piece);
    }
    scanner.finish(200, &HeaderMap::new())
}

#[test]
fn a_full_stream_gives_model_usage_and_stop_reason() {
    let o = scan_in(&[STREAM.as_bytes()]);
    assert_eq!(o.class, Class::Success);
    assert_eq!(o.response_model.as_deref(), Some("claude-sonnet-4-6"));
    let u = o.usage.unwrap();
    assert_eq!(
        (u.input_tokens, u.cache_read_input_tokens, u.output_tokens),
        (25, 5, 15)
    );
    assert!(o.truncated);
}

#[test]
fn every_split_point_gives_the_same_outcome() {
    let whole = scan_in(&[STREAM.as_bytes()]);
    let bytes = STREAM.as_bytes();
    for i in 0..=bytes.len() {
        assert_eq!(scan_in(&[&bytes[..i], &bytes[i..]]), whole, "split at {i}");
    }
    let errored = scan_in(&[MID_STREAM_ERROR.as_bytes()]);
    let bytes = MID_STREAM_ERROR.as_bytes();
    for i in 0..=bytes.len() {
        assert_eq!(
            scan_in(&[&bytes[..i], &bytes[i..]]),
            errored,
            "split at {i}"
        );
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(scan_in(&singles), errored);
}

#[test]
fn a_mid_stream_error_is_a_failed_call_with_status_200() {
    let o = scan_in(&[MID_STREAM_ERROR.as_bytes()]);
    assert_eq!(o.status, Some(200));
    assert_eq!(o.class, Class::Overloaded);
    assert_eq!(o.error_type.as_deref(), Some("overloaded_error"));
    assert_eq!(o.message.as_deref(), Some("Overloaded"));
    assert_eq!(o.usage.unwrap().input_tokens, 25);
}

#[test]
fn an_oversized_line_is_skipped_and_counted_not_buffered() {
    let mut scanner = SseScanner::new();
    scanner.feed(b"event: content_block_delta\ndata: ");
    for _ in 0..100 {
        scanner.feed(&[b'x'; 1024]);
        assert!(scanner.line.len() <= MAX_SSE_LINE);
    }
    scanner.feed(b"\n\n");
    scanner.feed(MID_STREAM_ERROR.as_bytes());
    assert_eq!(scanner.skipped(), 1);
    assert!(scanner.completed());
    assert_eq!(
        scanner.finish(200, &HeaderMap::new()).class,
        Class::Overloaded
    );
}

#[test]
fn a_stream_cut_off_is_a_transport_failure_keeping_usage() {
    let mut scanner = SseScanner::new();
    scanner.feed(&MID_STREAM_ERROR.as_bytes()[..200]);
    assert!(!scanner.completed());
    let o = scanner.finish_interrupted(200, &HeaderMap::new(), TransportFailure::Connection);
    assert_eq!((o.status, o.class), (Some(200), Class::Connection));
    assert_eq!(o.error_type.as_deref(), Some("connection_error"));
}

#[test]
fn garbage_never_panics() {
    let o = scan_in(&[b"\xff\xfe\r\r\n:data\ndata\nevent: error\ndata: {not json\n\n"]);
    // No message_stop ever came: an incomplete stream, not a success.
    assert_eq!(o.class, Class::Connection);
    assert_eq!(o.error_type.as_deref(), Some(STREAM_INCOMPLETE));
}

#[test]
fn a_stream_that_ends_before_message_stop_failed_unless_the_caller_dropped_it() {
    let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n";
    let mut scanner = SseScanner::new();
    scanner.feed(body.as_bytes());
    assert_eq!(scanner.output_chunks(), 2);
    let o = scanner.finish(200, &HeaderMap::new());
    assert_eq!((o.status, o.class), (Some(200), Class::Connection));
    assert_eq!(o.error_type.as_deref(), Some(STREAM_INCOMPLETE));
    assert!(o.retryable);
    let mut scanner = SseScanner::new();
    scanner.feed(body.as_bytes());
    assert!(scanner.finish_dropped(200, &HeaderMap::new()).is_success());
    let mut scanner = SseScanner::new();
    scanner.feed(body.as_bytes());
    scanner.feed(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    assert!(scanner.finish(200, &HeaderMap::new()).is_success());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_in_arbitrary_chunks_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20),
            status in any::<u16>(),
        ) {
            let mut scanner = SseScanner::new();
            for chunk in &chunks {
                scanner.feed(chunk);
                prop_assert!(scanner.line.len() <= MAX_SSE_LINE);
            }
            let _ = scanner.finish(status, &HeaderMap::new());
        }

        #[test]
        fn any_chunking_of_a_stream_gives_the_same_outcome(
            cuts in proptest::collection::btree_set(0..STREAM.len(), 0..12),
        ) {
            let bytes = STREAM.as_bytes();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in cuts {
                pieces.push(&bytes[start..cut]);
                start = cut;
            }
            pieces.push(&bytes[start..]);
            prop_assert_eq!(scan_in(&pieces), scan_in(&[bytes]));
        }
    }
}
