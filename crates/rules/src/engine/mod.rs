//! The rules engine: per-series, per-rule state fed by calls and driven by a clock.
//!
//! * `observe(call)` counts the call into every rule's per-second ring for its group (one hash
//!   lookup per distinct `group_by`), and fires `any` rules at once, at the call's time.
//! * `tick(now)` moves the evaluation clock second by second up to `now` (event time in replay
//!   and tests, the system clock live) and steps every instance's lifecycle. Its cost is
//!   O(series × rules) per second, whatever the call volume.

mod bursts;
mod clusters;
mod contributors;
mod day_profile;
mod demand;
mod detector;
mod dispersion;
mod evidence;
mod held_levels;
mod label_bound;
mod lifecycle;
mod message_memo;
mod messages;
mod ratelimit;
mod render;
mod restore;
mod ring;
mod rotation;
mod runway;
mod spend;
mod starts;

use std::collections::BTreeMap;

use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use time::{Duration as TimeDuration, OffsetDateTime};

use contributors::Contributors;
use detector::{Detector, Values, Verdict};
use lifecycle::{Phase, Step};
pub use render::status_meaning;
use render::Facts;
pub use restore::{FiringInstance, NotRestored};
use rotation::Rotations;

use super::model::{GroupField, Rule, RuleKind, RuleSet, Scope};
use super::normalise::normalise_message;
use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::classify::Class;
use callwatch_core::event::{CallEvent, Event, KeyRotation};

/// Most series (distinct group-by values) per group. At the limit the idle series (neither
/// pending nor firing) seen longest ago make room, a tenth at a time, so a flood of one-off key
/// ids cannot shut out the next real one (a rotation's 401s); only when every series is active
/// is a call refused, counted in [`EngineStats::series_overflow`] and warned about.
pub const MAX_SERIES_PER_GROUP: usize = 10_000;
/// Series evicted at once when a group is full (amortises the scan for the oldest).
const EVICT_BATCH: usize = MAX_SERIES_PER_GROUP / 10;
/// Request ids kept per instance (for the provider's support).
const REQUEST_IDS: usize = 5;

/// What the engine could not count, so nothing is dropped silently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub calls: u64,
    /// Calls too far behind the clock to land in any window.
    pub late_calls: u64,
    /// Calls of series beyond [`MAX_SERIES_PER_GROUP`] while every series was active.
    pub series_overflow: u64,
    /// Idle series dropped to make room for new ones.
    pub series_evicted: u64,
    /// Calls whose model name was past the bound, evaluated under
    /// [`callwatch_core::names::OVERFLOW_VALUE`].
    pub model_overflow: u64,
}

/// An instance that is pending or firing, for `callwatch test` and live views.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveInstance {
    pub rule: String,
    pub labels: BTreeMap<String, String>,
    pub firing: bool,
}

struct RuleState {
    detector: Detector,
    phase: Phase,
    alert: Option<Alert>,
    /// Kept for `any` rules only (what decides when they go quiet).
    last_match: Option<LastMatch>,
    statuses: Contributors,
    error_types: Contributors,
    messages: Contributors,
    request_ids: Vec<String>,
    next_request_id: usize,
    incident: Incident,
}

/// When a rule last matched. Taking the later of two `OffsetDateTime`s converts both to UTC,
/// once per matched rule on every call; the instant as (second, nanosecond) compares directly
/// (offsets are whole seconds, so the nanosecond is the same in UTC).
#[derive(Clone, Copy)]
struct LastMatch {
    at: OffsetDateTime,
    instant: (i64, u32),
}

impl LastMatch {
    fn new(at: OffsetDateTime, sec: i64) -> LastMatch {
        LastMatch {
            at,
            instant: (sec, at.nanosecond()),
        }
    }

    /// The later of the two; `other` when they are the same instant (as `Ord::max`).
    fn max(self, other: LastMatch) -> LastMatch {
        if other.instant >= self.instant {
            other
        } else {
            self
        }
    }
}

/// What a firing instance has seen, for the totals its resolve carries.
#[derive(Clone, Copy, Debug, Default)]
struct Incident {
    /// Matched calls since it fired.
    matched: u64,
    /// Highest share it held at.
    peak_share: Option<f64>,
}

struct Series {
    labels: BTreeMap<String, String>,
    states: Vec<RuleState>,
    last_seen: i64,
}

struct Group {
    fields: Vec<GroupField>,
    rules: Vec<usize>,
    series: HashMap<String, Series>,
    /// Which scopes its rules have: a group with no rule of a scope skips that scope's calls
    /// (a replayed line is observed once per scope, and only one rule counts attempts).
    scopes: ScopeSet,
}

/// The scopes some rule of a group has.
#[derive(Clone, Copy, Default)]
struct ScopeSet {
    calls: bool,
    attempts: bool,
}

impl ScopeSet {
    fn add(&mut self, scope: Scope) {
        match scope {
            Scope::Calls => self.calls = true,
            Scope::Attempts => self.attempts = true,
        }
    }

    fn has(self, scope: Scope) -> bool {
        match scope {
            Scope::Calls => self.calls,
            Scope::Attempts => self.attempts,
        }
    }

    fn only(scope: Scope) -> ScopeSet {
        let mut set = ScopeSet::default();
        set.add(scope);
        set
    }

    /// The scopes in both.
    fn and(self, other: ScopeSet) -> ScopeSet {
        ScopeSet {
            calls: self.calls && other.calls,
            attempts: self.attempts && other.attempts,
        }
    }

    fn count(self) -> u64 {
        u64::from(self.calls) + u64::from(self.attempts)
    }
}

pub struct Engine {
    rules: RuleSet,
    groups: Vec<Group>,
    rotations: Rotations,
    eval_end: Option<i64>,
    last_call: i64,
    horizon_s: i64,
    gc_after_s: i64,
    key_buf: String,
    stats: EngineStats,
    models: label_bound::LabelBound,
    spend: spend::SpendState,
    /// Whether any rule has `scope: attempts` (else attempts are not even looked at).
    has_attempt_rules: bool,
    /// Messages normalised lately (a log repeats a few).
    message_memo: message_memo::MessageMemo,
}

/// `n` in decimal, without the allocation of `to_string` (a status in a group key, per call).
fn push_decimal(buf: &mut String, n: u16) {
    let mut digits = [0u8; 5];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        buf.push(char::from(d));
    }
}

/// Removes up to `n` series that are neither pending nor firing, least recently seen first.
fn evict_idle(series: &mut HashMap<String, Series>, n: usize) -> usize {
    let mut idle: Vec<(i64, &String)> = series
        .iter()
        .filter(|(_, s)| !s.states.iter().any(|st| st.phase.is_active()))
        .map(|(k, s)| (s.last_seen, k))
        .collect();
    let n = n.min(idle.len());
    if n == 0 {
        return 0;
    }
    idle.select_nth_unstable_by_key(n - 1, |&(seen, _)| seen);
    let victims: Vec<String> = idle[..n].iter().map(|(_, k)| (*k).clone()).collect();
    for key in &victims {
        series.remove(key);
    }
    n
}

/// Missing `error_type` (a body-less 402, say) is labelled by the type its class stands for.
fn error_type_of_class(class: Class) -> Option<&'static str> {
    Some(match class {
        Class::Billing => "billing_error",
        Class::Auth => "authentication_error",
        Class::Permission => "permission_error",
        Class::InvalidRequest => "invalid_request_error",
        Class::NotFound => "not_found_error",
        Class::RateLimit => "rate_limit_error",
        Class::Overloaded => "overloaded_error",
        Class::Server => "api_error",
        _ => return None,
    })
}

fn field_value(field: GroupField, call: &CallEvent<'_>) -> Option<String> {
    match field {
        GroupField::Model => call.model.as_deref().map(str::to_string),
        GroupField::KeyId => call.key_id.as_deref().map(str::to_string),
        GroupField::Operation => call.operation.as_deref().map(str::to_string),
        GroupField::ErrorType => call
            .error_type
            .as_deref()
            .or_else(|| error_type_of_class(call.class))
            .map(str::to_string),
        GroupField::Status => call.status.map(|s| s.to_string()),
        GroupField::Class => Some(call.class.as_str().to_string()),
        GroupField::Message => call.message.as_deref().map(normalise_message),
        GroupField::Provider => Some(call.provider.as_str().to_string()),
    }
}

fn at_second(sec: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(sec).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn std_to_time(d: std::time::Duration) -> TimeDuration {
    TimeDuration::seconds(d.as_secs() as i64)
}

impl RuleState {
    fn new(rule: &Rule, eval_end: i64) -> RuleState {
        let window = rule.kind.window().as_secs_f64().max(60.0);
        let slow = match rule.kind {
            RuleKind::ShareOverBaseline {
                baseline_half_life, ..
            } => baseline_half_life.as_secs_f64(),
            _ => window * 12.0,
        };
        RuleState {
            detector: Detector::new(&rule.kind, eval_end),
            phase: Phase::Inactive,
            alert: None,
            last_match: None,
            statuses: Contributors::new(window, slow),
            error_types: Contributors::new(window, slow),
            messages: Contributors::new(window, slow),
            request_ids: Vec::new(),
            next_request_id: 0,
            incident: Incident::default(),
        }
    }

    /// `normalised` is the call's normalised message (`None` without a message), computed
    /// once per call for every rule. `any` says whether the rule is an `any` rule, the only
    /// kind that reads its last match (to go quiet).
    fn note_match(&mut self, call: &CallEvent<'_>, sec: i64, normalised: Option<&str>, any: bool) {
        if any {
            let now = LastMatch::new(call.ts, sec);
            self.last_match = Some(self.last_match.map_or(now, |t| t.max(now)));
        }
        if self.phase.is_firing() {
            self.incident.matched += 1;
        }
        if !call.class.is_error() {
            return;
        }
        if let Some(s) = call.status {
            self.statuses.add(&s.to_string(), sec);
        }
        if let Some(t) = call.error_type.as_deref() {
            self.error_types.add(t, sec);
        }
        if let Some(m) = normalised {
            self.messages.add(m, sec);
        }
        if let Some(id) = call.request_id.as_deref() {
            if self.request_ids.len() < REQUEST_IDS {
                self.request_ids.push(id.to_string());
            } else {
                let slot = &mut self.request_ids[self.next_request_id % REQUEST_IDS];
                slot.clear();
                slot.push_str(id);
            }
            self.next_request_id += 1;
        }
    }

    /// Builds the alert for a transition at `at`; `message` is the normalised message a
    /// per-message baseline fired on.
    fn alert(
        &self,
        rule: &Rule,
        series_labels: &BTreeMap<String, String>,
        values: &Values,
        message: Option<&str>,
        rotation: Option<&rotation::Rotation>,
        at: OffsetDateTime,
    ) -> Alert {
        let sec = at.unix_timestamp();
        let mut labels = series_labels.clone();
        for (k, v) in &rule.labels {
            labels.insert(k.clone(), v.clone());
        }
        let message = match rule.kind {
            RuleKind::ShareOverBaseline { .. } => message.or_else(|| self.messages.rising(sec)),
            _ => self.messages.dominant(sec),
        };
        // Oldest first.
        let mut request_ids = self.request_ids.clone();
        if request_ids.len() == REQUEST_IDS {
            request_ids.rotate_left(self.next_request_id % REQUEST_IDS);
        }
        let facts = Facts {
            rule,
            labels: &labels,
            values,
            status: self.statuses.dominant(sec),
            error_type: self.error_types.dominant(sec),
            message,
            class: None,
            request_ids: &request_ids,
            rotation,
            since: at,
        };
        let (summary, description, runbook) = facts.render();
        Alert {
            at,
            rule: rule.name.clone(),
            state: AlertState::Firing,
            severity: rule.severity,
            labels,
            summary,
            description,
            starts_at: at,
            values: values.to_map(),
            request_ids,
            runbook,
        }
    }

    /// The firing alert turned into its resolve at `at`, carrying the incident's totals: how
    /// long it fired, how many matched calls came meanwhile, and the highest share it held at.
    fn resolve(&mut self, at: OffsetDateTime) -> Option<Alert> {
        let incident = std::mem::take(&mut self.incident);
        let mut a = self.alert.take()?;
        let lasted = (at - a.starts_at).max(TimeDuration::ZERO);
        let lasted_s = lasted.whole_seconds() as u64;
        let totals = render::incident_totals(lasted_s, incident.matched, incident.peak_share);
        a.summary = format!("Resolved: {} ({totals})", a.summary);
        a.description = format!("{} Resolved: {totals}.", a.description);
        a.values.insert("duration_s".into(), lasted_s as f64);
        a.values
            .insert("incident_count".into(), incident.matched as f64);
        if let Some(p) = incident.peak_share.filter(|p| p.is_finite()) {
            a.values.insert("peak_share".into(), p);
        }
        a.state = AlertState::Resolved;
        a.at = at;
        Some(a)
    }
}

impl Engine {
    pub fn new(rules: RuleSet) -> Engine {
        let mut groups: Vec<Group> = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            match groups.iter_mut().find(|g| g.fields == rule.group_by) {
                Some(g) => {
                    g.rules.push(i);
                    g.scopes.add(rule.scope);
                }
                None => {
                    let mut scopes = ScopeSet::default();
                    scopes.add(rule.scope);
                    groups.push(Group {
                        fields: rule.group_by.clone(),
                        rules: vec![i],
                        series: HashMap::new(),
                        scopes,
                    })
                }
            }
        }
        let horizon_s = rules
            .rules
            .iter()
            .map(|r| {
                let quiet = match r.kind {
                    RuleKind::Any { quiet_for } => quiet_for.as_secs(),
                    _ => 0,
                };
                r.kind.window().as_secs()
                    + r.pending_for.as_secs()
                    + r.keep_firing_for.as_secs()
                    + quiet
            })
            .max()
            .unwrap_or(0) as i64
            + ring::SLACK_S
            + 2;
        let baseline_s = rules
            .rules
            .iter()
            .filter_map(|r| match r.kind {
                RuleKind::ShareOverBaseline {
                    baseline_half_life, ..
                } => Some(baseline_half_life.as_secs() as i64 * 4),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let has_attempt_rules = rules.rules.iter().any(|r| r.scope == Scope::Attempts);
        Engine {
            rules,
            groups,
            rotations: Rotations::default(),
            eval_end: None,
            last_call: i64::MIN,
            horizon_s,
            gc_after_s: horizon_s.max(baseline_s),
            key_buf: String::new(),
            stats: EngineStats::default(),
            models: label_bound::LabelBound::new(callwatch_core::record::Limits::default().models),
            spend: spend::SpendState::default(),
            has_attempt_rules,
            message_memo: Default::default(),
        }
    }

    /// Prices calls with `config.prices` and judges runways against `config.budget` (without
    /// one, `credit_runway` rules stay quiet).
    pub fn with_spend(mut self, config: callwatch_core::cost::SpendConfig) -> Engine {
        self.spend = spend::SpendState::new(config);
        self
    }

    /// What the calls seen cost over `[from, to)`, to the minute; `None` past the spend ledger's
    /// two days (the computed side of the drift against billed spend).
    pub fn spent_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Option<f64> {
        self.spend
            .spent_between(from.unix_timestamp(), to.unix_timestamp())
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// The time up to which the engine has evaluated (seconds before it are complete).
    pub fn clock(&self) -> Option<OffsetDateTime> {
        self.eval_end.map(at_second)
    }

    /// Any line of an event log. A line carries the call only, so its last attempt stands for
    /// its attempts: attempt-scoped rules count it too (the live agent instead feeds every
    /// attempt with [`Engine::observe_attempt`] and each call with [`Engine::observe`]).
    pub fn observe_event(&mut self, event: &Event<'_>) -> Vec<Alert> {
        match event {
            Event::Call(call) => {
                // One pass for both scopes: each group's series is found once, not once per
                // scope, and the result is what a pass per scope gives.
                let scopes = ScopeSet {
                    calls: true,
                    attempts: self.has_attempt_rules,
                };
                self.observe_scoped(call, scopes)
            }
            Event::KeyRotated(r) => {
                self.key_rotated(r);
                Vec::new()
            }
            Event::CreditBalance(b) => {
                self.eval_end.get_or_insert(b.ts.unix_timestamp());
                self.spend.set_credit(b.balance_usd, b.ts);
                Vec::new()
            }
        }
    }

    /// An explicit key rotation.
    pub fn key_rotated(&mut self, rotation: &KeyRotation<'_>) {
        self.eval_end.get_or_insert(rotation.ts.unix_timestamp());
        self.rotations.explicit(&rotation.key_id, rotation.ts);
    }

    /// One finished call (for rules of `scope: calls`). Returns the `any` rules it fired (at
    /// the call's time).
    pub fn observe(&mut self, call: &CallEvent<'_>) -> Vec<Alert> {
        self.observe_scoped(call, ScopeSet::only(Scope::Calls))
    }

    /// One finished HTTP attempt, as the call it belongs to would look had it ended there (for
    /// rules of `scope: attempts`): a 429 that a retry will absorb is counted when it happens.
    pub fn observe_attempt(&mut self, attempt: &CallEvent<'_>) -> Vec<Alert> {
        if !self.has_attempt_rules {
            return Vec::new();
        }
        self.observe_scoped(attempt, ScopeSet::only(Scope::Attempts))
    }

    /// The call counted by the rules of `scopes`; the alerts of call-scoped rules come before
    /// those of attempt-scoped ones, and every counter moves once per scope, as when each
    /// scope was a pass of its own.
    fn observe_scoped(&mut self, call: &CallEvent<'_>, scopes: ScopeSet) -> Vec<Alert> {
        // Priced under its own model name, before a model past the bound becomes `_overflow`;
        // an attempt is not spend of its own (its call is priced when it ends).
        let call_usd = if scopes.calls {
            self.spend.observe(call)
        } else {
            Default::default()
        };
        let overflowed;
        let call = match call.model.as_deref() {
            Some(model) if !self.models.admits(model) => {
                self.stats.model_overflow += scopes.count();
                overflowed = CallEvent {
                    model: Some(std::borrow::Cow::Borrowed(
                        callwatch_core::names::OVERFLOW_VALUE,
                    )),
                    ..call.clone()
                };
                &overflowed
            }
            _ => call,
        };
        let sec = call.ts.unix_timestamp();
        let eval_end = *self.eval_end.get_or_insert(sec);
        self.last_call = self.last_call.max(sec);
        if scopes.calls {
            self.stats.calls += 1;
            if let Some(key) = call.key_id.as_deref() {
                self.rotations.observe_key_at(key, call.ts, sec);
            }
        }
        let mut fired = Vec::new();
        let mut fired_attempts = Vec::new();
        let mut late = ScopeSet::default();
        let Engine {
            rules,
            groups,
            key_buf,
            stats,
            rotations,
            message_memo,
            ..
        } = self;
        // Normalised once for every rule (the memo makes a repeated message cheap).
        let normalised = call.message.as_deref().map(|m| message_memo.normalise(m));
        for group in groups.iter_mut() {
            let here = group.scopes.and(scopes);
            if here.count() == 0 {
                continue;
            }
            key_buf.clear();
            for &field in &group.fields {
                key_buf.push('\u{1f}');
                match field {
                    GroupField::Status => {
                        if let Some(s) = call.status {
                            push_decimal(key_buf, s);
                        }
                    }
                    GroupField::Class => key_buf.push_str(call.class.as_str()),
                    GroupField::Provider => key_buf.push_str(call.provider.as_str()),
                    _ => match field_value_ref(field, call) {
                        Some(v) => key_buf.push_str(v),
                        None => match field_value(field, call) {
                            Some(v) => key_buf.push_str(&v),
                            None => key_buf.push('\u{0}'),
                        },
                    },
                }
            }
            // Room is made before the lookup (rarely needed) so that the lookup itself is one
            // probe of the table, whether the series exists or is created.
            if group.series.len() >= MAX_SERIES_PER_GROUP
                && !group.series.contains_key(key_buf.as_str())
            {
                let evicted = evict_idle(&mut group.series, EVICT_BATCH);
                if evicted > 0 {
                    if stats.series_evicted == 0 {
                        tracing::warn!(
                            limit = MAX_SERIES_PER_GROUP,
                            "callwatch: rules engine series limit reached; idle series are \
                             evicted to make room (many distinct key ids or models?)"
                        );
                    }
                    stats.series_evicted += evicted as u64;
                }
            }
            let full = group.series.len() >= MAX_SERIES_PER_GROUP;
            let series = match group.series.entry_ref(key_buf.as_str()) {
                EntryRef::Occupied(series) => series.into_mut(),
                EntryRef::Vacant(_) if full => {
                    // Refused once per scope, as a pass per scope refused it.
                    for _ in 0..here.count() {
                        stats.series_overflow += 1;
                        if stats.series_overflow.is_power_of_two() {
                            tracing::warn!(
                                refused = stats.series_overflow,
                                limit = MAX_SERIES_PER_GROUP,
                                "callwatch: rules engine series limit reached with every \
                                 series active; calls of new series are not evaluated"
                            );
                        }
                    }
                    continue;
                }
                EntryRef::Vacant(slot) => {
                    let labels = group
                        .fields
                        .iter()
                        .filter_map(|&f| field_value(f, call).map(|v| (f.as_str().to_string(), v)))
                        .collect();
                    let states = group
                        .rules
                        .iter()
                        .map(|&i| RuleState::new(&rules.rules[i], eval_end))
                        .collect();
                    slot.insert(Series {
                        labels,
                        states,
                        last_seen: sec,
                    })
                }
            };
            series.last_seen = series.last_seen.max(sec);
            for (pos, &rule_index) in group.rules.iter().enumerate() {
                let rule = &rules.rules[rule_index];
                if !here.has(rule.scope) {
                    continue;
                }
                let state = &mut series.states[pos];
                let matched = rule.matcher.matches(call);
                let usd = match rule.scope {
                    Scope::Calls => call_usd,
                    Scope::Attempts => Default::default(),
                };
                if !state.detector.add(sec, matched, call, usd, normalised) {
                    late.add(rule.scope);
                }
                if !matched {
                    continue;
                }
                let any = matches!(rule.kind, RuleKind::Any { .. });
                state.note_match(call, sec, normalised, any);
                if any && !state.phase.is_firing() {
                    let values = Values {
                        count: Some(1),
                        ..Values::default()
                    };
                    let alert = state.alert(
                        rule,
                        &series.labels,
                        &values,
                        None,
                        rotations.last(),
                        call.ts,
                    );
                    state.phase = Phase::Firing { last_true: call.ts };
                    state.incident.matched = 1;
                    state.alert = Some(alert.clone());
                    match rule.scope {
                        Scope::Calls => fired.push(alert),
                        Scope::Attempts => fired_attempts.push(alert),
                    }
                }
            }
        }
        self.stats.late_calls += late.count();
        fired.extend(fired_attempts);
        fired
    }

    /// Evaluates every second boundary up to `now` (event time in replay and tests).
    pub fn tick(&mut self, now: OffsetDateTime) -> Vec<Alert> {
        let target = now.unix_timestamp();
        let mut out = Vec::new();
        let Some(mut end) = self.eval_end else {
            self.eval_end = Some(target);
            return out;
        };
        while end < target {
            if end.saturating_sub(self.last_call) > self.horizon_s && !self.any_active() {
                // Nothing happened for longer than any rule looks back: jump.
                end = target;
                self.advance_all(end);
                self.gc(end);
                break;
            }
            end += 1;
            self.evaluate_at(end, &mut out);
            if end % 60 == 0 {
                self.gc(end);
            }
        }
        self.eval_end = Some(end);
        out
    }

    fn any_active(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| g.series.values())
            .flat_map(|s| s.states.iter())
            .any(|st| st.phase.is_active())
    }

    fn advance_all(&mut self, end: i64) {
        for group in &mut self.groups {
            for series in group.series.values_mut() {
                for (pos, &i) in group.rules.iter().enumerate() {
                    series.states[pos]
                        .detector
                        .advance(&self.rules.rules[i].kind, end, false);
                }
            }
        }
    }

    fn gc(&mut self, end: i64) {
        let after = self.gc_after_s;
        for group in &mut self.groups {
            group.series.retain(|_, s| {
                end - s.last_seen <= after || s.states.iter().any(|st| st.phase.is_active())
            });
        }
    }

    fn evaluate_at(&mut self, end: i64, out: &mut Vec<Alert>) {
        let at = at_second(end);
        let Engine {
            rules,
            groups,
            rotations,
            spend,
            ..
        } = self;
        for group in groups.iter_mut() {
            for series in group.series.values_mut() {
                for (pos, &rule_index) in group.rules.iter().enumerate() {
                    let rule = &rules.rules[rule_index];
                    let state = &mut series.states[pos];
                    if let RuleKind::Any { quiet_for } = rule.kind {
                        // `None` past year 9999: a billing call stamped at the end of time never goes quiet.
                        let quiet_until = state
                            .last_match
                            .and_then(|t| t.at.checked_add(std_to_time(quiet_for)));
                        if let (true, Some(until)) = (state.phase.is_firing(), quiet_until) {
                            if until <= at {
                                state.phase = Phase::Inactive;
                                out.extend(state.resolve(until));
                            }
                        }
                        continue;
                    }
                    let firing = state.phase.is_firing();
                    state.detector.advance(&rule.kind, end, firing);
                    let verdict =
                        state
                            .detector
                            .verdict(&rule.kind, end, firing, rotations.last(), spend);
                    let step = state.phase.step(
                        verdict.holds,
                        at,
                        std_to_time(rule.pending_for),
                        std_to_time(rule.keep_firing_for),
                    );
                    match step {
                        Step::None => {}
                        Step::Fire => {
                            state.detector.on_fire(&rule.kind, &verdict);
                            state.incident = Incident::default();
                            let alert = state.alert(
                                rule,
                                &series.labels,
                                &verdict.values,
                                state.detector.message(&verdict),
                                rotations.last(),
                                at,
                            );
                            state.alert = Some(alert.clone());
                            out.push(alert);
                        }
                        Step::Resolve => {
                            state.detector.on_resolve();
                            out.extend(state.resolve(at));
                        }
                    }
                    if state.phase.is_firing() {
                        note_peak(&mut state.incident, &verdict);
                    }
                }
            }
        }
    }

    /// Alerts firing now (their firing transition), for a live view.
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.groups
            .iter()
            .flat_map(|g| g.series.values())
            .flat_map(|s| s.states.iter())
            .filter_map(|st| st.alert.as_ref())
    }

    /// Pending and firing instances (pending ones are not emitted as alerts).
    pub fn active(&self) -> Vec<ActiveInstance> {
        let mut out = Vec::new();
        for group in &self.groups {
            for series in group.series.values() {
                for (pos, &i) in group.rules.iter().enumerate() {
                    let st = &series.states[pos];
                    if !st.phase.is_active() {
                        continue;
                    }
                    let rule = &self.rules.rules[i];
                    let mut labels = series.labels.clone();
                    labels.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                    out.push(ActiveInstance {
                        rule: rule.name.clone(),
                        labels,
                        firing: st.phase.is_firing(),
                    });
                }
            }
        }
        out
    }
}

fn note_peak(incident: &mut Incident, verdict: &Verdict) {
    if let Some(share) = verdict.values.share.filter(|s| s.is_finite()) {
        incident.peak_share = Some(incident.peak_share.map_or(share, |p| p.max(share)));
    }
}

/// Borrowed group-by value where no conversion is needed (the hot path's common case).
fn field_value_ref<'e>(field: GroupField, call: &'e CallEvent<'_>) -> Option<&'e str> {
    match field {
        GroupField::Model => call.model.as_deref(),
        GroupField::KeyId => call.key_id.as_deref(),
        GroupField::Operation => call.operation.as_deref(),
        GroupField::ErrorType => call
            .error_type
            .as_deref()
            .or_else(|| error_type_of_class(call.class)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_rules;
    use time::macros::datetime;

    #[test]
    fn rate_limit_pressure_counts_429_attempts_that_retries_absorbed() {
        let mut e = Engine::new(default_rules());
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let with_model = |mut c: CallEvent<'static>| {
            c.model = Some("m".into());
            c
        };
        // Two minutes of 2 calls a second, each a 429 attempt and then a 200 attempt: every
        // call succeeds, half the attempts were rate limited.
        for s in 0..120 {
            let t = t0 + TimeDuration::seconds(s);
            e.tick(t);
            for _ in 0..2 {
                let limited = with_model(CallEvent::new(t, Some(429), Some("rate_limit_error")));
                let ok = with_model(CallEvent::new(t, Some(200), None));
                e.observe_attempt(&limited);
                e.observe_attempt(&ok);
                e.observe(&ok);
            }
        }
        e.tick(t0 + TimeDuration::seconds(121));
        let firing: Vec<&str> = e.firing().map(|a| a.rule.as_str()).collect();
        assert_eq!(firing, ["RateLimitPressure"], "{firing:?}");
        assert_eq!(e.stats().calls, 240, "attempts are not counted as calls");
    }

    #[test]
    fn a_call_ending_in_429_alone_does_not_feed_an_attempt_scoped_rule_live() {
        let mut e = Engine::new(default_rules());
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        for s in 0..120 {
            let t = t0 + TimeDuration::seconds(s);
            e.tick(t);
            let mut c = CallEvent::new(t, Some(429), Some("rate_limit_error"));
            c.model = Some("m".into());
            e.observe(&c);
        }
        e.tick(t0 + TimeDuration::seconds(121));
        assert_eq!(e.firing().count(), 0);
    }

    #[test]
    fn ticks_without_calls_and_huge_gaps_do_not_panic() {
        let mut e = Engine::new(default_rules());
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        assert!(e.tick(t0).is_empty());
        assert!(e.tick(t0 + TimeDuration::days(400)).is_empty());
        e.key_rotated(&KeyRotation {
            ts: t0,
            key_id: "k-1".into(),
        });
        let call = CallEvent::new(t0 + TimeDuration::days(401), Some(200), None);
        assert!(e.observe(&call).is_empty());
        assert!(e.tick(t0 + TimeDuration::days(800)).is_empty());
        assert_eq!(e.firing().count(), 0);
    }

    #[test]
    fn any_rule_fires_at_the_call_and_resolves_after_quiet() {
        let mut e = Engine::new(default_rules());
        let t0 = datetime!(2026-11-20 08:00:00.250 UTC);
        let billing = CallEvent::new(t0, Some(403), Some("billing_error"));
        let fired = e.observe(&billing);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].at, t0);
        assert_eq!(fired[0].labels["error_type"], "billing_error");
        assert_eq!(e.firing().count(), 1);
        assert!(e.tick(t0 + TimeDuration::minutes(9)).is_empty());
        let resolved = e.tick(t0 + TimeDuration::minutes(11));
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].state, AlertState::Resolved);
        assert_eq!(resolved[0].at, t0 + TimeDuration::minutes(10));
        let perm = CallEvent::new(
            t0 + TimeDuration::minutes(12),
            Some(403),
            Some("permission_error"),
        );
        assert!(e.observe(&perm).is_empty());
    }

    #[test]
    fn a_call_stamped_at_the_end_of_time_does_not_panic() {
        // The billing `any` rule's quiet deadline (+10m) lies past year 9999 (fuzzing found it).
        let mut e = Engine::new(default_rules());
        let t = datetime!(9999-12-31 23:59:00 UTC);
        assert_eq!(
            e.observe(&CallEvent::new(t, Some(403), Some("billing_error")))
                .len(),
            1
        );
        assert!(e.tick(t + TimeDuration::seconds(59)).is_empty());
        assert_eq!(e.firing().count(), 1);
    }

    #[test]
    fn a_full_group_evicts_idle_series_and_counts_refusals_only_when_all_are_active() {
        let rules = crate::load_rules(
            "r.yaml",
            "rules:\n  - name: PerKey\n    kind: any\n    quiet_for: 1h\n    match:\n      classes: [billing]\n    group_by: [key_id]\n",
        )
        .unwrap();
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let call = |key: String, billing: bool| {
            let mut c = if billing {
                CallEvent::new(t0, Some(402), Some("billing_error"))
            } else {
                CallEvent::new(t0, Some(200), None)
            };
            c.key_id = Some(key.into());
            c
        };
        // Idle series: room is made for a new one.
        let mut e = Engine::new(rules.clone());
        for i in 0..MAX_SERIES_PER_GROUP {
            e.observe(&call(format!("k-{i}"), false));
        }
        assert_eq!(e.observe(&call("k-new".into(), true)).len(), 1);
        assert_eq!(e.stats().series_evicted, EVICT_BATCH as u64);
        assert_eq!(e.stats().series_overflow, 0);
        // Every series firing: nothing may be evicted, the call is refused and counted.
        let mut e = Engine::new(rules);
        for i in 0..MAX_SERIES_PER_GROUP {
            e.observe(&call(format!("k-{i}"), true));
        }
        assert!(e.observe(&call("k-new".into(), true)).is_empty());
        assert_eq!(e.stats().series_overflow, 1);
        assert_eq!(e.stats().series_evicted, 0);
    }
}
