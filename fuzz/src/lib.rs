//! One body per fuzz target, each calling the library's real entry points on arbitrary bytes and
//! asserting cheap invariants (a failed invariant panics, as a crash does). The cargo-fuzz
//! targets (nightly) call these; `tests/fuzz_corpus.rs` (stable) includes this file and replays
//! every committed corpus and regression input through the same functions.
//!
//! Inputs that carry a status, headers and a body use an HTTP-like text layout so seeds can be
//! written by hand: a first line, then `name: value` lines, then a blank line, then the body.

use std::time::{Duration, SystemTime};

use callwatch_core::classify::{
    classify_provider_response_at, classify_response_at, complete_from_ends, Class,
    EventStreamScanner, Outcome, Provider, SseScanner, TransportFailure, MAX_MESSAGE_CHARS,
    UNKNOWN_MODEL,
};
use callwatch_core::event::parse_line;
use callwatch_rules::{load_rules, Engine, Replay};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// A fixed clock, so an HTTP-date `retry-after` gives the same outcome on every run.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

/// The next line of `rest` (without its `\n` or `\r\n`), advancing `rest` past it.
fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let text: &'a [u8] = rest;
    if text.is_empty() {
        return None;
    }
    let (line, tail) = match text.iter().position(|&b| b == b'\n') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &[][..]),
    };
    *rest = tail;
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// Splits `first line \n headers \n\n body`; lines may end in `\r\n`. Header lines that are not
/// a valid name and value are skipped (the HTTP layer would have refused them).
fn split_message(data: &[u8]) -> (&[u8], HeaderMap, &[u8]) {
    let mut rest = data;
    let first = next_line(&mut rest).unwrap_or_default();
    let mut headers = HeaderMap::new();
    while let Some(line) = next_line(&mut rest) {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim_ascii()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    (first, headers, rest)
}

fn content_type_is(headers: &HeaderMap, prefix: &str) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(prefix))
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    content_type_is(headers, "text/event-stream")
}

/// Bedrock's binary `application/vnd.amazon.eventstream`.
fn is_aws_event_stream(headers: &HeaderMap) -> bool {
    content_type_is(headers, "application/vnd.amazon.eventstream")
}

/// `"<status> [cut …]\n<headers>\n\n<body>"`: any `u16` status; the cuts (byte offsets) chunk a
/// streamed body. A JSON body goes through `classify_response` (and `complete_from_ends`, as the
/// middleware does for a large body); a `text/event-stream` one through the `SseScanner`, whose
/// outcome must not depend on where the chunks are cut.
pub fn classify_response(data: &[u8]) {
    let (first, headers, body) = split_message(data);
    let first = String::from_utf8_lossy(first);
    let mut numbers = first.split_ascii_whitespace();
    let Some(Ok(status)) = numbers.next().map(str::parse::<u16>) else {
        return;
    };
    let cuts: Vec<usize> = numbers.filter_map(|n| n.parse().ok()).collect();
    let outcome = if is_aws_event_stream(&headers) {
        aws_stream_outcome(status, &headers, body, &cuts)
    } else if is_event_stream(&headers) {
        stream_outcome(status, &headers, body, &cuts)
    } else {
        // The same bytes read as a Bedrock or a Vertex answer: never a panic, same invariants,
        // and the Anthropic path through the dispatcher is `classify_response` itself.
        for provider in [Provider::Bedrock, Provider::Vertex] {
            let outcome = classify_provider_response_at(provider, status, &headers, body, now());
            assert_eq!(outcome.provider, provider);
            check_outcome(status, &outcome);
        }
        assert_eq!(
            classify_provider_response_at(Provider::Anthropic, status, &headers, body, now()),
            classify_response_at(status, &headers, body, now())
        );
        let outcome = classify_response_at(status, &headers, body, now());
        let at = cuts
            .first()
            .map_or(body.len() / 2, |c| c % (body.len() + 1));
        let mut completed = outcome.clone();
        complete_from_ends(&mut completed, &body[..at], &body[at..]);
        assert_eq!(
            (completed.class, completed.retryable),
            (outcome.class, outcome.retryable)
        );
        outcome
    };
    check_outcome(status, &outcome);
}

fn stream_outcome(status: u16, headers: &HeaderMap, body: &[u8], cuts: &[usize]) -> Outcome {
    let scan = |chunks: &mut dyn Iterator<Item = &[u8]>| {
        let mut scanner = SseScanner::new();
        for chunk in chunks {
            scanner.feed(chunk);
        }
        let mut outcome = scanner.finish(status, headers);
        outcome.retry_after = None; // read from the wall clock inside `finish`
        outcome
    };
    let whole = scan(&mut std::iter::once(body));
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    offsets.sort_unstable();
    offsets.push(body.len());
    let mut from = 0;
    let mut pieces = offsets.iter().map(|&to| {
        let piece = &body[from..to];
        from = to;
        piece
    });
    assert_eq!(whole, scan(&mut pieces), "outcome depends on the cuts");
    assert_eq!(
        whole,
        scan(&mut body.chunks(1)),
        "outcome differs byte by byte"
    );

    let mut cut_off = SseScanner::new();
    cut_off.feed(body);
    let broken = cut_off.finish_interrupted(status, headers, TransportFailure::Connection);
    assert_ne!(broken.class, Class::Success, "a broken stream is a failure");
    whole
}

/// A Bedrock event stream: the outcome and the output chunks counted for stream timings must
/// not depend on where the bytes are cut (the count never goes down), and one that breaks off is
/// a failure.
fn aws_stream_outcome(status: u16, headers: &HeaderMap, body: &[u8], cuts: &[usize]) -> Outcome {
    let scan = |chunks: &mut dyn Iterator<Item = &[u8]>| {
        let mut scanner = EventStreamScanner::new();
        for chunk in chunks {
            let before = scanner.output_chunks();
            scanner.feed(chunk);
            assert!(scanner.output_chunks() >= before, "output chunks went down");
        }
        let chunks = scanner.output_chunks();
        let mut outcome = scanner.finish(status, headers);
        outcome.retry_after = None; // read from the wall clock inside `finish`
        (outcome, chunks)
    };
    let whole = scan(&mut std::iter::once(body));
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    offsets.sort_unstable();
    offsets.push(body.len());
    let mut from = 0;
    let mut pieces = offsets.iter().map(|&to| {
        let piece = &body[from..to];
        from = to;
        piece
    });
    assert_eq!(
        whole,
        scan(&mut pieces),
        "event-stream outcome depends on the cuts"
    );
    assert_eq!(
        whole,
        scan(&mut body.chunks(1)),
        "event-stream outcome differs byte by byte"
    );
    let (whole, _) = whole;
    assert_eq!(whole.provider, Provider::Bedrock);
    let mut cut_off = EventStreamScanner::new();
    cut_off.feed(body);
    let broken = cut_off.finish_interrupted(status, headers, TransportFailure::Connection);
    assert_ne!(broken.class, Class::Success, "a broken stream is a failure");
    whole
}

fn check_outcome(status: u16, outcome: &Outcome) {
    assert_eq!(outcome.status, Some(status));
    if let Some(message) = &outcome.message {
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS);
    }
    if matches!(outcome.class, Class::Billing | Class::Success) {
        assert!(!outcome.retryable, "{:?} is never retried", outcome.class);
    }
}

/// One event line, as `replay` reads it. An error names the line on one line; a line that parses
/// writes back (`to_line`) to a line that parses to the same event.
pub fn event_line(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    match parse_line(line, 7) {
        Err(e) => {
            let shown = e.to_string();
            assert_eq!(e.line, 7);
            assert!(shown.starts_with("line 7: "), "{shown}");
            assert!(!shown.contains(['\n', '\r']), "one line: {shown:?}");
        }
        Ok(event) => {
            let written = event.to_line();
            assert!(!written.contains(['\n', '\r']), "one line: {written:?}");
            let again = parse_line(&written, 1)
                .unwrap_or_else(|e| panic!("written line does not parse: {e}: {written}"));
            assert_eq!(event, again, "round trip through {written}");
        }
    }
}

/// Calls that touch every class, over three minutes: what a loaded rule set is run against.
const SAMPLE_EVENTS: &[&str] = &[
    r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":null,"latency_ms":812.5,"model":"claude-sonnet-4-6","key_id":"k-52e6b438"}"#,
    r#"{"ts":"2026-11-20T08:00:01Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":90,"model":"claude-sonnet-4-6","key_id":"k-52e6b438","message":"Overloaded"}"#,
    r#"{"ts":"2026-11-20T08:00:30Z","status":429,"error_type":"rate_limit_error","model":"claude-haiku-4-5","key_id":"k-0f3a9c21","message":"Number of request tokens has exceeded your per-minute rate limit."}"#,
    r#"{"ts":"2026-11-20T08:01:00Z","status":400,"error_type":"invalid_request_error","model":"claude-sonnet-4-6","key_id":"k-52e6b438","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}"#,
    r#"{"ts":"2026-11-20T08:01:05Z","event":"key_rotated","key_id":"k-0f3a9c21"}"#,
    r#"{"ts":"2026-11-20T08:01:10Z","status":401,"error_type":"authentication_error","key_id":"k-52e6b438","message":"invalid x-api-key"}"#,
    r#"{"ts":"2026-11-20T08:02:00Z","status":null,"error_type":"timeout","latency_ms":600000}"#,
    r#"{"ts":"2026-11-20T08:03:00Z","status":500,"error_type":"api_error","attempts":2,"latency_ms":15,"message":"Internal server error"}"#,
];

/// A rule file's text. Every error line names the file and is one line; a file that loads runs
/// an engine over [`SAMPLE_EVENTS`], and every alert it raises is one contract line.
pub fn rule_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match load_rules("fuzz.yaml", &text) {
        Err(errors) => {
            assert!(!errors.0.is_empty());
            for e in &errors.0 {
                let shown = e.to_string();
                assert!(shown.starts_with("fuzz.yaml:"), "{shown}");
                assert!(!shown.contains(['\n', '\r']), "one line: {shown:?}");
            }
        }
        Ok(rules) => {
            let mut replay = Replay::new(Engine::new(rules));
            let mut alerts = Vec::new();
            for line in SAMPLE_EVENTS {
                replay
                    .line(line.as_bytes(), &mut alerts)
                    .expect("sample line");
            }
            replay.finish(&mut alerts);
            for alert in &alerts {
                let line = alert.to_line();
                assert!(
                    !line.contains(['\n', '\r']),
                    "one alert, one line: {line:?}"
                );
            }
        }
    }
}

const UPSTREAMS: &[&str] = &["http://127.0.0.1:9/api/", "https://api.anthropic.com"];

/// A raw request, `METHOD target VERSION\n<headers>\n\n<body>`, through what the proxy reads from
/// it before forwarding. What it keeps holds the key's fingerprint, never the key; the request
/// target cannot move the upstream's scheme, host or port.
pub fn proxy_request(data: &[u8]) {
    let (first, headers, body) = split_message(data);
    let target = first.split(|&b| b == b' ').nth(1).unwrap_or(b"/");
    let Ok(uri) = Uri::try_from(target) else {
        return; // hyper answers 400 before the proxy sees it
    };
    for upstream in UPSTREAMS {
        let upstream = reqwest::Url::parse(upstream).expect("upstream");
        let (info, url) = callwatch_proxy::read_request(&upstream, &uri, &headers, body);
        assert!(
            info.key_id.is_empty()
                || (info.key_id.len() == 10
                    && info.key_id.starts_with("k-")
                    && info.key_id[2..].bytes().all(|b| b.is_ascii_hexdigit())),
            "key_id {:?}",
            info.key_id
        );
        assert!(
            info.model == UNKNOWN_MODEL
                || (!info.model.is_empty()
                    && info.model.len() <= 96
                    && info.model.bytes().all(|b| b.is_ascii_graphic())),
            "model {:?}",
            info.model
        );
        // The model comes from the body alone; the key's only trace is its fingerprint.
        let (bare, _) = callwatch_proxy::read_request(&upstream, &uri, &HeaderMap::new(), body);
        assert_eq!((&info.model, info.stream), (&bare.model, bare.stream));
        if let Some(key) = used_key(&headers).filter(|k| k.len() >= 8) {
            assert!(!info.key_id.contains(key), "key kept as its id");
        }
        if let Some(url) = url {
            assert_eq!(
                (url.scheme(), url.host_str(), url.port_or_known_default()),
                (
                    upstream.scheme(),
                    upstream.host_str(),
                    upstream.port_or_known_default()
                ),
                "{url} escapes {upstream}"
            );
            assert!(url
                .path()
                .starts_with(upstream.path().trim_end_matches('/')));
        }
    }
}

/// The key the proxy fingerprints: the first `x-api-key`, else the `Authorization` token. (Any
/// other header may hold anything, even this key's id: the fuzzer sent one.)
fn used_key(headers: &HeaderMap) -> Option<&str> {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(key) = value("x-api-key").filter(|k| !k.is_empty()) {
        return Some(key);
    }
    let auth = value("authorization")?;
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "));
    Some(token.unwrap_or(auth).trim())
}
