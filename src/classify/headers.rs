//! What the response headers say: request id, retry hints, `x-should-retry` and the
//! `anthropic-ratelimit-*` headroom. Every parser returns `None` on a value it cannot read,
//! never an error: a bad header must not stop a call from being classified.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Headroom, RateLimit};

/// Longest retry hint we accept (a day). Anything larger is nonsense and would overflow a
/// `Duration` built from a float.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);
/// Longest request id we keep; the API's are ~30 chars.
const MAX_REQUEST_ID: usize = 128;

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `request-id` header, bounded.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    text(headers, "request-id").map(|id| super::body::bounded(id, MAX_REQUEST_ID))
}

/// `x-should-retry: true|false`; any other value is ignored.
pub(crate) fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match text(headers, "x-should-retry")? {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `retry-after-ms` (float milliseconds), else `retry-after` (float seconds or an HTTP date),
/// as the official SDKs read them.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = text(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    let value = text(headers, "retry-after")?;
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

/// The four `anthropic-ratelimit-<kind>-{limit,remaining,reset}` triples. The names are
/// spelled out (not formatted per call): this runs on every response.
pub(crate) fn rate_limit(headers: &HeaderMap) -> RateLimit {
    RateLimit {
        requests: headroom(
            headers,
            [
                "anthropic-ratelimit-requests-limit",
                "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset",
            ],
        ),
        tokens: headroom(
            headers,
            [
                "anthropic-ratelimit-tokens-limit",
                "anthropic-ratelimit-tokens-remaining",
                "anthropic-ratelimit-tokens-reset",
            ],
        ),
        input_tokens: headroom(
            headers,
            [
                "anthropic-ratelimit-input-tokens-limit",
                "anthropic-ratelimit-input-tokens-remaining",
                "anthropic-ratelimit-input-tokens-reset",
            ],
        ),
        output_tokens: headroom(
            headers,
            [
                "anthropic-ratelimit-output-tokens-limit",
                "anthropic-ratelimit-output-tokens-remaining",
                "anthropic-ratelimit-output-tokens-reset",
            ],
        ),
    }
}

/// `[limit, remaining, reset]` header names of one kind.
fn headroom(headers: &HeaderMap, [limit, remaining, reset]: [&str; 3]) -> Option<Headroom> {
    let number = |name: &str| text(headers, name).and_then(|v| v.parse::<u64>().ok());
    let limit = number(limit)?;
    let remaining = number(remaining)?;
    let reset = text(headers, reset)
        .and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok())
        .map(SystemTime::from);
    Some(Headroom {
        limit,
        remaining,
        reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

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
            retry_after(&h, SystemTime::now()),
            Some(Duration::from_micros(250_500))
        );
        let h = map(&[("retry-after", "2")]);
        assert_eq!(
            retry_after(&h, SystemTime::now()),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn retry_after_accepts_an_http_date_and_rejects_garbage() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let h = map(&[("retry-after", &later)]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        for bad in ["-1", "NaN", "inf", "soon", "1e400"] {
            let h = map(&[("retry-after", bad)]);
            assert_eq!(retry_after(&h, now), None, "{bad}");
        }
        let h = map(&[("retry-after", "1e12")]);
        assert_eq!(retry_after(&h, now), Some(MAX_RETRY_AFTER));
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
        let rl = rate_limit(&h);
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
            should_retry(&map(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry(&map(&[("x-should-retry", "FALSE")])),
            Some(false)
        );
        assert_eq!(should_retry(&map(&[("x-should-retry", "maybe")])), None);
    }
}
