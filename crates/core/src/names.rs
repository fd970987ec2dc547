//! Every metric name, attribute key and well-known value callwatch emits, in one place.
//!
//! Standard names come from the OpenTelemetry semantic conventions (GenAI client and HTTP
//! client); `callwatch.*` names cover only what they lack. Exporters, the Prometheus rule
//! generator, the Datadog monitors and the dashboard tests all read from here.
//! (The Rust semconv crate marks its GenAI constants experimental, so they are written out.)

// --- metrics (OpenTelemetry names) ---
pub const GEN_AI_CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
pub const GEN_AI_CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
pub const HTTP_CLIENT_REQUEST_DURATION: &str = "http.client.request.duration";
/// Streamed calls: from sending the request to the first output chunk (semconv v1.41+).
pub const GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.operation.time_to_first_chunk";
/// Streamed calls: time between output chunks (semconv v1.41+).
pub const GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.operation.time_per_output_chunk";
/// Logical calls, by status and error type (a counter; the histograms count them too, but a
/// counter survives every backend's histogram handling).
pub const CALLWATCH_CALLS: &str = "callwatch.calls";
/// Attempts per logical call (histogram, `{attempt}`).
pub const CALLWATCH_ATTEMPTS: &str = "callwatch.attempts";
/// Streamed calls only: from sending the request to the stream's end (histogram, `s`). No
/// GenAI convention has it: `gen_ai.client.operation.duration` covers every call, streamed or
/// not, with no attribute to tell them apart.
pub const CALLWATCH_STREAM_DURATION: &str = "callwatch.stream.duration";
/// Time spent waiting between attempts (counter, `s`).
pub const CALLWATCH_RETRY_WAIT: &str = "callwatch.retry.wait";
/// Retries that could not help: a retry whose call still failed.
pub const CALLWATCH_RETRIES_FUTILE: &str = "callwatch.retries.futile";
/// Responses that stopped at `max_tokens`.
pub const CALLWATCH_TRUNCATED: &str = "callwatch.responses.truncated";
/// Rate-limit headroom: remaining share of the limit (gauge, 0..1).
pub const CALLWATCH_RATELIMIT_HEADROOM: &str = "callwatch.ratelimit.headroom";
/// Rate-limit remaining (gauge, absolute).
pub const CALLWATCH_RATELIMIT_REMAINING: &str = "callwatch.ratelimit.remaining";
/// Seconds until a rate limit is exhausted at its current net drain (gauge, `s`; only while
/// draining; see `record::exhaustion`).
pub const CALLWATCH_RATELIMIT_EXHAUSTION: &str = "callwatch.ratelimit.exhaustion";
/// Alerts currently firing (gauge).
pub const CALLWATCH_ALERTS_FIRING: &str = "callwatch.alerts.firing";
/// Calls the rules engine's bounded queue dropped (counter).
pub const CALLWATCH_ENGINE_DROPPED: &str = "callwatch.engine.dropped";
/// Notifications sent / failed / dropped per sink (counter).
pub const CALLWATCH_NOTIFICATIONS: &str = "callwatch.notifications";
/// Tokens per call summed, split into disjoint kinds (`callwatch.token.kind`: `input` uncached,
/// `cache_read`, `cache_creation`, `output`): the GenAI token-usage histogram has only input
/// (cache included) and output, so the cache hit share needs this (counter, `{token}`).
pub const CALLWATCH_TOKENS: &str = "callwatch.tokens";
/// Series that fell into the overflow series because a label was over its bound (counter).
pub const CALLWATCH_SERIES_OVERFLOW: &str = "callwatch.series.overflow";
/// Firing alerts the persisted alert state had no room for (counter): no resolve after a restart.
pub const CALLWATCH_ALERT_STATE_LEFT_OUT: &str = "callwatch.alert_state.left_out";
/// What calls cost, USD, by model, key id and operation (counter, `{USD}`; computed from token
/// usage and the price table at collection time).
pub const CALLWATCH_COST: &str = "callwatch.cost";
/// Calls with usage on a model the price table does not price (counter; never priced at 0).
pub const CALLWATCH_COST_UNPRICED: &str = "callwatch.cost.unpriced";
/// What cache reads saved against plain input, USD (counter, `{USD}`).
pub const CALLWATCH_COST_CACHE_SAVINGS: &str = "callwatch.cost.cache_savings";
/// Billed minus computed spend, USD, over the last whole hours the Admin API's cost report and
/// callwatch both cover (gauge, `{USD}`; only with `CALLWATCH_ANTHROPIC_ADMIN_KEY`): positive
/// when Anthropic billed more than callwatch counted (calls it did not see, a price the table
/// lacks or has wrong).
pub const CALLWATCH_COST_DRIFT: &str = "callwatch.cost.drift";
/// The part of [`CALLWATCH_COST_DRIFT`] from calls callwatch did not see: the usage report's
/// billed tokens at callwatch's prices minus the computed spend (gauge, `{USD}`; absent when
/// a billed model is unpriced). The rest of the drift is the price table's.
pub const CALLWATCH_COST_DRIFT_UNSEEN: &str = "callwatch.cost.drift.unseen";
/// The unit of the cost counters: a UCUM annotation, so Prometheus adds no unit suffix.
pub const UNIT_USD: &str = "{USD}";

// --- attribute keys ---
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// Whether the request asked for a streamed response (on spans).
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// Time to first chunk on a span, seconds (the span counterpart of the metric).
pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
pub const ERROR_TYPE: &str = "error.type";
pub const SERVER_ADDRESS: &str = "server.address";
pub const SERVER_PORT: &str = "server.port";
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub const HTTP_REQUEST_RESEND_COUNT: &str = "http.request.resend_count";
pub const CALLWATCH_CLASS: &str = "callwatch.class";
pub const CALLWATCH_KEY_ID: &str = "callwatch.key_id";
pub const CALLWATCH_REQUEST_ID: &str = "callwatch.request_id";
pub const CALLWATCH_ATTEMPT: &str = "callwatch.attempt";
pub const CALLWATCH_RETRY_WAIT_MS: &str = "callwatch.retry_wait_ms";
pub const CALLWATCH_RATELIMIT_KIND: &str = "callwatch.ratelimit.kind";
pub const CALLWATCH_SINK: &str = "callwatch.sink";
/// The named receiver (route tree) a notification was for.
pub const CALLWATCH_RECEIVER: &str = "callwatch.receiver";
pub const CALLWATCH_RESULT: &str = "callwatch.result";
pub const CALLWATCH_LABEL: &str = "callwatch.label";
/// Kind of `callwatch.tokens`: `input`, `cache_read`, `cache_creation` or `output`.
pub const CALLWATCH_TOKEN_KIND: &str = "callwatch.token.kind";
/// Span attributes for a call's usage (semconv v1.40+): input here is the total the API
/// billed as input (uncached + cache read + cache creation), the cached parts on their own.
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
pub const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: &str =
    "gen_ai.usage.cache_creation.input_tokens";

// --- semantic-conventions-genai (emitted under `OTEL_SEMCONV_STABILITY_OPT_IN=
// gen_ai_latest_experimental`, or beside the names above with `…/dup`; see `crate::semconv`).
// From the repository's client-inference and token-metrics pages: inference operations get
// their own metric names, and token usage is a counter per category (cache and reasoning are
// subsets of input and output) plus a per-operation histogram for percentiles.
/// Replaces `gen_ai.client.operation.duration` for inference operations (histogram, `s`).
pub const GEN_AI_CLIENT_INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
/// Replaces `gen_ai.client.operation.time_to_first_chunk` (histogram, `s`).
pub const GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.inference.time_to_first_chunk";
/// Replaces `gen_ai.client.operation.time_per_output_chunk` (histogram, `s`).
pub const GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK: &str =
    "gen_ai.client.inference.time_per_output_chunk";
/// Input tokens, cache reads and writes included (counter, `{token}`, by modality).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.input_tokens";
/// Output tokens (counter, `{token}`, by modality).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.output_tokens";
/// Input tokens served from the prompt cache, a subset of input (counter, `{token}`).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_read.input_tokens";
/// Input tokens written to the prompt cache, a subset of input (counter, `{token}`).
pub const GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS: &str =
    "gen_ai.client.inference.usage.cache_write.input_tokens";
/// Input tokens per operation, for percentiles only (histogram, `{token}`).
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.input_tokens";
/// Output tokens per operation, for percentiles only (histogram, `{token}`).
pub const GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS: &str =
    "gen_ai.client.inference.operation.output_tokens";
/// Required on the usage counters.
pub const GEN_AI_TOKEN_MODALITY: &str = "gen_ai.token.modality";
/// The Messages API does not split usage by modality: the conventions say `unknown` then.
pub const TOKEN_MODALITY_UNKNOWN: &str = "unknown";
/// Span attribute that replaces `gen_ai.usage.cache_creation.input_tokens`.
pub const GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";
// (No reasoning-token counter: the Messages API does not report thinking tokens apart.)

// --- values ---
pub const PROVIDER_ANTHROPIC: &str = "anthropic";
/// `gen_ai.provider.name` for Claude reached through Amazon Bedrock (semconv well-known value).
pub const PROVIDER_BEDROCK: &str = "aws.bedrock";
/// `gen_ai.provider.name` for Claude reached through Google Vertex AI (semconv well-known value).
pub const PROVIDER_VERTEX: &str = "gcp.vertex_ai";
/// `gen_ai.operation.name` for the Messages API.
pub const OPERATION_CHAT: &str = "chat";
pub const TOKEN_TYPE_INPUT: &str = "input";
pub const TOKEN_TYPE_OUTPUT: &str = "output";
/// `callwatch.token.kind` values beside `input` (uncached here) and `output`.
pub const TOKEN_KIND_CACHE_READ: &str = "cache_read";
pub const TOKEN_KIND_CACHE_CREATION: &str = "cache_creation";
/// `error.type` fallback when nothing more specific is known.
pub const ERROR_TYPE_OTHER: &str = "_OTHER";
/// The value a bounded label takes once its bound is reached.
pub const OVERFLOW_VALUE: &str = "_overflow";

/// Latency bucket boundaries (seconds) for LLM calls: from a fast cached reply to a long
/// generation. The SDK default is millisecond-shaped and would put every call in the last buckets.
pub const LATENCY_BOUNDARIES_S: [f64; 19] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84,
    327.68, 655.36, 1310.72, 2621.44,
];
/// Token-usage bucket boundaries (`{token}`), powers of 4 as the GenAI conventions advise.
pub const TOKEN_BOUNDARIES: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// Attempts-per-call bucket boundaries.
pub const ATTEMPT_BOUNDARIES: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];

/// A dotted OpenTelemetry name as Prometheus sees it after OTLP translation or our own
/// `/metrics` endpoint: dots become underscores, the unit becomes a suffix, counters get `_total`.
pub fn prometheus_name(otel_name: &str, unit: &str, counter: bool) -> String {
    let mut name = otel_name.replace('.', "_");
    let suffix = match unit {
        "s" => Some("seconds"),
        "By" => Some("bytes"),
        "1" if !counter => Some("ratio"),
        _ => None,
    };
    if let Some(s) = suffix {
        if !name.ends_with(s) {
            name.push('_');
            name.push_str(s);
        }
    }
    if counter {
        name.push_str("_total");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_names_follow_the_otlp_translation() {
        assert_eq!(
            prometheus_name(GEN_AI_CLIENT_OPERATION_DURATION, "s", false),
            "gen_ai_client_operation_duration_seconds"
        );
        assert_eq!(
            prometheus_name(CALLWATCH_CALLS, "{call}", true),
            "callwatch_calls_total"
        );
        assert_eq!(
            prometheus_name(CALLWATCH_RATELIMIT_HEADROOM, "1", false),
            "callwatch_ratelimit_headroom_ratio"
        );
    }
}
