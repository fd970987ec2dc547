//! What the proxy does differently for Amazon Bedrock and Google Vertex AI: a SigV4-signed
//! request (Bedrock) is forwarded with every header exactly as the client sent it. (The
//! provider and model come from the path through the shared request reader.)
//!
//! SigV4 signs `host` and every header the client set (`accept-encoding`, `content-type`,
//! `x-amz-date`, `x-stainless-*`…). The proxy normally rewrites `host` to the upstream's and
//! drops `accept-encoding` (so error bodies arrive readable); either breaks the signature and
//! the upstream answers 403 `InvalidSignatureException`. A signed request therefore keeps both.
//! A compressed Bedrock error body is no loss: Bedrock names the error in the
//! `x-amzn-ErrorType` header. Vertex (an OAuth bearer token) needs none of this.

use callwatch_core::classify::SIGV4_ALGORITHM;
use http::{HeaderMap, HeaderName};

/// Whether the request carries a SigV4 signature (over its headers).
pub(crate) fn is_sigv4_signed(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with(SIGV4_ALGORITHM))
}

/// Headers the proxy otherwise replaces or drops that a signed request must keep as sent.
pub(crate) fn kept_when_signed(name: &HeaderName) -> bool {
    matches!(name.as_str(), "host" | "accept-encoding")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request_info::read;
    use callwatch_core::classify::Provider;

    #[test]
    fn bedrock_and_vertex_paths_set_provider_and_model() {
        let info = read(
            &HeaderMap::new(),
            br#"{"anthropic_version":"bedrock-2023-05-31"}"#,
            "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream",
        );
        assert_eq!(info.provider, Provider::Bedrock);
        assert_eq!(info.model, "anthropic.claude-sonnet-4-5-20250929-v1:0");
        assert!(info.stream);
        let info = read(
            &HeaderMap::new(),
            br#"{"model":"claude-sonnet-4-6"}"#,
            "/v1/messages",
        );
        assert_eq!(info.provider, Provider::Anthropic);
        assert_eq!(info.model, "claude-sonnet-4-6");
    }

    #[test]
    fn only_a_sigv4_authorization_counts_as_signed() {
        let mut headers = HeaderMap::new();
        assert!(!is_sigv4_signed(&headers));
        headers.insert("authorization", "Bearer ya29.token".parse().unwrap());
        assert!(!is_sigv4_signed(&headers));
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        assert!(is_sigv4_signed(&headers));
        assert!(kept_when_signed(&HeaderName::from_static("host")));
        assert!(!kept_when_signed(&HeaderName::from_static("connection")));
    }
}
