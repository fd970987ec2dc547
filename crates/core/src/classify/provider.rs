//! Which provider a call went to — the Anthropic API, Amazon Bedrock or Google Vertex AI — read
//! from the request path (or, failing that, the upstream's host), and the one entry point that
//! classifies a response in that provider's shape. The Anthropic path is [`classify_response`]
//! itself, unchanged; Bedrock and Vertex map their own error shapes to the same [`Class`]es
//! (see `docs/providers.md` for the table and its sources).

use std::time::SystemTime;

use http::HeaderMap;

use super::{
    bedrock, canonical_class, classify_response_at, model_label, vertex, Class, ClassInput, Outcome,
};
use crate::names;

/// Where a call went. `gen_ai.provider.name` is [`Provider::as_str`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    #[default]
    Anthropic,
    Bedrock,
    Vertex,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Anthropic, Provider::Bedrock, Provider::Vertex];

    /// The semantic conventions' `gen_ai.provider.name` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => names::PROVIDER_ANTHROPIC,
            Provider::Bedrock => names::PROVIDER_BEDROCK,
            Provider::Vertex => names::PROVIDER_VERTEX,
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The provider an upstream host belongs to (`bedrock-runtime.<region>.amazonaws.com`,
    /// `<region>-aiplatform.googleapis.com`), `None` for any other host.
    pub fn from_host(host: &str) -> Option<Provider> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.starts_with("bedrock-runtime") && host.ends_with(".amazonaws.com") {
            Some(Provider::Bedrock)
        } else if host.ends_with("aiplatform.googleapis.com") {
            Some(Provider::Vertex)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request path says: the provider, the model it names (Bedrock and Vertex carry the
/// model in the path, not the body) and whether the answer will stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRoute {
    pub provider: Provider,
    /// The model id from the path, decoded and bounded like any model label.
    pub model: Option<String>,
    /// Whether the path asks for a streamed answer (`invoke-with-response-stream`,
    /// `converse-stream`, `:streamRawPredict`); the Anthropic API says so in the body instead.
    pub stream: bool,
}

const BEDROCK_MARK: &str = "/model/";
const BEDROCK_ACTIONS: [(&str, bool); 4] = [
    ("invoke", false),
    ("invoke-with-response-stream", true),
    ("converse", false),
    ("converse-stream", true),
];
const VERTEX_MARK: &str = "/publishers/anthropic/models/";
const VERTEX_METHODS: [(&str, bool); 2] = [("rawPredict", false), ("streamRawPredict", true)];

/// Reads the provider and model from a request path (without query). Bedrock:
/// `/model/{id}/invoke` (and `invoke-with-response-stream`, `converse`, `converse-stream`),
/// where the id carries a literal `:` (`…-v1:0`) that SDKs percent-encode. Vertex:
/// `/v1/projects/{p}/locations/{l}/publishers/anthropic/models/{m}:rawPredict` (or
/// `:streamRawPredict`). Anything else is the Anthropic API.
pub fn route(path: &str) -> ProviderRoute {
    bedrock_route(path)
        .or_else(|| vertex_route(path))
        .unwrap_or(ProviderRoute {
            provider: Provider::Anthropic,
            model: None,
            stream: false,
        })
}

fn bedrock_route(path: &str) -> Option<ProviderRoute> {
    let at = path.find(BEDROCK_MARK)?;
    let rest = &path[at + BEDROCK_MARK.len()..];
    let (model, action) = rest.rsplit_once('/')?;
    let stream = BEDROCK_ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .map(|(_, stream)| *stream)?;
    Some(ProviderRoute {
        provider: Provider::Bedrock,
        model: path_model(model),
        stream,
    })
}

fn vertex_route(path: &str) -> Option<ProviderRoute> {
    let at = path.find(VERTEX_MARK)?;
    let rest = percent_decoded(&path[at + VERTEX_MARK.len()..]);
    let (model, method) = rest.rsplit_once(':')?;
    let stream = VERTEX_METHODS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, stream)| *stream)?;
    Some(ProviderRoute {
        provider: Provider::Vertex,
        model: path_model(model),
        stream,
    })
}

/// The model segment as a label: decoded, printable, bounded; a secret-looking one redacted.
fn path_model(segment: &str) -> Option<String> {
    let decoded = percent_decoded(segment);
    let printable: String = decoded
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(96)
        .collect();
    (!printable.is_empty()).then(|| model_label(&printable).into_owned())
}

/// `%XX` decoded; a malformed escape is kept as is, bytes that are not UTF-8 become U+FFFD.
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
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

/// [`canonical_class`] that also knows the Bedrock and Vertex codes, for a recorded call whose
/// provider is not on record (an event line): `ThrottlingException`, `throttlingException`,
/// `RESOURCE_EXHAUSTED`, `BILLING_DISABLED` classify as they did live. The tables share no
/// name with the Anthropic API's types, so every Anthropic input classifies exactly as
/// [`canonical_class`] says.
pub fn provider_class(input: ClassInput<'_>) -> Class {
    input
        .error_type
        .and_then(|t| bedrock::class_of(t).or_else(|| vertex::class_of(t)))
        .unwrap_or_else(|| canonical_class(input))
}

/// Classifies one response in `provider`'s shape. For [`Provider::Anthropic`] this is exactly
/// [`super::classify_response`]. Never panics, whatever the bytes.
pub fn classify_provider_response(
    provider: Provider,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    classify_provider_response_at(provider, status, headers, body, SystemTime::now())
}

/// [`classify_provider_response`] with the clock given.
pub fn classify_provider_response_at(
    provider: Provider,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Outcome {
    match provider {
        Provider::Anthropic => classify_response_at(status, headers, body, now),
        Provider::Bedrock => bedrock::classify(status, headers, body, now),
        Provider::Vertex => vertex::classify(status, headers, body, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_paths_give_provider_model_and_stream() {
        let r = route("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke");
        assert_eq!(r.provider, Provider::Bedrock);
        assert_eq!(
            r.model.as_deref(),
            Some("anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert!(!r.stream);
        let r =
            route("/model/us.anthropic.claude-3-haiku-20240307-v1:0/invoke-with-response-stream");
        assert_eq!(
            r.model.as_deref(),
            Some("us.anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert!(r.stream);
        assert!(route("/model/m/converse-stream").stream);
        assert!(!route("/model/m/converse").stream);
        // An inference profile ARN, encoded as the SDKs send it: Bedrock, and the label is the
        // model label's usual answer (an ARN carries the account id, which a label should not).
        let r = route("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.anthropic.x-v1%3A0/invoke");
        assert_eq!(r.provider, Provider::Bedrock);
        assert!(!r.model.unwrap().contains("123"));
        assert_eq!(route("/model/m/delete").provider, Provider::Anthropic);
    }

    #[test]
    fn vertex_paths_give_provider_model_and_stream() {
        let p = "/v1/projects/p-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict";
        let r = route(p);
        assert_eq!(r.provider, Provider::Vertex);
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4@20250514"));
        assert!(r.stream);
        let r = route("/v1/projects/p/locations/global/publishers/anthropic/models/claude-haiku-4-5%40x%3ArawPredict");
        assert_eq!(r.model.as_deref(), Some("claude-haiku-4-5@x"));
        assert!(!r.stream);
        assert_eq!(
            route("/v1/projects/p/locations/l/publishers/anthropic/models/m:predict").provider,
            Provider::Anthropic
        );
    }

    #[test]
    fn other_paths_are_the_anthropic_api_and_odd_bytes_do_not_panic() {
        assert_eq!(route("/v1/messages").provider, Provider::Anthropic);
        for p in [
            "",
            "/model/",
            "/model//invoke",
            "/model/%",
            "/model/%f/invoke",
            "/model/%ff%fe/invoke",
            "%",
            "/publishers/anthropic/models/%3",
        ] {
            let _ = route(p);
        }
        assert_eq!(route("/model//invoke").model, None);
        assert_eq!(
            route("/model/sk-ant-api03-FAKE/invoke").model.as_deref(),
            Some(crate::classify::REDACTED_MODEL)
        );
    }

    #[test]
    fn hosts_and_names() {
        assert_eq!(
            Provider::from_host("bedrock-runtime.us-east-1.amazonaws.com"),
            Some(Provider::Bedrock)
        );
        assert_eq!(
            Provider::from_host("bedrock-runtime-fips.us-east-1.amazonaws.com"),
            Some(Provider::Bedrock)
        );
        assert_eq!(
            Provider::from_host("us-east5-aiplatform.googleapis.com"),
            Some(Provider::Vertex)
        );
        assert_eq!(Provider::from_host("api.anthropic.com"), None);
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::Bedrock.as_str(), "aws.bedrock");
        assert_eq!(Provider::Vertex.as_str(), "gcp.vertex_ai");
    }
}
