//! What the proxy learns from a request before forwarding it: the model and stream flag from
//! the JSON body (unknown fields skipped, not built), the key's fingerprint, and the SDK's
//! retry counter. The key itself is never kept.

use callwatch_core::classify::{key_from_headers, request_head, Provider};
use http::HeaderMap;

/// The official SDKs number each attempt of a logical call in this header (0 = first).
pub const RETRY_COUNT_HEADER: &str = "x-stainless-retry-count";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    pub model: String,
    pub stream: bool,
    pub key_id: String,
    pub retry_count: u32,
    /// Where the request goes; set from the path by `provider_route::apply`.
    pub provider: Provider,
}

impl RequestInfo {
    pub fn read(headers: &HeaderMap, body: &[u8]) -> RequestInfo {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let head = request_head(body);
        RequestInfo {
            model: head.model,
            stream: head.stream,
            key_id: key_from_headers(header("x-api-key"), header("authorization"))
                .unwrap_or_default(),
            retry_count: header(RETRY_COUNT_HEADER)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            provider: Provider::Anthropic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_model_stream_key_and_retry_count() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "sk-ant-FAKE-proxy-key".parse().unwrap());
        headers.insert(RETRY_COUNT_HEADER, "2".parse().unwrap());
        let body = br#"{"max_tokens":5,"messages":[{"role":"user","content":"hi"}],"model":"claude-sonnet-4-6","stream":true}"#;
        let info = RequestInfo::read(&headers, body);
        assert_eq!(info.model, "claude-sonnet-4-6");
        assert!(info.stream);
        assert_eq!(info.retry_count, 2);
        assert!(info.key_id.starts_with("k-"));
        assert!(!format!("{info:?}").contains("FAKE"));
    }

    #[test]
    fn garbage_body_still_gives_an_answer() {
        let info = RequestInfo::read(&HeaderMap::new(), b"\xff\x00not json");
        assert_eq!(info.model, "unknown");
        assert!(!info.stream);
        assert_eq!(info.key_id, "");
        assert_eq!(info.retry_count, 0);
    }
}
