use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use super::*;
use callwatch_core::classify::{classify_response, classify_transport, TransportFailure};

fn outcome(status: u16, kind: &str, headers: &[(&'static str, &str)]) -> Outcome {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    let body = format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"m"}}}}"#);
    classify_response(status, &h, body.as_bytes())
}

fn first(policy: &RetryPolicy, o: &Outcome) -> Decision {
    policy.decide_with_jitter(o, 1, Duration::ZERO, 0.5)
}

#[test]
fn permanent_failures_and_billing_are_never_retried() {
    let policy = RetryPolicy::default();
    for (status, kind) in [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "unprocessable_entity"),
    ] {
        let o = outcome(status, kind, &[]);
        assert_eq!(
            first(&policy, &o),
            Decision::Stop(StopReason::NotRetryable(o.class))
        );
    }
    for (status, kind) in [(402, "billing_error"), (403, "billing_error")] {
        let o = outcome(status, kind, &[("x-should-retry", "true")]);
        assert_eq!(first(&policy, &o), Decision::Stop(StopReason::Billing));
    }
    let cap = classify_response(
        429,
        &HeaderMap::new(),
        br#"{"type":"error","error":{"type":"rate_limit_error","message":"m","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
    );
    assert_eq!(first(&policy, &cap), Decision::Stop(StopReason::Billing));
}

#[test]
fn transient_failures_are_retried_within_the_backoff_ceiling() {
    let policy = RetryPolicy::default();
    let mut outcomes: Vec<Outcome> = [
        (408, ""),
        (409, "conflict_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, ""),
        (503, ""),
        (504, ""),
    ]
    .into_iter()
    .map(|(s, k)| outcome(s, k, &[]))
    .collect();
    outcomes.push(classify_transport(TransportFailure::Timeout));
    outcomes.push(classify_transport(TransportFailure::Connection));
    for o in &outcomes {
        match first(&policy, o) {
            Decision::Retry { wait } => assert!(wait <= Duration::from_millis(500), "{o:?}"),
            other => panic!("{:?} should retry, got {other:?}", o.status),
        }
    }
}

#[test]
fn overloaded_uses_the_longer_base() {
    let policy = RetryPolicy::builder()
        .base(Duration::from_millis(1))
        .overloaded_base(Duration::from_secs(4))
        .build();
    let o = outcome(529, "overloaded_error", &[]);
    let mut rng = fastrand::Rng::with_seed(11);
    let waits: Vec<Duration> = (0..20)
        .filter_map(
            |_| match policy.decide_with_jitter(&o, 1, Duration::ZERO, rng.f64()) {
                Decision::Retry { wait } => Some(wait),
                Decision::Stop(_) => None,
            },
        )
        .collect();
    assert_eq!(waits.len(), 20);
    assert!(waits.iter().all(|w| *w <= Duration::from_secs(4)));
    assert!(waits.iter().any(|w| *w > Duration::from_millis(1)));
}

#[test]
fn retry_after_is_honoured_exactly_unless_beyond_the_cap() {
    let policy = RetryPolicy::builder()
        .total_wait_cap(Duration::from_secs(10))
        .build();
    let o = outcome(429, "rate_limit_error", &[("retry-after-ms", "1500")]);
    assert_eq!(
        first(&policy, &o),
        Decision::Retry {
            wait: Duration::from_millis(1500)
        }
    );
    let decision = policy.decide(&o, 2, Duration::from_secs(9));
    assert_eq!(
        decision,
        Decision::Stop(StopReason::RetryAfterBeyondCap {
            retry_after: Duration::from_millis(1500),
            remaining: Duration::from_secs(1)
        })
    );
    let Decision::Stop(reason) = decision else {
        unreachable!()
    };
    assert!(reason.to_string().contains("1.500s"), "{reason}");
}

#[test]
fn retries_stop_after_max_retries() {
    let policy = RetryPolicy::default();
    let o = outcome(500, "api_error", &[]);
    assert!(matches!(
        policy.decide(&o, 2, Duration::ZERO),
        Decision::Retry { .. }
    ));
    assert_eq!(
        policy.decide(&o, 3, Duration::ZERO),
        Decision::Stop(StopReason::RetriesExhausted { attempts: 3 })
    );
    assert_eq!(
        RetryPolicy::never().decide(&o, 1, Duration::ZERO),
        Decision::Stop(StopReason::RetriesExhausted { attempts: 1 })
    );
}

#[test]
fn x_should_retry_overrides_the_status() {
    let policy = RetryPolicy::default();
    let o = outcome(529, "overloaded_error", &[("x-should-retry", "false")]);
    assert_eq!(
        first(&policy, &o),
        Decision::Stop(StopReason::NotRetryable(Class::Overloaded))
    );
    let o = outcome(400, "invalid_request_error", &[("x-should-retry", "true")]);
    assert!(matches!(first(&policy, &o), Decision::Retry { .. }));
}

#[test]
fn a_seeded_policy_repeats_its_jitter() {
    let o = outcome(500, "api_error", &[]);
    let run = || {
        let policy = RetryPolicy::builder().jitter_seed(42).build();
        (1..=2)
            .map(|a| policy.decide(&o, a, Duration::ZERO))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
