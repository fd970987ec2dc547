use http::HeaderMap;
use proptest::prelude::*;

use super::encode::{chunk, exception, frame};
use super::*;

const START: &str = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#;
const DELTA: &str =
    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#;
const END: &str =
    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#;
const STOP: &str = r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":25,"outputTokenCount":15}}"#;

fn success() -> Vec<u8> {
    [START, DELTA, END, STOP]
        .iter()
        .flat_map(|e| chunk(e, None))
        .collect()
}

fn throttled_mid_stream() -> Vec<u8> {
    let mut bytes: Vec<u8> = [START, DELTA].iter().flat_map(|e| chunk(e, None)).collect();
    bytes.extend(exception(
        "throttlingException",
        "Too many tokens, please wait before trying again.",
        None,
    ));
    bytes
}

fn scan_in(pieces: &[&[u8]]) -> Outcome {
    let mut scanner = EventStreamScanner::new();
    for piece in pieces {
        scanner.feed(piece);
    }
    scanner.finish(200, &HeaderMap::new())
}

#[test]
fn a_full_stream_gives_model_usage_and_success() {
    let o = scan_in(&[&success()]);
    assert_eq!(o.class, Class::Success);
    assert_eq!(o.provider, Provider::Bedrock);
    assert_eq!(
        o.response_model.as_deref(),
        Some("claude-sonnet-4-5-20250929")
    );
    let u = o.usage.unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (25, 15));
    let mut s = EventStreamScanner::new();
    s.feed(&success());
    assert!(s.completed());
    assert_eq!(s.skipped(), 0);
}

#[test]
fn an_exception_inside_a_200_is_a_failed_call() {
    let o = scan_in(&[&throttled_mid_stream()]);
    assert_eq!(o.status, Some(200));
    assert_eq!(o.class, Class::RateLimit);
    assert_eq!(o.error_type.as_deref(), Some("throttlingException"));
    assert_eq!(
        o.message.as_deref(),
        Some("Too many tokens, please wait before trying again.")
    );
    assert!(o.retryable);
    assert_eq!(o.usage.unwrap().input_tokens, 25);
    for (kind, class) in [
        ("modelStreamErrorException", Class::Server),
        ("validationException", Class::InvalidRequest),
        ("modelTimeoutException", Class::Timeout),
        ("serviceUnavailableException", Class::Overloaded),
        ("internalServerException", Class::Server),
        ("somethingNewException", Class::Other),
    ] {
        let o = scan_in(&[&exception(kind, "x", None)]);
        assert_eq!(o.class, class, "{kind}");
    }
}

#[test]
fn an_anthropic_error_event_inside_a_chunk_counts_too() {
    let err = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    let o = scan_in(&[&chunk(START, None), &chunk(err, None)]);
    assert_eq!(o.class, Class::Overloaded);
    assert_eq!(o.error_type.as_deref(), Some("overloaded_error"));
}

#[test]
fn a_cut_off_stream_is_not_completed_and_an_interrupted_one_fails() {
    let bytes = success();
    let mut s = EventStreamScanner::new();
    s.feed(&bytes[..bytes.len() - 30]);
    assert!(!s.completed());
    let o = s.finish_interrupted(200, &HeaderMap::new(), TransportFailure::Connection);
    assert_eq!(o.class, Class::Connection);
}

#[test]
fn garbage_lengths_stop_the_scan_and_are_counted() {
    let mut s = EventStreamScanner::new();
    s.feed(&[0xff; 40]);
    assert_eq!(s.skipped(), 1);
    assert_eq!(s.finish(200, &HeaderMap::new()).class, Class::Success);
    // A frame larger than the bound is skipped without being held, the next one is read.
    let big = frame(
        &[(":message-type", "event"), (":event-type", "chunk")],
        &vec![b'x'; MAX_FRAME + 10],
        None,
    );
    let mut s = EventStreamScanner::new();
    s.feed(&big);
    s.feed(&exception("throttlingException", "slow down", None));
    assert_eq!(s.skipped(), 1);
    assert!(s.frame.capacity() < MAX_FRAME);
    assert_eq!(s.finish(200, &HeaderMap::new()).class, Class::RateLimit);
}

#[test]
fn every_split_point_gives_the_same_outcome() {
    for stream in [success(), throttled_mid_stream()] {
        let whole = scan_in(&[&stream]);
        for i in 0..=stream.len() {
            assert_eq!(
                scan_in(&[&stream[..i], &stream[i..]]),
                whole,
                "split at {i}"
            );
        }
        let singles: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(scan_in(&singles), whole);
    }
}

proptest! {
    /// However the bytes are cut, the outcome is the same (the SSE scanner's property, for frames).
    #[test]
    fn any_cutting_gives_the_same_outcome(
        cuts in proptest::collection::vec(0usize..2000, 0..12),
        errored in any::<bool>(),
    ) {
        let stream = if errored { throttled_mid_stream() } else { success() };
        let whole = scan_in(&[&stream]);
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut at = 0;
        for p in points {
            pieces.push(&stream[at..p]);
            at = p;
        }
        pieces.push(&stream[at..]);
        prop_assert_eq!(scan_in(&pieces), whole);
    }

    /// Arbitrary bytes, in arbitrary pieces, never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..600) {
        let cut = cut.min(bytes.len());
        let _ = scan_in(&[&bytes[..cut], &bytes[cut..]]);
        // A valid prefix followed by garbage, too.
        let mut mixed = throttled_mid_stream();
        mixed.extend_from_slice(&bytes);
        let _ = scan_in(&[&mixed]);
    }
}

/// A `converse-stream` answer: its own event types (JSON payloads, not base64 chunks), the
/// stop reason in `messageStop` and the usage in the final `metadata` event (docs.aws.amazon.com
/// /bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html).
fn converse_stream(stop_reason: &str) -> Vec<u8> {
    let event = |kind: &str, json: &str| {
        frame(
            &[
                (":event-type", kind),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            json.as_bytes(),
            None,
        )
    };
    [
        event("messageStart", r#"{"role":"assistant","p":"abcd"}"#),
        event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"ab"}"#,
        ),
        event("contentBlockStop", r#"{"contentBlockIndex":0,"p":"a"}"#),
        event(
            "messageStop",
            &format!(r#"{{"stopReason":"{stop_reason}","p":"abc"}}"#),
        ),
        event(
            "metadata",
            r#"{"usage":{"inputTokens":30,"outputTokens":12,"totalTokens":1042,"cacheReadInputTokens":800,"cacheWriteInputTokens":200},"metrics":{"latencyMs":640},"p":"abcdef"}"#,
        ),
    ]
    .concat()
}

#[test]
fn a_converse_stream_gives_its_usage_and_stop_reason_however_it_is_cut() {
    let bytes = converse_stream("max_tokens");
    let whole = scan_in(&[&bytes]);
    assert_eq!(whole.class, Class::Success);
    assert_eq!(whole.provider, Provider::Bedrock);
    assert_eq!(
        whole.usage,
        Some(crate::classify::Usage {
            input_tokens: 30,
            cache_read_input_tokens: 800,
            cache_creation_input_tokens: 200,
            output_tokens: 12,
            cache_creation_1h_input_tokens: 0,
        })
    );
    assert!(whole.truncated, "stopReason max_tokens is counted");
    for cut in 0..bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(scan_in(&[a, b]), whole, "cut at {cut}");
    }
    let mut s = EventStreamScanner::new();
    s.feed(&bytes);
    assert!(s.completed());
    assert_eq!(s.skipped(), 0);
    assert!(!scan_in(&[&converse_stream("end_turn")]).truncated);
}

/// Feeds `bytes` one byte at a time; the offsets (of the byte just fed) at which the output
/// chunk count grew, and the final count.
fn chunk_arrivals(bytes: &[u8]) -> (Vec<usize>, u32) {
    let mut s = EventStreamScanner::new();
    let mut grew = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        let before = s.output_chunks();
        s.feed(std::slice::from_ref(b));
        if s.output_chunks() != before {
            grew.push(i);
        }
    }
    (grew, s.output_chunks())
}

#[test]
fn an_output_chunk_is_a_content_delta_counted_when_its_frame_completes() {
    const PING: &str = r#"{"type":"ping"}"#;
    const BLOCK_START: &str =
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
    let frames: Vec<Vec<u8>> = [START, PING, BLOCK_START, DELTA, DELTA, END, STOP]
        .iter()
        .map(|e| chunk(e, None))
        .collect();
    let ends: Vec<usize> = frames
        .iter()
        .scan(0, |at, f| {
            *at += f.len();
            Some(*at - 1)
        })
        .collect();
    let (grew, total) = chunk_arrivals(&frames.concat());
    // Not message_start, ping or content_block_start: the two deltas, each at its last byte.
    assert_eq!(grew, [ends[3], ends[4]]);
    assert_eq!(total, 2);
    // The outcome is what it was without the event names.
    let o = scan_in(&[&frames.concat()]);
    assert_eq!(o.class, Class::Success);
    assert_eq!(o.usage.map(|u| u.output_tokens), Some(15));
}

#[test]
fn a_converse_stream_counts_its_content_block_deltas() {
    let bytes = converse_stream("end_turn");
    let (grew, total) = chunk_arrivals(&bytes);
    assert_eq!(total, 1);
    // messageStart (the first frame) went by without counting; the delta is the second frame.
    let first_frame = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    let second_frame =
        u32::from_be_bytes(bytes[first_frame..first_frame + 4].try_into().unwrap()) as usize;
    assert_eq!(grew, [first_frame + second_frame - 1]);
}

#[test]
fn an_odd_event_type_is_not_made_an_event_name() {
    // A `type` that is not a plain name is fed without an `event:` line, as before.
    let odd = r#"{"type":"content_block_delta\nevent: message_stop","index":0}"#;
    let mut s = EventStreamScanner::new();
    s.feed(&chunk(odd, None));
    assert_eq!(s.output_chunks(), 0);
    assert!(!s.completed());
}

proptest! {
    #[test]
    fn output_chunks_do_not_depend_on_the_cuts(
        deltas in 0usize..5,
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        converse in any::<bool>(),
    ) {
        let bytes: Vec<u8> = if converse {
            converse_stream("end_turn")
        } else {
            std::iter::once(START)
                .chain(std::iter::repeat_n(DELTA, deltas))
                .chain([END, STOP])
                .flat_map(|e| chunk(e, None))
                .collect()
        };
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        at.sort_unstable();
        at.push(bytes.len());
        let mut s = EventStreamScanner::new();
        let mut from = 0;
        for to in at {
            s.feed(&bytes[from..to]);
            from = to;
        }
        let want = if converse { 1 } else { deltas as u32 };
        prop_assert_eq!(s.output_chunks(), want);
    }
}

#[test]
fn a_chunk_with_padding_or_another_member_order_reads_the_same() {
    use base64::Engine as _;
    let b64 = |e: &str| base64::engine::general_purpose::STANDARD.encode(e);
    // Bedrock's exact `{"bytes":"…"}` is read without a parse; any other shape with one.
    let padded = |e: &str| format!(r#"{{"p":"abcdefgh","bytes":"{}"}}"#, b64(e));
    let chunk_frame = |payload: String| {
        frame(
            &[(":event-type", "chunk"), (":message-type", "event")],
            payload.as_bytes(),
            None,
        )
    };
    let reordered_delta =
        r#"{"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}"#;
    let bytes: Vec<u8> = [START, reordered_delta, END, STOP]
        .iter()
        .map(|e| chunk_frame(padded(e)))
        .collect::<Vec<_>>()
        .concat();
    let mut s = EventStreamScanner::new();
    s.feed(&bytes);
    assert_eq!(
        s.output_chunks(),
        1,
        "a delta whose type is not first counts"
    );
    assert_eq!(s.skipped(), 0);
    let o = s.finish(200, &HeaderMap::new());
    assert_eq!(o, scan_in(&[&success()]), "same outcome as the exact shape");
}
