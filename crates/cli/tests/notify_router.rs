//! Router behaviour in router time: grouping, digest, dedup, repeat, inhibition, silences,
//! resolutions. Deterministic: every `now` is explicit.

mod notify_support;

use std::time::Duration;

use callwatch_core::alert::AlertState;
use callwatch_notify::{Matcher, Route, Router, RouterConfig};
use notify_support::{firing, resolved, T0};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn router() -> Router {
    Router::new(RouterConfig {
        route: Route {
            group_wait: secs(30),
            group_interval: secs(300),
            repeat_interval: secs(3600),
            ..Route::default()
        },
        ..RouterConfig::default()
    })
}

#[test]
fn a_storm_of_300_alerts_is_one_digest_after_group_wait() {
    let mut r = router();
    for i in 0..300 {
        let model = format!("model-{i}");
        r.push(firing("ServerErrorSpike", &[("model", &model)], T0), T0);
    }
    assert!(
        r.flush_due(T0 + secs(29)).is_empty(),
        "nothing before group_wait"
    );
    let out = r.flush_due(T0 + secs(30));
    assert_eq!(out.len(), 1, "one message for the storm");
    assert_eq!(out[0].alerts.len(), 300);
    assert_eq!(
        out[0].group_labels.get("alertname").map(String::as_str),
        Some("ServerErrorSpike")
    );
    assert_eq!(out[0].receiver, "callwatch");
}

#[test]
fn group_by_alertname_and_model_makes_one_group_per_model() {
    let mut r = Router::new(RouterConfig {
        route: Route {
            group_by: vec!["alertname".into(), "model".into()],
            group_wait: secs(30),
            ..Route::default()
        },
        ..RouterConfig::default()
    });
    for model in ["a", "b", "a"] {
        r.push(
            firing(
                "ServerErrorSpike",
                &[("model", model), ("region", model)],
                T0,
            ),
            T0,
        );
    }
    let out = r.flush_due(T0 + secs(30));
    assert_eq!(out.len(), 2);
    let models: Vec<_> = out
        .iter()
        .map(|n| n.group_labels["model"].clone())
        .collect();
    assert_eq!(models, ["a", "b"]);
    assert_eq!(
        out[0].alerts.len(),
        1,
        "the duplicate firing of model a is deduped"
    );
}

#[test]
fn a_notified_firing_alert_is_not_resent_until_repeat_interval() {
    let mut r = router();
    let a = firing("ServerErrorSpike", &[("model", "m")], T0);
    r.push(a.clone(), T0);
    assert_eq!(r.flush_due(T0 + secs(30)).len(), 1);
    // The engine says it again: same instance, same start.
    r.push(a.clone(), T0 + secs(60));
    assert!(
        r.flush_due(T0 + secs(330)).is_empty(),
        "deduped at the next group tick"
    );
    assert!(r.flush_due(T0 + secs(3000)).is_empty());
    let repeat = r.flush_due(T0 + secs(30 + 300 * 12));
    assert_eq!(repeat.len(), 1, "re-sent once repeat_interval passed");
    assert!(repeat[0].repeat);
    assert_eq!(repeat[0].alerts, vec![a]);
}

#[test]
fn a_new_alert_joining_a_notified_group_waits_for_group_interval_and_comes_alone() {
    let mut r = router();
    r.push(firing("ServerErrorSpike", &[("model", "a")], T0), T0);
    assert_eq!(r.flush_due(T0 + secs(30)).len(), 1);
    let b = firing("ServerErrorSpike", &[("model", "b")], T0 + secs(40));
    r.push(b.clone(), T0 + secs(40));
    assert!(
        r.flush_due(T0 + secs(100)).is_empty(),
        "group_interval not over"
    );
    let out = r.flush_due(T0 + secs(330));
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].alerts,
        vec![b],
        "only the change, not the already-notified alert"
    );
}

#[test]
fn resolution_of_a_notified_alert_is_sent_once() {
    let mut r = router();
    let a = firing("ServerErrorSpike", &[("model", "m")], T0);
    r.push(a.clone(), T0);
    r.flush_due(T0 + secs(30));
    r.push(resolved(&a, T0 + secs(100)), T0 + secs(100));
    let out = r.flush_due(T0 + secs(330));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].alerts.len(), 1);
    assert_eq!(out[0].alerts[0].state, AlertState::Resolved);
    assert_eq!(out[0].status(), AlertState::Resolved);
    assert!(
        r.flush_due(T0 + secs(10_000)).is_empty(),
        "group gone, nothing repeats"
    );
}

#[test]
fn an_alert_that_fires_and_resolves_within_group_wait_is_told_in_one_message() {
    let mut r = router();
    let a = firing("ServerErrorSpike", &[("model", "m")], T0);
    r.push(a.clone(), T0);
    r.push(resolved(&a, T0 + secs(10)), T0 + secs(10));
    let out = r.flush_due(T0 + secs(30));
    assert_eq!(out.len(), 1);
    let states: Vec<_> = out[0].alerts.iter().map(|a| a.state).collect();
    assert_eq!(states, [AlertState::Firing, AlertState::Resolved]);
}

#[test]
fn billing_outage_inhibits_server_errors_and_permission_noise_but_not_auth() {
    let mut r = router();
    r.push(
        firing("BillingOutage", &[("error_type", "billing_error")], T0),
        T0,
    );
    let spike = firing("ServerErrorSpike", &[("model", "m")], T0);
    r.push(spike.clone(), T0);
    r.push(
        firing("PermissionDenied", &[("class", "permission")], T0),
        T0,
    );
    r.push(
        firing("AuthFailuresAfterKeyRotation", &[("key_id", "k-1")], T0),
        T0,
    );
    let out = r.flush_due(T0 + secs(30));
    let rules: Vec<_> = out
        .iter()
        .flat_map(|n| n.alerts.iter().map(|a| a.rule.clone()))
        .collect();
    assert_eq!(rules, ["AuthFailuresAfterKeyRotation", "BillingOutage"]);
    assert!(r.stats().inhibited >= 2);

    // The outage ends: the spike it was hiding is news now.
    let billing = firing("BillingOutage", &[("error_type", "billing_error")], T0);
    r.push(resolved(&billing, T0 + secs(60)), T0 + secs(60));
    let out = r.flush_due(T0 + secs(330));
    let spike_msgs: Vec<_> = out
        .iter()
        .filter(|n| n.alerts.iter().any(|a| a.rule == "ServerErrorSpike"))
        .collect();
    assert_eq!(spike_msgs.len(), 1);
    assert_eq!(spike_msgs[0].alerts, vec![spike]);
}

#[test]
fn an_alert_never_inhibits_itself() {
    let mut r = Router::new(RouterConfig {
        route: Route {
            group_wait: secs(1),
            ..Route::default()
        },
        inhibit: vec![callwatch_notify::router::InhibitRule {
            source: vec![Matcher::parse("severity=warning").unwrap()],
            target: vec![Matcher::parse("severity=warning").unwrap()],
            equal: vec!["model".into()],
        }],
        ..RouterConfig::default()
    });
    r.push(firing("ServerErrorSpike", &[("model", "m")], T0), T0);
    assert_eq!(r.flush_due(T0 + secs(1)).len(), 1);
}

#[test]
fn a_silenced_alert_is_notified_once_the_silence_expires() {
    let mut r = router();
    let until = T0 + secs(600);
    r.silence(
        vec![Matcher::parse(r#"alertname="BadRequestBaselineRising""#).unwrap()],
        until,
        "deploy",
    );
    let a = firing(
        "BadRequestBaselineRising",
        &[("message", "roles must alternate")],
        T0,
    );
    r.push(a.clone(), T0);
    assert!(r.flush_due(T0 + secs(30)).is_empty(), "silenced");
    assert!(r.flush_due(T0 + secs(330)).is_empty(), "still silenced");
    assert_eq!(r.stats().silenced, 2);
    let out = r.flush_due(T0 + secs(630));
    assert_eq!(out.len(), 1, "silence expired at T0+600");
    assert_eq!(out[0].alerts, vec![a]);
    assert!(r.silences().is_empty(), "expired silences are purged");
}

#[test]
fn a_silenced_alert_that_resolves_is_never_told() {
    let mut r = router();
    let id = r.silence(
        vec![Matcher::parse("alertname=ServerErrorSpike").unwrap()],
        T0 + secs(3600),
        "known",
    );
    let a = firing("ServerErrorSpike", &[], T0);
    r.push(a.clone(), T0);
    assert!(r.flush_due(T0 + secs(30)).is_empty());
    r.push(resolved(&a, T0 + secs(60)), T0 + secs(60));
    assert!(r.flush_due(T0 + secs(330)).is_empty());
    assert!(r.expire_silence(&id));
    assert!(!r.expire_silence(&id));
}

#[test]
fn a_resolution_for_an_alert_from_before_a_restart_is_forwarded() {
    let mut r = router();
    let a = firing("ServerErrorSpike", &[], T0);
    r.push(resolved(&a, T0 + secs(5)), T0 + secs(5));
    let out = r.flush_due(T0 + secs(35));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].alerts[0].state, AlertState::Resolved);
}

#[test]
fn flush_all_ignores_timers_and_ids_are_stable() {
    let mut r = router();
    let mut r2 = router();
    for rr in [&mut r, &mut r2] {
        rr.push(firing("ServerErrorSpike", &[], T0), T0);
    }
    let a = r.flush_all(T0 + secs(1));
    let b = r2.flush_all(T0 + secs(1));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].id, b[0].id, "same input, same id, in any process");
    assert!(a[0].id.starts_with("msg_"));
}

#[test]
fn silences_from_configuration_apply_within_their_window_only() {
    let silence = callwatch_notify::router::Silence {
        id: "config-1".into(),
        matchers: vec![Matcher::parse("model=m").unwrap()],
        starts_at: Some(T0 + secs(100)),
        ends_at: T0 + secs(1000),
        comment: "maintenance".into(),
    };
    let mut r = Router::new(RouterConfig {
        route: Route {
            group_wait: secs(30),
            ..Route::default()
        },
        silences: vec![silence],
        ..RouterConfig::default()
    });
    r.push(firing("ServerErrorSpike", &[("model", "m")], T0), T0);
    assert_eq!(
        r.flush_due(T0 + secs(30)).len(),
        1,
        "not yet started: notified"
    );
    r.push(
        firing(
            "BadRequestBaselineRising",
            &[("model", "m")],
            T0 + secs(200),
        ),
        T0 + secs(200),
    );
    assert!(
        r.flush_due(T0 + secs(230)).is_empty(),
        "inside the window: silenced"
    );
    assert_eq!(r.silences().len(), 1);
}

#[test]
fn a_critical_alert_skips_group_wait_but_a_critical_storm_still_batches() {
    let mut r = router();
    r.push(
        firing("BillingOutage", &[("error_type", "billing_error")], T0),
        T0,
    );
    let out = r.flush_due(T0);
    assert_eq!(out.len(), 1, "the outage page goes out at once");
    for i in 0..50 {
        let kind = format!("kind-{i}");
        r.push(
            firing("BillingOutage", &[("error_type", &kind)], T0 + secs(1)),
            T0 + secs(1),
        );
    }
    assert!(
        r.flush_due(T0 + secs(2)).is_empty(),
        "the rest waits for group_interval"
    );
    let digest = r.flush_due(T0 + secs(300));
    assert_eq!(digest.len(), 1);
    assert_eq!(
        digest[0].alerts.len(),
        50,
        "only what changed since the page"
    );
    // A warning still waits out group_wait.
    r.push(firing("RateLimitPressure", &[("model", "m")], T0), T0);
    assert!(r
        .flush_due(T0)
        .iter()
        .all(|n| n.group_labels["alertname"] != "RateLimitPressure"));
}
