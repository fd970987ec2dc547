//! The optional token fields of the event line, kept in one block so the line's other fields
//! stay as they were:
//!
//! ```json
//! {"ts":"…","status":200,…,"input_tokens":1200,"output_tokens":350,
//!  "cache_read_input_tokens":800,"cache_creation_input_tokens":64,
//!  "cache_creation_1h_input_tokens":64}
//! ```
//!
//! The four are the API's `usage` names; `cache_creation_1h_input_tokens` (written only when
//! non-zero) is the part of the cache writes made with the 1-hour TTL, which has its own price.
//! A line with none of them has no usage (an error, or a writer that did not record it).

use serde::Serialize;

use crate::classify::Usage;

#[derive(Serialize)]
pub(super) struct TokenFields {
    input_tokens: u64,
    output_tokens: u64,
    cache_read_input_tokens: u64,
    cache_creation_input_tokens: u64,
    #[serde(skip_serializing_if = "is_zero")]
    cache_creation_1h_input_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TokenFields {
    pub(super) fn of(usage: &Usage) -> TokenFields {
        TokenFields {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            cache_creation_1h_input_tokens: usage.cache_creation_1h_input_tokens,
        }
    }
}

/// The token fields as read from the line (negative counts are refused by [`Self::usage`]).
#[derive(Default)]
pub(super) struct WireTokens {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_input_tokens: Option<i64>,
    pub cache_creation_input_tokens: Option<i64>,
    pub cache_creation_1h_input_tokens: Option<i64>,
}

impl WireTokens {
    /// The usage, `None` when the line has no token field; a negative count is an error.
    pub(super) fn usage(&self) -> Result<Option<Usage>, String> {
        let fields = [
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("cache_read_input_tokens", self.cache_read_input_tokens),
            (
                "cache_creation_input_tokens",
                self.cache_creation_input_tokens,
            ),
            (
                "cache_creation_1h_input_tokens",
                self.cache_creation_1h_input_tokens,
            ),
        ];
        if fields.iter().all(|(_, v)| v.is_none()) {
            return Ok(None);
        }
        let mut counts = [0u64; 5];
        for (i, (name, value)) in fields.iter().enumerate() {
            match value {
                None => {}
                Some(n) if *n >= 0 => counts[i] = *n as u64,
                Some(n) => return Err(format!("`{name}` {n} is negative (allowed: 0 or more)")),
            }
        }
        let [input, output, read, write, write_1h] = counts;
        if write_1h > write {
            return Err(format!(
                "`cache_creation_1h_input_tokens` {write_1h} is more than `cache_creation_input_tokens` {write} (it is the 1-hour part of them)"
            ));
        }
        Ok(Some(Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: write,
            cache_creation_1h_input_tokens: write_1h,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_line, CallEvent, Event};
    use time::macros::datetime;

    #[test]
    fn tokens_round_trip_and_leave_the_other_fields_as_they_were() {
        let base = r#"{"ts":"2026-11-20T08:00:00.007Z","status":200,"error_type":null,"attempts":1,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438"}"#;
        let Ok(Event::Call(without)) = parse_line(base, 1) else {
            panic!()
        };
        assert_eq!(without.usage, None);
        assert_eq!(
            without.to_line(),
            base,
            "a line without usage is written as before"
        );

        let with = format!(
            "{},\"input_tokens\":1200,\"output_tokens\":350,\"cache_read_input_tokens\":800,\"cache_creation_input_tokens\":64,\"cache_creation_1h_input_tokens\":64}}",
            &base[..base.len() - 1]
        );
        let Ok(Event::Call(call)) = parse_line(&with, 1) else {
            panic!()
        };
        let usage = call.usage.unwrap();
        assert_eq!(
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_input_tokens
            ),
            (1200, 350, 800)
        );
        assert_eq!(usage.cache_creation_1h_input_tokens, 64);
        assert_eq!(call.to_line(), with);
    }

    #[test]
    fn bad_counts_name_the_field() {
        let err = parse_line(
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"output_tokens":-3}"#,
            7,
        )
        .unwrap_err();
        assert_eq!(err.line, 7);
        assert!(err.what.contains("`output_tokens` -3"), "{}", err.what);
        let err = parse_line(
            r#"{"ts":"2026-11-20T08:00:00Z","status":200,"output_tokens":"x"}"#,
            2,
        )
        .unwrap_err();
        assert!(
            err.what.contains("output_tokens") || err.what.contains("invalid type"),
            "{}",
            err.what
        );
        let mut call = CallEvent::new(datetime!(2026-11-20 08:00 UTC), Some(200), None);
        call.usage = Some(crate::classify::Usage {
            output_tokens: 5,
            ..Default::default()
        });
        assert!(call.to_line().ends_with(r#""input_tokens":0,"output_tokens":5,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}"#));
    }
}
