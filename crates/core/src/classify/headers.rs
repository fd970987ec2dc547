//! What the response headers say: request id, retry hints, `x-should-retry` and the
//! `anthropic-ratelimit-*` headroom. Every parser returns `None` on a value it cannot read,
//! never an error: a bad header must not stop a call from being classified.
//!
//! The map is walked once and each name matched, rather than looked up ~16 times: a lookup
//! hashes the name, and that hashing was a quarter of classifying a response.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use super::{Headroom, RateLimit};

/// Longest retry hint we accept (a day). Anything larger is nonsense and would overflow a
/// `Duration` built from a float.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);
/// Longest request id we keep; the API's are ~30 chars.
const MAX_REQUEST_ID: usize = 128;
const RATELIMIT_PREFIX: &str = "anthropic-ratelimit-";

/// What the headers say, read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ResponseHeaders {
    /// `request-id`, bounded.
    pub request_id: Option<String>,
    /// `x-should-retry: true|false`; any other value is ignored.
    pub should_retry: Option<bool>,
    /// `retry-after-ms` (float milliseconds), else `retry-after` (float seconds or an HTTP
    /// date), as the official SDKs read them.
    pub retry_after: Option<Duration>,
    /// The four `anthropic-ratelimit-<kind>-{limit,remaining,reset}` triples.
    pub rate_limit: RateLimit,
}

/// The raw values of the headers we read; the first of a repeated header wins, as with
/// `HeaderMap::get`.
#[derive(Default)]
struct Found<'a> {
    request_id: Option<&'a str>,
    should_retry: Option<&'a str>,
    retry_after_ms: Option<&'a str>,
    retry_after: Option<&'a str>,
    /// `[requests, tokens, input-tokens, output-tokens]` × `[limit, remaining, reset]`.
    rate_limit: [[Option<&'a str>; 3]; 4],
}

pub(crate) fn read(headers: &HeaderMap, now: SystemTime) -> ResponseHeaders {
    let found = scan(headers);
    let [requests, tokens, input_tokens, output_tokens] = found.rate_limit.map(headroom);
    ResponseHeaders {
        request_id: found
            .request_id
            .map(|id| super::body::bounded(id, MAX_REQUEST_ID)),
        should_retry: found.should_retry.and_then(should_retry),
        retry_after: retry_after(found.retry_after_ms, found.retry_after, now),
        rate_limit: RateLimit {
            requests,
            tokens,
            input_tokens,
            output_tokens,
        },
    }
}

fn scan(headers: &HeaderMap) -> Found<'_> {
    let mut found = Found::default();
    for (name, value) in headers {
        let slot = match name.as_str() {
            "request-id" => &mut found.request_id,
            "x-should-retry" => &mut found.should_retry,
            "retry-after-ms" => &mut found.retry_after_ms,
            "retry-after" => &mut found.retry_after,
            other => match other
                .strip_prefix(RATELIMIT_PREFIX)
                .and_then(rate_limit_slot)
            {
                Some((kind, field)) => &mut found.rate_limit[kind][field],
                None => continue,
            },
        };
        if slot.is_none() {
            *slot = text(value);
        }
    }
    found
}

/// `requests-limit` → (0, 0), `output-tokens-reset` → (3, 2). Spelled out: splitting the name
/// at its last `-` cost more than the rest of the header walk.
fn rate_limit_slot(rest: &str) -> Option<(usize, usize)> {
    Some(match rest {
        "requests-limit" => (0, 0),
        "requests-remaining" => (0, 1),
        "requests-reset" => (0, 2),
        "tokens-limit" => (1, 0),
        "tokens-remaining" => (1, 1),
        "tokens-reset" => (1, 2),
        "input-tokens-limit" => (2, 0),
        "input-tokens-remaining" => (2, 1),
        "input-tokens-reset" => (2, 2),
        "output-tokens-limit" => (3, 0),
        "output-tokens-remaining" => (3, 1),
        "output-tokens-reset" => (3, 2),
        _ => return None,
    })
}

fn text(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok().map(str::trim).filter(|v| !v.is_empty())
}

fn should_retry(value: &str) -> Option<bool> {
    match value {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn retry_after(ms: Option<&str>, value: Option<&str>, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = ms.and_then(|v| v.parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    let value = value?;
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn seconds(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .map(|d| d.min(MAX_RETRY_AFTER))
}

/// An RFC 3339 `*-reset` time (the API sends UTC, `…Z`; a numeric offset is applied by hand,
/// since `humantime` reads UTC only). A time before 1970 is no time.
fn reset_at(value: &str) -> Option<SystemTime> {
    let value = value.trim();
    let (utc, offset_secs) = split_offset(value)?;
    let at = humantime::parse_rfc3339(&utc).ok()?;
    if offset_secs >= 0 {
        at.checked_sub(Duration::from_secs(offset_secs.unsigned_abs()))
    } else {
        at.checked_add(Duration::from_secs(offset_secs.unsigned_abs()))
    }
    .filter(|t| *t >= SystemTime::UNIX_EPOCH)
}

/// `…Z` as is; `…+HH:MM` / `…-HH:MM` as the local time and its offset east of UTC in seconds.
fn split_offset(value: &str) -> Option<(std::borrow::Cow<'_, str>, i64)> {
    if value.ends_with('Z') {
        return Some((std::borrow::Cow::Borrowed(value), 0));
    }
    let split = value.len().checked_sub(6)?;
    let (local, offset) = (value.get(..split)?, value.get(split..)?);
    let sign = match offset.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let (hours, minutes) = (hours.parse::<i64>().ok()?, minutes.parse::<i64>().ok()?);
    if hours > 23 || minutes > 59 || !local.contains('T') {
        return None;
    }
    Some((
        std::borrow::Cow::Owned(format!("{local}Z")),
        sign * (hours * 3600 + minutes * 60),
    ))
}

/// One kind's headroom; needs both `limit` and `remaining`, `reset` is optional.
fn headroom([limit, remaining, reset]: [Option<&str>; 3]) -> Option<Headroom> {
    let number = |v: Option<&str>| v.and_then(|v| v.parse::<u64>().ok());
    Some(Headroom {
        limit: number(limit)?,
        remaining: number(remaining)?,
        reset: reset.and_then(reset_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn reset_times_keep_offsets_and_fractions_and_refuse_before_1970() {
        let at = |s| reset_at(s).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap());
        assert_eq!(
            at("2026-11-20T09:00:30.5+01:00"),
            Some(Duration::new(1_795_161_630, 500_000_000))
        );
        assert_eq!(at("1969-12-31T23:59:59Z"), None);
        assert_eq!(at("2026-11-20 08:00:30"), None);
        assert_eq!(at("2026-11-20T08:00:30Z"), at("2026-11-20T03:00:30-05:00"));
        assert_eq!(at("2026-11-20T08:00:30+25:00"), None);
        assert_eq!(at("+01:00"), None);
    }

    fn read_should_retry(h: &HeaderMap) -> Option<bool> {
        read(h, SystemTime::now()).should_retry
    }

    #[test]
    fn the_first_of_a_repeated_header_wins_and_unknown_names_are_ignored() {
        let mut h = HeaderMap::new();
        h.append("request-id", HeaderValue::from_static("req_first"));
        h.append("request-id", HeaderValue::from_static("req_second"));
        h.append("retry-after", HeaderValue::from_static("  "));
        h.append("retry-after", HeaderValue::from_static("3"));
        h.insert(
            "anthropic-ratelimit-requests-limitless",
            HeaderValue::from_static("1"),
        );
        h.insert(
            "anthropic-ratelimit-requests",
            HeaderValue::from_static("1"),
        );
        h.insert("anthropic-ratelimit-", HeaderValue::from_static("1"));
        let read = read(&h, SystemTime::now());
        assert_eq!(read.request_id.as_deref(), Some("req_first"));
        assert_eq!(
            read.retry_after,
            Some(Duration::from_secs(3)),
            "a blank value is no value"
        );
        assert!(read.rate_limit.is_empty());
    }

    fn map(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let h = map(&[("retry-after-ms", "250.5"), ("retry-after", "9")]);
        assert_eq!(
            read(&h, SystemTime::now()).retry_after,
            Some(Duration::from_micros(250_500))
        );
        let h = map(&[("retry-after", "2")]);
        assert_eq!(
            read(&h, SystemTime::now()).retry_after,
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn retry_after_accepts_an_http_date_and_rejects_garbage() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let h = map(&[("retry-after", &later)]);
        assert_eq!(read(&h, now).retry_after, Some(Duration::from_secs(30)));
        for bad in ["-1", "NaN", "inf", "soon", "1e400"] {
            let h = map(&[("retry-after", bad)]);
            assert_eq!(read(&h, now).retry_after, None, "{bad}");
        }
        let h = map(&[("retry-after", "1e12")]);
        assert_eq!(read(&h, now).retry_after, Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn rate_limit_headroom_reads_all_four_kinds() {
        let h = map(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "5"),
            ("anthropic-ratelimit-requests-reset", "2026-11-20T08:00:30Z"),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "8000"),
            ("anthropic-ratelimit-output-tokens-reset", "not a date"),
            ("anthropic-ratelimit-tokens-limit", "100"),
        ]);
        let rl = read(&h, SystemTime::now()).rate_limit;
        let req = rl.requests.unwrap();
        assert_eq!((req.limit, req.remaining), (50, 5));
        assert_eq!(
            req.reset,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_161_630))
        );
        assert_eq!(rl.output_tokens.unwrap().reset, None);
        assert_eq!(rl.tokens, None, "remaining missing: no headroom");
        assert_eq!(rl.input_tokens, None);
    }

    #[test]
    fn should_retry_only_reads_true_or_false() {
        assert_eq!(
            read_should_retry(&map(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            read_should_retry(&map(&[("x-should-retry", "FALSE")])),
            Some(false)
        );
        assert_eq!(
            read_should_retry(&map(&[("x-should-retry", "maybe")])),
            None
        );
    }
}
