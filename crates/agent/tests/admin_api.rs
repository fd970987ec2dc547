//! The Admin API reconciliation client against the mock's cost and usage reports, over real
//! HTTP on loopback: paging, the export's cut-off, per-model pricing, the drift, and the admin
//! key never appearing in any output.

use callwatch_agent::admin_api::{AdminApi, AdminApiError, Drift};
use callwatch_core::cost::PriceTable;
use callwatch_mock::{BilledHour, MockClaude, Tokens};
use time::{Duration, OffsetDateTime};

const ADMIN_KEY: &str = "sk-ant-admin01-NOTSHOWN";
/// 2026-11-02t0()0:00:00Z.
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_793_577_600).unwrap()
}

fn hours(n: i64) -> Vec<BilledHour> {
    (0..n)
        .flat_map(|h| {
            let at = t0() + Duration::hours(h);
            [
                BilledHour {
                    starting_at: at,
                    model: "claude-sonnet-4-6".into(),
                    usd: 1.25,
                    tokens: Tokens {
                        input: 100_000,
                        output: 10_000,
                        cache_read: 200_000,
                        cache_creation: 0,
                    },
                },
                BilledHour {
                    starting_at: at,
                    model: "claude-haiku-4-5".into(),
                    usd: 0.5,
                    tokens: Tokens {
                        input: 1_000_000,
                        output: 0,
                        cache_read: 0,
                        cache_creation: 0,
                    },
                },
            ]
        })
        .collect()
}

#[tokio::test]
async fn billed_spend_is_read_across_pages_up_to_the_export_and_priced_per_model() {
    let mock = MockClaude::start().await.unwrap();
    // 200 hours billed, the export made after 190 of them: the last 10 are not counted.
    mock.set_billing(ADMIN_KEY, hours(200), t0() + Duration::hours(190));
    let api = AdminApi::new(&mock.base_url(), ADMIN_KEY);
    let billed = api.billed(t0(), t0() + Duration::hours(200)).await.unwrap();
    // 190 hours × $1.75, over two pages of 168 hourly buckets.
    assert!((billed.usd - 190.0 * 1.75).abs() < 1e-6, "{billed:?}");
    assert_eq!(billed.refreshed_at, Some(t0() + Duration::hours(190)));

    let usage = api
        .usage_by_model(t0(), t0() + Duration::hours(10), PriceTable::embedded())
        .await
        .unwrap();
    let sonnet = usage
        .iter()
        .find(|u| u.model == "claude-sonnet-4-6")
        .unwrap();
    assert_eq!(sonnet.usage.input_tokens, 1_000_000);
    assert_eq!(sonnet.usage.cache_read_input_tokens, 2_000_000);
    // 10 h of (0.1 MTok × $3 + 0.01 MTok × $15 + 0.2 MTok × $0.30) = 10 × $0.51.
    assert!(
        (sonnet.priced_usd.unwrap() - 5.1).abs() < 1e-9,
        "{sonnet:?}"
    );
    let haiku = usage
        .iter()
        .find(|u| u.model == "claude-haiku-4-5")
        .unwrap();
    assert!((haiku.priced_usd.unwrap() - 10.0).abs() < 1e-9, "{haiku:?}");

    // What callwatch computed from the calls it saw, against the bill.
    let drift = Drift {
        computed_usd: 300.0,
        billed_usd: billed.usd,
    };
    assert!((drift.usd() - 32.5).abs() < 1e-6);
    assert!((drift.share().unwrap() - 32.5 / 332.5).abs() < 1e-9);
}

#[tokio::test]
async fn a_refused_key_is_a_clear_error_and_the_admin_key_is_in_no_output() {
    let mock = MockClaude::start().await.unwrap();
    mock.set_billing(ADMIN_KEY, hours(3), t0() + Duration::hours(3));
    let wrong = "sk-ant-admin01-WRONGONE";
    let api = AdminApi::new(&mock.base_url(), wrong);
    let err = api
        .billed(t0(), t0() + Duration::hours(3))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AdminApiError::Status { status: 401, .. }),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {api:?}");
    assert!(
        shown.contains("/v1/organizations/analytics/cost_report") && shown.contains("HTTP 401"),
        "{shown}"
    );
    let right = AdminApi::new(&mock.base_url(), ADMIN_KEY);
    let unreachable = AdminApi::new("http://127.0.0.1:9", ADMIN_KEY)
        .billed(t0(), t0() + Duration::hours(3))
        .await
        .unwrap_err();
    let shown = format!("{shown} {right:?} {unreachable} {unreachable:?}");
    for secret in [ADMIN_KEY, wrong, "NOTSHOWN"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[tokio::test]
async fn billed_spend_from_the_admin_api_becomes_the_balance_the_runway_counts_down_from() {
    use callwatch_agent::{Agent, AgentOptions, Clock};
    use callwatch_core::cost::{Budget, Credit, SpendConfig};

    let now = OffsetDateTime::now_utc();
    let hour = now
        .replace_minute(0)
        .unwrap()
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    let as_of = hour - Duration::hours(5);
    let billed: Vec<BilledHour> = (0..5)
        .map(|h| BilledHour {
            starting_at: as_of + Duration::hours(h),
            model: "claude-sonnet-4-6".into(),
            usd: 2.0,
            tokens: Tokens::default(),
        })
        .collect();
    let mock = MockClaude::start().await.unwrap();
    // The export reaches 3 of the 5 hours: $6 billed.
    mock.set_billing(ADMIN_KEY, billed, as_of + Duration::hours(3));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let credit = Credit {
        balance_usd: 100.0,
        as_of,
    };
    let mut agent = Agent::start_with_spend(
        AgentOptions {
            rules: callwatch_rules::default_rules(),
            clock: Clock::system(),
            event_log: Some(log.clone()),
            notifier: None,
            on_alert: None,
            recorder: callwatch_core::record::Recorder::new(),
        },
        SpendConfig {
            budget: Budget {
                credit: Some(credit),
                monthly_spend_limit_usd: None,
            },
            ..SpendConfig::default()
        },
    )
    .unwrap();
    agent.reconcile_credit(
        AdminApi::new(&mock.base_url(), ADMIN_KEY),
        credit,
        std::time::Duration::from_secs(3600),
    );
    // The first poll is at once; wait for its request to reach the mock's report.
    let mut line = None;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if mock
            .requests()
            .iter()
            .any(|r| r.path.contains("cost_report"))
        {
            // The answer, then the event through the engine's queue.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            break;
        }
    }
    agent
        .stop(tokio::time::Instant::now() + std::time::Duration::from_secs(2))
        .await;
    let text = std::fs::read_to_string(&log).unwrap();
    for l in text.lines() {
        if l.contains("credit_balance") {
            line = Some(l.to_owned());
        }
    }
    let line = line.unwrap_or_else(|| panic!("no credit_balance line in:\n{text}"));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["balance_usd"], 94.0, "{line}");
    let export = (as_of + Duration::hours(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(
        v["ts"].as_str().unwrap().replace(".000", ""),
        export.replace(".000", ""),
        "{line}"
    );
    assert!(!text.contains("NOTSHOWN"));
}
