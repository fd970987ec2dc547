//! The result of classifying one attempt (or one logical call): everything the recorder, the
//! span and the rules need, and nothing that could identify the caller's key.

use std::time::{Duration, SystemTime};

use super::{Class, Provider, StreamTiming};

/// One attempt's (or the final attempt's) classified response.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// HTTP status; `None` when no response arrived (timeout, connection error).
    pub status: Option<u16>,
    /// The raw `error.type` the API sent (`timeout` / `connection_error` for transport failures).
    pub error_type: Option<String>,
    /// The canonical class rules match on.
    pub class: Class,
    /// Whether retrying could help: the class's default, overridden by `x-should-retry`.
    pub retryable: bool,
    /// `request-id` header, else body `request_id`.
    pub request_id: Option<String>,
    /// `retry-after-ms`, else `retry-after` (seconds or HTTP date).
    pub retry_after: Option<Duration>,
    /// `x-should-retry` when present.
    pub should_retry: Option<bool>,
    /// `error.message`, bounded in length.
    pub message: Option<String>,
    /// Rate-limit headroom from the `anthropic-ratelimit-*` headers.
    pub rate_limit: RateLimit,
    /// Token usage from a success body.
    pub usage: Option<Usage>,
    /// `model` from a success body.
    pub response_model: Option<String>,
    /// `stop_reason: "max_tokens"` on a success.
    pub truncated: bool,
    /// Where the call went (`gen_ai.provider.name`): the Anthropic API unless the request path
    /// or the upstream said Bedrock or Vertex.
    pub provider: Provider,
    /// How a streamed (server-sent events) response arrived; `None` for any other response.
    pub stream: Option<StreamTiming>,
}

impl Outcome {
    /// An outcome decided by class alone (no headers, no body), e.g. a transport failure.
    pub fn bare(status: Option<u16>, error_type: Option<&str>, class: Class) -> Outcome {
        Outcome {
            status,
            error_type: error_type.map(str::to_owned),
            class,
            retryable: class.retryable(),
            request_id: None,
            retry_after: None,
            should_retry: None,
            message: None,
            rate_limit: RateLimit::default(),
            usage: None,
            response_model: None,
            truncated: false,
            provider: Provider::Anthropic,
            stream: None,
        }
    }

    /// Whether the API answered with a success.
    pub fn is_success(&self) -> bool {
        self.class == Class::Success
    }
}

/// Token usage of a successful call. `input` in the GenAI sense is the sum of the three input
/// counters (the API reports cache reads and writes separately).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub output_tokens: u64,
    /// The part of `cache_creation_input_tokens` written with the 1-hour TTL (billed at its
    /// own rate); the rest was written with the 5-minute TTL.
    pub cache_creation_1h_input_tokens: u64,
}

impl Usage {
    pub fn total_input(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.cache_read_input_tokens)
            .saturating_add(self.cache_creation_input_tokens)
    }
}

/// One `anthropic-ratelimit-<kind>-{limit,remaining,reset}` triple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headroom {
    pub limit: u64,
    pub remaining: u64,
    pub reset: Option<SystemTime>,
}

impl Headroom {
    /// Remaining share of the limit, 0.0 ..= 1.0.
    pub fn ratio(&self) -> f64 {
        if self.limit == 0 {
            return 0.0;
        }
        (self.remaining as f64 / self.limit as f64).clamp(0.0, 1.0)
    }
}

/// The four rate-limit kinds the API reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: Option<Headroom>,
    pub tokens: Option<Headroom>,
    pub input_tokens: Option<Headroom>,
    pub output_tokens: Option<Headroom>,
}

impl RateLimit {
    pub fn is_empty(&self) -> bool {
        self == &RateLimit::default()
    }

    /// Each kind with its name as exported (`requests`, `tokens`, `input_tokens`, `output_tokens`).
    pub fn kinds(&self) -> [(&'static str, Option<Headroom>); 4] {
        [
            ("requests", self.requests),
            ("tokens", self.tokens),
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
        ]
    }
}
