//! The event line's fields as read from JSON, before they are checked: what serde reads in
//! [`super::parse`], and what [`super::scan`] reads faster from the lines the agent writes.

use std::borrow::Cow;

use serde::Deserialize;

/// The line as JSON. Strings borrow from the line unless they hold escapes.
#[derive(Deserialize, Default)]
pub(super) struct Wire<'a> {
    #[serde(borrow, default)]
    pub(super) ts: Option<Text<'a>>,
    #[serde(default)]
    pub(super) status: Option<i64>,
    #[serde(borrow, default)]
    pub(super) error_type: Option<Text<'a>>,
    #[serde(default)]
    pub(super) attempts: Option<i64>,
    #[serde(default)]
    pub(super) latency_ms: Option<f64>,
    #[serde(borrow, default)]
    pub(super) model: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) operation: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) key_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) request_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) message: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) event: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub(super) provider: Option<Text<'a>>,
    // Token usage (optional), as the API's `usage` names it; read by [`super::tokens`].
    #[serde(default)]
    pub(super) input_tokens: Option<i64>,
    #[serde(default)]
    pub(super) output_tokens: Option<i64>,
    #[serde(default)]
    pub(super) cache_read_input_tokens: Option<i64>,
    #[serde(default)]
    pub(super) cache_creation_input_tokens: Option<i64>,
    #[serde(default)]
    pub(super) cache_creation_1h_input_tokens: Option<i64>,
    #[serde(default)]
    pub(super) ttft_ms: Option<f64>,
    // A `credit_balance` event's balance.
    #[serde(default)]
    pub(super) balance_usd: Option<f64>,
    #[serde(default)]
    pub(super) stream: Option<bool>,
    #[serde(default)]
    pub(super) ratelimit: Option<super::ratelimit::RateLimitField>,
}

/// A JSON string borrowed from the line when it holds no escapes (serde's own `Cow` support
/// always copies inside an `Option`).
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

pub(super) fn text(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    t.map(|t| t.0)
}
