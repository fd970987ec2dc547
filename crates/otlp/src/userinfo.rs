//! An OTLP endpoint with credentials in it (`http://user:password@collector:4318`) is split
//! before anything sees it: the exporter gets the URL without userinfo and an
//! `Authorization: Basic …` header, so the HTTP client (and hyper's debug logs, which print
//! the URI) never holds the password.

use base64::Engine as _;

use super::config::{ExportConfig, Protocol};

/// The endpoint the exporter of one signal will use, split from its credentials.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SignalTarget {
    /// `None`: the SDK resolves it itself (no userinfo anywhere).
    pub endpoint: Option<String>,
    /// `Basic …`, when the endpoint carried `user:password@`.
    pub authorization: Option<String>,
}

/// Code first, then the per-signal variable (used as is), then `OTEL_EXPORTER_OTLP_ENDPOINT`
/// (with the signal path over HTTP): the SDK's own order.
pub(crate) fn signal_target(
    config: &ExportConfig,
    protocol: Protocol,
    path: &str,
    signal_var: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> SignalTarget {
    let from_code = config.signal_endpoint(protocol, path);
    let resolved = from_code.clone().or_else(|| {
        let non_empty = |v: String| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        env(signal_var).and_then(non_empty).or_else(|| {
            let base = env("OTEL_EXPORTER_OTLP_ENDPOINT").and_then(non_empty)?;
            let base = base.trim_end_matches('/');
            Some(match protocol {
                Protocol::HttpProtobuf => format!("{base}{path}"),
                Protocol::Grpc => base.to_owned(),
            })
        })
    });
    match resolved.as_deref().and_then(split_userinfo) {
        Some((endpoint, authorization)) => SignalTarget {
            endpoint: Some(endpoint),
            authorization: Some(authorization),
        },
        None => SignalTarget {
            endpoint: from_code,
            authorization: None,
        },
    }
}

/// `(url without userinfo, "Basic base64(user:password)")` when `url` has userinfo.
fn split_userinfo(url: &str) -> Option<(String, String)> {
    let mut parsed = reqwest::Url::parse(url).ok()?;
    if parsed.username().is_empty() && parsed.password().is_none() {
        return None;
    }
    let user = percent_decode(parsed.username());
    let password = percent_decode(parsed.password().unwrap_or(""));
    parsed.set_username("").ok()?;
    parsed.set_password(None).ok()?;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Some((parsed.to_string(), format!("Basic {token}")))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_becomes_a_basic_header_and_leaves_the_url() {
        let no_env = |_: &str| None;
        let config = ExportConfig::new().endpoint("http://user:p%40ss@127.0.0.1:4318");
        let target = signal_target(&config, Protocol::HttpProtobuf, "/v1/metrics", "X", &no_env);
        assert_eq!(
            target.endpoint.as_deref(),
            Some("http://127.0.0.1:4318/v1/metrics")
        );
        let want = base64::engine::general_purpose::STANDARD.encode("user:p@ss");
        assert_eq!(target.authorization, Some(format!("Basic {want}")));
    }

    #[test]
    fn the_environment_is_split_too_and_plain_urls_are_left_to_the_sdk() {
        let env = |name: &str| {
            (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://u:FAKE@h:4318/".to_owned())
        };
        let config = ExportConfig::new();
        let target = signal_target(&config, Protocol::HttpProtobuf, "/v1/traces", "X", &env);
        assert_eq!(target.endpoint.as_deref(), Some("http://h:4318/v1/traces"));
        assert!(target.authorization.is_some());
        let plain = |_: &str| Some("http://h:4318".to_owned());
        let target = signal_target(&config, Protocol::HttpProtobuf, "/v1/traces", "X", &plain);
        assert_eq!(
            target,
            SignalTarget {
                endpoint: None,
                authorization: None
            }
        );
    }
}
