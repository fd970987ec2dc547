//! The route tree, as Alertmanager walks it: matchers (all four operators, regexes anchored),
//! `continue`, nested routes with inherited settings, per-route timing, and inhibition across
//! receivers. Deterministic: every `now` is explicit.

mod notify_support;

use std::time::Duration;

use callwatch_core::alert::Severity;
use callwatch_notify::router::InhibitRule;
use callwatch_notify::{Matcher, Route, Router, RouterConfig};
use notify_support::{firing, resolved, T0};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn m(text: &str) -> Vec<Matcher> {
    Matcher::parse_list(text).unwrap()
}

fn root(receiver: &str) -> Route {
    Route {
        receiver: receiver.into(),
        group_wait: secs(10),
        group_interval: secs(60),
        repeat_interval: secs(3600),
        ..Route::default()
    }
}

fn router(route: Route) -> Router {
    Router::new(RouterConfig {
        route,
        inhibit: Vec::new(),
        ..RouterConfig::default()
    })
}

fn critical(rule: &str, labels: &[(&str, &str)]) -> callwatch_core::alert::Alert {
    let mut a = firing(rule, labels, T0);
    a.severity = Severity::Critical;
    a
}

#[test]
fn all_four_operators_match_as_alertmanager_does() {
    let a = firing(
        "RateLimitPressure",
        &[("model", "claude-haiku-4-5"), ("key_id", "k-1")],
        T0,
    );
    let routes = |matchers: &str| {
        let mut r = root("default");
        r.routes.push(r.child(m(matchers), "hit"));
        router(r).receivers_for(&a)
    };
    assert_eq!(routes(r#"alertname="RateLimitPressure""#), ["hit"]);
    assert_eq!(routes(r#"alertname!="RateLimitPressure""#), ["default"]);
    assert_eq!(routes(r#"model=~"claude-haiku.*""#), ["hit"]);
    assert_eq!(routes(r#"model!~"claude-haiku.*""#), ["default"]);
    // A label the alert lacks is the empty string: `!=` matches, `=~".+"` does not.
    assert_eq!(routes(r#"team!="billing""#), ["hit"]);
    assert_eq!(routes(r#"team=~".+""#), ["default"]);
    assert_eq!(routes(r#"team="""#), ["hit"]);
    // Several in one string, in braces, all must match.
    assert_eq!(
        routes(r#"{severity="warning", key_id=~"k-[0-9]+"}"#),
        ["hit"]
    );
    assert_eq!(routes(r#"{severity="warning", key_id="k-2"}"#), ["default"]);
}

#[test]
fn regexes_are_anchored_at_both_ends() {
    let a = firing("ServerErrorSpike", &[("model", "claude-sonnet-4-6")], T0);
    let hit = |re: &str| {
        let mut r = root("default");
        r.routes.push(r.child(m(&format!("model=~{re:?}")), "hit"));
        router(r).receivers_for(&a) == ["hit"]
    };
    assert!(!hit("sonnet"), "a substring does not match: ^(?:…)$");
    assert!(!hit("claude"), "a prefix does not match");
    assert!(!hit("4-6"), "a suffix does not match");
    assert!(hit(".*sonnet.*"));
    assert!(
        hit("claude-sonnet-4-6|other"),
        "alternation inside the group"
    );
    assert!(!hit("claude-sonnet-4-6x|x"), "each branch anchored");
    let negated = |re: &str| {
        let mut r = root("default");
        r.routes.push(r.child(m(&format!("model!~{re:?}")), "hit"));
        router(r).receivers_for(&a) == ["hit"]
    };
    assert!(
        negated("sonnet"),
        "!~ a substring: the anchored regex fails, so it matches"
    );
    assert!(!negated("claude-.*"));
}

#[test]
fn continue_sends_to_every_matching_sibling_and_stops_otherwise() {
    let mut r = root("fallback");
    let mut page = r.child(m(r#"severity="critical""#), "pager");
    page.continue_matching = true;
    let billing = r.child(m(r#"alertname="BillingOutage""#), "billing");
    let chat = r.child(vec![], "chat");
    let never = r.child(vec![], "never");
    r.routes = vec![page, billing, chat, never];
    let r = router(r);
    assert_eq!(
        r.receivers_for(&critical("BillingOutage", &[])),
        ["pager", "billing"],
        "continue on pager, then the first match stops the walk"
    );
    assert_eq!(
        r.receivers_for(&critical("ServerErrorSpike", &[])),
        ["pager", "chat"]
    );
    assert_eq!(
        r.receivers_for(&firing("LatencyP99High", &[], T0)),
        ["chat"],
        "a warning never reaches the pager"
    );
}

#[test]
fn the_root_receives_only_what_no_child_matches() {
    let mut r = root("fallback");
    let mut only = r.child(m(r#"model="a""#), "a-team");
    only.continue_matching = true;
    r.routes = vec![only];
    let r = router(r);
    assert_eq!(
        r.receivers_for(&firing("X", &[("model", "a")], T0)),
        ["a-team"]
    );
    assert_eq!(
        r.receivers_for(&firing("X", &[("model", "b")], T0)),
        ["fallback"]
    );
}

#[test]
fn nested_routes_match_depth_first_and_inherit_from_their_parent() {
    let mut r = root("fallback");
    let mut secrets = r.child(m(r#"alertname="AuthFailuresAfterKeyRotation""#), "secrets");
    secrets.group_by = vec!["alertname".into(), "key_id".into()];
    let prod_key = secrets.child(m(r#"key_id=~"k-prod.*""#), "secrets-prod");
    secrets.routes = vec![prod_key];
    r.routes = vec![secrets];
    assert_eq!(
        r.routes[0].routes[0].group_by,
        ["alertname", "key_id"],
        "a child inherits grouping"
    );
    let mut rt = router(r);
    let prod = critical("AuthFailuresAfterKeyRotation", &[("key_id", "k-prod-1")]);
    let staging = critical("AuthFailuresAfterKeyRotation", &[("key_id", "k-stg-1")]);
    assert_eq!(rt.receivers_for(&prod), ["secrets-prod"]);
    assert_eq!(
        rt.receivers_for(&staging),
        ["secrets"],
        "no child matched: the parent itself"
    );
    rt.push(prod, T0);
    rt.push(staging, T0);
    let out = rt.flush_due(T0);
    let keys: Vec<(&str, &str)> = out
        .iter()
        .map(|n| (n.receiver.as_str(), n.group_key.as_str()))
        .collect();
    assert!(
        keys.contains(&(
            "secrets-prod",
            r#"{}/{alertname="AuthFailuresAfterKeyRotation"}/{key_id=~"k-prod.*"}:{alertname="AuthFailuresAfterKeyRotation",key_id="k-prod-1"}"#
        )),
        "Alertmanager's groupKey: route key, then the group labels: {keys:?}"
    );
    assert_eq!(out.len(), 2);
}

#[test]
fn each_route_keeps_its_own_group_wait_interval_and_repeat() {
    let mut r = root("slow");
    r.group_wait = secs(60);
    let mut fast = r.child(m(r#"alertname="RateLimitPressure""#), "fast");
    fast.continue_matching = true;
    fast.group_wait = secs(5);
    fast.group_interval = secs(20);
    fast.repeat_interval = secs(100);
    let slow = r.child(vec![], "slow");
    r.routes = vec![fast, slow];
    let mut rt = router(r);
    let a = firing("RateLimitPressure", &[("model", "m")], T0);
    rt.push(a.clone(), T0);
    let at = |rt: &mut Router, s: u64| -> Vec<String> {
        rt.flush_due(T0 + secs(s))
            .into_iter()
            .map(|n| n.receiver)
            .collect()
    };
    let none = Vec::<String>::new();
    assert_eq!(at(&mut rt, 4), none);
    assert_eq!(at(&mut rt, 5), ["fast"], "the fast route's group_wait");
    assert_eq!(
        at(&mut rt, 59),
        none,
        "fast has nothing new (its timer moves to 79)"
    );
    assert_eq!(at(&mut rt, 60), ["slow"], "the slow route's group_wait");
    // A second alert joins both groups; each tells at its own group_interval.
    rt.push(
        firing("RateLimitPressure", &[("model", "n")], T0 + secs(61)),
        T0 + secs(61),
    );
    assert_eq!(at(&mut rt, 78), none);
    assert_eq!(at(&mut rt, 79), ["fast"], "fast: 20s after its last look");
    assert_eq!(at(&mut rt, 119), none);
    assert_eq!(at(&mut rt, 120), ["slow"], "slow: the root's 60s");
    // Nothing new: fast repeats once 100s have passed since its last send (at 79), at its
    // first look after that; slow's repeat (1h) is far off.
    assert_eq!(at(&mut rt, 178), none);
    let repeat = rt.flush_due(T0 + secs(198));
    assert_eq!(repeat.len(), 1);
    assert!(repeat[0].repeat && repeat[0].receiver == "fast");
    // The resolution reaches both receivers.
    rt.push(resolved(&a, T0 + secs(200)), T0 + secs(200));
    let mut both = at(&mut rt, 300);
    both.sort();
    assert_eq!(both, ["fast", "slow"]);
}

#[test]
fn inhibition_works_across_receivers() {
    // BillingOutage goes to `billing`, ServerErrorSpike to `oncall`: a firing billing outage
    // still mutes the spike it causes, though the two never share a group or a receiver.
    let mut r = root("fallback");
    let billing = r.child(m(r#"alertname="BillingOutage""#), "billing");
    let oncall = r.child(m(r#"alertname="ServerErrorSpike""#), "oncall");
    r.routes = vec![billing, oncall];
    let mut rt = Router::new(RouterConfig {
        route: r,
        inhibit: vec![InhibitRule {
            source: m(r#"alertname="BillingOutage""#),
            target: m(r#"alertname="ServerErrorSpike""#),
            equal: vec![],
        }],
        ..RouterConfig::default()
    });
    let outage = critical("BillingOutage", &[]);
    rt.push(outage.clone(), T0);
    rt.push(firing("ServerErrorSpike", &[("model", "m")], T0), T0);
    let out = rt.flush_due(T0 + secs(10));
    let receivers: Vec<&str> = out.iter().map(|n| n.receiver.as_str()).collect();
    assert_eq!(receivers, ["billing"], "the spike is inhibited: {out:?}");
    assert_eq!(rt.stats().inhibited, 1);
    // The outage resolves: the spike, still firing, reaches on-call at its next flush.
    rt.push(resolved(&outage, T0 + secs(20)), T0 + secs(20));
    let out = rt.flush_due(T0 + secs(200));
    let mut receivers: Vec<&str> = out.iter().map(|n| n.receiver.as_str()).collect();
    receivers.sort_unstable();
    assert_eq!(receivers, ["billing", "oncall"]);
}

#[test]
fn mute_and_active_time_intervals_defer_a_routes_notifications() {
    use callwatch_notify::router::TimeInterval;
    // T0 is 2026-11-20 12:00 UTC, a Friday.
    let lunch = TimeInterval {
        times: vec![(12 * 60, 13 * 60)],
        ..TimeInterval::default()
    };
    let weekend = TimeInterval {
        weekdays: vec![(6, 6), (0, 0)],
        ..TimeInterval::default()
    };
    let mut r = root("fallback");
    let mut muted = r.child(m(r#"alertname="RateLimitPressure""#), "muted-at-lunch");
    muted.mute_time_intervals = vec!["lunch".into()];
    muted.continue_matching = true;
    let mut weekends = r.child(vec![], "weekends-only");
    weekends.active_time_intervals = vec!["weekend".into()];
    r.routes = vec![muted, weekends];
    let mut rt = Router::new(RouterConfig {
        route: r,
        inhibit: Vec::new(),
        time_intervals: [
            ("lunch".to_string(), vec![lunch]),
            ("weekend".to_string(), vec![weekend]),
        ]
        .into(),
        ..RouterConfig::default()
    });
    rt.push(firing("RateLimitPressure", &[], T0), T0);
    assert!(
        rt.flush_due(T0 + secs(10)).is_empty(),
        "lunch, and not the weekend"
    );
    assert_eq!(rt.stats().deferred, 2);
    // 13:00: lunch is over; the weekend-only route still waits.
    let out = rt.flush_due(T0 + secs(3600));
    let receivers: Vec<&str> = out.iter().map(|n| n.receiver.as_str()).collect();
    assert_eq!(receivers, ["muted-at-lunch"]);
    assert_eq!(
        out[0].alerts.len(),
        1,
        "what the muted flush held is sent, not lost"
    );
    // Saturday: the weekend route tells what it held.
    let saturday = T0 + secs(86_400);
    let out = rt.flush_due(saturday);
    let receivers: Vec<&str> = out.iter().map(|n| n.receiver.as_str()).collect();
    assert_eq!(receivers, ["weekends-only"]);
}
