//! The `chat {model}` span shared by the middleware and the `#[watch]` macro. Its static name is
//! the operation's family (`chat`); `otel.name` carries `chat {model}`, which
//! tracing-opentelemetry exports as the span name, as the GenAI conventions ask.

use std::sync::OnceLock;

use tracing::field::Empty;
use tracing::Span;

use callwatch_core::classify::Outcome;
use callwatch_core::names;
use callwatch_core::semconv::Convention;

/// Opens the call span; request facts not known yet are left empty to record later.
pub(crate) fn call_span(operation: &str, model: &str) -> Span {
    tracing::info_span!(
        "chat",
        otel.name = %format_args!("{operation} {model}"),
        otel.kind = "client",
        { names::GEN_AI_OPERATION_NAME } = operation,
        { names::GEN_AI_PROVIDER_NAME } = Empty,
        { names::GEN_AI_REQUEST_MODEL } = model,
        { names::GEN_AI_RESPONSE_MODEL } = Empty,
        { names::ERROR_TYPE } = Empty,
        { names::SERVER_ADDRESS } = Empty,
        { names::SERVER_PORT } = Empty,
        { names::HTTP_RESPONSE_STATUS_CODE } = Empty,
        { names::CALLWATCH_KEY_ID } = Empty,
        { names::CALLWATCH_CLASS } = Empty,
        { names::CALLWATCH_REQUEST_ID } = Empty,
        callwatch.attempts = Empty,
        { names::GEN_AI_REQUEST_STREAM } = Empty,
        { names::GEN_AI_USAGE_INPUT_TOKENS } = Empty,
        { names::GEN_AI_USAGE_OUTPUT_TOKENS } = Empty,
        { names::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS } = Empty,
        { names::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS } = Empty,
        { names::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS } = Empty,
        { names::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK } = Empty,
    )
}

/// Where the call went and with which key (fingerprint only).
pub(crate) fn record_request(span: &Span, server_address: &str, server_port: u16, key_id: &str) {
    if !server_address.is_empty() {
        span.record(names::SERVER_ADDRESS, server_address);
        span.record(names::SERVER_PORT, server_port);
    }
    if !key_id.is_empty() {
        span.record(names::CALLWATCH_KEY_ID, key_id);
    }
}

/// How the call ended (and where it went: the provider the request path named).
pub(crate) fn record_outcome(span: &Span, outcome: &Outcome, attempts: u32) {
    span.record(names::GEN_AI_PROVIDER_NAME, outcome.provider.as_str());
    span.record(names::ERROR_TYPE, error_type(outcome));
    span.record(names::CALLWATCH_CLASS, outcome.class.as_str());
    span.record("callwatch.attempts", attempts);
    if let Some(usage) = &outcome.usage {
        // Input as the conventions count it: cache reads and writes included.
        span.record(names::GEN_AI_USAGE_INPUT_TOKENS, usage.total_input());
        span.record(names::GEN_AI_USAGE_OUTPUT_TOKENS, usage.output_tokens);
        span.record(
            names::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            usage.cache_read_input_tokens,
        );
        // semantic-conventions-genai renamed cache creation to cache write.
        let convention = convention();
        if convention.emits_v1_41() {
            span.record(
                names::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                usage.cache_creation_input_tokens,
            );
        }
        if convention.emits_latest() {
            span.record(
                names::GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
                usage.cache_creation_input_tokens,
            );
        }
    }
    if let Some(stream) = &outcome.stream {
        span.record(names::GEN_AI_REQUEST_STREAM, true);
        if let Some(ttfc) = stream.time_to_first_chunk {
            // Seconds, as the metric (the span attribute carries no unit of its own).
            span.record(
                names::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                ttfc.as_secs_f64(),
            );
        }
    }
    if let Some(status) = outcome.status {
        span.record(names::HTTP_RESPONSE_STATUS_CODE, status);
    }
    if let Some(model) = &outcome.response_model {
        span.record(names::GEN_AI_RESPONSE_MODEL, model.as_str());
    }
    if let Some(id) = &outcome.request_id {
        span.record(names::CALLWATCH_REQUEST_ID, id.as_str());
    }
}

/// The GenAI convention spans follow (`OTEL_SEMCONV_STABILITY_OPT_IN`, read once).
fn convention() -> Convention {
    static CONVENTION: OnceLock<Convention> = OnceLock::new();
    *CONVENTION.get_or_init(Convention::from_env)
}

/// `error.type` as the conventions want it: empty on success, the API's type, else the status,
/// else `_OTHER`.
pub(crate) fn error_type(outcome: &Outcome) -> String {
    if !outcome.class.is_error() {
        return String::new();
    }
    match (&outcome.error_type, outcome.status) {
        (Some(kind), _) => kind.clone(),
        (None, Some(status)) => status.to_string(),
        (None, None) => names::ERROR_TYPE_OTHER.to_owned(),
    }
}
