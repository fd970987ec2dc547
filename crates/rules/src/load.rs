//! Loading a rule file: YAML (serde_norway: syntax and type errors carry line and column), then
//! semantic checks whose errors point at the offending key and say what is allowed.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde::Deserialize;

use super::locate::{Locator, Pos};
use super::model::{
    GroupField, Matcher, Measure, NoiseTest, Rule, RuleKind, RuleSet, Scope, TriggerEvent,
};
use super::template::{placeholders, PLACEHOLDERS};
use callwatch_core::alert::Severity;
use callwatch_core::classify::Class;
use callwatch_core::duration::parse_duration;

/// The longest duration a rule may name (`window` has its own, shorter bound): a rule that waits
/// longer is a mistake, and the bound keeps the engine's time arithmetic in range.
const MAX_RULE_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// One problem in a rule file: `file:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

use std::fmt::Write as _;

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One problem, one line: a message quoting the file's own text (a template with a line
        // break, say) shows its control characters escaped.
        write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        for c in self.message.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Every problem found in one file (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl std::fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: Vec<RawRule>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<String>,
    kind: Option<String>,
    #[serde(rename = "match", default)]
    matcher: RawMatch,
    window: Option<String>,
    baseline_half_life: Option<String>,
    within: Option<String>,
    quiet_for: Option<String>,
    #[serde(rename = "for")]
    pending_for: Option<String>,
    keep_firing_for: Option<String>,
    threshold: Option<f64>,
    min_rise: Option<f64>,
    cusum_limit: Option<f64>,
    percentile: Option<f64>,
    threshold_ms: Option<f64>,
    min_calls: Option<u64>,
    min_count: Option<u64>,
    min_share: Option<f64>,
    min_rise_usd_per_hour: Option<f64>,
    noise_share: Option<f64>,
    min_evidence: Option<f64>,
    /// spend_over_baseline: standard deviations above the baseline.
    deviations: Option<f64>,
    // credit_runway and spend_over_baseline
    short_window: Option<String>,
    long_window: Option<String>,
    below: Option<String>,
    min_history: Option<String>,
    min_ratio: Option<f64>,
    min_spend_usd: Option<f64>,
    event: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    group_by: Vec<String>,
    summary: Option<String>,
    description: Option<String>,
    runbook: Option<String>,
    scope: Option<String>,
    measure: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    classes: Vec<String>,
    #[serde(default)]
    statuses: Vec<u16>,
    #[serde(default)]
    error_types: Vec<String>,
    min_attempts: Option<u32>,
}

/// Which kind-specific keys each kind accepts (the rest are common to all kinds).
fn kind_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "share_over_threshold" => &[
            "window",
            "threshold",
            "min_calls",
            "min_count",
            "noise_share",
            "min_evidence",
        ],
        "share_over_baseline" => &[
            "window",
            "baseline_half_life",
            "min_rise",
            "cusum_limit",
            "min_calls",
            "min_count",
        ],
        "burst_after_event" => &[
            "event",
            "within",
            "window",
            "min_count",
            "min_share",
            "noise_share",
            "min_evidence",
        ],
        "any" => &["quiet_for"],
        "latency_percentile" => &[
            "window",
            "percentile",
            "threshold_ms",
            "min_calls",
            "measure",
        ],
        "credit_runway" => &["short_window", "long_window", "below", "min_history"],
        "ratelimit_runway" => &["window", "below"],
        "spend_over_baseline" => &[
            "window",
            "baseline_half_life",
            "min_ratio",
            "deviations",
            "min_calls",
            "min_history",
            "min_spend_usd",
            "min_share",
            "min_rise_usd_per_hour",
        ],
        _ => &[],
    }
}

/// Parses and validates a rule file. `file` names it in errors.
pub fn load_rules(file: &str, text: &str) -> Result<RuleSet, LoadErrors> {
    let raw: RawFile = serde_norway::from_str(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        // serde quotes the offending value: a file holding one string was printed whole.
        let msg = callwatch_core::classify::without_values(&e.to_string());
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        LoadErrors(vec![LoadError {
            file: file.into(),
            line,
            col,
            message: msg,
        }])
    })?;
    let locator = Locator::scan(text);
    let mut v = Validator {
        file,
        locator: &locator,
        errors: Vec::new(),
        index: 0,
    };
    let mut rules = Vec::new();
    let mut names = HashSet::new();
    for (index, raw_rule) in raw.rules.into_iter().enumerate() {
        v.index = index;
        if let Some(rule) = v.rule(raw_rule) {
            // One name may stand for several levels of one alert (CreditRunwayLow warns at 24h
            // and pages at 2h), as in Prometheus, when static labels tell the instances apart.
            if !names.insert((rule.name.clone(), rule.labels.clone())) {
                v.error(
                    "name",
                    format!(
                        "duplicate rule name `{}` (names must be unique, or differ in their static `labels`)",
                        rule.name
                    ),
                );
            }
            rules.push(rule);
        }
    }
    if rules.is_empty() && v.errors.is_empty() {
        v.errors.push(LoadError {
            file: file.into(),
            line: 1,
            col: 1,
            message: "no rules (allowed: a `rules:` list with at least one rule)".into(),
        });
    }
    if v.errors.is_empty() {
        Ok(RuleSet { rules })
    } else {
        Err(LoadErrors(v.errors))
    }
}

struct Validator<'a> {
    file: &'a str,
    locator: &'a Locator,
    errors: Vec<LoadError>,
    index: usize,
}

impl Validator<'_> {
    fn error(&mut self, key: &str, message: String) {
        let Pos { line, col } = self.locator.find(self.index, key);
        self.errors.push(LoadError {
            file: self.file.into(),
            line,
            col,
            message,
        });
    }

    fn duration(&mut self, key: &str, value: Option<&str>, default: Option<u64>) -> Duration {
        match value {
            None => match default {
                Some(s) => Duration::from_secs(s),
                None => {
                    self.error(key, format!("missing `{key}` (a duration, e.g. 5m)"));
                    Duration::ZERO
                }
            },
            Some(text) => match parse_duration(text) {
                Ok(d) if d > MAX_RULE_DURATION => {
                    // The engine adds these to timestamps and sums them into its horizon.
                    self.error(
                        key,
                        format!("`{key}` longer than 365d (allowed: up to 365d)"),
                    );
                    MAX_RULE_DURATION
                }
                // The engine counts in whole seconds: `1500ms` would silently become 1s.
                Ok(d) if d.subsec_nanos() != 0 => {
                    self.error(
                        key,
                        format!(
                            "`{key}` {text:?} is not a whole number of seconds (the rules engine \
                             counts per second; allowed: e.g. 1s, 2s, 90s)"
                        ),
                    );
                    Duration::from_secs(d.as_secs())
                }
                Ok(d) => d,
                Err(e) => {
                    self.error(key, format!("`{key}`: {e}"));
                    Duration::ZERO
                }
            },
        }
    }

    fn positive(&mut self, key: &str, d: Duration) -> Duration {
        // A sub-second value was already reported as not whole seconds; say it once.
        if d.is_zero()
            && !self
                .errors
                .iter()
                .any(|e| e.message.starts_with(&format!("`{key}` ")))
        {
            self.error(key, format!("`{key}` must be at least 1s"));
        }
        d
    }

    fn number(
        &mut self,
        key: &str,
        value: Option<f64>,
        default: Option<f64>,
        range: (f64, f64),
    ) -> f64 {
        let Some(v) = value.or(default) else {
            self.error(
                key,
                format!(
                    "missing `{key}` (allowed: a number from {} to {})",
                    range.0, range.1
                ),
            );
            return range.0;
        };
        if !(v >= range.0 && v <= range.1) {
            self.error(
                key,
                format!(
                    "`{key}` {v} is out of range (allowed: {} to {})",
                    range.0, range.1
                ),
            );
        }
        v
    }

    fn rule(&mut self, raw: RawRule) -> Option<Rule> {
        let name = match raw.name.as_deref() {
            None => {
                self.error("name", "rule without `name`".into());
                String::new()
            }
            Some(n)
                if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                self.error(
                    "name",
                    format!("bad rule name {n:?} (allowed: letters, digits and _, e.g. ServerErrorSpike)"),
                );
                n.to_string()
            }
            Some(n) => n.to_string(),
        };
        let Some(kind_name) = raw.kind.as_deref() else {
            self.error(
                "kind",
                format!("missing `kind` (allowed: {})", RuleKind::NAMES.join(", ")),
            );
            return None;
        };
        if !RuleKind::NAMES.contains(&kind_name) {
            self.error(
                "kind",
                format!(
                    "unknown kind `{kind_name}` (allowed: {})",
                    RuleKind::NAMES.join(", ")
                ),
            );
            return None;
        }
        self.reject_foreign_keys(kind_name, &raw);
        let kind = self.kind(kind_name, &raw);
        let matcher = self.matcher(&raw.matcher);
        let mut group_by = Vec::new();
        for g in &raw.group_by {
            match GroupField::parse(g) {
                Some(f) if !group_by.contains(&f) => group_by.push(f),
                Some(_) => self.error("group_by", format!("`{g}` listed twice in `group_by`")),
                None => self.error(
                    "group_by",
                    format!(
                        "unknown group_by field `{g}` (allowed: {})",
                        GroupField::ALL.map(|f| f.as_str()).join(", ")
                    ),
                ),
            }
        }
        let severity = match raw.severity.as_deref() {
            None => Severity::Warning,
            Some("info") => Severity::Info,
            Some("warning") => Severity::Warning,
            Some("critical") => Severity::Critical,
            Some(other) => {
                self.error(
                    "severity",
                    format!("unknown severity `{other}` (allowed: info, warning, critical)"),
                );
                Severity::Warning
            }
        };
        for key in raw.labels.keys() {
            let ok = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !key.starts_with(|c: char| c.is_ascii_digit());
            if !ok {
                self.error(
                    "labels",
                    format!("bad label name {key:?} (allowed: [A-Za-z_][A-Za-z0-9_]*)"),
                );
            }
            if GroupField::parse(key).is_some_and(|f| group_by.contains(&f)) {
                self.error(
                    "labels",
                    format!("static label `{key}` clashes with a group_by field"),
                );
            }
        }
        let scope = self.scope(raw.scope.as_deref(), &raw.matcher);
        let summary = raw.summary.unwrap_or_else(|| format!("{name} is firing"));
        let description = raw.description.unwrap_or_default();
        let runbook = raw.runbook.unwrap_or_default();
        for (key, text) in [
            ("summary", &summary),
            ("description", &description),
            ("runbook", &runbook),
        ] {
            match placeholders(text) {
                Err(e) => self.error(key, format!("`{key}`: {e}")),
                Ok(names) => {
                    for n in names {
                        if !PLACEHOLDERS.contains(&n) {
                            self.error(
                                key,
                                format!(
                                    "unknown placeholder `{{{{{n}}}}}` in `{key}` (allowed: {})",
                                    PLACEHOLDERS.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
        }
        let pending_for = self.duration("for", raw.pending_for.as_deref(), Some(0));
        let keep_firing_for =
            self.duration("keep_firing_for", raw.keep_firing_for.as_deref(), Some(0));
        if matches!(kind, RuleKind::Any { .. }) {
            if raw.pending_for.is_some() {
                self.error(
                    "for",
                    "`for` does not apply to kind `any` (it fires at the call; allowed: quiet_for)"
                        .into(),
                );
            }
            if raw.keep_firing_for.is_some() {
                self.error(
                    "keep_firing_for",
                    "`keep_firing_for` does not apply to kind `any` (use quiet_for)".into(),
                );
            }
        }
        Some(Rule {
            name,
            kind,
            matcher,
            group_by,
            pending_for,
            keep_firing_for,
            severity,
            labels: raw.labels,
            summary,
            description,
            runbook,
            scope,
        })
    }

    fn scope(&mut self, raw: Option<&str>, matcher: &RawMatch) -> Scope {
        let Some(raw) = raw else {
            return Scope::Calls;
        };
        let Some(scope) = Scope::parse(raw) else {
            self.error(
                "scope",
                format!(
                    "unknown scope `{raw}` (allowed: {})",
                    Scope::NAMES.join(", ")
                ),
            );
            return Scope::Calls;
        };
        if scope == Scope::Attempts && matcher.min_attempts.is_some() {
            self.error(
                "match.min_attempts",
                "`min_attempts` counts a call's attempts; it does not apply to `scope: attempts`"
                    .into(),
            );
        }
        scope
    }

    fn reject_foreign_keys(&mut self, kind: &str, raw: &RawRule) {
        let set: [(&str, bool); 23] = [
            ("deviations", raw.deviations.is_some()),
            ("short_window", raw.short_window.is_some()),
            ("long_window", raw.long_window.is_some()),
            ("below", raw.below.is_some()),
            ("min_history", raw.min_history.is_some()),
            ("min_ratio", raw.min_ratio.is_some()),
            ("min_spend_usd", raw.min_spend_usd.is_some()),
            ("measure", raw.measure.is_some()),
            ("window", raw.window.is_some()),
            ("baseline_half_life", raw.baseline_half_life.is_some()),
            ("within", raw.within.is_some()),
            ("quiet_for", raw.quiet_for.is_some()),
            ("threshold", raw.threshold.is_some()),
            ("min_rise", raw.min_rise.is_some()),
            ("cusum_limit", raw.cusum_limit.is_some()),
            ("percentile", raw.percentile.is_some()),
            ("threshold_ms", raw.threshold_ms.is_some()),
            ("min_calls", raw.min_calls.is_some()),
            ("min_count", raw.min_count.is_some()),
            ("min_share", raw.min_share.is_some()),
            ("min_rise_usd_per_hour", raw.min_rise_usd_per_hour.is_some()),
            ("noise_share", raw.noise_share.is_some()),
            ("min_evidence", raw.min_evidence.is_some()),
        ];
        let allowed = kind_keys(kind);
        for (key, present) in set {
            if present && !allowed.contains(&key) {
                self.error(
                    key,
                    format!(
                        "`{key}` does not apply to kind `{kind}` (allowed: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        if raw.event.is_some() && kind != "burst_after_event" {
            self.error(
                "event",
                format!(
                    "`event` does not apply to kind `{kind}` (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// `noise_share` turns the evidence test on; `min_evidence` (nats, default 7) alone is an
    /// error, since it would test nothing.
    fn noise_test(&mut self, raw: &RawRule) -> Option<NoiseTest> {
        let Some(share) = raw.noise_share else {
            if raw.min_evidence.is_some() {
                self.error(
                    "min_evidence",
                    "`min_evidence` needs `noise_share` (the share it tests against)".into(),
                );
            }
            return None;
        };
        let share = self.number("noise_share", Some(share), None, (1e-6, 0.999_999));
        let min_evidence = self.number("min_evidence", raw.min_evidence, Some(7.0), (0.1, 1000.0));
        Some(NoiseTest {
            share,
            min_evidence,
        })
    }

    fn kind(&mut self, kind: &str, raw: &RawRule) -> RuleKind {
        let window = |v: &mut Self, default: Option<u64>| {
            let d = v.duration("window", raw.window.as_deref(), default);
            let d = v.positive("window", d);
            if d > Duration::from_secs(24 * 3600) {
                v.error(
                    "window",
                    "`window` longer than 24h (allowed: 1s to 24h)".into(),
                );
            }
            d
        };
        match kind {
            "share_over_threshold" => RuleKind::ShareOverThreshold {
                window: window(self, None),
                threshold: self.number("threshold", raw.threshold, None, (0.0, 1.0)),
                min_calls: raw.min_calls.unwrap_or(20),
                min_count: raw.min_count.unwrap_or(1),
                noise: self.noise_test(raw),
            },
            "share_over_baseline" => {
                let half_life = self.duration(
                    "baseline_half_life",
                    raw.baseline_half_life.as_deref(),
                    Some(3600),
                );
                let half_life = self.positive("baseline_half_life", half_life);
                RuleKind::ShareOverBaseline {
                    window: window(self, Some(300)),
                    baseline_half_life: half_life,
                    min_rise: self.number("min_rise", raw.min_rise, Some(0.02), (0.0001, 1.0)),
                    cusum_limit: self.number("cusum_limit", raw.cusum_limit, Some(8.0), (1.0, 1e6)),
                    min_calls: raw.min_calls.unwrap_or(100),
                    min_count: raw.min_count.unwrap_or(3),
                }
            }
            "burst_after_event" => {
                let event = match raw.event.as_deref() {
                    None | Some("key_rotation") => TriggerEvent::KeyRotation,
                    Some(other) => {
                        self.error(
                            "event",
                            format!(
                                "unknown event `{other}` (allowed: {})",
                                TriggerEvent::NAMES.join(", ")
                            ),
                        );
                        TriggerEvent::KeyRotation
                    }
                };
                let within = self.duration("within", raw.within.as_deref(), Some(3600));
                RuleKind::BurstAfterEvent {
                    event,
                    within: self.positive("within", within),
                    window: window(self, Some(300)),
                    min_count: self.count("min_count", raw.min_count, 5),
                    min_share: self.number("min_share", raw.min_share, Some(0.0), (0.0, 1.0)),
                    noise: self.noise_test(raw),
                }
            }
            "credit_runway" | "spend_over_baseline" => self.spend_kind(kind, raw),
            "ratelimit_runway" => {
                let window = window(self, Some(120));
                if window.as_secs() < 20 {
                    self.error(
                        "window",
                        "`window` must be at least 20s (a drain needs samples 10s apart)".into(),
                    );
                }
                let below = self.duration("below", raw.below.as_deref(), Some(600));
                RuleKind::RateLimitRunway {
                    window,
                    below: self.positive("below", below),
                }
            }
            "any" => RuleKind::Any {
                quiet_for: {
                    let d = self.duration("quiet_for", raw.quiet_for.as_deref(), Some(600));
                    self.positive("quiet_for", d)
                },
            },
            _ => {
                let window = window(self, Some(300));
                if window.as_secs() < 10 {
                    self.error("window", "latency `window` must be at least 10s".into());
                }
                RuleKind::LatencyPercentile {
                    window,
                    percentile: self.number("percentile", raw.percentile, Some(99.0), (1.0, 100.0)),
                    threshold_ms: self.number(
                        "threshold_ms",
                        raw.threshold_ms,
                        None,
                        (0.0, 3_600_000.0),
                    ),
                    min_calls: raw.min_calls.unwrap_or(50),
                    measure: self.measure(raw.measure.as_deref()),
                }
            }
        }
    }

    /// The two spend kinds (docs/rules.md).
    fn spend_kind(&mut self, kind: &str, raw: &RawRule) -> RuleKind {
        let duration = |v: &mut Self, key: &str, value: &Option<String>, default: u64| {
            let d = v.duration(key, value.as_deref(), Some(default));
            let d = v.positive(key, d);
            if d > Duration::from_secs(7 * 86_400) {
                v.error(key, format!("`{key}` longer than 7d (allowed: 1s to 7d)"));
            }
            d
        };
        if kind == "credit_runway" {
            let short_window = duration(self, "short_window", &raw.short_window, 1800);
            let long_window = duration(self, "long_window", &raw.long_window, 6 * 3600);
            if long_window < short_window {
                self.error(
                    "long_window",
                    "`long_window` shorter than `short_window` (the long rate is the trailing average)".into(),
                );
            }
            let below = duration(self, "below", &raw.below, 24 * 3600);
            let min_history = duration(
                self,
                "min_history",
                &raw.min_history,
                short_window.as_secs(),
            );
            return RuleKind::CreditRunway {
                short_window,
                long_window,
                below,
                min_history,
            };
        }
        let window = duration(self, "window", &raw.window, 300);
        if window.as_secs() < 60 {
            self.error(
                "window",
                "spend `window` must be at least 1m (spend is judged per minute)".into(),
            );
        }
        RuleKind::SpendOverBaseline {
            window,
            baseline_half_life: duration(self, "baseline_half_life", &raw.baseline_half_life, 3600),
            min_ratio: self.number("min_ratio", raw.min_ratio, Some(3.0), (1.1, 1000.0)),
            deviations: self.number("deviations", raw.deviations, Some(4.0), (0.5, 100.0)),
            min_calls: self.count("min_calls", raw.min_calls, 5),
            min_history: duration(self, "min_history", &raw.min_history, 1800),
            min_spend_usd: self.number("min_spend_usd", raw.min_spend_usd, Some(0.0), (0.0, 1e9)),
            min_share: self.number("min_share", raw.min_share, Some(0.1), (0.0, 1.0)),
            min_rise_usd_per_hour: self.number(
                "min_rise_usd_per_hour",
                raw.min_rise_usd_per_hour,
                Some(0.5),
                (0.0, 1e9),
            ),
        }
    }

    fn measure(&mut self, raw: Option<&str>) -> Measure {
        let Some(raw) = raw else {
            return Measure::Latency;
        };
        Measure::parse(raw).unwrap_or_else(|| {
            self.error(
                "measure",
                format!(
                    "unknown measure `{raw}` (allowed: {})",
                    Measure::NAMES.join(", ")
                ),
            );
            Measure::Latency
        })
    }

    fn count(&mut self, key: &str, value: Option<u64>, default: u64) -> u64 {
        let v = value.unwrap_or(default);
        if v == 0 {
            self.error(key, format!("`{key}` must be at least 1"));
        }
        v
    }

    fn matcher(&mut self, raw: &RawMatch) -> Matcher {
        let mut classes = Vec::new();
        for c in &raw.classes {
            match Class::parse(c) {
                Some(class) => classes.push(class),
                None => self.error(
                    "match.classes",
                    format!(
                        "unknown class `{c}` (allowed: {})",
                        Class::ALL.map(|c| c.as_str()).join(", ")
                    ),
                ),
            }
        }
        for s in &raw.statuses {
            if !(100..=599).contains(s) {
                self.error(
                    "match.statuses",
                    format!("status {s} is not an HTTP status (allowed: 100–599)"),
                );
            }
        }
        if raw.min_attempts == Some(0) {
            self.error(
                "match.min_attempts",
                "`min_attempts` must be at least 1".into(),
            );
        }
        Matcher {
            classes,
            statuses: raw.statuses.clone(),
            error_types: raw.error_types.clone(),
            min_attempts: raw.min_attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        load_rules("r.yaml", text)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn scope_is_calls_or_attempts_and_attempts_take_no_min_attempts() {
        let rule = |extra: &str| {
            format!(
                "rules:\n  - name: R\n    kind: any\n    match:\n      classes: [rate_limit]\n{extra}"
            )
        };
        let set = load_rules("r.yaml", &rule("    scope: attempts\n")).unwrap();
        assert_eq!(set.rules[0].scope, Scope::Attempts);
        let set = load_rules("r.yaml", &rule("")).unwrap();
        assert_eq!(set.rules[0].scope, Scope::Calls);
        let e = errors(&rule("    scope: requests\n"));
        assert!(
            e.iter()
                .any(|e| e.contains("unknown scope `requests` (allowed: calls, attempts)")),
            "{e:?}"
        );
        let e = errors(
            "rules:\n  - name: R\n    kind: any\n    scope: attempts\n    match:\n      min_attempts: 2\n",
        );
        assert!(e.iter().any(|e| e.contains("min_attempts")), "{e:?}");
    }

    #[test]
    fn an_error_quoting_a_line_break_stays_on_one_line() {
        let e = LoadError {
            file: "r.yaml".into(),
            line: 3,
            col: 7,
            message: "unknown placeholder `{{a\nb}}`".into(),
        };
        assert_eq!(e.to_string(), "r.yaml:3:7: unknown placeholder `{{a\\nb}}`");
    }

    #[test]
    fn a_duration_below_or_between_whole_seconds_is_refused() {
        for (value, col) in [("1ms", 5), ("999ms", 5), ("1500ms", 5)] {
            let text = format!(
                "rules:\n  - name: A\n    kind: share_over_threshold\n    window: {value}\n    threshold: 0.5\n"
            );
            let errs = errors(&text);
            assert_eq!(
                errs,
                [format!("r.yaml:4:{col}: `window` \"{value}\" is not a whole number of seconds (the rules engine counts per second; allowed: e.g. 1s, 2s, 90s)")],
                "{value}"
            );
        }
        let whole = "rules:\n  - name: A\n    kind: share_over_threshold\n    window: 2000ms\n    threshold: 0.5\n";
        assert!(load_rules("r.yaml", whole).is_ok());
    }

    #[test]
    fn a_duration_past_a_year_is_refused() {
        // quiet_for: 292 billion years made the engine's clock overflow (fuzzing found it).
        let text = "rules:\n  - name: A\n    kind: any\n    quiet_for: 9223372036854775807s\n";
        let errs = errors(text);
        assert_eq!(
            errs,
            ["r.yaml:4:5: `quiet_for` longer than 365d (allowed: up to 365d)"]
        );
    }

    #[test]
    fn semantic_errors_point_at_the_key_and_say_what_is_allowed() {
        let text = "rules:\n  - name: A\n    kind: share_over_threshold\n    window: 5x\n    threshold: 2\n    match:\n      classes: [bogus]\n    group_by: [colour]\n    summary: \"{{nope}}\"\n";
        let errs = errors(text);
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:4:5: `window`: bad duration")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e
                    .starts_with("r.yaml:5:5: `threshold` 2 is out of range (allowed: 0 to 1)")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:7:7: unknown class `bogus` (allowed: success")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:8:5: unknown group_by field `colour`")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:9:5: unknown placeholder `{{nope}}`")),
            "{errs:?}"
        );
    }

    #[test]
    fn syntax_and_unknown_keys_carry_serde_positions() {
        let errs = errors("rules:\n  - name: A\n    kind: any\n    colour: red\n");
        assert!(
            errs[0].starts_with("r.yaml:4:5: rules[0]: unknown field `colour`"),
            "{errs:?}"
        );
        let errs = errors("rules:\n  - name: [\n");
        assert!(errs[0].starts_with("r.yaml:"), "{errs:?}");
        let errs = errors("rules:\n  - name: A\n    kind: nope\n");
        assert_eq!(errs, ["r.yaml:3:5: unknown kind `nope` (allowed: share_over_threshold, share_over_baseline, burst_after_event, any, latency_percentile, credit_runway, spend_over_baseline, ratelimit_runway)"]);
    }

    #[test]
    fn keys_of_other_kinds_and_duplicates_are_rejected() {
        let errs = errors("rules:\n  - name: A\n    kind: any\n    threshold: 0.5\n    for: 1m\n  - name: A\n    kind: any\n");
        assert!(
            errs.iter().any(|e| e.starts_with(
                "r.yaml:4:5: `threshold` does not apply to kind `any` (allowed: quiet_for)"
            )),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:5:5: `for` does not apply")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|e| e.contains("duplicate rule name `A`")),
            "{errs:?}"
        );
    }

    #[test]
    fn the_noise_test_is_read_and_its_mistakes_named() {
        let base = "rules:\n  - name: S\n    kind: share_over_threshold\n    window: 2m\n    threshold: 0.05\n";
        let rules = load_rules("r.yaml", &format!("{base}    noise_share: 0.01\n")).unwrap();
        match &rules.rules[0].kind {
            RuleKind::ShareOverThreshold { noise, .. } => assert_eq!(
                *noise,
                Some(NoiseTest {
                    share: 0.01,
                    min_evidence: 7.0
                })
            ),
            other => panic!("{other:?}"),
        }
        let errs = errors(&format!("{base}    min_evidence: 5\n"));
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:6:5: `min_evidence` needs `noise_share`")),
            "{errs:?}"
        );
        let errs = errors(&format!(
            "{base}    noise_share: 1.5\n    min_evidence: 0\n"
        ));
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:6:5: `noise_share` 1.5 is out of range")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:7:5: `min_evidence` 0 is out of range")),
            "{errs:?}"
        );
        let errs = errors("rules:\n  - name: A\n    kind: any\n    noise_share: 0.1\n");
        assert!(
            errs.iter()
                .any(|e| e.starts_with("r.yaml:4:5: `noise_share` does not apply to kind `any`")),
            "{errs:?}"
        );
    }
}
