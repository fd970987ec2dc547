//! What a JSON body says, read from a bounded prefix in one borrowed pass: only the fields we
//! use are kept (`content` is skipped, not built), strings without escapes are borrowed, and a
//! field of the wrong type is ignored rather than failing the parse (see [`super::lenient`]).
//! A body that is empty, cut short, huge or not JSON (a 502 HTML page) yields nothing here and
//! the status decides.

use serde::Deserialize;

use super::lenient::{Count, Object, Text};
use super::Usage;

/// Longest `error.message` kept: enough to tell messages apart, bounded for labels and logs.
pub const MAX_MESSAGE_CHARS: usize = 512;
/// Longest `error.type` / `model` / code kept: the API's are short, a hostile body's need not be.
const MAX_TOKEN_CHARS: usize = 128;

/// The fields of an error body: `{"type":"error","error":{"type","message","details":
/// {"error_code"}},"request_id"}`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
}

/// The fields of a success body we count.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SuccessBody {
    pub usage: Option<Usage>,
    pub model: Option<String>,
    pub stop_reason: Option<String>,
}

/// Every top-level field we read of a Messages response, an error envelope or one stream
/// event (`message_start` nests a message, `message_delta` a delta).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub error: Object<WireError<'a>>,
    #[serde(borrow)]
    pub request_id: Text<'a>,
    #[serde(borrow)]
    pub model: Text<'a>,
    /// Bedrock's Converse API writes `stopReason` (same values).
    #[serde(borrow, alias = "stopReason")]
    pub stop_reason: Text<'a>,
    pub usage: Object<WireUsage>,
    #[serde(borrow)]
    pub message: Object<Box<Wire<'a>>>,
    #[serde(borrow)]
    pub delta: Object<WireDelta<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireError<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    message: Text<'a>,
    #[serde(borrow)]
    details: Object<WireDetails<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireDetails<'a> {
    #[serde(borrow)]
    error_code: Text<'a>,
}

/// `usage` counters; `None` when the key is absent (a stream's `message_delta` names only what
/// changed), a counter of the wrong type reads as 0. Bedrock's Converse API (`converse`, and
/// the `metadata` event of `converse-stream`) names the same counters in camelCase, with cache
/// writes as `cacheWriteInputTokens`; its `inputTokens` excludes cache reads and writes as the
/// Anthropic API's `input_tokens` does, so both feed the same token series.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireUsage {
    #[serde(alias = "inputTokens")]
    pub input_tokens: Option<Count>,
    #[serde(alias = "cacheReadInputTokens")]
    pub cache_read_input_tokens: Option<Count>,
    #[serde(alias = "cacheWriteInputTokens")]
    pub cache_creation_input_tokens: Option<Count>,
    #[serde(alias = "outputTokens")]
    pub output_tokens: Option<Count>,
    /// `cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}`: the split of
    /// the cache writes by TTL (each TTL has its own price).
    pub cache_creation: Object<WireCacheCreation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireCacheCreation {
    pub ephemeral_1h_input_tokens: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireDelta<'a> {
    #[serde(borrow)]
    pub stop_reason: Text<'a>,
}

/// The body's fields, or `None` when it is not one JSON object.
pub(crate) fn parse(bytes: &[u8]) -> Option<Wire<'_>> {
    let trimmed = bytes.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return None;
    }
    serde_json::from_slice(trimmed).ok()
}

/// `wire` if it is an error envelope (has an `error` object).
pub(crate) fn error_body(wire: &Wire) -> Option<ErrorBody> {
    let error = wire.error.0.as_ref()?;
    Some(ErrorBody {
        error_type: short(&error.kind),
        message: error
            .message
            .0
            .as_deref()
            .map(|m| super::redact_owned(bounded(m, MAX_MESSAGE_CHARS), None)),
        error_code: error.details.0.as_ref().and_then(|d| short(&d.error_code)),
        request_id: short(&wire.request_id),
    })
}

/// The usage, model and stop reason of a Messages response (or of a stream's `message`).
pub(crate) fn success_body(wire: &Wire) -> SuccessBody {
    SuccessBody {
        usage: wire.usage.0.as_ref().map(usage),
        model: short(&wire.model).map(|m| super::model_label(&m).into_owned()),
        stop_reason: short(&wire.stop_reason),
    }
}

/// A `usage` object's counters; missing ones are 0.
pub(crate) fn usage(usage: &WireUsage) -> Usage {
    let count = |c: Option<Count>| c.map_or(0, |c| c.0);
    Usage {
        input_tokens: count(usage.input_tokens),
        cache_read_input_tokens: count(usage.cache_read_input_tokens),
        cache_creation_input_tokens: count(usage.cache_creation_input_tokens),
        output_tokens: count(usage.output_tokens),
        cache_creation_1h_input_tokens: usage
            .cache_creation
            .0
            .as_ref()
            .map_or(0, |c| count(c.ephemeral_1h_input_tokens)),
    }
}

pub(crate) fn short(text: &Text) -> Option<String> {
    text.0.as_deref().map(|s| bounded(s, MAX_TOKEN_CHARS))
}

/// `s` cut to at most `max` chars (on a char boundary).
pub fn bounded(s: &str, max: usize) -> String {
    // A char is at least one byte: a string no longer than `max` bytes needs no counting.
    if s.len() <= max {
        return s.to_owned();
    }
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_fields_are_read() {
        let v = parse(br#" {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_1"}"#).unwrap();
        let e = error_body(&v).unwrap();
        assert_eq!(e.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(e.message.as_deref(), Some("Rate limited"));
        assert_eq!(
            e.error_code.as_deref(),
            Some("enforced_spend_limit_reached")
        );
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
    }

    #[test]
    fn not_json_and_cut_short_bodies_parse_to_nothing() {
        assert!(parse(b"<html>502 Bad Gateway</html>").is_none());
        assert!(parse(br#"{"type":"error","error":{"ty"#).is_none());
        assert!(parse(b"").is_none());
        assert!(error_body(&parse(br#"{"error":"flat string"}"#).unwrap()).is_none());
    }

    #[test]
    fn a_bedrock_converse_body_gives_the_same_usage_and_stop_reason() {
        // The Converse response shape (docs.aws.amazon.com/bedrock/latest/APIReference/
        // API_runtime_Converse.html): camelCase usage with cache reads and writes.
        let v = parse(br#"{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"max_tokens","usage":{"inputTokens":12,"outputTokens":34,"totalTokens":1046,"cacheReadInputTokens":900,"cacheWriteInputTokens":100},"metrics":{"latencyMs":812}}"#).unwrap();
        let s = success_body(&v);
        assert_eq!(
            s.usage,
            Some(Usage {
                input_tokens: 12,
                cache_read_input_tokens: 900,
                cache_creation_input_tokens: 100,
                output_tokens: 34,
                cache_creation_1h_input_tokens: 0,
            })
        );
        assert_eq!(s.usage.unwrap().total_input(), 1012);
        assert_eq!(s.stop_reason.as_deref(), Some("max_tokens"));
        let tail = br#"}]}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":6}}"#;
        let ends = success_from_ends(b"{", tail);
        assert_eq!(
            ends.usage.map(|u| (u.input_tokens, u.output_tokens)),
            Some((5, 6))
        );
        assert_eq!(ends.stop_reason.as_deref(), Some("end_turn"));
    }

    #[test]
    fn bounded_cuts_on_char_boundaries() {
        assert_eq!(bounded("héllo", 2), "hé");
        assert_eq!(bounded("hi", 5), "hi");
        assert_eq!(
            bounded(&"é".repeat(600), MAX_MESSAGE_CHARS).chars().count(),
            512
        );
    }
}

/// Best effort for a success body too large to parse whole: `model` from its start, `usage`
/// and `stop_reason` from its end (the API writes them after `content`). Keys are found as
/// `"key":` — a quote inside a JSON string is always escaped, so a match is structural; the
/// last match wins so a tool input's own `usage` key earlier in the body does not.
pub(crate) fn success_from_ends(head: &[u8], tail: &[u8]) -> SuccessBody {
    SuccessBody {
        usage: value_after::<Object<WireUsage>>(tail, b"\"usage\":", Find::Last)
            .and_then(|o| o.0)
            .map(|u| usage(&u)),
        model: value_after::<Text>(head, b"\"model\":", Find::First).and_then(|t| short(&t)),
        stop_reason: value_after::<Text>(tail, b"\"stop_reason\":", Find::Last)
            .or_else(|| value_after::<Text>(tail, b"\"stopReason\":", Find::Last))
            .and_then(|t| short(&t)),
    }
}

#[derive(Clone, Copy)]
enum Find {
    First,
    Last,
}

/// The one JSON value right after `pattern` in `hay`, ignoring what follows it.
fn value_after<'a, T: Deserialize<'a>>(hay: &'a [u8], pattern: &[u8], find: Find) -> Option<T> {
    let mut windows = hay.windows(pattern.len());
    let at = match find {
        Find::First => windows.position(|w| w == pattern)?,
        Find::Last => windows.rposition(|w| w == pattern)?,
    };
    serde_json::Deserializer::from_slice(&hay[at + pattern.len()..])
        .into_iter::<T>()
        .next()?
        .ok()
}

#[cfg(test)]
mod ends_tests {
    use super::*;

    #[test]
    fn usage_and_stop_reason_come_from_the_tail_model_from_the_head() {
        let head = br#"{"id":"msg_1","type":"message","model":"claude-opus-4-6","content":[{"type":"tool_use","input":{"usage":{"output_tokens":999}},"text":"a \"usage\": trap"#;
        let tail = br#"xx"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":32000}}"#;
        let found = success_from_ends(head, tail);
        assert_eq!(found.model.as_deref(), Some("claude-opus-4-6"));
        assert_eq!(found.stop_reason.as_deref(), Some("max_tokens"));
        assert_eq!(found.usage.unwrap().output_tokens, 32000);
        assert_eq!(
            success_from_ends(b"garbage", b"\"usage\":{not json"),
            SuccessBody::default()
        );
    }
}

/// The one-pass reader agrees with reading a whole `serde_json::Value` (the obvious reader,
/// kept here as the oracle) on any JSON built from the keys we read, at any nesting and with
/// any value types.
#[cfg(test)]
mod oracle_tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    fn text(v: Option<&Value>) -> Option<String> {
        v.and_then(Value::as_str)
            .map(|s| bounded(s, MAX_TOKEN_CHARS))
    }

    fn oracle_usage(v: &Value) -> Option<Usage> {
        let u = v.as_object()?;
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        Some(Usage {
            input_tokens: n("input_tokens"),
            cache_read_input_tokens: n("cache_read_input_tokens"),
            cache_creation_input_tokens: n("cache_creation_input_tokens"),
            output_tokens: n("output_tokens"),
            cache_creation_1h_input_tokens: u
                .get("cache_creation")
                .and_then(Value::as_object)
                .and_then(|c| c.get("ephemeral_1h_input_tokens"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
        })
    }

    fn oracle(v: &Value) -> (Option<ErrorBody>, SuccessBody) {
        let error =
            v.get("error")
                .and_then(Value::as_object)
                .map(|e| ErrorBody {
                    error_type: text(e.get("type")),
                    message: e.get("message").and_then(Value::as_str).map(|m| {
                        crate::classify::redact_owned(bounded(m, MAX_MESSAGE_CHARS), None)
                    }),
                    error_code: text(e.get("details").and_then(|d| d.get("error_code"))),
                    request_id: text(v.get("request_id")),
                });
        let success = SuccessBody {
            usage: v.get("usage").and_then(oracle_usage),
            model: text(v.get("model")).map(|m| crate::classify::model_label(&m).into_owned()),
            stop_reason: text(v.get("stop_reason")),
        };
        (error, success)
    }

    const KEYS: &[&str] = &[
        "type",
        "error",
        "message",
        "details",
        "error_code",
        "request_id",
        "model",
        "stop_reason",
        "usage",
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "ephemeral_1h_input_tokens",
        "content",
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\"\\\\é\\n]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                    |kv| Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<_, _>>()
                    )
                ),
            ]
        })
    }

    proptest! {
        #[test]
        fn one_pass_reader_matches_the_value_oracle(
            fields in proptest::collection::vec((proptest::sample::select(KEYS), json()), 0..8)
        ) {
            let object = Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
            let bytes = serde_json::to_vec(&object).unwrap();
            let wire = parse(&bytes).expect("an object parses");
            let (error, success) = oracle(&object);
            prop_assert_eq!(error_body(&wire), error);
            prop_assert_eq!(success_body(&wire), success);
        }
    }
}
