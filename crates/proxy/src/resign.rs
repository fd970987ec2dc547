//! Re-signing for Amazon Bedrock with the proxy's own AWS credentials (feature `aws-resign`),
//! as AWS's own `aws-sigv4-proxy` does: whatever the client signed (or did not) is dropped and
//! the request is signed with SigV4 for the upstream host, so clients need no AWS credentials
//! and no DNS trick, and `host` can be the upstream's.
//!
//! The signer is AWS's `aws-sigv4` (the one the AWS SDK for Rust uses), service `bedrock` (as
//! `AnthropicBedrock` and boto3 sign). Credentials come from the standard environment
//! variables, read once at start. Neither they nor any signature is ever logged or shown: the
//! `Debug` of [`AwsResign`] names only the region and the access key id's fingerprint.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// The signing name Bedrock runtime requests use.
const SERVICE: &str = "bedrock";

/// Client headers that belong to the client's own signature: replaced by the proxy's.
const CLIENT_SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// What the proxy signs with: its credentials and the upstream's region.
#[derive(Clone)]
pub struct AwsResign {
    credentials: Credentials,
    region: String,
}

impl std::fmt::Debug for AwsResign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsResign")
            .field("region", &self.region)
            .field("access_key", &self.key_id())
            .finish_non_exhaustive()
    }
}

/// Why re-signing cannot be set up (names the variable or the flag; never a value).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResignSetupError {
    #[error("--aws-resign: {0} is not set (the proxy signs with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary credentials, AWS_SESSION_TOKEN)")]
    MissingVariable(&'static str),
    #[error("--aws-resign: no region: the upstream host {0:?} is not bedrock-runtime.<region>.amazonaws.com, and neither AWS_REGION nor AWS_DEFAULT_REGION is set")]
    NoRegion(String),
}

impl AwsResign {
    /// Credentials and region given directly (tests, embedding).
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<String>,
        region: &str,
    ) -> AwsResign {
        AwsResign {
            credentials: Credentials::new(
                access_key_id,
                secret_access_key,
                session_token,
                None,
                "callwatch-proxy",
            ),
            region: region.to_owned(),
        }
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`; the
    /// region from the upstream host (`bedrock-runtime[-fips].<region>.amazonaws.com`), else
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub fn from_env(upstream: &reqwest::Url) -> Result<AwsResign, ResignSetupError> {
        Self::from_lookup(upstream, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    fn from_lookup(
        upstream: &reqwest::Url,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<AwsResign, ResignSetupError> {
        let required =
            |name: &'static str| var(name).ok_or(ResignSetupError::MissingVariable(name));
        let access_key_id = required("AWS_ACCESS_KEY_ID")?;
        let secret = required("AWS_SECRET_ACCESS_KEY")?;
        let host = upstream.host_str().unwrap_or_default();
        let region = region_of_host(host)
            .map(str::to_owned)
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or_else(|| ResignSetupError::NoRegion(host.to_owned()))?;
        Ok(AwsResign::new(
            &access_key_id,
            &secret,
            var("AWS_SESSION_TOKEN"),
            &region,
        ))
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The fingerprint of the proxy's access key id (what the proxy may show of it).
    pub fn key_id(&self) -> String {
        callwatch_core::classify::key_id(self.credentials.access_key_id())
    }

    /// Replaces the client's signature in `headers` (the headers to be forwarded, `host` not
    /// among them: it is the URL's) with the proxy's, for `method` `url` with `body`. Every
    /// forwarded header with a text value is signed (`user-agent` and the like excepted, as
    /// the AWS SDKs do).
    pub(crate) fn sign(
        &self,
        method: &Method,
        url: &reqwest::Url,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), aws_sigv4::http_request::SigningError> {
        for name in CLIENT_SIGNATURE_HEADERS {
            headers.remove(name);
        }
        headers.remove(http::header::HOST);
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE)
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .expect("identity, region, name, time and settings are all set")
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            url.as_str(),
            headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            SignableBody::Bytes(body),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        let (added, _query) = instructions.into_parts();
        for header in added {
            let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(header.name().as_bytes()),
                HeaderValue::from_str(header.value()),
            ) else {
                continue;
            };
            // Kept out of `Debug` output and HTTP/2 header compression tables.
            value.set_sensitive(header.sensitive() || name == http::header::AUTHORIZATION);
            headers.insert(name, value);
        }
        Ok(())
    }
}

/// The region of a Bedrock runtime host (`bedrock-runtime.us-east-1.amazonaws.com`,
/// `bedrock-runtime-fips.us-west-2.amazonaws.com`, `….amazonaws.com.cn`).
fn region_of_host(host: &str) -> Option<&str> {
    let mut labels = host.split('.');
    let service = labels.next()?;
    let region = labels.next()?;
    let domain: Vec<&str> = labels.collect();
    let aws = matches!(
        domain.as_slice(),
        ["amazonaws", "com"] | ["amazonaws", "com", "cn"]
    );
    (aws && service.starts_with("bedrock-runtime") && !region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn vars<'a>(set: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            set.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn region_comes_from_the_bedrock_host_then_the_variables() {
        assert_eq!(
            region_of_host("bedrock-runtime.eu-west-3.amazonaws.com"),
            Some("eu-west-3")
        );
        assert_eq!(
            region_of_host("bedrock-runtime-fips.us-west-2.amazonaws.com"),
            Some("us-west-2")
        );
        assert_eq!(region_of_host("127.0.0.1"), None);
        assert_eq!(region_of_host("bedrock-runtime.evil.example.com"), None);

        let keys = [
            ("AWS_ACCESS_KEY_ID", AKID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ];
        let real = "https://bedrock-runtime.ap-south-1.amazonaws.com"
            .parse()
            .unwrap();
        let mut with_region = keys.to_vec();
        with_region.push(("AWS_DEFAULT_REGION", "us-east-2"));
        let signer = AwsResign::from_lookup(&real, vars(&with_region)).unwrap();
        assert_eq!(signer.region(), "ap-south-1", "the endpoint's region wins");

        let loopback: reqwest::Url = "http://127.0.0.1:9".parse().unwrap();
        let signer = AwsResign::from_lookup(&loopback, vars(&with_region)).unwrap();
        assert_eq!(signer.region(), "us-east-2");
        assert_eq!(
            AwsResign::from_lookup(&loopback, vars(&keys)).unwrap_err(),
            ResignSetupError::NoRegion("127.0.0.1".into())
        );
    }

    #[test]
    fn missing_credentials_name_the_variable_not_a_value() {
        let url: reqwest::Url = "https://bedrock-runtime.us-east-1.amazonaws.com"
            .parse()
            .unwrap();
        let err = AwsResign::from_lookup(&url, vars(&[("AWS_ACCESS_KEY_ID", AKID)])).unwrap_err();
        assert_eq!(
            err,
            ResignSetupError::MissingVariable("AWS_SECRET_ACCESS_KEY")
        );
        assert!(!err.to_string().contains(AKID));
    }

    #[test]
    fn the_clients_signature_is_replaced_and_nothing_secret_is_shown() {
        let signer = AwsResign::new(AKID, SECRET, Some("FAKE-session-token".into()), "us-east-1");
        let url: reqwest::Url =
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/a.b-v1%3A0/invoke"
                .parse()
                .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=CLIENTKEY/x, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        headers.insert("x-amz-date", "19990101T000000Z".parse().unwrap());
        headers.insert("host", "127.0.0.1:8787".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        signer
            .sign(&Method::POST, &url, &mut headers, b"{}", now)
            .unwrap();
        let auth = headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261118/us-east-1/bedrock/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            "{auth}"
        );
        assert!(headers["authorization"].is_sensitive());
        assert!(headers["x-amz-security-token"].is_sensitive());
        assert_eq!(headers["x-amz-date"], "20261118T110640Z");
        assert_eq!(headers["x-amz-security-token"], "FAKE-session-token");
        assert!(!headers.contains_key("host"), "host is the upstream URL's");
        let shown = format!("{signer:?}");
        assert!(!shown.contains(SECRET) && !shown.contains(AKID) && !shown.contains("FAKE"));
    }
}
