//! The mock checks a request as the API does, so a client that sends a malformed request gets
//! the same 400 `invalid_request_error` it would get in production — the messages name the
//! offending field by index, which is what `BadRequestBaselineRising` has to normalise.

use serde_json::Value;

/// `None` when the request is well formed, else the API-style message.
pub fn invalid_request(body: &[u8]) -> Option<String> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Some("There was an error parsing the body of your request: invalid JSON".into());
    };
    if request.get("model").and_then(Value::as_str).is_none() {
        return Some("model: Field required".into());
    }
    match request.get("max_tokens").and_then(Value::as_i64) {
        None => return Some("max_tokens: Field required".into()),
        Some(n) if n < 1 => {
            return Some(format!(
                "max_tokens: Input should be greater than or equal to 1 (got {n})"
            ))
        }
        Some(_) => {}
    }
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return Some("messages: Field required".into());
    };
    if messages.is_empty() {
        return Some("messages: at least one message is required".into());
    }
    for (i, message) in messages.iter().enumerate() {
        match message.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            Some(other) => {
                return Some(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant' (got '{other}')"
                ))
            }
            None => return Some(format!("messages.{i}.role: Field required")),
        }
        match message.get("content") {
            Some(Value::String(_) | Value::Array(_)) => {}
            Some(_) => {
                return Some(format!(
                    "messages.{i}.content: Input should be a valid list"
                ))
            }
            None => return Some(format!("messages.{i}.content: Field required")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_like_the_api() {
        let ok = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(invalid_request(ok), None);
        let bad = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":{"text":"c"}}]}"#;
        assert_eq!(
            invalid_request(bad).as_deref(),
            Some("messages.2.content: Input should be a valid list")
        );
        assert!(
            invalid_request(br#"{"model":"m","max_tokens":0,"messages":[]}"#)
                .unwrap()
                .starts_with("max_tokens")
        );
        assert!(invalid_request(b"not json").is_some());
    }
}
