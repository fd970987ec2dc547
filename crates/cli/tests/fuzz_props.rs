//! Property tests over the parsers that see outside input: the response classifier and the SSE
//! scanner (arbitrary status, headers, bytes, chunking), the event-line parser, the rule-file
//! parser and the proxy's request reader. None may panic; the SSE scanner must not depend on
//! where chunks are cut; a key in the request headers never reaches what the proxy keeps.
//! Failing cases are saved under proptest-regressions/ and replayed first on every run.

use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

use callwatch_core::classify::read_request;
use callwatch_core::classify::{classify_response, SseScanner};
use callwatch_core::event::parse_line;
use callwatch_rules::load_rules;

const HEADER_NAMES: &[&str] = &[
    "content-type",
    "request-id",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-reset",
    "x-api-key",
    "authorization",
    "x-stainless-retry-count",
    "x-unknown",
];

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[0-9]{1,25}".prop_map(String::into_bytes),
        "-?[0-9]{0,5}\\.?[0-9]{0,5}".prop_map(String::into_bytes),
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z".prop_map(String::into_bytes),
        "(Bearer )?sk-ant-FAKE-[A-Za-z0-9_-]{0,40}".prop_map(String::into_bytes),
        "application/json|text/event-stream|text/html".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn headers() -> impl Strategy<Value = HeaderMap> {
    proptest::collection::vec((0..HEADER_NAMES.len(), header_value()), 0..8).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (i, value) in pairs {
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                map.append(HeaderName::from_static(HEADER_NAMES[i]), v);
            }
        }
        map
    })
}

/// Error bodies shaped like the API's, with arbitrary fields, or arbitrary bytes.
fn response_body() -> impl Strategy<Value = Vec<u8>> {
    let json_str = "[ -~]{0,30}";
    prop_oneof![
        (json_str, json_str).prop_map(|(t, m)| {
            serde_json::json!({"type": "error", "error": {"type": t, "message": m}})
                .to_string()
                .into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..300),
        "\\{\"type\":\"(error|message)\"[ -~]{0,80}".prop_map(String::into_bytes),
    ]
}

fn sse_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n".to_string()),
        Just("event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\r\n\r\n".to_string()),
        Just("event: message_stop\rdata: {\"type\":\"message_stop\"}\r\r".to_string()),
        Just("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n".to_string()),
        Just(": ping\n\n".to_string()),
        "(event|data|id|retry)?:? ?[ -~]{0,40}(\n|\r\n|\r){0,2}",
        proptest::collection::vec(any::<u8>(), 0..60)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn scan(chunks: &[&[u8]]) -> callwatch_core::classify::Outcome {
    let mut s = SseScanner::new();
    for c in chunks {
        s.feed(c);
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    s.finish(200, &headers)
}

const VALID_LINE: &str = r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded"}"#;
const DEFAULT_RULES: &str = include_str!("../../../alerts/default.yaml");

/// A copy of `text` with bytes `[at, at+len)` replaced by `with` (at char boundaries).
fn mutate(text: &str, at: usize, len: usize, with: &str) -> String {
    let mut start = at % (text.len() + 1);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{with}{}", &text[..start], &text[end..])
}

proptest! {
    #[test]
    fn classify_response_never_panics(
        status in prop_oneof![100u16..600, any::<u16>()],
        headers in headers(),
        body in response_body(),
    ) {
        let outcome = classify_response(status, &headers, &body);
        prop_assert_eq!(outcome.status, Some(status));
    }

    #[test]
    fn sse_outcome_does_not_depend_on_chunk_boundaries(
        pieces in proptest::collection::vec(sse_piece(), 0..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let stream = pieces.concat().into_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for c in cuts {
            chunks.push(&stream[from..c]);
            from = c;
        }
        chunks.push(&stream[from..]);
        let whole = scan(&[&stream]);
        let cut = scan(&chunks);
        prop_assert_eq!(whole, cut);
        // One byte at a time too: the worst case for `\r\n` straddling a boundary.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(scan(&[&stream]), scan(&bytes));
    }

    #[test]
    fn parse_line_never_panics_on_anything(line in "\\PC{0,200}") {
        let _ = parse_line(&line, 1);
    }

    #[test]
    fn parse_line_never_panics_on_near_valid_lines(
        at in any::<usize>(),
        len in 0usize..20,
        with in prop_oneof![Just(String::new()), "[ -~]{0,12}", "\\PC{0,4}", Just("null".to_string()), Just("-1e999".to_string())],
    ) {
        let line = mutate(VALID_LINE, at, len, &with);
        if let Err(e) = parse_line(&line, 7) {
            prop_assert!(e.to_string().contains('7'), "error names the line: {}", e);
        }
    }

    #[test]
    fn load_rules_never_panics_and_names_the_file(
        at in any::<usize>(),
        len in 0usize..40,
        with in prop_oneof![Just(String::new()), "[ -~\n]{0,20}", Just("{{".to_string()), Just(": [".to_string()), Just("\t".to_string())],
    ) {
        let text = mutate(DEFAULT_RULES, at, len, &with);
        if let Err(errors) = load_rules("fuzz.yaml", &text) {
            let shown = errors.to_string();
            prop_assert!(!shown.is_empty());
            for line in shown.lines() {
                prop_assert!(line.starts_with("fuzz.yaml"), "{}", line);
            }
        }
    }

    #[test]
    fn load_rules_never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = load_rules("fuzz.yaml", &text);
    }

    #[test]
    fn request_info_never_panics_and_never_keeps_the_key(
        headers in headers(),
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            ("[ -~]{0,20}", any::<bool>()).prop_map(|(m, s)| serde_json::json!({"model": m, "stream": s, "messages": []}).to_string().into_bytes()),
            "\\{\"model\":[ -~]{0,40}".prop_map(String::into_bytes),
        ],
    ) {
        let info = read_request(&headers, Some(&body), "/v1/messages");
        prop_assert!(!info.key_id.contains("FAKE"), "{:?}", info);
        prop_assert!(!info.model.is_empty());
    }
}
