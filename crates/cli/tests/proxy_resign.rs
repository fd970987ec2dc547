//! The proxy re-signing Bedrock requests with its own AWS credentials (`callwatch-proxy`
//! feature `aws-resign`, AWS's `aws-sigv4` signer), over real HTTP against the mock, which
//! recomputes every SigV4 signature with its own, independent verifier (`callwatch_mock::sigv4`,
//! itself checked against botocore's signer in `proxy_providers.rs`). Clients here send
//! unsigned requests, or requests signed with credentials the upstream does not know: the
//! proxy drops their signature and signs for the upstream host.

mod provider_proxy;

use std::process::Command;
use std::sync::Arc;

use callwatch_core::classify::{key_id, Class, Provider};
use callwatch_mock::sigv4::{MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY};
use callwatch_mock::{MockClaude, Reply};
use callwatch_proxy::AwsResign;
use provider_proxy::{start_proxy_with, Running};

const MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const INVOKE: &str = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke";
const STREAM: &str =
    "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream";
const BODY: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#;
/// A client's own key, unknown to the upstream (the mock knows only its own).
const CLIENT_KEY: &str = "AKIACLIENTAPPFAKE001";

async fn start_resigning_proxy(upstream: &str, signer: AwsResign) -> Running {
    start_proxy_with(upstream, |config| {
        config.aws_resign = Some(Arc::new(signer))
    })
    .await
}

/// A request as an app without AWS credentials of its own sends it, optionally carrying a
/// signature by a key the upstream does not know (which the proxy must drop).
async fn call(base: &str, path: &str, client_signature: bool) -> (u16, Option<String>, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("x-stainless-retry-count", "0")
        .body(BODY);
    if client_signature {
        request = request
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential={CLIENT_KEY}/20261130/us-east-1/bedrock/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date, Signature={}",
                    "0".repeat(64)
                ),
            )
            .header("x-amz-date", "20261130T080000Z")
            .header("x-amz-security-token", "FAKE-client-session-token");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("x-amzn-errortype")
        // Bedrock's `x-amzn-ErrorType` is `Code:namespace`: the code is what matters.
        .map(|v| v.to_str().unwrap().split(':').next().unwrap().to_owned());
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_proxy_signs_for_the_upstream_and_the_verifying_mock_accepts_it() {
    let mock = MockClaude::start().await.unwrap();
    // The mock refuses what it cannot verify: an unsigned call, directly, is a 403.
    let direct = call(&mock.base_url(), INVOKE, false).await;
    assert_eq!(
        (direct.0, direct.1.as_deref()),
        (403, Some("MissingAuthenticationTokenException"))
    );
    let direct = call(&mock.base_url(), INVOKE, true).await;
    assert_eq!(
        (direct.0, direct.1.as_deref()),
        (403, Some("UnrecognizedClientException"))
    );

    // Temporary credentials: the session token is signed and sent too.
    let signer = AwsResign::new(
        MOCK_AWS_ACCESS_KEY_ID,
        MOCK_AWS_SECRET_ACCESS_KEY,
        Some("FAKE-proxy-session-token".into()),
        "us-east-1",
    );
    let proxy = start_resigning_proxy(&mock.base_url(), signer).await;
    for (path, client_signature) in [(INVOKE, false), (INVOKE, true), (STREAM, false)] {
        let (status, kind, body) = call(&proxy.url, path, client_signature).await;
        assert_eq!(
            status,
            200,
            "{path} (client signature: {client_signature}): {kind:?} {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The upstream's own errors come back as they are, signed request and all.
    mock.push(Reply::status(429));
    let (status, kind, _) = call(&proxy.url, INVOKE, false).await;
    assert_eq!(status, 429);
    assert_eq!(kind.as_deref(), Some("ThrottlingException"));

    let seen = proxy.stop().await;
    let got: Vec<_> = seen
        .iter()
        .map(|s| (s.provider, s.status, s.class, s.model.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Provider::Bedrock, Some(200), Class::Success, MODEL),
            (Provider::Bedrock, Some(200), Class::Success, MODEL),
            (Provider::Bedrock, Some(200), Class::Success, MODEL),
            (Provider::Bedrock, Some(429), Class::RateLimit, MODEL),
        ]
    );
    // The key id stays the client's (its own access key id's fingerprint when it signs), so
    // apps behind one re-signing proxy can still be told apart; never the proxy's secret.
    assert_eq!(seen[1].key_id, key_id(CLIENT_KEY));
}

#[tokio::test]
async fn a_proxy_signing_with_the_wrong_secret_gets_invalid_signature() {
    let mock = MockClaude::start().await.unwrap();
    let signer = AwsResign::new(
        MOCK_AWS_ACCESS_KEY_ID,
        "not/the/mock/secret/at/all/0000000000000",
        None,
        "us-east-1",
    );
    let proxy = start_resigning_proxy(&mock.base_url(), signer).await;
    let (status, kind, body) = call(&proxy.url, INVOKE, false).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert_eq!(kind.as_deref(), Some("InvalidSignatureException"));
    let seen = proxy.stop().await;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].class, seen[0].error_type.as_deref()),
        (Class::Auth, Some("InvalidSignatureException"))
    );
}

/// The binary: without the feature the flag says how to get it; with it, a missing variable is
/// named (and no value is shown).
#[test]
fn the_flag_explains_what_it_needs() {
    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args([
            "proxy",
            "--aws-resign",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--upstream",
            "https://bedrock-runtime.us-east-1.amazonaws.com",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env("AWS_SECRET_ACCESS_KEY", "FAKE-secret-never-shown")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = if cfg!(feature = "aws-resign") {
        "AWS_ACCESS_KEY_ID is not set"
    } else {
        "built without the aws-resign feature"
    };
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("FAKE-secret"), "{stderr}");
}
