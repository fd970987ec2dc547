//! `callwatch export-rules --format datadog`: one Datadog metric monitor ("query alert") per
//! rule over Datadog's view of the OTLP metrics (dotted names, attribute keys as tags,
//! histograms as distributions). A JSON array; create each element with `POST /api/v1/monitor`.
//!
//! Datadog monitors cannot combine conditions the way the engine does, so each kind gets the
//! closest honest query and its message says how it differs (the "Differs from the callwatch
//! engine" line): recovery thresholds stand in for `keep_firing_for`, volume guards become a
//! floor on the denominator, the baseline becomes an `anomalies()` band, and a burst after a
//! key rotation becomes a 401 burst per key id.
//!
//! `credit_runway` rules (CreditRunwayLow) have no monitor: the remaining credit is a balance
//! the user writes in callwatch.toml minus the spend since its `as_of`, and no metric carries
//! it; the callwatch agent evaluates them. `spend_over_baseline` becomes an anomaly band on
//! `callwatch.cost`.

use serde_json::{json, Value};

use super::metrics::{GenAi, ATTEMPTS, CALLS, COST, HTTP_DURATION, RATELIMIT_EXHAUSTION};
use super::rule_text::{fill, group_attribute};
use callwatch_core::alert::Severity;
use callwatch_core::names;
use callwatch_core::semconv::Convention;
use callwatch_rules::{format_duration, Matcher, Measure, Rule, RuleKind, RuleSet, Scope};

/// Notification handles in every message; replace them with your own.
pub const CRITICAL_HANDLES: &str = "@pagerduty-callwatch @slack-claude-api-alerts";
pub const WARNING_HANDLES: &str = "@slack-claude-api-alerts";

/// The monitors for `rules`, as a JSON array, over the default (v1.41) GenAI names.
pub fn generate(rules: &RuleSet) -> Value {
    generate_for(rules, Convention::V1_41)
}

/// The monitors for `rules`, over the GenAI names `convention` emits ([`GenAi::queried`]).
pub fn generate_for(rules: &RuleSet, convention: Convention) -> Value {
    let genai = GenAi::queried(convention);
    Value::Array(
        rules
            .rules
            .iter()
            .filter(|r| !matches!(r.kind, RuleKind::CreditRunway { .. }))
            .map(|rule| monitor(rule, &genai))
            .collect(),
    )
}

/// `{tag IN (a, b),...}` for a matcher; `{*}` when it matches everything.
fn filter(m: &Matcher) -> String {
    let mut parts = Vec::new();
    let list = |key: &str, values: Vec<String>| {
        if values.len() == 1 {
            format!("{key}:{}", values[0])
        } else {
            format!("{key} IN ({})", values.join(","))
        }
    };
    if !m.classes.is_empty() {
        parts.push(list(
            names::CALLWATCH_CLASS,
            m.classes.iter().map(|c| c.as_str().to_owned()).collect(),
        ));
    }
    if !m.statuses.is_empty() {
        parts.push(list(
            names::HTTP_RESPONSE_STATUS_CODE,
            m.statuses.iter().map(u16::to_string).collect(),
        ));
    }
    if !m.error_types.is_empty() {
        parts.push(list(names::ERROR_TYPE, m.error_types.clone()));
    }
    if parts.is_empty() {
        "{*}".into()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn by_clause(rule: &Rule) -> (String, Vec<(&'static str, &'static str)>) {
    let tags: Vec<(&'static str, &'static str)> = rule
        .group_by
        .iter()
        .filter_map(|f| group_attribute(*f).map(|key| (f.as_str(), key)))
        .collect();
    if tags.is_empty() {
        return (String::new(), tags);
    }
    let keys: Vec<&str> = tags.iter().map(|(_, k)| *k).collect();
    (format!(" by {{{}}}", keys.join(",")), tags)
}

fn last(d: std::time::Duration) -> String {
    format!("last_{}", format_duration(d))
}

fn monitor(rule: &Rule, genai: &GenAi) -> Value {
    let (by, tags) = by_clause(rule);
    let f = filter(&rule.matcher);
    // What the rule counts: calls, or (`scope: attempts`) the per-attempt
    // `http.client.request.duration` distribution's count.
    let counted = match rule.scope {
        Scope::Calls => format!("sum:{}", CALLS.datadog()),
        Scope::Attempts => format!("count:{}", HTTP_DURATION.datadog()),
    };
    let durations = match rule.scope {
        Scope::Calls => genai.operation_duration.datadog(),
        Scope::Attempts => HTTP_DURATION.datadog(),
    };
    let mut options = json!({
        "notify_no_data": false,
        "require_full_window": false,
        "include_tags": true,
        "evaluation_delay": 60,
        "new_group_delay": 60,
        "renotify_interval": if rule.severity == Severity::Critical { 30 } else { 120 },
    });
    let (query, thresholds, differs) = match &rule.kind {
        RuleKind::ShareOverThreshold { window, threshold, min_calls, .. } if rule.matcher.min_attempts.unwrap_or(1) >= 2 => {
            let n = rule.matcher.min_attempts.unwrap_or(2);
            let bound = 1.0 + f64::from(n - 1) * threshold;
            let _ = min_calls;
            (
                format!("avg({}):avg:{}{f}{by} >= {bound}", last(*window), ATTEMPTS.datadog()),
                thresholds(bound, rule.severity),
                format!("Datadog's attempts distribution has no buckets, so this watches mean attempts per call (>= {bound}) instead of the share of calls with >= {n} attempts; it fires whenever the engine's share would (a superset), and has no volume guard."),
            )
        }
        RuleKind::ShareOverThreshold { window, threshold, min_calls, min_count, noise } => (
            format!(
                "sum({w}):{counted}{f}{by}.as_count() / clamp_min({counted}{{*}}{by}.as_count(), {min_calls}) >= {threshold}",
                w = last(*window)
            ),
            thresholds(*threshold, rule.severity),
            format!(
                "Volume guard: the denominator is at least {min_calls} calls, so quiet periods cannot fire on a few failures; the engine's min_count ({min_count}) is not enforced{}. Recovery thresholds stand in for keep_firing_for.",
                noise_note(noise.as_ref())
            ),
        ),
        RuleKind::ShareOverBaseline { window, baseline_half_life, min_rise, .. } => {
            options["threshold_windows"] = json!({"trigger_window": last(*window), "recovery_window": last(*window)});
            (
                format!(
                    "avg(last_4h):anomalies({counted}{f}{by}.as_count() / clamp_min({counted}{{*}}{by}.as_count(), 1), 'basic', 2, direction='above', alert_window='{}', interval=60, count_default_zero='true') >= 1",
                    last(*window)
                ),
                json!({"critical": 1.0, "critical_recovery": 0.0}),
                format!("Datadog has no CUSUM/EWMA and no per-message metric: this is a 'basic' anomaly band (2 deviations, above only) around the total 400 share's recent history, instead of the engine's per-message EWMA baselines (half-life {}) each tested by a likelihood-ratio CUSUM for a rise of max({min_rise}, baseline); it cannot name the rising message, and a message rising beside a steady one shows later here.", format_duration(*baseline_half_life)),
            )
        }
        RuleKind::BurstAfterEvent { within, window, min_count, min_share, noise, .. } => {
            let min_count = burst_floor(*min_count, noise.as_ref());
            (
                format!("sum({}):{counted}{f}{by}.as_count() >= {min_count}", last(*window)),
                json!({"critical": min_count as f64, "critical_recovery": (min_count as f64 - 1.0).max(0.0)}),
                format!("Datadog cannot see when a key id was first seen, so this fires on any burst of {min_count} matched calls per key id in {}; check whether a key rotated in the last {} (the engine requires it). The engine also requires the matched calls to be at least {min_share} of the key's calls{}; this monitor does not.", format_duration(*window), format_duration(*within), noise.map_or_else(String::new, |n| format!(" and improbable as stray failures at a {} share ({} nats of evidence)", n.share, n.min_evidence))),
            )
        }
        RuleKind::Any { quiet_for } => (
            format!("sum({}):{counted}{f}{by}.as_count() > 0", last(*quiet_for)),
            json!({"critical": 0.0}),
            format!("Same decision as the engine: any matched call in the last {} fires; it resolves once {} pass without one.", format_duration(*quiet_for), format_duration(*quiet_for)),
        ),
        RuleKind::SpendOverBaseline { window, baseline_half_life, min_ratio, deviations, min_calls, min_share, min_rise_usd_per_hour, .. } => {
            options["threshold_windows"] = json!({"trigger_window": last(*window), "recovery_window": last(*window)});
            (
                format!(
                    "avg(last_4h):anomalies(sum:{}{{*}}{by}.as_count(), 'basic', {deviations}, direction='above', alert_window='{}', interval=60, count_default_zero='true') >= 1",
                    COST.datadog(),
                    last(*window)
                ),
                json!({"critical": 1.0, "critical_recovery": 0.0}),
                format!("Datadog has no EWMA or per-call costs: this is a 'basic' anomaly band ({deviations} deviations of the spend's own recent spread, above only) around each model and key's recent spend. The engine judges the window as an overdispersed Poisson count: spend less its largest call at least {min_ratio}x an EWMA baseline (half-life {}) and {deviations} standard deviations above it (dispersion learnt from the calls and the windows, Farrington's skew correction), with at least {min_calls} calls, against the larger of that baseline and the spend the same time of day had on previous days (within 30 minutes, at today's level when today is clearly quieter, a job there at its own rate, once it has a day of history): a rise that comes every day at the same time fires this band, not the engine. Nor does the band know the engine's demand reference (every other model and key rising at once raises the expectation), its larger ratio for a baseline younger than two half-lives, or its floor of 4 dispersion units with a burst of related calls (a conversation, an agent run) counted as one unit (one agent run on a quiet key is not a rise); and the engine also judges twice the window, and on a key that caches the count of calls that open a new cached context (a run or conversation starting), each look at its share of the false-alarm rate, so a rise that fills the window slowly pages there sooner. The engine also remembers for a week a level the key rose to, paged for, held an hour and came back from (a backfill pages the first time there, every time here), and a rise that paged and was over within the hour (a job on a key silent between jobs: a rise like it waits there until it outlasts it, and pages here each time). {}{}", format_duration(*baseline_half_life), if *min_share > 0.0 { format!("The engine also asks the rise to be at least {}% of everyone's spend over the window (every model and key), so a jump on a key that spends a sliver of the bill does not page there; this band pages on it.", (min_share * 1000.0).round() / 10.0) } else { String::new() }, if *min_rise_usd_per_hour > 0.0 { format!(" And it asks the rise to cost at least ${min_rise_usd_per_hour:.2} an hour; this band pages on a rise of cents.") } else { String::new() }),
            )
        }
        RuleKind::RateLimitRunway { window, below } => (
            format!(
                "min({}):min:{}{{*}}{by} < {}",
                last(*window),
                RATELIMIT_EXHAUSTION.datadog(),
                below.as_secs()
            ),
            json!({"critical": below.as_secs(), "critical_recovery": below.as_secs() * 2}),
            "Each agent measures the drain over its last 2 min of snapshots; the engine over the rule's window of event time.".to_owned(),
        ),
        RuleKind::CreditRunway { .. } => (
            String::new(),
            Value::Null,
            "not exported (no metric carries the remaining credit)".to_owned(),
        ),
        RuleKind::LatencyPercentile { window, percentile, threshold_ms, min_calls, measure } => {
            let p = format!("p{}", percentile.round());
            let seconds = threshold_ms / 1000.0;
            (
                format!(
                    "avg({}):{p}:{}{f}{by} >= {seconds}",
                    last(*window),
                    match measure {
                        Measure::Latency => durations,
                        Measure::TimeToFirstChunk => genai.time_to_first_chunk.datadog(),
                    }
                ),
                thresholds(seconds, rule.severity),
                format!("Datadog computes the percentile from the distribution's sketch (seconds), not the engine's HDR histogram; the volume guard of {min_calls} calls is not enforced."),
            )
        }
    };
    options["thresholds"] = thresholds;
    let handles = if rule.severity == Severity::Critical {
        CRITICAL_HANDLES
    } else {
        WARNING_HANDLES
    };
    let lookup = |name: &str| -> Option<String> {
        tags.iter()
            .find(|(field, _)| *field == name)
            .map(|(_, key)| format!("{{{{{key}.name}}}}"))
    };
    // Nothing Datadog cannot fill is printed as a placeholder: the runbook keeps only what the
    // rule itself knows, and the engine-only facts are named once, below.
    let runbook = if rule.runbook.is_empty() {
        "-".to_owned()
    } else {
        fill(&rule.runbook, rule, &lookup, &|_| "?".to_owned())
    };
    let meaning = format!("{}{}", what_it_means(rule), engine_only(rule, &lookup));
    let meaning = meaning.trim();
    let message = format!(
        "{}\n\n{}{}Runbook: {runbook}\n\nDiffers from the callwatch engine: {differs}\n\n{{{{#is_alert}}}}{handles}{{{{/is_alert}}}}{{{{#is_recovery}}}}Recovered. {handles}{{{{/is_recovery}}}}",
        headline(rule, &tags),
        meaning,
        if meaning.is_empty() { "" } else { "\n\n" },
    );
    let mut monitor_tags = vec![
        "callwatch".to_owned(),
        format!("rule:{}", rule.name),
        format!("severity:{}", rule.severity.as_str()),
    ];
    monitor_tags.extend(rule.labels.iter().map(|(k, v)| format!("{k}:{v}")));
    json!({
        "name": format!("[callwatch] {}", rule.name),
        "type": "query alert",
        "query": query,
        "message": message,
        "tags": monitor_tags,
        "priority": match rule.severity { Severity::Critical => 1, Severity::Warning => 3, Severity::Info => 5 },
        "options": options,
    })
}

/// " for model {{gen_ai.request.model.name}}": the monitor's group, as Datadog fills it.
fn group_text(tags: &[(&'static str, &'static str)]) -> String {
    tags.iter()
        .map(|(field, key)| format!(" for {} {{{{{key}.name}}}}", field.replace('_', " ")))
        .collect()
}

/// Which calls a rule counts, in words.
fn matched_calls(m: &Matcher) -> String {
    let mut parts = Vec::new();
    if !m.statuses.is_empty() {
        let s: Vec<String> = m.statuses.iter().map(u16::to_string).collect();
        parts.push(format!("status {}", s.join("/")));
    }
    if !m.classes.is_empty() {
        let c: Vec<&str> = m.classes.iter().map(|c| c.as_str()).collect();
        parts.push(format!("class {}", c.join("/")));
    }
    if !m.error_types.is_empty() {
        parts.push(m.error_types.join("/"));
    }
    if let Some(n) = m.min_attempts {
        parts.push(format!("{n}+ attempts"));
    }
    if parts.is_empty() {
        "all".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The first line: what the query measured, with Datadog's own value in the right unit.
fn headline(rule: &Rule, tags: &[(&'static str, &'static str)]) -> String {
    let group = group_text(tags);
    let calls = matched_calls(&rule.matcher);
    let name = &rule.name;
    match &rule.kind {
        RuleKind::ShareOverThreshold { window, threshold, .. } if rule.matcher.min_attempts.unwrap_or(1) >= 2 => {
            let n = rule.matcher.min_attempts.unwrap_or(2);
            let bound = 1.0 + f64::from(n - 1) * threshold;
            format!("{name}: {{{{eval \"int(value*100)/100\"}}}} attempts per call on average over the last {}{group} (alert at {bound}; the engine alerts when {}% of calls need {n}+ attempts)", format_duration(*window), threshold * 100.0)
        }
        RuleKind::ShareOverThreshold { window, threshold, .. } => format!(
            "{name}: {{{{eval \"int(value*1000)/10\"}}}}% of calls were {calls} over the last {}{group} (alert at {}%)",
            format_duration(*window),
            threshold * 100.0
        ),
        RuleKind::ShareOverBaseline { window, .. } => format!(
            "{name}: the share of {calls} calls{group} is above its anomaly band ({{{{eval \"int(value*100)\"}}}}% of the last {} outside it)",
            format_duration(*window)
        ),
        RuleKind::BurstAfterEvent { window, min_count, noise, .. } => format!(
            "{name}: {{{{value}}}} {calls} calls in the last {}{group} (alert at {})",
            format_duration(*window),
            burst_floor(*min_count, noise.as_ref())
        ),
        RuleKind::Any { quiet_for } => format!(
            "{name}: {{{{value}}}} {calls} calls in the last {} (any one fires)",
            format_duration(*quiet_for)
        ),
        RuleKind::SpendOverBaseline { window, .. } => format!(
            "{name}: spend{group} is above its anomaly band ({{{{eval \"int(value*100)\"}}}}% of the last {} outside it)",
            format_duration(*window)
        ),
        RuleKind::CreditRunway { .. } => format!("{name}: the credit runway is short"),
        RuleKind::RateLimitRunway { below, .. } => format!(
            "{name}: a rate limit{group} runs out in {{{{value}}}} s at the current drain (alert under {} s)",
            below.as_secs()
        ),
        RuleKind::LatencyPercentile { window, percentile, threshold_ms, .. } => format!(
            "{name}: p{} latency of {calls} calls{group} is {{{{value}}}} s over the last {} (alert at {} s = {threshold_ms} ms)",
            percentile.round(),
            format_duration(*window),
            threshold_ms / 1000.0
        ),
    }
}

/// What the rule means, from the engine's own description where the rule says it in words.
fn what_it_means(rule: &Rule) -> &'static str {
    match rule.kind {
        RuleKind::Any { .. } if rule.matcher.classes.iter().any(|c| c.as_str() == "billing") => {
            "Outage: calls fail because the organisation is out of credits or hit its spend limit; retrying will not help and it is not a code bug."
        }
        RuleKind::ShareOverBaseline { .. } => "These never succeed on retry: a request-format bug, most likely from a recent deploy.",
        RuleKind::BurstAfterEvent { .. } => "The key rotation did not reach every client: some still send a revoked key, or the new key is wrong.",
        RuleKind::SpendOverBaseline { .. } => "An agent stuck in a loop, a retry storm or a prompt that grew its context burns credits this way.",
        _ => "",
    }
}

/// "The callwatch alert also names: the dominant status, request ids." — the placeholders of
/// the engine's templates that no metric carries.
fn engine_only(rule: &Rule, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let text = format!("{} {} {}", rule.summary, rule.description, rule.runbook);
    let mut names: Vec<&'static str> = Vec::new();
    for name in callwatch_rules::PLACEHOLDERS {
        if !text.contains(&format!("{{{{{name}}}}}")) || lookup(name).is_some() {
            continue;
        }
        let words = match name {
            "status" | "status_meaning" => "the dominant status and what it means",
            "message" => "the normalised error message",
            "request_ids" => "request ids for the provider's support",
            "rotation" => "the key rotation",
            "error_type" => "the error type",
            "key_id" => "the key id",
            "baseline" => "the baseline share",
            "spend_rate" | "baseline_rate" | "ratio" => "the spend rate against its baseline",
            _ => continue,
        };
        if !names.contains(&words) {
            names.push(words);
        }
    }
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " The callwatch engine's own alert also names {}.",
            names.join(", ")
        )
    }
}

/// Critical at `at`; warning at 80 % of it for critical rules; recovery 10 % below each.
fn thresholds(at: f64, severity: Severity) -> Value {
    let round = |v: f64| (v * 1e6).round() / 1e6;
    if severity == Severity::Critical {
        json!({"critical": at, "critical_recovery": round(at * 0.9), "warning": round(at * 0.8), "warning_recovery": round(at * 0.7)})
    } else {
        json!({"critical": at, "critical_recovery": round(at * 0.9)})
    }
}

/// What a monitor leaves out of the engine's evidence test, if the rule has one.
fn noise_note(noise: Option<&callwatch_rules::NoiseTest>) -> String {
    noise.map_or_else(String::new, |n| {
        format!(
            ", nor its evidence test against noise (the window's counts must be improbable at a {} share: {} nats), so a monitor can fire on a few noise calls in a quiet window that the engine holds back",
            n.share, n.min_evidence
        )
    })
}

/// The count a burst monitor fires at. Without the engine's evidence test two matched calls
/// could be two strays, so a rule that relies on that test keeps three here (two stray 401s are
/// not a burst).
fn burst_floor(min_count: u64, noise: Option<&callwatch_rules::NoiseTest>) -> u64 {
    if noise.is_some() {
        min_count.max(3)
    } else {
        min_count
    }
}
