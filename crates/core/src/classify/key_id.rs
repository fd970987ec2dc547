//! Keys are identified by a short fingerprint so that an API key never leaves the process.

use sha2::{Digest, Sha256};

/// `k-` and the first 8 hex digits of SHA-256 of the key: stable across processes (so a fleet
/// agrees on a key's id), short enough for a label, and not reversible.
pub fn key_id(api_key: &str) -> String {
    let digest = Sha256::digest(api_key.trim().as_bytes());
    let mut id = String::with_capacity(10);
    id.push_str("k-");
    for byte in &digest[..4] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// The key from an `x-api-key` header value or an `Authorization: Bearer …` value.
pub fn key_from_headers(x_api_key: Option<&str>, authorization: Option<&str>) -> Option<String> {
    if let Some(key) = x_api_key.map(str::trim).filter(|k| !k.is_empty()) {
        return Some(key_id(key));
    }
    let auth = authorization?.trim();
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
