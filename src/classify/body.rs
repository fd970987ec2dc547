//! What a JSON body says, read from a bounded prefix. A body that is empty, cut short, huge or
//! not JSON (a 502 HTML page) yields nothing here and the status decides.

use serde_json::Value;

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

pub(crate) fn parse(bytes: &[u8]) -> Option<Value> {
    let trimmed = bytes.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return None;
    }
    serde_json::from_slice(trimmed).ok()
}

/// `value` if it is an error envelope (has an `error` object).
pub(crate) fn error_body(value: &Value) -> Option<ErrorBody> {
    let error = value.get("error")?.as_object()?;
    Some(ErrorBody {
        error_type: short(error.get("type")),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .map(|m| bounded(m, MAX_MESSAGE_CHARS)),
        error_code: short(error.get("details").and_then(|d| d.get("error_code"))),
        request_id: short(value.get("request_id")),
    })
}

/// The usage, model and stop reason of a Messages response (or of a stream's `message`).
pub(crate) fn success_body(value: &Value) -> SuccessBody {
    SuccessBody {
        usage: value.get("usage").and_then(usage),
        model: short(value.get("model")),
        stop_reason: short(value.get("stop_reason")),
    }
}

/// A `usage` object; missing counters are 0, a non-object is `None`.
pub(crate) fn usage(value: &Value) -> Option<Usage> {
    let usage = value.as_object()?;
    let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
    Some(Usage {
        input_tokens: count("input_tokens"),
        cache_read_input_tokens: count("cache_read_input_tokens"),
        cache_creation_input_tokens: count("cache_creation_input_tokens"),
        output_tokens: count("output_tokens"),
    })
}

pub(crate) fn short(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(|s| bounded(s, MAX_TOKEN_CHARS))
}

/// `s` cut to at most `max` chars (on a char boundary).
pub fn bounded(s: &str, max: usize) -> String {
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
        assert_eq!(parse(b"<html>502 Bad Gateway</html>"), None);
        assert_eq!(parse(br#"{"type":"error","error":{"ty"#), None);
        assert_eq!(parse(b""), None);
        assert!(error_body(&parse(br#"{"error":"flat string"}"#).unwrap()).is_none());
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
        usage: value_after(tail, "usage").as_ref().and_then(usage),
        model: value_after_first(head, "model")
            .as_ref()
            .and_then(|v| short(Some(v))),
        stop_reason: value_after(tail, "stop_reason")
            .as_ref()
            .and_then(|v| short(Some(v))),
    }
}

fn value_after(hay: &[u8], key: &str) -> Option<Value> {
    let pattern = format!("\"{key}\":");
    let at = hay
        .windows(pattern.len())
        .rposition(|w| w == pattern.as_bytes())?;
    first_value(&hay[at + pattern.len()..])
}

fn value_after_first(hay: &[u8], key: &str) -> Option<Value> {
    let pattern = format!("\"{key}\":");
    let at = hay
        .windows(pattern.len())
        .position(|w| w == pattern.as_bytes())?;
    first_value(&hay[at + pattern.len()..])
}

/// The one JSON value at the start of `bytes`, ignoring what follows it.
fn first_value(bytes: &[u8]) -> Option<Value> {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
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
