//! The contract event line (JSON Lines): one call, or an explicit key rotation, per line.
//!
//! ```json
//! {"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,
//!  "latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438",
//!  "request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded"}
//! {"ts":"2026-11-20T09:00:00Z","event":"key_rotated","key_id":"k-0f3a9c21"}
//! {"ts":"2026-11-20T10:00:00Z","event":"credit_balance","balance_usd":250.0}
//! ```
//!
//! A `credit_balance` line is a balance read at its `ts` (a top-up, a reading from the
//! Console): from then on the spend rules count down from it, as `[budget]` does from `as_of`.
//!
//! A streamed call adds `"ttft_ms":312.4,"stream":true` after the contract fields (optional;
//! other lines are unchanged).
//!
//! `replay` reads it, the agent writes it. Parsing borrows from the line (no allocation unless
//! a string holds JSON escapes), and every call gets its canonical [`Class`] from the one
//! decision table in [`crate::classify`].

mod packed;
mod parse;
mod ratelimit;
mod scan;
mod timestamp;
mod tokens;
mod wire;
mod write;

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::classify::{Class, Provider, Usage};

pub use packed::PackedEvent;
pub use parse::{parse_line, EventError};
pub use timestamp::parse_rfc3339;
pub use write::EventWriter;

/// One line of an event log.
// Nearly every line is a call: boxing `CallEvent` to shrink the rare rotation marker would
// allocate once per line on replay's hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    Call(CallEvent<'a>),
    KeyRotated(KeyRotation<'a>),
    CreditBalance(CreditBalance),
}

/// The credit balance, read at `ts`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CreditBalance {
    pub ts: OffsetDateTime,
    pub balance_usd: f64,
}

impl Event<'_> {
    pub fn ts(&self) -> OffsetDateTime {
        match self {
            Event::Call(c) => c.ts,
            Event::KeyRotated(r) => r.ts,
            Event::CreditBalance(b) => b.ts,
        }
    }
}

/// One finished call. `CallEvent<'static>` is the owned form.
#[derive(Clone, Debug, PartialEq)]
pub struct CallEvent<'a> {
    pub ts: OffsetDateTime,
    /// HTTP status; `None` when no response came (timeout, connection error).
    pub status: Option<u16>,
    /// Raw `error.type` as the API sent it; `None` on success (and on a 5xx without a body).
    pub error_type: Option<Cow<'a, str>>,
    /// Canonical class, derived from status, error type and message.
    pub class: Class,
    /// Attempts made (1 = no retry).
    pub attempts: u32,
    pub latency_ms: Option<f64>,
    pub model: Option<Cow<'a, str>>,
    pub operation: Option<Cow<'a, str>>,
    pub key_id: Option<Cow<'a, str>>,
    pub request_id: Option<Cow<'a, str>>,
    pub message: Option<Cow<'a, str>>,
    /// Where the call went (`gen_ai.provider.name`); the line's optional `provider` field,
    /// omitted for the Anthropic API.
    pub provider: Provider,
    /// Token usage (optional `input_tokens`, `output_tokens`, `cache_read_input_tokens`,
    /// `cache_creation_input_tokens` fields): what spend rules price.
    pub usage: Option<Usage>,
    /// Streamed calls: milliseconds from sending the request to the first output chunk.
    pub ttft_ms: Option<f64>,
    /// `Some(true)` for a streamed call (the line omits it otherwise).
    pub stream: Option<bool>,
    /// The rate-limit headroom the response reported (optional `ratelimit` field): what
    /// `ratelimit_runway` rules read.
    pub ratelimit: Option<crate::classify::RateLimit>,
}

/// An explicit rotation marker: `key_id` is the key now being rolled out.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRotation<'a> {
    pub ts: OffsetDateTime,
    pub key_id: Cow<'a, str>,
}

fn own(s: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    s.map(|s| Cow::Owned(s.into_owned()))
}

impl<'a> CallEvent<'a> {
    /// A call with only the required fields; the class is derived from `status` and
    /// `error_type` (use [`CallEvent::with_message`] to add a message and reclassify).
    pub fn new(ts: OffsetDateTime, status: Option<u16>, error_type: Option<&'a str>) -> Self {
        let mut event = CallEvent {
            ts,
            status,
            error_type: error_type.map(Cow::Borrowed),
            class: Class::Other,
            attempts: 1,
            latency_ms: None,
            model: None,
            operation: None,
            key_id: None,
            request_id: None,
            message: None,
            provider: Provider::Anthropic,
            usage: None,
            ttft_ms: None,
            stream: None,
            ratelimit: None,
        };
        event.reclassify();
        event
    }

    /// Sets the message and re-derives the class (a message can make a 400 or 429 billing).
    pub fn with_message(mut self, message: &'a str) -> Self {
        self.message = Some(Cow::Borrowed(message));
        self.reclassify();
        self
    }

    /// Re-derives [`CallEvent::class`] after fields were changed by hand.
    pub fn reclassify(&mut self) {
        self.class = crate::classify::canonical_class(crate::classify::ClassInput {
            status: self.status,
            error_type: self.error_type.as_deref(),
            message: self.message.as_deref(),
            error_code: None,
        });
    }

    pub fn into_owned(self) -> CallEvent<'static> {
        CallEvent {
            ts: self.ts,
            status: self.status,
            error_type: own(self.error_type),
            class: self.class,
            attempts: self.attempts,
            latency_ms: self.latency_ms,
            model: own(self.model),
            operation: own(self.operation),
            key_id: own(self.key_id),
            request_id: own(self.request_id),
            message: own(self.message),
            provider: self.provider,
            usage: self.usage,
            ttft_ms: self.ttft_ms,
            stream: self.stream,
            ratelimit: self.ratelimit,
        }
    }
}

impl KeyRotation<'_> {
    pub fn into_owned(self) -> KeyRotation<'static> {
        KeyRotation {
            ts: self.ts,
            key_id: Cow::Owned(self.key_id.into_owned()),
        }
    }
}

impl Event<'_> {
    pub fn into_owned(self) -> Event<'static> {
        match self {
            Event::Call(c) => Event::Call(c.into_owned()),
            Event::KeyRotated(r) => Event::KeyRotated(r.into_owned()),
            Event::CreditBalance(b) => Event::CreditBalance(b),
        }
    }
}
