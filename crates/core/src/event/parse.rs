//! Reading one event line. Errors say which line and what is wrong; the caller skips the line.

use super::wire::{text, Wire};
use super::{parse_rfc3339, CallEvent, CreditBalance, Event, KeyRotation};
use crate::classify::{provider_class, ClassInput, Provider};

/// A line that could not be read: its 1-based number and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct EventError {
    pub line: u64,
    pub what: String,
}

/// Parses one event line (`line_no` is 1-based, for the error).
pub fn parse_line(line: &str, line_no: u64) -> Result<Event<'_>, EventError> {
    // The scanner reads only what serde would read the same way, and leaves the rest (and
    // every error) to serde, so the result is serde's either way.
    let mut wire = Wire::default();
    if super::scan::scan(line, &mut wire).is_none() {
        wire = read_json(line, line_no)?;
    }
    checked(&mut wire, line_no)
}

/// [`parse_line`] without the scanner: what it is held to.
#[cfg(test)]
pub(super) fn parse_line_with_serde(line: &str, line_no: u64) -> Result<Event<'_>, EventError> {
    checked(&mut read_json(line, line_no)?, line_no)
}

fn read_json(line: &str, line_no: u64) -> Result<Wire<'_>, EventError> {
    serde_json::from_str(line).map_err(|e| EventError {
        line: line_no,
        what: json_error(&e),
    })
}

/// The event the fields make, or what is wrong with them. The strings are taken out of `wire`
/// (borrowed, not moved whole: a move copied the few hundred bytes of it).
fn checked<'a>(wire: &mut Wire<'a>, line_no: u64) -> Result<Event<'a>, EventError> {
    let fail = |what: String| EventError {
        line: line_no,
        what,
    };
    let ts_text = text(wire.ts.take())
        .ok_or_else(|| fail("missing `ts` (an RFC 3339 timestamp is required)".into()))?;
    let ts = parse_rfc3339(&ts_text).ok_or_else(|| {
        fail(format!(
            "`ts` {ts_text:?} is not an RFC 3339 timestamp (e.g. 2026-11-20T08:00:00.007Z)"
        ))
    })?;
    if let Some(kind) = text(wire.event.take()) {
        if kind == "credit_balance" {
            return match wire.balance_usd {
                Some(b) if b.is_finite() && b >= 0.0 => {
                    Ok(Event::CreditBalance(CreditBalance { ts, balance_usd: b }))
                }
                Some(b) => Err(fail(format!(
                    "`credit_balance` event: `balance_usd` {b} is not a balance (a number ≥ 0)"
                ))),
                None => Err(fail("`credit_balance` event without `balance_usd`".into())),
            };
        }
        if kind != "key_rotated" {
            return Err(fail(format!(
                "unknown `event` {kind:?} (allowed: key_rotated, credit_balance; a call line has no `event`)"
            )));
        }
        let key_id = text(wire.key_id.take())
            .ok_or_else(|| fail("`key_rotated` event without `key_id`".into()))?;
        return Ok(Event::KeyRotated(KeyRotation { ts, key_id }));
    }
    let status = match wire.status {
        None => None,
        Some(s @ 100..=599) => Some(s as u16),
        Some(s) => {
            return Err(fail(format!(
            "`status` {s} is not an HTTP status (allowed: 100–599, or null when no response came)"
        )))
        }
    };
    let attempts = match wire.attempts {
        None => 1,
        Some(n @ 1..=1_000_000) => n as u32,
        Some(n) => {
            return Err(fail(format!(
                "`attempts` {n} is out of range (allowed: 1 or more)"
            )))
        }
    };
    if let Some(ms) = wire.latency_ms {
        if !(ms >= 0.0 && ms.is_finite()) {
            return Err(fail(format!(
                "`latency_ms` {ms} is out of range (allowed: 0 or more)"
            )));
        }
    }
    let provider = match text(wire.provider.take()) {
        None => Provider::Anthropic,
        Some(p) => Provider::parse(&p).ok_or_else(|| {
            fail(format!(
                "unknown `provider` {p:?} (allowed: {}; omitted means {})",
                Provider::ALL.map(Provider::as_str).join(", "),
                Provider::Anthropic.as_str()
            ))
        })?,
    };
    let usage = super::tokens::WireTokens {
        input_tokens: wire.input_tokens,
        output_tokens: wire.output_tokens,
        cache_read_input_tokens: wire.cache_read_input_tokens,
        cache_creation_input_tokens: wire.cache_creation_input_tokens,
        cache_creation_1h_input_tokens: wire.cache_creation_1h_input_tokens,
    }
    .usage()
    .map_err(fail)?;
    if let Some(ms) = wire.ttft_ms {
        if !(ms >= 0.0 && ms.is_finite()) {
            return Err(fail(format!(
                "`ttft_ms` {ms} is out of range (allowed: 0 or more)"
            )));
        }
    }
    let ratelimit = wire
        .ratelimit
        .take()
        .map(super::ratelimit::RateLimitField::rate_limit)
        .transpose()
        .map_err(fail)?;
    let error_type = text(wire.error_type.take());
    // A recorded line may hold what an older writer (or another tool) did not redact.
    let message = text(wire.message.take()).map(crate::classify::redact_cow);
    // Bedrock and Vertex codes (`ThrottlingException`, `RESOURCE_EXHAUSTED`) replay as they
    // classified live; every other line exactly as before.
    let class = provider_class(ClassInput {
        status,
        error_type: error_type.as_deref(),
        message: message.as_deref(),
        error_code: None,
    });
    Ok(Event::Call(CallEvent {
        ts,
        status,
        error_type,
        class,
        attempts,
        latency_ms: wire.latency_ms,
        model: text(wire.model.take()).map(crate::classify::model_label_cow),
        operation: text(wire.operation.take()),
        key_id: text(wire.key_id.take()),
        request_id: text(wire.request_id.take()),
        message,
        provider,
        usage,
        ttft_ms: wire.ttft_ms,
        stream: wire.stream,
        ratelimit,
    }))
}

/// serde_json's message without its "at line 1" (the line number is ours to give).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &text[..i], e.column()),
        None => text,
    };
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not valid JSON: {text}")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Class;
    use std::borrow::Cow;
    use time::macros::datetime;

    fn call(line: &str) -> CallEvent<'_> {
        match parse_line(line, 1).unwrap() {
            Event::Call(c) => c,
            other => panic!("not a call: {other:?}"),
        }
    }

    #[test]
    fn contract_example_parses_with_borrowed_strings() {
        let c = call(
            r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded","extra":{"x":1}}"#,
        );
        assert_eq!(c.ts, datetime!(2026-11-20 08:00:00.007 UTC));
        assert_eq!(c.status, Some(529));
        assert_eq!(c.class, Class::Overloaded);
        assert_eq!(c.attempts, 3);
        assert!(matches!(c.model, Some(Cow::Borrowed("claude-sonnet-4-6"))));
        assert_eq!(c.latency_ms, Some(812.5));
    }

    #[test]
    fn defaults_and_nulls() {
        let c = call(r#"{"ts":"2026-11-20T08:00:00Z","status":null,"error_type":"timeout"}"#);
        assert_eq!(c.status, None);
        assert_eq!(c.class, Class::Timeout);
        assert_eq!(c.attempts, 1);
        let ok = call(r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":null}"#);
        assert_eq!(ok.class, Class::Success);
    }

    #[test]
    fn a_call_the_library_could_not_read_replays_as_unknown_not_as_a_connection_failure() {
        let line = r#"{"ts":"2026-11-20T08:00:00Z","status":null,"error_type":"unknown"}"#;
        let Event::Call(c) = parse_line(line, 1).unwrap() else {
            panic!("a call")
        };
        assert_eq!(c.class, Class::Unknown);
        assert!(!c.class.is_error());
    }

    #[test]
    fn billing_shapes_classify_as_billing() {
        let credit = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":400,"error_type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}"#,
        );
        assert_eq!(credit.class, Class::Billing);
        let cap = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":429,"error_type":"rate_limit_error","message":"You have reached your specified workspace API usage limits (spend limit)."}"#,
        );
        assert_eq!(cap.class, Class::Billing);
        let perm = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":403,"error_type":"permission_error","message":"no access"}"#,
        );
        assert_eq!(perm.class, Class::Permission);
        let bedrock = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":400,"error_type":"ServiceQuotaExceededException"}"#,
        );
        assert_eq!(bedrock.class, Class::RateLimit);
        let in_band = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":"throttlingException"}"#,
        );
        assert_eq!(in_band.class, Class::RateLimit);
        let vertex_billing =
            call(r#"{"ts":"2026-11-20T08:00:00Z","status":403,"error_type":"BILLING_DISABLED"}"#);
        assert_eq!(vertex_billing.class, Class::Billing);
        let vertex_permission =
            call(r#"{"ts":"2026-11-20T08:00:00Z","status":403,"error_type":"PERMISSION_DENIED"}"#);
        assert_eq!(vertex_permission.class, Class::Permission);
    }

    #[test]
    fn provider_is_optional_read_when_present_and_an_unknown_one_is_named() {
        assert_eq!(
            call(r#"{"ts":"2026-11-20T08:00:00Z","status":200}"#).provider,
            Provider::Anthropic
        );
        let bedrock = call(
            r#"{"ts":"2026-11-20T08:00:00Z","status":429,"error_type":"ThrottlingException","provider":"aws.bedrock"}"#,
        );
        assert_eq!(bedrock.provider, Provider::Bedrock);
        assert_eq!(bedrock.class, Class::RateLimit);
        let err = parse_line(
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"provider":"openai"}"#,
            4,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 4: unknown `provider` \"openai\""),
            "{err}"
        );
        assert!(err.what.contains("gcp.vertex_ai"), "{err}");
    }

    #[test]
    fn rotation_marker() {
        let e = parse_line(
            r#"{"ts":"2026-11-20T08:00:00Z","event":"key_rotated","key_id":"k-1"}"#,
            3,
        )
        .unwrap();
        assert!(matches!(e, Event::KeyRotated(KeyRotation { ref key_id, .. }) if key_id == "k-1"));
    }

    #[test]
    fn credit_balance_reads_back_what_was_written_and_refuses_a_bad_balance() {
        let line = r#"{"ts":"2026-11-20T08:00:00Z","event":"credit_balance","balance_usd":250.5}"#;
        let e = parse_line(line, 1).unwrap();
        assert!(
            matches!(e, Event::CreditBalance(CreditBalance { balance_usd, .. }) if balance_usd == 250.5)
        );
        assert_eq!(e.to_line(), line);
        for (bad, what) in [
            (
                r#"{"ts":"2026-11-20T08:00:00Z","event":"credit_balance"}"#,
                "without `balance_usd`",
            ),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","event":"credit_balance","balance_usd":-3}"#,
                "`balance_usd` -3 is not a balance",
            ),
        ] {
            let err = parse_line(bad, 7).unwrap_err();
            assert!(
                err.to_string().starts_with("line 7: ") && err.what.contains(what),
                "{err}"
            );
        }
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let cases = [
            ("not json", "not valid JSON"),
            (r#"{"status":200}"#, "missing `ts`"),
            (r#"{"ts":"noon","status":200}"#, "not an RFC 3339"),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","status":"200"}"#,
                "invalid type",
            ),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","status":42}"#,
                "not an HTTP status",
            ),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","status":200,"attempts":0}"#,
                "attempts",
            ),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","event":"nope"}"#,
                "unknown `event`",
            ),
            (
                r#"{"ts":"2026-11-20T08:00:00Z","event":"key_rotated"}"#,
                "without `key_id`",
            ),
            (r#"[1,2]"#, "invalid type"),
        ];
        for (line, want) in cases {
            let err = parse_line(line, 7).unwrap_err();
            assert_eq!(err.line, 7);
            assert!(err.to_string().starts_with("line 7: "), "{err}");
            assert!(err.what.contains(want), "{line}: {err}");
        }
    }
}
