//! What a finished call's `chat {model}` span says about how it ended: one list for every span
//! callwatch makes — the middleware's and the macro's (through `tracing`) and the proxy's
//! (built with the OpenTelemetry SDK, since the proxy learns a call's times only at its end) —
//! so the two kinds of span cannot drift apart.

use std::borrow::Cow;

use crate::classify::Outcome;
use crate::names;
use crate::semconv::Convention;

/// One attribute's value, in the types both `tracing` fields and OpenTelemetry attributes take.
#[derive(Clone, Debug, PartialEq)]
pub enum SpanValue<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// An integer (counts, status codes; token counts fit: they are far below 2^63).
    Int(i64),
    /// A float (seconds).
    Float(f64),
    /// A flag.
    Bool(bool),
}

/// The attributes that say how a call ended, in the names `convention` emits: provider, class,
/// attempts, `error.type` (only for an error, as the conventions ask), HTTP status, response
/// model, request id, token usage (input as the conventions count it: cache reads and writes
/// included) and, for a stream, `gen_ai.request.stream` and the time to first chunk in seconds.
pub fn outcome_attributes(
    outcome: &Outcome,
    attempts: u32,
    convention: Convention,
) -> Vec<(&'static str, SpanValue<'_>)> {
    let mut out = vec![
        (
            names::GEN_AI_PROVIDER_NAME,
            SpanValue::Str(Cow::Borrowed(outcome.provider.as_str())),
        ),
        (
            names::CALLWATCH_CLASS,
            SpanValue::Str(Cow::Borrowed(outcome.class.as_str())),
        ),
        (
            names::CALLWATCH_ATTEMPTS,
            SpanValue::Int(i64::from(attempts)),
        ),
    ];
    if let Some(error_type) = error_type(outcome) {
        out.push((names::ERROR_TYPE, SpanValue::Str(error_type)));
    }
    if let Some(status) = outcome.status {
        out.push((
            names::HTTP_RESPONSE_STATUS_CODE,
            SpanValue::Int(status.into()),
        ));
    }
    if let Some(model) = &outcome.response_model {
        out.push((names::GEN_AI_RESPONSE_MODEL, SpanValue::Str(model.into())));
    }
    if let Some(id) = &outcome.request_id {
        out.push((names::CALLWATCH_REQUEST_ID, SpanValue::Str(id.into())));
    }
    if let Some(usage) = &outcome.usage {
        let tokens = |n: u64| SpanValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
        out.push((
            names::GEN_AI_USAGE_INPUT_TOKENS,
            tokens(usage.total_input()),
        ));
        out.push((
            names::GEN_AI_USAGE_OUTPUT_TOKENS,
            tokens(usage.output_tokens),
        ));
        out.push((
            names::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            tokens(usage.cache_read_input_tokens),
        ));
        // semantic-conventions-genai renamed cache creation to cache write.
        if convention.emits_v1_41() {
            out.push((
                names::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                tokens(usage.cache_creation_input_tokens),
            ));
        }
        if convention.emits_latest() {
            out.push((
                names::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
                tokens(usage.cache_creation_input_tokens),
            ));
        }
    }
    if let Some(stream) = &outcome.stream {
        out.push((names::GEN_AI_REQUEST_STREAM, SpanValue::Bool(true)));
        if let Some(ttfc) = stream.time_to_first_chunk {
            // Seconds, as the metric (the span attribute carries no unit of its own).
            out.push((
                names::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                SpanValue::Float(ttfc.as_secs_f64()),
            ));
        }
    }
    out
}

/// `error.type` as the conventions want it: none on success; the API's type, else the status
/// (as the HTTP conventions do for a body-less 5xx), else `_OTHER`.
pub fn error_type(outcome: &Outcome) -> Option<Cow<'_, str>> {
    if !outcome.class.is_error() {
        return None;
    }
    Some(match (&outcome.error_type, outcome.status) {
        (Some(kind), _) => Cow::Borrowed(kind.as_str()),
        (None, Some(status)) => Cow::Owned(status.to_string()),
        (None, None) => Cow::Borrowed(names::ERROR_TYPE_OTHER),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::classify::{Class, StreamTiming, Usage};

    fn find<'a>(list: &'a [(&str, SpanValue<'_>)], name: &str) -> Option<&'a SpanValue<'a>> {
        list.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    #[test]
    fn a_success_has_no_error_type_and_counts_cache_tokens_in_the_input() {
        let mut outcome = Outcome::bare(Some(200), None, Class::Success);
        outcome.usage = Some(Usage {
            input_tokens: 10,
            cache_read_input_tokens: 100,
            cache_creation_input_tokens: 1000,
            output_tokens: 7,
            cache_creation_1h_input_tokens: 0,
        });
        let list = outcome_attributes(&outcome, 2, Convention::Both);
        assert_eq!(find(&list, names::ERROR_TYPE), None);
        assert_eq!(
            find(&list, names::GEN_AI_USAGE_INPUT_TOKENS),
            Some(&SpanValue::Int(1110))
        );
        assert_eq!(
            find(&list, names::CALLWATCH_ATTEMPTS),
            Some(&SpanValue::Int(2))
        );
        // Both generations of the cache-write name under `/dup`, one each otherwise.
        assert!(find(&list, names::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS).is_some());
        assert!(find(&list, names::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS).is_some());
        let old = outcome_attributes(&outcome, 2, Convention::V1_41);
        assert!(find(&old, names::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS).is_none());
        let new = outcome_attributes(&outcome, 2, Convention::Latest);
        assert!(find(&new, names::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS).is_none());
    }

    #[test]
    fn an_error_names_its_type_or_status_and_a_stream_its_first_chunk() {
        let typed = Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded);
        assert_eq!(error_type(&typed).as_deref(), Some("overloaded_error"));
        let bare = Outcome::bare(Some(502), None, Class::Server);
        assert_eq!(error_type(&bare).as_deref(), Some("502"));
        let mut streamed = Outcome::bare(Some(200), None, Class::Success);
        streamed.stream = Some(StreamTiming {
            time_to_first_chunk: Some(Duration::from_millis(300)),
            ..StreamTiming::default()
        });
        let list = outcome_attributes(&streamed, 1, Convention::V1_41);
        assert_eq!(
            find(&list, names::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
            Some(&SpanValue::Float(0.3))
        );
        assert_eq!(
            find(&list, names::GEN_AI_REQUEST_STREAM),
            Some(&SpanValue::Bool(true))
        );
    }
}
