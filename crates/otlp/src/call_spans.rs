//! Spans for calls seen from outside the application (the proxy): built with the SDK's tracer
//! from a [`TimedCall`], with the start and end the proxy saw, because a `tracing` span can
//! only start when it is opened and the proxy knows a call is over only after the SDK's grace
//! for a retry has passed. The attributes are those of the library's `chat {model}` span
//! ([`outcome_attributes`]); each attempt is an event, as the middleware's attempts are; a
//! request that carried a W3C `traceparent` puts the span in the app's trace.

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::SdkTracer;

use callwatch_core::call::{CallSpanSink, TimedCall};
use callwatch_core::names;
use callwatch_core::semconv::Convention;
use callwatch_core::span_attributes::{error_type, outcome_attributes, SpanValue};
use callwatch_core::trace_parent::TraceParent;

/// The event each attempt becomes (the middleware logs its attempts under the same message).
const ATTEMPT_EVENT: &str = "callwatch attempt";

/// Makes each finished call a `chat {model}` client span (see the module's text).
pub struct CallSpans {
    tracer: SdkTracer,
    convention: Convention,
}

impl CallSpans {
    /// Spans through `tracer`, in the names `convention` emits.
    pub fn new(tracer: SdkTracer, convention: Convention) -> CallSpans {
        CallSpans { tracer, convention }
    }
}

impl CallSpanSink for CallSpans {
    fn call_ended(&self, timed: &TimedCall<'_>) {
        let call = timed.call;
        let mut attributes = vec![
            KeyValue::new(names::GEN_AI_OPERATION_NAME, call.operation.to_owned()),
            KeyValue::new(names::GEN_AI_REQUEST_MODEL, call.model.to_owned()),
        ];
        if !call.server_address.is_empty() {
            attributes.push(KeyValue::new(
                names::SERVER_ADDRESS,
                call.server_address.to_owned(),
            ));
            attributes.push(KeyValue::new(
                names::SERVER_PORT,
                i64::from(call.server_port),
            ));
        }
        if !call.key_id.is_empty() {
            attributes.push(KeyValue::new(
                names::CALLWATCH_KEY_ID,
                call.key_id.to_owned(),
            ));
        }
        attributes.extend(
            outcome_attributes(call.outcome, call.attempts, self.convention)
                .into_iter()
                .map(|(name, value)| KeyValue::new(name, otel_value(value))),
        );
        let mut span = self
            .tracer
            .span_builder(format!("{} {}", call.operation, call.model))
            .with_kind(SpanKind::Client)
            .with_start_time(timed.started)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent_context(timed.parent));
        for (number, (attempt, (_, ended))) in
            timed.attempts.iter().zip(timed.attempt_times()).enumerate()
        {
            let mut fields = vec![
                KeyValue::new(names::CALLWATCH_ATTEMPT, number as i64 + 1),
                KeyValue::new(names::CALLWATCH_CLASS, attempt.class.as_str()),
                KeyValue::new(
                    names::CALLWATCH_RETRY_WAIT_MS,
                    attempt.wait_before.as_secs_f64() * 1000.0,
                ),
                KeyValue::new("latency_ms", attempt.latency.as_secs_f64() * 1000.0),
            ];
            if let Some(status) = attempt.status {
                fields.push(KeyValue::new(
                    names::HTTP_RESPONSE_STATUS_CODE,
                    i64::from(status),
                ));
            }
            if let Some(kind) = &attempt.error_type {
                fields.push(KeyValue::new(names::ERROR_TYPE, kind.clone()));
            }
            span.add_event_with_timestamp(ATTEMPT_EVENT, ended, fields);
        }
        if let Some(kind) = error_type(call.outcome) {
            span.set_status(Status::error(kind.into_owned()));
        }
        span.end_with_timestamp(timed.ended);
    }
}

/// The app's trace, as its request named it: the span becomes a child of the span that sent
/// the request. Without one, a root span.
fn parent_context(parent: Option<TraceParent>) -> Context {
    let Some(parent) = parent else {
        return Context::new();
    };
    let remote = SpanContext::new(
        TraceId::from(parent.trace_id),
        SpanId::from(parent.span_id),
        TraceFlags::new(parent.flags),
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(remote)
}

fn otel_value(value: SpanValue<'_>) -> Value {
    match value {
        SpanValue::Str(text) => Value::from(text.into_owned()),
        SpanValue::Int(n) => Value::I64(n),
        SpanValue::Float(x) => Value::F64(x),
        SpanValue::Bool(flag) => Value::Bool(flag),
    }
}
