//! The HTTP plumbing every network sink shares: one client with a timeout, and the mapping
//! from a response to delivered / retry (honouring `Retry-After`) / give up.

use std::time::{Duration, SystemTime};

use reqwest::{Client, RequestBuilder, StatusCode};

use super::SinkError;

/// A client whose every request has a timeout; errors never carry the (secret) URL.
pub fn http_client(timeout: Duration) -> Client {
    Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("callwatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!("http client with timeouts unavailable ({e}); using defaults");
            Client::new()
        })
}

/// Send and classify: 2xx delivered; 408, 429 and 5xx retryable (with `Retry-After`); any
/// other status permanent. Network errors are retryable.
pub async fn send(request: RequestBuilder, what: &str) -> Result<(), SinkError> {
    let response = request
        .send()
        .await
        .map_err(|e| SinkError::retryable(format!("{what}: {}", e.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = response.text().await.unwrap_or_default();
    let reason = format!("{what}: HTTP {status}: {}", snippet(&body));
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        Err(SinkError::Retryable { after, reason })
    } else {
        Err(SinkError::Permanent { reason })
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
