//! The rule set as data: what each rule matches, how it decides, what it says. Public fields so
//! exporters (Prometheus rules, Datadog monitors) and `check` can read every kind, threshold and
//! window.

use std::collections::BTreeMap;
use std::time::Duration;

use callwatch_core::alert::Severity;
use callwatch_core::classify::Class;
use callwatch_core::event::CallEvent;

/// A validated set of rules (names are unique).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub kind: RuleKind,
    /// Which calls count as hits (the numerator); all calls of the group are the denominator.
    pub matcher: Matcher,
    /// One alert instance per distinct value of these fields.
    pub group_by: Vec<GroupField>,
    /// How long the condition must hold before the alert fires (pending meanwhile).
    pub pending_for: Duration,
    /// How long a firing alert stays firing after its condition stops holding (hysteresis).
    pub keep_firing_for: Duration,
    pub severity: Severity,
    /// Static labels added to every alert of the rule.
    pub labels: BTreeMap<String, String>,
    /// Templates with `{{placeholders}}` (see [`crate::PLACEHOLDERS`]).
    pub summary: String,
    pub description: String,
    /// What to do about it.
    pub runbook: String,
    /// What the rule counts: finished calls (the default) or every HTTP attempt.
    pub scope: Scope,
}

/// What a rule counts. A call that got 429 and then succeeded on a retry is one successful call
/// but two attempts, one of them rate limited: pressure that retries absorb is only visible at
/// the attempt level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Each finished logical call, as it finally ended (retries included).
    #[default]
    Calls,
    /// Each HTTP attempt, the moment it ends (the agent hears of it before the call ends). An
    /// event line carries only the call, so `replay` and `callwatch test` count each call's
    /// last attempt.
    Attempts,
}

impl Scope {
    pub const NAMES: [&'static str; 2] = ["calls", "attempts"];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Calls => "calls",
            Scope::Attempts => "attempts",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "calls" => Some(Scope::Calls),
            "attempts" => Some(Scope::Attempts),
            _ => None,
        }
    }
}

/// How a rule decides, with the kind's own parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleKind {
    /// Matched share of the group's calls over `window` is at least `threshold`.
    ShareOverThreshold {
        window: Duration,
        threshold: f64,
        /// Volume guard: at least this many calls in the window.
        min_calls: u64,
        /// And at least this many matched calls.
        min_count: u64,
        /// Optional evidence test: the share ordinary traffic shows; the window must also be
        /// improbable as noise at this share (see `min_evidence`).
        noise: Option<NoiseTest>,
    },
    /// Matched share rises above its own trailing baseline (CUSUM over an EWMA baseline; see
    /// docs/rules.md).
    ShareOverBaseline {
        /// Window of the current share (shown, and what must stay high to keep firing).
        window: Duration,
        /// Half-life of the EWMA baseline.
        baseline_half_life: Duration,
        /// Smallest rise of the share (absolute, 0.02 = 2 points) worth alerting on.
        min_rise: f64,
        /// Excess matched calls (over baseline + min_rise/2) the CUSUM must accumulate to fire.
        cusum_limit: f64,
        min_calls: u64,
        min_count: u64,
    },
    /// At least `min_count` matched calls in `window`, within `within` of a trigger event.
    BurstAfterEvent {
        event: TriggerEvent,
        within: Duration,
        window: Duration,
        min_count: u64,
        /// And the matched calls are at least this share of the group's calls in the window:
        /// a key a rotation broke fails most of its calls, while stray 401s on a busy key are a
        /// sliver, so a low `min_count` stays safe at high volume.
        min_share: f64,
        /// Optional evidence test on the counts since the event (see [`NoiseTest`]).
        noise: Option<NoiseTest>,
    },
    /// Every matched call fires at once (at the call's time); resolves after `quiet_for`
    /// without a matched call.
    Any { quiet_for: Duration },
    /// The `percentile` of latency over `window` (HDR histograms) is at least `threshold_ms`.
    LatencyPercentile {
        window: Duration,
        percentile: f64,
        threshold_ms: f64,
        min_calls: u64,
        /// Which latency: the whole call's, or (streamed calls only) the time to first chunk.
        measure: Measure,
    },
    /// Remaining credit (or monthly spend limit) ÷ burn rate is below `below`. The burn rate is
    /// the long trailing rate, lowered to the short one's only when the short window is evidence
    /// the burn fell (docs/rules.md: a one-off batch raises only the short one; a stop in
    /// spending soon lowers it).
    CreditRunway {
        short_window: Duration,
        long_window: Duration,
        below: Duration,
        /// Spend seen for at least this long before a runway is judged.
        min_history: Duration,
    },
    /// Spend of the group over `window` rises far above its own trailing baseline: an
    /// overdispersed-Poisson bound over an EWMA baseline (engine/dispersion.rs, docs/rules.md).
    SpendOverBaseline {
        window: Duration,
        baseline_half_life: Duration,
        /// The window's rate must be at least this many times the baseline.
        min_ratio: f64,
        /// And above the baseline by this many standard deviations of the spend the group
        /// really shows (its dispersion; with Farrington's skew correction).
        deviations: f64,
        /// And the window holds at least this many calls.
        min_calls: u64,
        /// Minutes of baseline needed before judging.
        min_history: Duration,
        /// And the window's spend at least this many USD (pennies never page).
        min_spend_usd: f64,
        /// And the rise (the window's spend less what its baseline expects) at least this
        /// share of everything spent over the window, every model and key: a rise that does
        /// not move the bill does not wake anyone (engine/spend.rs).
        min_share: f64,
        /// And the rise at least this many USD an hour: a rise that costs less does not wake
        /// anyone, whatever its share (engine/spend.rs).
        min_rise_usd_per_hour: f64,
    },
    /// The time until a rate limit runs out at its current drain (the trend of `remaining`
    /// over `window`, per key and kind; engine/ratelimit.rs) is under `below`.
    RateLimitRunway { window: Duration, below: Duration },
}

/// The latency a `latency_percentile` rule reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// The call's duration (`latency_ms`), retries included.
    #[default]
    Latency,
    /// Streamed calls only: from sending the request to the first output chunk (`ttft_ms`);
    /// calls without one (not streamed) are not counted, `min_calls` included.
    TimeToFirstChunk,
}

impl Measure {
    pub const NAMES: [&'static str; 2] = ["latency", "time_to_first_chunk"];

    pub fn parse(s: &str) -> Option<Measure> {
        match s {
            "latency" => Some(Measure::Latency),
            "time_to_first_chunk" => Some(Measure::TimeToFirstChunk),
            _ => None,
        }
    }

    /// The value of `call` this measure reads, in milliseconds.
    pub fn of(self, call: &CallEvent<'_>) -> Option<f64> {
        match self {
            Measure::Latency => call.latency_ms,
            Measure::TimeToFirstChunk => call.ttft_ms,
        }
    }
}

impl RuleKind {
    pub const NAMES: [&'static str; 8] = [
        "share_over_threshold",
        "share_over_baseline",
        "burst_after_event",
        "any",
        "latency_percentile",
        "credit_runway",
        "spend_over_baseline",
        "ratelimit_runway",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::ShareOverThreshold { .. } => "share_over_threshold",
            RuleKind::ShareOverBaseline { .. } => "share_over_baseline",
            RuleKind::BurstAfterEvent { .. } => "burst_after_event",
            RuleKind::Any { .. } => "any",
            RuleKind::LatencyPercentile { .. } => "latency_percentile",
            RuleKind::CreditRunway { .. } => "credit_runway",
            RuleKind::SpendOverBaseline { .. } => "spend_over_baseline",
            RuleKind::RateLimitRunway { .. } => "ratelimit_runway",
        }
    }

    /// The longest span of per-second data the kind looks at.
    pub fn window(&self) -> Duration {
        match self {
            RuleKind::ShareOverThreshold { window, .. }
            | RuleKind::ShareOverBaseline { window, .. }
            | RuleKind::BurstAfterEvent { window, .. }
            | RuleKind::LatencyPercentile { window, .. }
            | RuleKind::SpendOverBaseline { window, .. }
            | RuleKind::RateLimitRunway { window, .. } => *window,
            RuleKind::CreditRunway { long_window, .. } => *long_window,
            RuleKind::Any { .. } => Duration::from_secs(1),
        }
    }
}

/// A test that the counts are not ordinary noise: the binomial log-likelihood ratio of the
/// observed share against `share`, `n · KL(k/n ‖ share)`, must reach `min_evidence` nats (by the
/// Chernoff bound, noise passes with probability at most `e^-min_evidence`). It makes a rule
/// volume-adaptive: few calls that nearly all match are enough, a few noise calls in a quiet
/// window are not (docs/rules.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseTest {
    /// The matched share of ordinary traffic (`noise_share` in the rule file).
    pub share: f64,
    /// Nats of evidence against it (`min_evidence`).
    pub min_evidence: f64,
}

/// Events a `burst_after_event` rule can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerEvent {
    /// A key id never seen before appears after another was in use, or a `key_rotated` line.
    KeyRotation,
}

impl TriggerEvent {
    pub const NAMES: [&'static str; 1] = ["key_rotation"];
}

/// Which calls a rule counts. Every non-empty list must match (AND); an empty list matches all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matcher {
    pub classes: Vec<Class>,
    pub statuses: Vec<u16>,
    /// Raw `error.type` values as the API sent them.
    pub error_types: Vec<String>,
    /// Only calls that needed at least this many attempts.
    pub min_attempts: Option<u32>,
}

impl Matcher {
    // Called for every rule on every call: inlined, the call costs more than the test.
    #[inline]
    pub fn matches(&self, call: &CallEvent<'_>) -> bool {
        (self.classes.is_empty() || self.classes.contains(&call.class))
            && (self.statuses.is_empty() || call.status.is_some_and(|s| self.statuses.contains(&s)))
            && (self.error_types.is_empty()
                || call
                    .error_type
                    .as_deref()
                    .is_some_and(|t| self.error_types.iter().any(|e| e == t)))
            && self.min_attempts.is_none_or(|n| call.attempts >= n)
    }
}

/// Fields an alert can be grouped by (each becomes a label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupField {
    Model,
    KeyId,
    Operation,
    ErrorType,
    Status,
    Class,
    /// The normalised error message (numbers, ids and quoted values replaced).
    Message,
    /// Where the call went: `anthropic`, `aws.bedrock` or `gcp.vertex_ai`
    /// (`gen_ai.provider.name`).
    Provider,
}

impl GroupField {
    pub const ALL: [GroupField; 8] = [
        GroupField::Model,
        GroupField::KeyId,
        GroupField::Operation,
        GroupField::ErrorType,
        GroupField::Status,
        GroupField::Class,
        GroupField::Message,
        GroupField::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupField::Model => "model",
            GroupField::KeyId => "key_id",
            GroupField::Operation => "operation",
            GroupField::ErrorType => "error_type",
            GroupField::Status => "status",
            GroupField::Class => "class",
            GroupField::Message => "message",
            GroupField::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<GroupField> {
        GroupField::ALL.into_iter().find(|f| f.as_str() == s)
    }
}
