//! The documented Claude API shapes the mock sends: error envelopes, a Messages success body and
//! the streaming event sequence. Kept apart so a shape change is a one-file edit.

use serde_json::{json, Value};

/// The `error.type` and message the API documents for each status.
pub(crate) fn default_error(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("invalid_request_error", "messages: field required"),
        401 => ("authentication_error", "invalid x-api-key"),
        402 => ("billing_error", "Your account has a billing issue."),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        404 => (
            "not_found_error",
            "The requested resource could not be found.",
        ),
        409 => ("conflict_error", "Conflict"),
        413 => (
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
        422 => (
            "unprocessable_entity",
            "The request could not be processed.",
        ),
        429 => (
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit.",
        ),
        504 => ("timeout_error", "Request timed out."),
        529 => ("overloaded_error", "Overloaded"),
        _ => ("api_error", "Internal server error"),
    }
}

/// `{"type":"error","error":{"type","message"[,"details":{"error_code"}]},"request_id"}`.
pub(crate) fn error_body(
    error_type: &str,
    message: &str,
    error_code: Option<&str>,
    request_id: &str,
) -> Value {
    let mut error = json!({"type": error_type, "message": message});
    if let Some(code) = error_code {
        error["details"] = json!({ "error_code": code });
    }
    json!({"type": "error", "error": error, "request_id": request_id})
}

/// What a success reply says about the generated message.
#[derive(Clone, Debug)]
pub(crate) struct MessageSpec {
    pub model: Option<String>,
    pub stop_reason: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prompt-cache reads and writes (reported beside `input_tokens`, which excludes them).
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub text: Option<String>,
    /// Streamed: the wait before the first `content_block_delta` (the first output chunk).
    pub first_delta_delay: std::time::Duration,
    /// Streamed: the stream ends after its deltas, before `message_delta` and `message_stop`.
    pub cut_before_stop: bool,
    /// Streamed: the wait before each `content_block_delta` after the first (one more delta
    /// than gaps); empty: two deltas, sent back to back.
    pub chunk_gaps: Vec<std::time::Duration>,
}

impl Default for MessageSpec {
    fn default() -> Self {
        MessageSpec {
            model: None,
            stop_reason: "end_turn".to_owned(),
            input_tokens: 12,
            output_tokens: 8,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            text: None,
            first_delta_delay: std::time::Duration::ZERO,
            cut_before_stop: false,
            chunk_gaps: Vec::new(),
        }
    }
}

const TEXT: &str = "Hello from the mock.";

/// A Messages response in the API's own field order (`model` before `content`, `usage` last),
/// which a client reading a large body's ends relies on; a `json!` map would sort the keys.
#[derive(serde::Serialize)]
pub(crate) struct MessageBody<'a> {
    id: &'a str,
    r#type: &'static str,
    role: &'static str,
    model: &'a str,
    content: [Value; 1],
    stop_reason: &'a str,
    stop_sequence: Option<&'a str>,
    usage: Value,
}

pub(crate) fn message_body<'a>(
    spec: &'a MessageSpec,
    model: &'a str,
    id: &'a str,
) -> MessageBody<'a> {
    MessageBody {
        id,
        r#type: "message",
        role: "assistant",
        model,
        content: [json!({"type": "text", "text": spec.text.as_deref().unwrap_or(TEXT)})],
        stop_reason: &spec.stop_reason,
        stop_sequence: None,
        usage: json!({
            "input_tokens": spec.input_tokens, "output_tokens": spec.output_tokens,
            "cache_creation_input_tokens": spec.cache_creation_input_tokens,
            "cache_read_input_tokens": spec.cache_read_input_tokens
        }),
    }
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The streaming sequence, one string per event. With `error`, the stream stops after the
/// first delta with an `event: error` carrying that envelope (as the API does mid-stream).
pub(crate) fn stream_events(
    spec: &MessageSpec,
    model: &str,
    id: &str,
    error: Option<Value>,
) -> Vec<String> {
    let mut events = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": spec.input_tokens, "output_tokens": 1,
                          "cache_creation_input_tokens": spec.cache_creation_input_tokens,
                          "cache_read_input_tokens": spec.cache_read_input_tokens}
            }}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
                   "content_block": {"type": "text", "text": ""}}),
        ),
        event("ping", json!({"type": "ping"})),
    ];
    let pieces: Vec<String> = if spec.chunk_gaps.is_empty() {
        let (first, rest) = TEXT.split_at(6);
        vec![first.to_owned(), rest.to_owned()]
    } else {
        (0..=spec.chunk_gaps.len())
            .map(|i| format!("chunk {i} "))
            .collect()
    };
    for piece in &pieces {
        events.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "text_delta", "text": piece}}),
        ));
        if let Some(error) = &error {
            events.push(event("error", error.clone()));
            return events;
        }
    }
    if spec.cut_before_stop {
        return events;
    }
    events.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(event(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": spec.stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": spec.output_tokens}}),
    ));
    events.push(event("message_stop", json!({"type": "message_stop"})));
    events
}

pub(crate) const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";
