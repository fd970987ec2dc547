//! Verifies AWS Signature Version 4 as Bedrock does, so a test proves a signed request arrived
//! exactly as signed (a mock that ignored signatures would pass a proxy that breaks them). The
//! canonical request is rebuilt from what arrived — method, path as sent (URI-encoded once more,
//! as AWS does for every service but S3), query, the headers named in `SignedHeaders` with their
//! received values, and the body's SHA-256 — and the signature recomputed with the mock's own
//! fake credentials.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// The access key id the mock accepts. Fake: it signs nothing outside tests.
pub const MOCK_AWS_ACCESS_KEY_ID: &str = "AKIAMOCKCALLWATCH000";
/// Its secret. Fake, as above.
pub const MOCK_AWS_SECRET_ACCESS_KEY: &str = "callwatch/mock/secret/not-a-real-key0000";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Why a signature was refused, as Bedrock names it (`x-amzn-ErrorType`).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 403: no usable `Authorization`.
    MissingAuthenticationToken,
    /// 403: an access key id the mock does not know.
    UnrecognizedClient,
    /// 403: the signature does not match the request as received.
    InvalidSignature,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Refusal::UnrecognizedClient => "UnrecognizedClientException",
            Refusal::InvalidSignature => "InvalidSignatureException",
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            Refusal::MissingAuthenticationToken => "Missing Authentication Token",
            Refusal::UnrecognizedClient => {
                "The security token included in the request is invalid."
            }
            Refusal::InvalidSignature => {
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            }
        }
    }
}

struct Authorization<'a> {
    access_key: &'a str,
    scope: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse(value: &str) -> Option<Authorization<'_>> {
    let params = value.trim().strip_prefix(ALGORITHM)?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for param in params.split(',') {
        let (name, value) = param.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let (access_key, scope) = credential?.split_once('/')?;
    Some(Authorization {
        access_key,
        scope,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

/// Checks a request's SigV4 signature. `path_and_query` is the request target as received.
pub fn verify(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization")
        .and_then(parse)
        .ok_or(Refusal::MissingAuthenticationToken)?;
    if auth.access_key != MOCK_AWS_ACCESS_KEY_ID {
        return Err(Refusal::UnrecognizedClient);
    }
    let amz_date = header("x-amz-date").ok_or(Refusal::InvalidSignature)?;
    let mut canonical_headers = String::new();
    for name in auth.signed_headers.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if values.is_empty() {
            return Err(Refusal::InvalidSignature);
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let payload_hash = match header("x-amz-content-sha256") {
        Some(hash) => hash.to_owned(),
        None => hex(&Sha256::digest(body)),
    };
    let canonical_request = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        uri_encode(path),
        canonical_query(query),
        auth.signed_headers,
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        auth.scope,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{MOCK_AWS_SECRET_ACCESS_KEY}").into_bytes();
    for part in auth.scope.split('/') {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if expected.as_bytes() == auth.signature.as_bytes() {
        Ok(())
    } else {
        Err(Refusal::InvalidSignature)
    }
}

/// Signs a request with the mock's credentials (for Rust tests; Python tests sign with botocore,
/// an implementation independent of this one).
#[doc(hidden)]
pub fn sign(
    method: &str,
    path_and_query: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    amz_date: &str,
    region: &str,
) {
    headers.insert("x-amz-date", amz_date.parse().expect("a header value"));
    let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    let signed_headers = names.join(";");
    let scope = format!("{}/{region}/bedrock/aws4_request", &amz_date[..8]);
    let placeholder = format!(
        "{ALGORITHM} Credential={MOCK_AWS_ACCESS_KEY_ID}/{scope}, SignedHeaders={signed_headers}, Signature="
    );
    // Compute the signature the verifier expects by the same rules.
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut canonical_headers = String::new();
    for name in &names {
        let value = headers[name.as_str()]
            .to_str()
            .unwrap_or("")
            .trim()
            .to_owned();
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let canonical_request = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        uri_encode(path),
        canonical_query(query),
        hex(&Sha256::digest(body))
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{MOCK_AWS_SECRET_ACCESS_KEY}").into_bytes();
    for part in scope.split('/') {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    headers.insert(
        "authorization",
        format!("{placeholder}{signature}")
            .parse()
            .expect("a header value"),
    );
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every byte but the unreserved ones and `/` percent-encoded (so `%3A` becomes `%253A`).
fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v` pairs sorted, as received (botocore signs the URL's query as it will send it).
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> (HeaderMap, &'static [u8]) {
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:9".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("accept-encoding", "gzip, deflate".parse().unwrap());
        let body: &[u8] = br#"{"anthropic_version":"bedrock-2023-05-31"}"#;
        sign(
            "POST",
            "/model/a.b-v1%3A0/invoke",
            &mut headers,
            body,
            "20261130T080000Z",
            "us-east-1",
        );
        (headers, body)
    }

    #[test]
    fn a_request_as_signed_verifies_and_any_change_does_not() {
        let (headers, body) = signed();
        assert_eq!(
            verify("POST", "/model/a.b-v1%3A0/invoke", &headers, body),
            Ok(())
        );
        let mut moved = headers.clone();
        moved.insert("host", "127.0.0.1:10".parse().unwrap());
        assert_eq!(
            verify("POST", "/model/a.b-v1%3A0/invoke", &moved, body),
            Err(Refusal::InvalidSignature)
        );
        let mut dropped = headers.clone();
        dropped.remove("accept-encoding");
        assert_eq!(
            verify("POST", "/model/a.b-v1%3A0/invoke", &dropped, body),
            Err(Refusal::InvalidSignature)
        );
        assert_eq!(
            verify("POST", "/model/a.b-v1%3A0/invoke", &headers, b"{}"),
            Err(Refusal::InvalidSignature)
        );
        assert_eq!(
            verify("POST", "/model/a.b-v1:0/invoke", &headers, body),
            Err(Refusal::InvalidSignature)
        );
        assert_eq!(
            verify("POST", "/", &HeaderMap::new(), b""),
            Err(Refusal::MissingAuthenticationToken)
        );
        let mut stranger = headers.clone();
        stranger.insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20261130/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00".parse().unwrap());
        assert_eq!(
            verify("POST", "/", &stranger, body),
            Err(Refusal::UnrecognizedClient)
        );
    }
}
