//! The exported metrics as each backend names them, derived from [`crate::names`] so the
//! dashboards, Prometheus rules and Datadog monitors cannot drift from the exporter.
//!
//! Prometheus (our `/metrics`, or OTLP through a collector / Mimir): dots become underscores, a
//! unit of `s` adds `_seconds`, `1` adds `_ratio` on gauges, counters end in `_total`, and a
//! histogram is the `_bucket` / `_sum` / `_count` series ([`names::prometheus_name`]).
//!
//! Datadog (Agent OTLP intake or the collector's Datadog exporter, default settings): names stay
//! dotted; a monotonic sum becomes a COUNT of the same name (send delta temporality); a gauge a
//! GAUGE; an explicit-bucket histogram a DISTRIBUTION of the same name (`histograms.mode:
//! distributions`), queried with `count:`, `sum:`, `avg:`, `min:`, `max:` and `pNN:` — there
//! are no `.bucket` series in that mode, and the `.count` / `.sum` suffixed metrics appear only
//! with `send_aggregation_metrics`, which the dashboards and monitors do not rely on.

use crate::names;
use crate::semconv::Convention;

/// How an instrument is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One exported metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// The OpenTelemetry name (what Datadog shows).
    pub otel: &'static str,
    pub unit: &'static str,
    pub kind: Kind,
}

impl Metric {
    /// The Prometheus base name (a histogram's series add `_bucket`, `_sum`, `_count`).
    pub fn prom(&self) -> String {
        names::prometheus_name(self.otel, self.unit, self.kind == Kind::Counter)
    }

    /// `<prom>_bucket`, `_sum` or `_count` of a histogram.
    pub fn prom_series(&self, suffix: &str) -> String {
        debug_assert_eq!(self.kind, Kind::Histogram);
        format!("{}_{suffix}", self.prom())
    }

    /// The Datadog metric name: the dotted OTLP name, unchanged.
    pub fn datadog(&self) -> &'static str {
        self.otel
    }

    /// Datadog space aggregators this metric supports.
    pub fn datadog_aggregators(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Counter | Kind::Gauge => &["sum", "avg", "min", "max"],
            Kind::Histogram => &[
                "sum", "avg", "min", "max", "count", "p50", "p75", "p90", "p95", "p99",
            ],
        }
    }
}

pub const OPERATION_DURATION: Metric = Metric {
    otel: names::GEN_AI_CLIENT_OPERATION_DURATION,
    unit: "s",
    kind: Kind::Histogram,
};
pub const TOKEN_USAGE: Metric = Metric {
    otel: names::GEN_AI_CLIENT_TOKEN_USAGE,
    unit: "{token}",
    kind: Kind::Histogram,
};
pub const CALLS: Metric = Metric {
    otel: names::CALLWATCH_CALLS,
    unit: "{call}",
    kind: Kind::Counter,
};
pub const ATTEMPTS: Metric = Metric {
    otel: names::CALLWATCH_ATTEMPTS,
    unit: "{attempt}",
    kind: Kind::Histogram,
};
pub const RETRY_WAIT: Metric = Metric {
    otel: names::CALLWATCH_RETRY_WAIT,
    unit: "s",
    kind: Kind::Counter,
};
pub const RETRIES_FUTILE: Metric = Metric {
    otel: names::CALLWATCH_RETRIES_FUTILE,
    unit: "{retry}",
    kind: Kind::Counter,
};
pub const TRUNCATED: Metric = Metric {
    otel: names::CALLWATCH_TRUNCATED,
    unit: "{response}",
    kind: Kind::Counter,
};
pub const RATELIMIT_HEADROOM: Metric = Metric {
    otel: names::CALLWATCH_RATELIMIT_HEADROOM,
    unit: "1",
    kind: Kind::Gauge,
};
pub const RATELIMIT_REMAINING: Metric = Metric {
    otel: names::CALLWATCH_RATELIMIT_REMAINING,
    unit: "{unit}",
    kind: Kind::Gauge,
};
/// Seconds until a rate limit runs out at its current drain, per model, key id and kind.
pub const RATELIMIT_EXHAUSTION: Metric = Metric {
    otel: names::CALLWATCH_RATELIMIT_EXHAUSTION,
    unit: "s",
    kind: Kind::Gauge,
};
pub const SERIES_OVERFLOW: Metric = Metric {
    otel: names::CALLWATCH_SERIES_OVERFLOW,
    unit: "{call}",
    kind: Kind::Counter,
};
/// What calls cost (USD), what cache reads saved, and calls on unpriced models, per model,
/// key id and operation (computed from token counters at collection time, `crate::cost`).
pub const COST: Metric = Metric {
    otel: names::CALLWATCH_COST,
    unit: names::UNIT_USD,
    kind: Kind::Counter,
};
pub const COST_CACHE_SAVINGS: Metric = Metric {
    otel: names::CALLWATCH_COST_CACHE_SAVINGS,
    unit: names::UNIT_USD,
    kind: Kind::Counter,
};
pub const COST_UNPRICED: Metric = Metric {
    otel: names::CALLWATCH_COST_UNPRICED,
    unit: "{call}",
    kind: Kind::Counter,
};
/// Billed minus computed spend over the hours both cover (an agent with an Admin API key).
pub const COST_DRIFT: Metric = Metric {
    otel: names::CALLWATCH_COST_DRIFT,
    unit: names::UNIT_USD,
    kind: Kind::Gauge,
};
/// The part of the drift from calls callwatch did not see (billed tokens at its prices).
pub const COST_DRIFT_UNSEEN: Metric = Metric {
    otel: names::CALLWATCH_COST_DRIFT_UNSEEN,
    unit: names::UNIT_USD,
    kind: Kind::Gauge,
};
/// The agent's health (`callwatch proxy`, or an app running [`crate::agent::Agent`]): on its
/// `/metrics`, and over OTLP once [`crate::agent::Agent::export_health`] is called.
pub const NOTIFICATIONS: Metric = Metric {
    otel: names::CALLWATCH_NOTIFICATIONS,
    unit: "{notification}",
    kind: Kind::Counter,
};
pub const ALERTS_FIRING: Metric = Metric {
    otel: names::CALLWATCH_ALERTS_FIRING,
    unit: "{alert}",
    kind: Kind::Gauge,
};
pub const ENGINE_DROPPED: Metric = Metric {
    otel: names::CALLWATCH_ENGINE_DROPPED,
    unit: "{call}",
    kind: Kind::Counter,
};
pub const ALERT_STATE_LEFT_OUT: Metric = Metric {
    otel: names::CALLWATCH_ALERT_STATE_LEFT_OUT,
    unit: "{alert}",
    kind: Kind::Counter,
};
/// One observation per HTTP attempt (a retry is an attempt of its own, as the HTTP conventions
/// count resends), labelled by how that attempt ended: `error.type` / status carry a 429 that a
/// retry absorbed. On `/metrics` and over OTLP.
pub const HTTP_DURATION: Metric = Metric {
    otel: names::HTTP_CLIENT_REQUEST_DURATION,
    unit: "s",
    kind: Kind::Histogram,
};

/// Streamed calls only: from sending the request to the first output chunk.
pub const TIME_TO_FIRST_CHUNK: Metric = Metric {
    otel: names::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    unit: "s",
    kind: Kind::Histogram,
};
/// Streamed calls only: time between consecutive output chunks, one observation per gap.
pub const TIME_PER_OUTPUT_CHUNK: Metric = Metric {
    otel: names::GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
    unit: "s",
    kind: Kind::Histogram,
};

/// Streamed calls only: the whole call, to the stream's end (no GenAI convention names it).
pub const STREAM_DURATION: Metric = Metric {
    otel: names::CALLWATCH_STREAM_DURATION,
    unit: "s",
    kind: Kind::Histogram,
};

/// Tokens summed per disjoint kind (`callwatch.token.kind`): the cache hit share is
/// `cache_read / (input + cache_read + cache_creation)`.
pub const TOKENS: Metric = Metric {
    otel: names::CALLWATCH_TOKENS,
    unit: "{token}",
    kind: Kind::Counter,
};

/// Every metric the OTLP exporter sends (what Datadog can see); the last six come from an
/// agent only (the drifts only with an Admin API key).
pub const OTLP: [Metric; 25] = [
    COST,
    COST_CACHE_SAVINGS,
    COST_UNPRICED,
    TOKENS,
    TIME_TO_FIRST_CHUNK,
    TIME_PER_OUTPUT_CHUNK,
    STREAM_DURATION,
    OPERATION_DURATION,
    TOKEN_USAGE,
    CALLS,
    ATTEMPTS,
    RETRY_WAIT,
    RETRIES_FUTILE,
    TRUNCATED,
    RATELIMIT_HEADROOM,
    RATELIMIT_REMAINING,
    RATELIMIT_EXHAUSTION,
    SERIES_OVERFLOW,
    HTTP_DURATION,
    NOTIFICATIONS,
    ALERTS_FIRING,
    ENGINE_DROPPED,
    ALERT_STATE_LEFT_OUT,
    COST_DRIFT,
    COST_DRIFT_UNSEEN,
];

// --- the GenAI convention in force (`crate::semconv`) ---

/// `gen_ai.client.inference.duration` (semantic-conventions-genai): the call duration.
pub const INFERENCE_DURATION: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_DURATION,
    unit: "s",
    kind: Kind::Histogram,
};
pub const INFERENCE_TIME_TO_FIRST_CHUNK: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
    unit: "s",
    kind: Kind::Histogram,
};
pub const INFERENCE_TIME_PER_OUTPUT_CHUNK: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
    unit: "s",
    kind: Kind::Histogram,
};
/// Token usage counters (semantic-conventions-genai), by `gen_ai.token.modality`.
pub const USAGE_INPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Counter,
};
pub const USAGE_OUTPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Counter,
};
pub const USAGE_CACHE_READ_INPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Counter,
};
pub const USAGE_CACHE_WRITE_INPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Counter,
};
/// Tokens per operation (semantic-conventions-genai), for percentiles only.
pub const OPERATION_INPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Histogram,
};
pub const OPERATION_OUTPUT_TOKENS: Metric = Metric {
    otel: names::GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
    unit: "{token}",
    kind: Kind::Histogram,
};

/// What only the v1.41 convention emits (all in [`OTLP`]).
pub const V1_41_ONLY: [Metric; 4] = [
    OPERATION_DURATION,
    TOKEN_USAGE,
    TIME_TO_FIRST_CHUNK,
    TIME_PER_OUTPUT_CHUNK,
];
/// What only the semantic-conventions-genai convention emits, in its stead.
pub const LATEST_ONLY: [Metric; 9] = [
    INFERENCE_DURATION,
    INFERENCE_TIME_TO_FIRST_CHUNK,
    INFERENCE_TIME_PER_OUTPUT_CHUNK,
    USAGE_INPUT_TOKENS,
    USAGE_OUTPUT_TOKENS,
    USAGE_CACHE_READ_INPUT_TOKENS,
    USAGE_CACHE_WRITE_INPUT_TOKENS,
    OPERATION_INPUT_TOKENS,
    OPERATION_OUTPUT_TOKENS,
];

/// Every metric the OTLP exporter sends under `convention` ([`OTLP`] is the default's).
pub fn otlp(convention: Convention) -> Vec<Metric> {
    let mut out: Vec<Metric> = OTLP
        .into_iter()
        .filter(|m| convention.emits_v1_41() || !V1_41_ONLY.contains(m))
        .collect();
    if convention.emits_latest() {
        out.extend(LATEST_ONLY);
    }
    out
}

/// The metrics queries read (rules, monitors, dashboards) where the names depend on the
/// convention: under `/dup` the v1.41 names, which is what is already deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenAi {
    pub convention: Convention,
    pub operation_duration: Metric,
    pub time_to_first_chunk: Metric,
    pub time_per_output_chunk: Metric,
}

impl GenAi {
    pub const fn queried(convention: Convention) -> GenAi {
        match convention {
            Convention::Latest => GenAi {
                convention: Convention::Latest,
                operation_duration: INFERENCE_DURATION,
                time_to_first_chunk: INFERENCE_TIME_TO_FIRST_CHUNK,
                time_per_output_chunk: INFERENCE_TIME_PER_OUTPUT_CHUNK,
            },
            Convention::V1_41 | Convention::Both => GenAi {
                convention: Convention::V1_41,
                operation_duration: OPERATION_DURATION,
                time_to_first_chunk: TIME_TO_FIRST_CHUNK,
                time_per_output_chunk: TIME_PER_OUTPUT_CHUNK,
            },
        }
    }
}

/// An attribute key as a Prometheus label name.
pub fn prom_label(key: &str) -> String {
    key.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_convention_exports_its_own_genai_names() {
        let names = |c| -> Vec<&str> { otlp(c).iter().map(|m| m.otel).collect() };
        let default = names(Convention::V1_41);
        assert!(default.contains(&"gen_ai.client.operation.time_to_first_chunk"));
        assert!(!default.contains(&"gen_ai.client.inference.time_to_first_chunk"));
        let latest = names(Convention::Latest);
        assert!(latest.contains(&"gen_ai.client.inference.time_to_first_chunk"));
        assert!(!latest.contains(&"gen_ai.client.operation.duration"));
        assert!(!latest.contains(&"gen_ai.client.token.usage"));
        let both = names(Convention::Both);
        assert_eq!(both.len(), OTLP.len() + LATEST_ONLY.len());
        assert_eq!(
            USAGE_CACHE_READ_INPUT_TOKENS.prom(),
            "gen_ai_client_inference_usage_cache_read_input_tokens_total"
        );
        assert_eq!(
            GenAi::queried(Convention::Both).operation_duration,
            OPERATION_DURATION
        );
    }

    #[test]
    fn prometheus_names_have_the_translation_suffixes() {
        assert_eq!(
            OPERATION_DURATION.prom_series("bucket"),
            "gen_ai_client_operation_duration_seconds_bucket"
        );
        assert_eq!(CALLS.prom(), "callwatch_calls_total");
        assert_eq!(COST.prom(), "callwatch_cost_total");
        assert_eq!(RETRY_WAIT.prom(), "callwatch_retry_wait_seconds_total");
        assert_eq!(
            RATELIMIT_HEADROOM.prom(),
            "callwatch_ratelimit_headroom_ratio"
        );
        assert_eq!(
            TOKEN_USAGE.prom_series("sum"),
            "gen_ai_client_token_usage_sum"
        );
        assert_eq!(
            prom_label(names::GEN_AI_REQUEST_MODEL),
            "gen_ai_request_model"
        );
    }
}
