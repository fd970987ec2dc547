//! Prometheus text exposition (format 0.0.4) of a [`Snapshot`], with the names Prometheus sees
//! after OTLP translation ([`names::prometheus_name`]) so dashboards work with either path.

use std::fmt::Write;

mod latest;
pub use latest::{UsageCounter, INFERENCE_USAGE_COUNTERS};

/// Content type of the text exposition format.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// More exposition text appended to `/metrics` (the agent's alert and queue metrics).
pub type ExtraMetrics = std::sync::Arc<dyn Fn() -> String + Send + Sync>;

use crate::names::{
    self, prometheus_name, ATTEMPT_BOUNDARIES, LATENCY_BOUNDARIES_S, TOKEN_BOUNDARIES,
};
use crate::record::{SeriesLabels, Snapshot, Totals};
use crate::semconv::Convention;

/// Renders every series, the headroom gauges and the overflow counter, with the GenAI names
/// `OTEL_SEMCONV_STABILITY_OPT_IN` selects ([`Convention::from_env`]).
pub fn render(snapshot: &Snapshot) -> String {
    render_with(snapshot, Convention::from_env())
}

/// [`render`] with the GenAI names of `convention`.
pub fn render_with(snapshot: &Snapshot, convention: Convention) -> String {
    let mut out = String::new();
    let labels: Vec<String> = snapshot
        .series
        .iter()
        .map(|s| series_labels(&s.labels))
        .collect();

    for otel in per_convention(
        convention,
        names::GEN_AI_CLIENT_OPERATION_DURATION,
        names::GEN_AI_CLIENT_INFERENCE_DURATION,
    ) {
        let duration = prometheus_name(otel, "s", false);
        header(
            &mut out,
            &duration,
            "histogram",
            "Duration of GenAI client operations, retries included.",
        );
        for (series, labels) in snapshot.series.iter().zip(&labels) {
            let h = &series.latency_ms;
            let buckets = LATENCY_BOUNDARIES_S.iter().map(|le| {
                let ms = (le * 1000.0).round() as u64;
                (*le, h.count_between(0, ms))
            });
            let sum = series.totals.latency_sum_us as f64 / 1e6;
            histogram(&mut out, &duration, labels, buckets, h.len(), sum);
        }
    }

    let calls = prometheus_name(names::CALLWATCH_CALLS, "{call}", true);
    header(
        &mut out,
        &calls,
        "counter",
        "Logical calls, by status, error type and class.",
    );
    counter(&mut out, &calls, snapshot, &labels, |t| t.calls as f64);

    if convention.emits_v1_41() {
        let tokens = prometheus_name(names::GEN_AI_CLIENT_TOKEN_USAGE, "{token}", false);
        header(
            &mut out,
            &tokens,
            "histogram",
            "Tokens used per call, by token type.",
        );
        for (series, labels) in snapshot.series.iter().zip(&labels) {
            let t = &series.totals;
            for (kind, slots, sum) in [
                (
                    names::TOKEN_TYPE_INPUT,
                    &t.input_token_buckets,
                    t.input_tokens,
                ),
                (
                    names::TOKEN_TYPE_OUTPUT,
                    &t.output_token_buckets,
                    t.output_tokens,
                ),
            ] {
                let count: u64 = slots.iter().sum();
                if count == 0 {
                    continue;
                }
                let labels = format!(
                    "{labels},{}=\"{kind}\"",
                    label_key(names::GEN_AI_TOKEN_TYPE)
                );
                histogram(
                    &mut out,
                    &tokens,
                    &labels,
                    cumulative(&TOKEN_BOUNDARIES, slots),
                    count,
                    sum as f64,
                );
            }
        }
    }
    if convention.emits_latest() {
        latest::render_tokens(&mut out, snapshot, &labels);
    }

    render_token_kinds(&mut out, snapshot, &labels);

    let attempts = prometheus_name(names::CALLWATCH_ATTEMPTS, "{attempt}", false);
    header(
        &mut out,
        &attempts,
        "histogram",
        "HTTP attempts per logical call.",
    );
    for (series, labels) in snapshot.series.iter().zip(&labels) {
        let t = &series.totals;
        let buckets = ATTEMPT_BOUNDARIES.iter().map(|le| {
            let n: u64 = t.attempts.iter().take(*le as usize + 1).sum();
            (*le, n)
        });
        histogram(
            &mut out,
            &attempts,
            labels,
            buckets,
            t.calls,
            t.attempts_sum as f64,
        );
    }

    for (name, unit, help, value) in [
        (
            names::CALLWATCH_RETRY_WAIT,
            "s",
            "Time spent waiting between attempts.",
            (|t: &Totals| t.retry_wait_us as f64 / 1e6) as fn(&Totals) -> f64,
        ),
        (
            names::CALLWATCH_RETRIES_FUTILE,
            "{retry}",
            "Retries made by calls that still failed.",
            |t: &Totals| t.futile_retries as f64,
        ),
        (
            names::CALLWATCH_TRUNCATED,
            "{response}",
            "Responses that stopped at max_tokens.",
            |t: &Totals| t.truncated as f64,
        ),
    ] {
        let name = prometheus_name(name, unit, true);
        header(&mut out, &name, "counter", help);
        counter(&mut out, &name, snapshot, &labels, value);
    }

    let headroom = prometheus_name(names::CALLWATCH_RATELIMIT_HEADROOM, "1", false);
    let remaining = prometheus_name(names::CALLWATCH_RATELIMIT_REMAINING, "{unit}", false);
    header(
        &mut out,
        &headroom,
        "gauge",
        "Remaining share of the rate limit (last seen).",
    );
    for gauge in &snapshot.headroom {
        let _ = writeln!(
            out,
            "{headroom}{{{}}} {}",
            headroom_labels(gauge),
            gauge.ratio()
        );
    }
    header(
        &mut out,
        &remaining,
        "gauge",
        "Rate limit remaining (last seen).",
    );
    for gauge in &snapshot.headroom {
        let _ = writeln!(
            out,
            "{remaining}{{{}}} {}",
            headroom_labels(gauge),
            gauge.remaining
        );
    }

    let exhaustion = prometheus_name(names::CALLWATCH_RATELIMIT_EXHAUSTION, "s", false);
    header(
        &mut out,
        &exhaustion,
        "gauge",
        "Seconds until the rate limit is exhausted at its current net drain (while draining).",
    );
    for e in &snapshot.exhaustion {
        let labels = join(&[
            (
                names::GEN_AI_PROVIDER_NAME,
                names::PROVIDER_ANTHROPIC.to_owned(),
            ),
            (names::GEN_AI_REQUEST_MODEL, e.model.clone()),
            (names::CALLWATCH_KEY_ID, e.key_id.clone()),
            (names::CALLWATCH_RATELIMIT_KIND, e.kind.to_owned()),
        ]);
        let _ = writeln!(out, "{exhaustion}{{{labels}}} {}", e.seconds);
    }

    render_attempts(&mut out, snapshot);
    render_streams(&mut out, snapshot, &labels, convention);

    let overflow = prometheus_name(names::CALLWATCH_SERIES_OVERFLOW, "{call}", true);
    header(
        &mut out,
        &overflow,
        "counter",
        "Calls recorded in an overflow series.",
    );
    let _ = writeln!(out, "{overflow} {}", snapshot.overflowed_records);
    crate::cost::render_prometheus(&mut out, &snapshot.spend);
    out
}

/// `http.client.request.duration`: one observation per HTTP attempt, labelled by how that
/// attempt ended, so a 429 or 529 that a retry absorbed is still counted (its `_count`).
fn render_attempts(out: &mut String, snapshot: &Snapshot) {
    let name = prometheus_name(names::HTTP_CLIENT_REQUEST_DURATION, "s", false);
    header(
        out,
        &name,
        "histogram",
        "Duration of each HTTP attempt (retries are attempts of their own), by how it ended.",
    );
    for series in &snapshot.attempts {
        let labels = attempt_labels(&series.labels);
        let h = &series.latency_ms;
        let buckets = LATENCY_BOUNDARIES_S.iter().map(|le| {
            let ms = (le * 1000.0).round() as u64;
            (*le, h.count_between(0, ms))
        });
        let sum = series.totals.latency_sum_us as f64 / 1e6;
        histogram(out, &name, &labels, buckets, h.len(), sum);
    }
}

/// `callwatch.tokens` by disjoint kind, for series that reported usage.
fn render_token_kinds(out: &mut String, snapshot: &Snapshot, labels: &[String]) {
    let name = prometheus_name(names::CALLWATCH_TOKENS, "{token}", true);
    header(
        out,
        &name,
        "counter",
        "Tokens by disjoint kind: uncached input, cache read, cache creation, output.",
    );
    for (series, labels) in snapshot.series.iter().zip(labels) {
        let t = &series.totals;
        if t.input_token_buckets.iter().all(|n| *n == 0) {
            continue;
        }
        for (kind, value) in token_kinds(t) {
            let key = label_key(names::CALLWATCH_TOKEN_KIND);
            let _ = writeln!(out, "{name}{{{labels},{key}=\"{kind}\"}} {value}");
        }
    }
}

/// A series' tokens as disjoint kinds (uncached input is the total less the cached parts).
pub fn token_kinds(t: &Totals) -> [(&'static str, u64); 4] {
    let cached = t
        .cache_tokens
        .cache_read
        .saturating_add(t.cache_tokens.cache_write);
    [
        (
            names::TOKEN_TYPE_INPUT,
            t.input_tokens.saturating_sub(cached),
        ),
        (names::TOKEN_KIND_CACHE_READ, t.cache_tokens.cache_read),
        (names::TOKEN_KIND_CACHE_CREATION, t.cache_tokens.cache_write),
        (names::TOKEN_TYPE_OUTPUT, t.output_tokens),
    ]
}

/// Streamed calls' time to first chunk, time per output chunk and duration (series that never
/// streamed have no samples). `_sum` is each bucket's lowest value times its count: within 0.8%.
fn render_streams(
    out: &mut String,
    snapshot: &Snapshot,
    labels: &[String],
    convention: Convention,
) {
    type Pick = fn(&crate::record::SeriesSnapshot) -> Option<&hdrhistogram::Histogram<u64>>;
    let kinds: [(&str, &str, &str, Pick); 2] = [
        (
            names::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
            names::GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
            "Streamed calls: time from sending the request to the first output chunk.",
            |s| s.time_to_first_chunk_ms.as_ref(),
        ),
        (
            names::GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
            names::GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK,
            "Streamed calls: time between consecutive output chunks, one observation per gap.",
            |s| s.time_per_output_chunk_ms.as_ref(),
        ),
    ];
    let kinds = kinds.into_iter().flat_map(|(v1_41, latest, help, pick)| {
        per_convention(convention, v1_41, latest).map(move |otel| (otel, help, pick))
    });
    // No convention names a stream's duration: one name under every convention.
    let duration: (&str, &str, Pick) = (
        names::CALLWATCH_STREAM_DURATION,
        "Streamed calls: time from sending the request to the end of the stream.",
        |s| s.stream_duration_ms.as_ref(),
    );
    let kinds = kinds.chain(std::iter::once(duration));
    for (otel, help, pick) in kinds {
        let name = prometheus_name(otel, "s", false);
        header(out, &name, "histogram", help);
        for (series, labels) in snapshot.series.iter().zip(labels) {
            let Some(h) = pick(series) else { continue };
            let buckets = LATENCY_BOUNDARIES_S.iter().map(|le| {
                let ms = (le * 1000.0).round() as u64;
                (*le, h.count_between(0, ms))
            });
            let sum_ms: u64 = h
                .iter_recorded()
                .map(|v| h.lowest_equivalent(v.value_iterated_to()) * v.count_at_value())
                .sum();
            histogram(out, &name, labels, buckets, h.len(), sum_ms as f64 / 1000.0);
        }
    }
}

/// The names emitted under `convention` for one instrument: (v1.41 name, latest name).
fn per_convention(
    convention: Convention,
    v1_41: &'static str,
    latest: &'static str,
) -> impl Iterator<Item = &'static str> {
    let v1_41 = convention.emits_v1_41().then_some(v1_41);
    let latest = convention.emits_latest().then_some(latest);
    v1_41.into_iter().chain(latest)
}

/// An attempt series' labels: the call labels plus `http.request.method` (always `POST`).
fn attempt_labels(labels: &SeriesLabels) -> String {
    let method = join(&[(names::HTTP_REQUEST_METHOD, "POST".to_owned())]);
    format!("{},{method}", series_labels(labels))
}

pub(crate) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(
    out: &mut String,
    name: &str,
    snapshot: &Snapshot,
    labels: &[String],
    value: impl Fn(&Totals) -> f64,
) {
    for (series, labels) in snapshot.series.iter().zip(labels) {
        let _ = writeln!(out, "{name}{{{labels}}} {}", value(&series.totals));
    }
}

fn histogram(
    out: &mut String,
    name: &str,
    labels: &str,
    buckets: impl Iterator<Item = (f64, u64)>,
    count: u64,
    sum: f64,
) {
    for (le, n) in buckets {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
    let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
}

/// Cumulative counts at each boundary from per-bucket slot counts.
fn cumulative<'a>(bounds: &'a [f64], slots: &'a [u64]) -> impl Iterator<Item = (f64, u64)> + 'a {
    bounds.iter().zip(slots).scan(0u64, |acc, (le, n)| {
        *acc += n;
        Some((*le, *acc))
    })
}

/// Attribute keys as Prometheus label names: dots become underscores.
fn label_key(key: &str) -> String {
    key.replace('.', "_")
}

/// A label value in the text format: backslash, quote and line feed escaped.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn series_labels(labels: &SeriesLabels) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        (names::GEN_AI_OPERATION_NAME, labels.operation.clone()),
        (
            names::GEN_AI_PROVIDER_NAME,
            labels.provider.as_str().to_owned(),
        ),
        (names::GEN_AI_REQUEST_MODEL, labels.model.clone()),
        (names::SERVER_ADDRESS, labels.server_address.clone()),
        (names::SERVER_PORT, labels.server_port.to_string()),
        (names::CALLWATCH_CLASS, labels.class.as_str().to_owned()),
    ];
    if let Some(error_type) = labels.exported_error_type() {
        pairs.push((names::ERROR_TYPE, error_type.into_owned()));
    }
    if let Some(status) = labels.status {
        pairs.push((names::HTTP_RESPONSE_STATUS_CODE, status.to_string()));
    }
    if !labels.key_id.is_empty() {
        pairs.push((names::CALLWATCH_KEY_ID, labels.key_id.clone()));
    }
    join(&pairs)
}

fn headroom_labels(gauge: &crate::record::HeadroomGauge) -> String {
    join(&[
        (
            names::GEN_AI_PROVIDER_NAME,
            names::PROVIDER_ANTHROPIC.to_owned(),
        ),
        (names::GEN_AI_REQUEST_MODEL, gauge.model.clone()),
        (names::CALLWATCH_KEY_ID, gauge.key_id.clone()),
        (names::CALLWATCH_RATELIMIT_KIND, gauge.kind.to_owned()),
    ])
}

pub(crate) fn join(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}=\"{}\"", label_key(key), escape_label_value(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::call::{Attempt, CallObserver};
    use crate::classify::{Class, Outcome};
    use crate::record::Recorder;

    #[test]
    fn the_time_to_rate_limit_exhaustion_is_a_gauge_in_seconds() {
        let mut snapshot = Recorder::new().snapshot();
        snapshot.exhaustion.push(crate::record::Exhaustion {
            model: "claude-sonnet-4-6".into(),
            key_id: "k-1".into(),
            kind: "input_tokens",
            seconds: 90.5,
        });
        let text = super::render(&snapshot);
        assert!(text.contains("# TYPE callwatch_ratelimit_exhaustion_seconds gauge"));
        assert!(text.contains(
            "callwatch_ratelimit_exhaustion_seconds{gen_ai_provider_name=\"anthropic\",\
             gen_ai_request_model=\"claude-sonnet-4-6\",callwatch_key_id=\"k-1\",\
             callwatch_ratelimit_kind=\"input_tokens\"} 90.5"
        ));
    }

    #[test]
    fn tokens_are_split_into_disjoint_kinds_and_input_usage_keeps_the_cache() {
        let recorder = Recorder::new();
        let mut ok = Outcome::bare(Some(200), None, Class::Success);
        ok.usage = Some(crate::classify::Usage {
            input_tokens: 10,
            cache_read_input_tokens: 800,
            cache_creation_input_tokens: 40,
            cache_creation_1h_input_tokens: 0,
            output_tokens: 7,
        });
        recorder.record(&crate::call::Call {
            operation: "chat",
            model: "m",
            key_id: "",
            outcome: &ok,
            attempts: 1,
            latency: Duration::from_millis(5),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        });
        let text = super::render(&recorder.snapshot());
        let value = |kind: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with("callwatch_tokens_total{")
                        && l.contains(&format!("callwatch_token_kind=\"{kind}\""))
                })
                .unwrap_or_else(|| panic!("no {kind} tokens:\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(value("input"), "10");
        assert_eq!(value("cache_read"), "800");
        assert_eq!(value("cache_creation"), "40");
        assert_eq!(value("output"), "7");
        // gen_ai.client.token.usage counts input as the API bills it: all three parts.
        assert!(
            text.contains("gen_ai_client_token_usage_sum{") && text.contains("} 850\n"),
            "{text}"
        );
    }

    #[test]
    fn each_attempt_is_an_http_request_with_its_own_error_type() {
        let recorder = Recorder::new();
        let limited = Outcome::bare(Some(429), Some("rate_limit_error"), Class::RateLimit);
        recorder.observe_attempt(&Attempt {
            operation: "chat",
            model: "claude-sonnet-4-6",
            key_id: "",
            outcome: &limited,
            number: 1,
            latency: Duration::from_millis(30),
            server_address: "api.anthropic.com",
            server_port: 443,
        });
        let text = super::render(&recorder.snapshot());
        let line = text
            .lines()
            .find(|l| l.starts_with("http_client_request_duration_seconds_count{"))
            .expect("an attempt count line");
        assert!(line.contains("error_type=\"rate_limit_error\""), "{line}");
        assert!(line.contains("http_response_status_code=\"429\""), "{line}");
        assert!(line.contains("http_request_method=\"POST\""), "{line}");
        assert!(line.ends_with(" 1"), "{line}");
        assert!(text.contains("http_client_request_duration_seconds_bucket{"));
    }
}
