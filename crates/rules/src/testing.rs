//! Rule unit tests (`callwatch test`), in the spirit of `promtool test rules`: input series of
//! calls per interval in a compact notation, or single events, then the alerts expected to be
//! pending or firing at given times.
//!
//! ```yaml
//! rule_files: [../default.yaml]      # optional (relative to this file); default: embedded set
//! tests:
//!   - name: one billing error is an outage
//!     interval: 1s                   # optional, default 1s
//!     input_series:
//!       - call: {status: 200, model: claude-sonnet-4-6, key_id: k-1}
//!         values: "2x1200"           # 2 calls per interval, 1201 intervals
//!     input_events:
//!       - at: 10m
//!         call: {status: 402, error_type: billing_error}
//!       - at: 15m
//!         key_rotated: k-2
//!     budget:                        # optional, for the spend rules
//!       credit_balance_usd: 50
//!       as_of: 0s                    # an offset; spend since then is subtracted
//!     alert_rule_test:
//!       - eval_time: 10m1s
//!         alertname: BillingOutage
//!         exp_alerts:
//!           - labels: {error_type: billing_error}
//!             state: firing          # or pending; default firing
//!             text_contains: "credits"  # optional: the firing alert's summary or description
//! ```
//!
//! Values notation (per-interval call counts): `a+bxn` is a, a+b, …, a+n·b; `a-bxn` counts
//! down; `axn` repeats a n+1 times; `_` is an interval without calls; terms separate by spaces.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{default_rules, load_rules_file, parse_duration, Engine, RuleSet};
use callwatch_core::event::{CallEvent, Event, KeyRotation};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    rule_files: Vec<PathBuf>,
    tests: Vec<TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    name: String,
    interval: Option<String>,
    #[serde(default)]
    input_series: Vec<SeriesSpec>,
    #[serde(default)]
    input_events: Vec<EventSpec>,
    #[serde(default)]
    alert_rule_test: Vec<Expectation>,
    /// For the spend rules: what the money runs out against (`as_of` is an offset).
    budget: Option<BudgetSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetSpec {
    credit_balance_usd: Option<f64>,
    #[serde(default)]
    as_of: Option<String>,
    monthly_spend_limit_usd: Option<f64>,
}

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
struct CallSpec {
    #[serde(default)]
    status: Option<u16>,
    error_type: Option<String>,
    message: Option<String>,
    model: Option<String>,
    key_id: Option<String>,
    operation: Option<String>,
    request_id: Option<String>,
    attempts: Option<u32>,
    latency_ms: Option<f64>,
    /// `anthropic` (default), `aws.bedrock` or `gcp.vertex_ai`: as the event line's field.
    provider: Option<String>,
    // Token usage, priced by the spend rules (the event line's optional fields).
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_creation_1h_input_tokens: Option<u64>,
    /// A streamed call's time to first chunk.
    ttft_ms: Option<f64>,
    /// The rate-limit headroom the response reported, by kind (the event line's `ratelimit`).
    ratelimit: Option<RateLimitSpec>,
}

#[derive(Deserialize, Clone, Copy, Default)]
#[serde(deny_unknown_fields)]
struct RateLimitSpec {
    requests: Option<HeadroomSpec>,
    tokens: Option<HeadroomSpec>,
    input_tokens: Option<HeadroomSpec>,
    output_tokens: Option<HeadroomSpec>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct HeadroomSpec {
    limit: u64,
    remaining: u64,
}

impl RateLimitSpec {
    fn rate_limit(self) -> callwatch_core::classify::RateLimit {
        let h = |s: Option<HeadroomSpec>| {
            s.map(|s| callwatch_core::classify::Headroom {
                limit: s.limit,
                remaining: s.remaining,
                reset: None,
            })
        };
        callwatch_core::classify::RateLimit {
            requests: h(self.requests),
            tokens: h(self.tokens),
            input_tokens: h(self.input_tokens),
            output_tokens: h(self.output_tokens),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesSpec {
    call: CallSpec,
    values: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    at: String,
    call: Option<CallSpec>,
    key_rotated: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    eval_time: String,
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<ExpectedAlert>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    state: Option<String>,
    /// Text the firing alert's summary or description must contain (the message it names).
    text_contains: Option<String>,
}

/// Outcome of one test file.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    /// One line per failed expectation (or file problem), naming the test.
    pub failures: Vec<String>,
}

/// Expands the values notation into per-interval counts.
pub fn expand_values(text: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for term in text.split_whitespace() {
        let bad = || format!("bad values term `{term}` (allowed: a, _, axn, a+bxn, a-bxn, _xn)");
        let (head, times) = match term.split_once('x') {
            Some((h, n)) => (h, n.parse::<u64>().map_err(|_| bad())? + 1),
            None => (term, 1),
        };
        if times > 10_000_000 {
            return Err(format!("values term `{term}` is too long"));
        }
        if head == "_" {
            out.extend(std::iter::repeat_n(0, times as usize));
            continue;
        }
        let (start, step): (i64, i64) = if let Some((a, b)) = head.split_once('+') {
            (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)
        } else if let Some((a, b)) = head.split_once('-') {
            (
                a.parse().map_err(|_| bad())?,
                -b.parse::<i64>().map_err(|_| bad())?,
            )
        } else {
            (head.parse().map_err(|_| bad())?, 0)
        };
        for i in 0..times as i64 {
            let v = start + step * i;
            if v < 0 {
                return Err(format!("values term `{term}` goes below zero"));
            }
            out.push(v as u64);
        }
    }
    Ok(out)
}

/// 2026-01-01T00:00:00Z: where every test series starts (an arbitrary, fixed instant).
const START: OffsetDateTime = match OffsetDateTime::from_unix_timestamp(1_767_225_600) {
    Ok(start) => start,
    Err(_) => OffsetDateTime::UNIX_EPOCH,
};

fn call_event(spec: &CallSpec, ts: OffsetDateTime) -> Result<CallEvent<'static>, String> {
    use callwatch_core::classify::{provider_class, ClassInput, Provider};
    let provider = match spec.provider.as_deref() {
        None => Provider::Anthropic,
        Some(p) => Provider::parse(p).ok_or_else(|| {
            format!(
                "unknown `provider` {p:?} (allowed: {})",
                Provider::ALL.map(Provider::as_str).join(", ")
            )
        })?,
    };
    let mut c = CallEvent::new(ts, spec.status, None);
    c.error_type = spec.error_type.clone().map(Cow::Owned);
    c.message = spec.message.clone().map(Cow::Owned);
    c.model = spec.model.clone().map(Cow::Owned);
    c.key_id = spec.key_id.clone().map(Cow::Owned);
    c.operation = spec.operation.clone().map(Cow::Owned);
    c.request_id = spec.request_id.clone().map(Cow::Owned);
    c.attempts = spec.attempts.unwrap_or(1).max(1);
    c.latency_ms = spec.latency_ms;
    let tokens = [
        spec.input_tokens,
        spec.output_tokens,
        spec.cache_read_input_tokens,
        spec.cache_creation_input_tokens,
        spec.cache_creation_1h_input_tokens,
    ];
    if tokens.iter().any(Option::is_some) {
        let [input, output, read, write, write_1h] = tokens.map(|t| t.unwrap_or(0));
        c.usage = Some(callwatch_core::classify::Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: write,
            cache_creation_1h_input_tokens: write_1h.min(write),
        });
    }
    c.ttft_ms = spec.ttft_ms;
    c.stream = spec.ttft_ms.map(|_| true);
    c.ratelimit = spec.ratelimit.map(RateLimitSpec::rate_limit);
    c.provider = provider;
    // As replay classifies a line: Bedrock and Vertex codes too.
    c.class = provider_class(ClassInput {
        status: c.status,
        error_type: c.error_type.as_deref(),
        message: c.message.as_deref(),
        error_code: None,
    });
    Ok(c)
}

fn offset(text: &str) -> Result<Duration, String> {
    parse_duration(text).map(|d| Duration::seconds(d.as_secs() as i64))
}

/// Runs every test in a file.
pub fn run_file(path: &Path) -> Report {
    let mut report = Report::default();
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            report.failures.push(format!("{name}: cannot read: {e}"));
            return report;
        }
    };
    let file: TestFile = match serde_norway::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let msg = e.to_string();
            let msg = msg
                .rfind(" at line ")
                .map_or(msg.as_str(), |i| &msg[..i])
                .to_string();
            report.failures.push(format!("{name}:{line}:{col}: {msg}"));
            return report;
        }
    };
    let rules = if file.rule_files.is_empty() {
        default_rules()
    } else {
        let base = path.parent().unwrap_or(Path::new("."));
        let mut rules = Vec::new();
        for f in &file.rule_files {
            match load_rules_file(&base.join(f)) {
                Ok(set) => rules.extend(set.rules),
                Err(e) => {
                    report.failures.push(e.to_string());
                    return report;
                }
            }
        }
        RuleSet { rules }
    };
    for case in &file.tests {
        match run_case(&rules, case) {
            Ok(failures) if failures.is_empty() => report.passed += 1,
            Ok(failures) => report.failures.extend(
                failures
                    .into_iter()
                    .map(|f| format!("{name}: {}: {f}", case.name)),
            ),
            Err(e) => report.failures.push(format!("{name}: {}: {e}", case.name)),
        }
    }
    report
}

fn run_case(rules: &RuleSet, case: &TestCase) -> Result<Vec<String>, String> {
    let interval = offset(case.interval.as_deref().unwrap_or("1s"))?;
    if interval.is_zero() {
        return Err("`interval` must be at least 1s".into());
    }
    let mut events: Vec<Event<'static>> = Vec::new();
    for series in &case.input_series {
        for (i, &n) in expand_values(&series.values)?.iter().enumerate() {
            let slot_start = START + interval * i as u32;
            for k in 0..n {
                // Spread the interval's calls evenly inside it.
                let ts = slot_start + interval * (k as f64 / n as f64);
                events.push(Event::Call(call_event(&series.call, ts)?));
            }
        }
    }
    for e in &case.input_events {
        let ts = START + offset(&e.at)?;
        match (&e.call, &e.key_rotated) {
            (Some(call), None) => events.push(Event::Call(call_event(call, ts)?)),
            (None, Some(key)) => events.push(Event::KeyRotated(KeyRotation {
                ts,
                key_id: Cow::Owned(key.clone()),
            })),
            _ => {
                return Err(format!(
                    "input event at {} needs exactly one of `call`, `key_rotated`",
                    e.at
                ))
            }
        }
    }
    events.sort_by_key(|e| e.ts());
    let mut expectations: Vec<&Expectation> = case.alert_rule_test.iter().collect();
    let mut evals = Vec::new();
    for x in &expectations {
        if rules.get(&x.alertname).is_none() {
            return Err(format!("no rule named `{}`", x.alertname));
        }
        evals.push(START + offset(&x.eval_time)?);
    }
    let mut order: Vec<usize> = (0..expectations.len()).collect();
    order.sort_by_key(|&i| evals[i]);
    expectations = order.iter().map(|&i| expectations[i]).collect();
    evals = order.iter().map(|&i| evals[i]).collect();

    let mut engine = Engine::new(rules.clone());
    if let Some(b) = &case.budget {
        let credit = match (b.credit_balance_usd, b.as_of.as_deref()) {
            (Some(balance_usd), as_of) => Some(callwatch_core::cost::Credit {
                balance_usd,
                as_of: START + offset(as_of.unwrap_or("0s"))?,
            }),
            (None, Some(_)) => return Err("budget `as_of` without `credit_balance_usd`".into()),
            (None, None) => None,
        };
        engine = engine.with_spend(callwatch_core::cost::SpendConfig {
            budget: callwatch_core::cost::Budget {
                credit,
                monthly_spend_limit_usd: b.monthly_spend_limit_usd,
            },
            ..Default::default()
        });
    }
    let mut failures = Vec::new();
    let mut next = 0;
    for (x, eval) in expectations.iter().zip(evals) {
        while next < events.len() && events[next].ts() <= eval {
            let ts = events[next].ts();
            engine.tick(ts);
            engine.observe_event(&events[next]);
            next += 1;
        }
        engine.tick(eval);
        let mut actual: Vec<_> = engine
            .active()
            .into_iter()
            .filter(|a| a.rule == x.alertname)
            .collect();
        for want in &x.exp_alerts {
            let firing = match want.state.as_deref() {
                None | Some("firing") => true,
                Some("pending") => false,
                Some(other) => {
                    return Err(format!(
                        "unknown state `{other}` (allowed: firing, pending)"
                    ))
                }
            };
            let found = actual.iter().position(|a| {
                a.firing == firing && want.labels.iter().all(|(k, v)| a.labels.get(k) == Some(v))
            });
            match found {
                Some(i) => {
                    actual.remove(i);
                    if let Some(text) = want.text_contains.as_deref().filter(|_| firing) {
                        let said = engine.firing().any(|a| {
                            a.rule == x.alertname
                                && want.labels.iter().all(|(k, v)| a.labels.get(k) == Some(v))
                                && (a.summary.contains(text) || a.description.contains(text))
                        });
                        if !said {
                            failures.push(format!(
                                "at {}: {} fired but its text does not contain {text:?}: {:?}",
                                x.eval_time,
                                x.alertname,
                                engine
                                    .firing()
                                    .filter(|a| a.rule == x.alertname)
                                    .map(|a| a.summary.as_str())
                                    .collect::<Vec<_>>()
                            ));
                        }
                    }
                }
                None => failures.push(format!(
                    "at {}: expected {} {} with labels {:?}; active: {:?}",
                    x.eval_time,
                    x.alertname,
                    if firing { "firing" } else { "pending" },
                    want.labels,
                    engine
                        .active()
                        .iter()
                        .filter(|a| a.rule == x.alertname)
                        .collect::<Vec<_>>()
                )),
            }
        }
        for extra in actual {
            failures.push(format!(
                "at {}: unexpected {} {} with labels {:?}",
                x.eval_time,
                x.alertname,
                if extra.firing { "firing" } else { "pending" },
                extra.labels
            ));
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_notation() {
        assert_eq!(
            expand_values("1+2x3 _x1 5 4-1x2").unwrap(),
            [1, 3, 5, 7, 0, 0, 5, 4, 3, 2]
        );
        assert!(expand_values("1+x").is_err());
        assert!(expand_values("1-1x5").is_err());
    }
}

#[cfg(test)]
mod spend_tests {
    #[test]
    fn the_spend_rule_tests_pass() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../alerts/tests/spend.yaml");
        let report = super::run_file(&path);
        assert!(report.failures.is_empty(), "{:#?}", report.failures);
        assert_eq!(report.passed, 12);
    }
}
