//! Writing the contract event line (the agent records calls in the format `replay` reads).

use std::io::{self, Write};

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::{CallEvent, Event, KeyRotation};

#[derive(Serialize)]
struct CallLine<'e> {
    ts: &'e str,
    status: Option<u16>,
    error_type: Option<&'e str>,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'e str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<&'e str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'e str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'e str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'e str>,
    /// Omitted for the Anthropic API, so its lines stay as they always were.
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'static str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    tokens: Option<super::tokens::TokenFields>,
    // --- streaming (issue 14): only on streamed calls ---
    #[serde(skip_serializing_if = "Option::is_none")]
    ttft_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    // --- rate-limit headroom (issue 14): only when the response carried the headers ---
    #[serde(skip_serializing_if = "Option::is_none")]
    ratelimit: Option<super::ratelimit::RateLimitField>,
}

#[derive(Serialize)]
struct RotationLine<'e> {
    ts: &'e str,
    event: &'static str,
    key_id: &'e str,
}

fn rfc3339(ts: time::OffsetDateTime) -> String {
    ts.format(&Rfc3339)
        .unwrap_or_else(|_| ts.unix_timestamp().to_string())
}

impl CallEvent<'_> {
    /// The contract line, without the trailing newline.
    pub fn to_line(&self) -> String {
        let ts = rfc3339(self.ts);
        // Whatever built this event, nothing secret-shaped reaches the file.
        let model = self.model.as_deref().map(crate::classify::model_label);
        let message = self.message.as_deref().map(crate::classify::redact);
        let line = CallLine {
            ts: &ts,
            status: self.status,
            error_type: self.error_type.as_deref(),
            attempts: self.attempts,
            latency_ms: self.latency_ms.filter(|v| v.is_finite()),
            model: model.as_deref(),
            operation: self.operation.as_deref(),
            key_id: self.key_id.as_deref(),
            request_id: self.request_id.as_deref(),
            message: message.as_deref(),
            provider: (self.provider != crate::classify::Provider::Anthropic)
                .then(|| self.provider.as_str()),
            tokens: self.usage.as_ref().map(super::tokens::TokenFields::of),
            ttft_ms: self.ttft_ms.filter(|v| v.is_finite()),
            stream: self.stream,
            ratelimit: self
                .ratelimit
                .as_ref()
                .and_then(super::ratelimit::RateLimitField::of),
        };
        // Strings and finite numbers always serialise.
        serde_json::to_string(&line).unwrap_or_default()
    }
}

impl KeyRotation<'_> {
    pub fn to_line(&self) -> String {
        let ts = rfc3339(self.ts);
        let line = RotationLine {
            ts: &ts,
            event: "key_rotated",
            key_id: &self.key_id,
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct BalanceLine<'e> {
    ts: &'e str,
    event: &'static str,
    balance_usd: f64,
}

impl super::CreditBalance {
    pub fn to_line(&self) -> String {
        let ts = rfc3339(self.ts);
        let line = BalanceLine {
            ts: &ts,
            event: "credit_balance",
            // Parsing refuses anything else; a NaN written here would not serialise.
            balance_usd: if self.balance_usd.is_finite() {
                self.balance_usd.max(0.0)
            } else {
                0.0
            },
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

impl Event<'_> {
    pub fn to_line(&self) -> String {
        match self {
            Event::Call(c) => c.to_line(),
            Event::KeyRotated(r) => r.to_line(),
            Event::CreditBalance(b) => b.to_line(),
        }
    }
}

/// Writes events as JSON Lines.
pub struct EventWriter<W: Write> {
    out: W,
}

impl<W: Write> EventWriter<W> {
    pub fn new(out: W) -> Self {
        EventWriter { out }
    }

    pub fn write(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.out.write_all(event.to_line().as_bytes())?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_line;
    use time::macros::datetime;

    #[test]
    fn written_lines_read_back_identically() {
        let mut call = CallEvent::new(
            datetime!(2026-11-20 08:00:00.25 UTC),
            Some(400),
            Some("invalid_request_error"),
        )
        .with_message("Your credit balance is too low \"quoted\"");
        call.attempts = 2;
        call.latency_ms = Some(12.5);
        call.key_id = Some("k-1".into());
        let events = [
            Event::Call(call),
            Event::KeyRotated(KeyRotation {
                ts: datetime!(2026-11-20 09:00:00 UTC),
                key_id: "k-2".into(),
            }),
        ];
        let mut w = EventWriter::new(Vec::new());
        for e in &events {
            w.write(e).unwrap();
        }
        let text = String::from_utf8(w.into_inner()).unwrap();
        for (i, (line, want)) in text.lines().zip(&events).enumerate() {
            assert_eq!(&parse_line(line, i as u64 + 1).unwrap(), want);
        }
    }

    #[test]
    fn the_provider_is_written_only_when_not_the_anthropic_api_and_reads_back() {
        let mut call = CallEvent::new(datetime!(2026-11-20 08:00:00 UTC), Some(200), None);
        assert_eq!(
            call.to_line(),
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":null,"attempts":1}"#
        );
        call.provider = crate::classify::Provider::Vertex;
        let line = call.to_line();
        assert!(line.ends_with(r#","provider":"gcp.vertex_ai"}"#), "{line}");
        assert_eq!(parse_line(&line, 1).unwrap(), Event::Call(call));
    }

    #[test]
    fn a_streamed_call_adds_ttft_and_stream_after_the_contract_fields() {
        let mut call = CallEvent::new(datetime!(2026-11-20 08:00:00 UTC), Some(200), None);
        call.latency_ms = Some(900.0);
        let plain = call.to_line();
        assert_eq!(
            plain,
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":null,"attempts":1,"latency_ms":900.0}"#
        );
        call.ttft_ms = Some(312.5);
        call.stream = Some(true);
        let line = call.to_line();
        assert_eq!(
            line,
            format!(
                "{},\"ttft_ms\":312.5,\"stream\":true}}",
                &plain[..plain.len() - 1]
            )
        );
        assert_eq!(parse_line(&line, 1).unwrap(), Event::Call(call));
        let bad = parse_line(r#"{"ts":"2026-11-20T08:00:00Z","ttft_ms":-1}"#, 7).unwrap_err();
        assert!(bad.to_string().contains("ttft_ms"), "{bad}");
    }

    #[test]
    fn a_latency_reads_back_as_the_same_f64() {
        // 1.0000000000000001e-28 read back 1 ULP low before serde_json's float_roundtrip.
        for ms in [
            1.000_000_000_000_000_1e-28,
            812.503_417_000_000_1,
            0.1 + 0.2,
        ] {
            let mut call = CallEvent::new(datetime!(2026-11-20 08:00:00 UTC), Some(200), None);
            call.latency_ms = Some(ms);
            let line = call.to_line();
            match parse_line(&line, 1).unwrap() {
                Event::Call(back) => assert_eq!(back.latency_ms, Some(ms), "{line}"),
                other => panic!("not a call: {other:?}"),
            }
        }
    }
}
