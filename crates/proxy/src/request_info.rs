//! What the proxy learns from a request before forwarding it: the model and stream flag from
//! the JSON body, the key's fingerprint and the SDK's retry counter, through the reader the
//! middleware uses too. The key itself is never kept.

use http::HeaderMap;

pub use callwatch_core::classify::{RequestFacts as RequestInfo, RETRY_COUNT_HEADER};

/// The shared request reader ([`callwatch_core::classify::read_request`]): the proxy always
/// has the whole body (bounded by its request cap), so it always reads the model; Bedrock and
/// Vertex name theirs in the path.
pub fn read(headers: &HeaderMap, body: &[u8], path: &str) -> RequestInfo {
    callwatch_core::classify::read_request(headers, Some(body), path)
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
        let info = read(&headers, body, "/v1/messages");
        assert_eq!(info.model, "claude-sonnet-4-6");
        assert!(info.stream);
        assert_eq!(info.retry_count, 2);
        assert!(info.key_id.starts_with("k-"));
        assert!(!format!("{info:?}").contains("FAKE"));
    }

    #[test]
    fn garbage_body_still_gives_an_answer() {
        let info = read(&HeaderMap::new(), b"\xff\x00not json", "/v1/messages");
        assert_eq!(info.model, "unknown");
        assert!(!info.stream);
        assert_eq!(info.key_id, "");
        assert_eq!(info.retry_count, 0);
    }
}
