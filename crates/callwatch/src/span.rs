//! The `chat {model}` span shared by the middleware and the `#[watch]` macro. Its static name is
//! the operation's family (`chat`); `otel.name` carries `chat {model}`, which
//! tracing-opentelemetry exports as the span name, as the GenAI conventions ask.

use std::sync::OnceLock;

use tracing::field::Empty;
use tracing::Span;

use callwatch_core::classify::Outcome;
use callwatch_core::names;
use callwatch_core::semconv::Convention;
use callwatch_core::span_attributes::{self, SpanValue};

/// The fields tracing-opentelemetry turns into the span's status.
const OTEL_STATUS_CODE: &str = "otel.status_code";
const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";

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
        { names::CALLWATCH_ATTEMPTS } = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
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

/// How the call ended (and where it went: the provider the request path named): the list
/// every callwatch span carries ([`span_attributes::outcome_attributes`]); an error also sets
/// the span's status, as the OpenTelemetry trace conventions ask.
pub(crate) fn record_outcome(span: &Span, outcome: &Outcome, attempts: u32) {
    for (name, value) in span_attributes::outcome_attributes(outcome, attempts, convention()) {
        match value {
            SpanValue::Str(text) => span.record(name, text.as_ref()),
            SpanValue::Int(n) => span.record(name, n),
            SpanValue::Float(x) => span.record(name, x),
            SpanValue::Bool(flag) => span.record(name, flag),
        };
    }
    if let Some(error_type) = span_attributes::error_type(outcome) {
        span.record(OTEL_STATUS_CODE, "ERROR");
        span.record(OTEL_STATUS_DESCRIPTION, error_type.as_ref());
    }
}

/// The GenAI convention spans follow (`OTEL_SEMCONV_STABILITY_OPT_IN`, read once).
fn convention() -> Convention {
    static CONVENTION: OnceLock<Convention> = OnceLock::new();
    *CONVENTION.get_or_init(Convention::from_env)
}
