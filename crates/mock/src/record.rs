//! What the mock received, for tests to assert on. Never the key itself: only its fingerprint.

use std::collections::VecDeque;

use http::HeaderMap;
use serde_json::Value;

use callwatch_core::classify::key_from_headers;

/// Most requests kept; older ones are dropped (and counted) so a long demo stays bounded.
pub const MAX_RECORDED: usize = 10_000;

/// One received request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Fingerprint of `x-api-key` / `Authorization`, never the key.
    pub key_id: Option<String>,
    /// `x-stainless-retry-count` as sent (the SDKs number retries from 0).
    pub retry_count: Option<String>,
    pub anthropic_version: Option<String>,
    pub model: Option<String>,
    pub stream: bool,
    /// The W3C `traceparent` as sent, so a test can see that a proxy passed the app's trace on.
    pub traceparent: Option<String>,
}

impl RecordedRequest {
    pub(crate) fn new(method: &str, path: &str, headers: &HeaderMap, body: &[u8]) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let json: Option<Value> = serde_json::from_slice(body).ok();
        RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            key_id: key_from_headers(text("x-api-key"), text("authorization")),
            retry_count: text("x-stainless-retry-count").map(str::to_owned),
            anthropic_version: text("anthropic-version").map(str::to_owned),
            model: json
                .as_ref()
                .and_then(|j| j.get("model")?.as_str().map(str::to_owned)),
            stream: json
                .as_ref()
                .and_then(|j| j.get("stream")?.as_bool())
                .unwrap_or(false),
            traceparent: text("traceparent").map(str::to_owned),
        }
    }

    /// The model the path named (Bedrock, Vertex), when the body named none.
    pub(crate) fn with_model(mut self, model: Option<String>) -> Self {
        self.model = self.model.or(model);
        self
    }
}

/// Bounded log of received requests.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub requests: VecDeque<RecordedRequest>,
    pub dropped: u64,
}

impl Recorder {
    pub fn push(&mut self, request: RecordedRequest) {
        if self.requests.len() == MAX_RECORDED {
            self.requests.pop_front();
            self.dropped += 1;
        }
        self.requests.push_back(request);
    }
}
