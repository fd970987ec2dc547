//! Keys are identified by a short fingerprint so that an API key never leaves the process.

/// `k-` and the first 8 hex digits of SHA-256 of the key: stable across processes (so a fleet
/// agrees on a key's id), short enough for a label, and not reversible.
pub fn key_id(api_key: &str) -> String {
    let digest = hmac_sha256::Hash::hash(api_key.trim().as_bytes());
    let mut id = String::with_capacity(10);
    id.push_str("k-");
    for byte in &digest[..4] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// The request's own key as sent (`x-api-key`, else the `Authorization` token), kept only to
/// redact it from what the upstream echoes back whatever its shape; never stored or shown.
pub fn own_key(headers: &http::HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = header("x-api-key").map(str::trim).filter(|k| !k.is_empty());
    let bearer = || {
        let auth = header("authorization")?.trim();
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .unwrap_or(auth)
            .trim();
        (!token.is_empty()).then_some(token)
    };
    key.or_else(bearer).map(str::to_owned)
}

/// The key from an `x-api-key` header value or an `Authorization: Bearer …` value. A SigV4
/// `Authorization` (Bedrock) is identified by its access key id alone: the rest of the header
/// (date, signature) changes on every request and would make every call a new "key".
pub fn key_from_headers(x_api_key: Option<&str>, authorization: Option<&str>) -> Option<String> {
    if let Some(key) = x_api_key.map(str::trim).filter(|k| !k.is_empty()) {
        return Some(key_id(key));
    }
    let auth = authorization?.trim();
    if let Some(sigv4) = auth.strip_prefix(SIGV4_ALGORITHM) {
        return sigv4_access_key(sigv4).map(key_id);
    }
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .unwrap_or(auth)
        .trim();
    (!token.is_empty()).then(|| key_id(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_short_and_hides_the_key() {
        let key = "sk-ant-FAKE-not-a-real-key";
        let id = key_id(key);
        assert_eq!(id.len(), 10);
        assert!(id.starts_with("k-"));
        assert_eq!(id, key_id(key));
        assert_ne!(id, key_id("sk-ant-FAKE-another-key"));
        assert!(!id.contains("sk-ant"));
        assert_eq!(
            key_from_headers(None, Some(&format!("Bearer {key}"))),
            Some(id.clone())
        );
        assert_eq!(key_from_headers(Some(key), None), Some(id));
        assert_eq!(key_from_headers(Some("  "), None), None);
    }
}

/// The `Authorization` scheme of an AWS SigV4-signed request.
pub const SIGV4_ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// `Credential=AKID/date/region/service/aws4_request, …` → `AKID`.
fn sigv4_access_key(params: &str) -> Option<&str> {
    params
        .split(',')
        .find_map(|p| p.trim().strip_prefix("Credential="))
        .and_then(|c| c.split('/').next())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod sigv4_tests {
    use super::*;

    #[test]
    fn a_sigv4_authorization_is_identified_by_its_access_key_id() {
        let a = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=aaaa";
        let b = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=bbbb";
        assert_eq!(key_from_headers(None, Some(a)), Some(key_id("AKIDEXAMPLE")));
        assert_eq!(
            key_from_headers(None, Some(a)),
            key_from_headers(None, Some(b))
        );
        assert_eq!(
            key_from_headers(None, Some("AWS4-HMAC-SHA256 garbage")),
            None
        );
    }
}
