//! The drift between the spend callwatch computed and what the Admin API's cost report
//! billed: an agent on a compressed clock sees calls, polls the mock's cost report over real
//! HTTP on loopback, and shows `callwatch.cost.drift` on its `/metrics` text and over OTLP to a
//! real loopback receiver — never the admin key.

mod support;

use std::time::Duration as StdDuration;

use callwatch_agent::admin_api::AdminApi;
use callwatch_agent::{Agent, AgentOptions, Clock};
use callwatch_core::classify::Usage;
use callwatch_core::cost::{Budget, Credit, SpendConfig};
use callwatch_core::event::{CallEvent, Event};
use callwatch_core::record::Recorder;
use callwatch_mock::{BilledHour, MockClaude, Tokens};
use callwatch_otlp::ExportConfig;
use support::otlp_receiver::{number, OtlpReceiver};
use time::{Duration, OffsetDateTime};

const ADMIN_KEY: &str = "sk-ant-admin01-NOTSHOWN";

/// A call of $0.0105 (sonnet-4-6, 1000 in, 500 out) at `at`.
fn call(at: OffsetDateTime) -> Event<'static> {
    let mut e = CallEvent::new(at, Some(200), None);
    e.model = Some("claude-sonnet-4-6".into());
    e.usage = Some(Usage {
        input_tokens: 1000,
        output_tokens: 500,
        ..Usage::default()
    });
    Event::Call(e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billed_minus_computed_spend_is_a_gauge_on_metrics_and_otlp() {
    // Whole hours H.. in the past; the agent's clock starts at H+30m and runs an hour a
    // second, so it has seen the hours from H+1h whole when the export reaches H+3h.
    let now = OffsetDateTime::now_utc();
    let h = OffsetDateTime::from_unix_timestamp(
        now.unix_timestamp() - now.unix_timestamp().rem_euclid(3600) - 6 * 3600,
    )
    .unwrap();
    let billed: Vec<BilledHour> = (0..5)
        .map(|i| BilledHour {
            starting_at: h + Duration::hours(i),
            model: "claude-sonnet-4-6".into(),
            usd: 2.0,
            // $1.65 at the table's prices (0.5 MTok in × $3, 0.01 MTok out × $15): billed
            // $0.35 above it each hour.
            tokens: Tokens {
                input: 500_000,
                output: 10_000,
                cache_read: 0,
                cache_creation: 0,
            },
        })
        .collect();
    let mock = MockClaude::start().await.unwrap();
    mock.set_billing(ADMIN_KEY, billed, h + Duration::hours(3));
    let receiver = OtlpReceiver::start();
    let recorder = Recorder::new();
    let export = callwatch_otlp::install(
        ExportConfig::new()
            .endpoint(receiver.endpoint())
            .interval(StdDuration::from_millis(200))
            .timeout(StdDuration::from_secs(5))
            .service_name("callwatch-test"),
        recorder.clone(),
    )
    .expect("install");
    let credit = Credit {
        balance_usd: 100.0,
        as_of: h,
    };
    let clock = Clock::compressed(h + Duration::minutes(30), 3600.0);
    let mut agent = Agent::start_with_spend(
        AgentOptions {
            rules: callwatch_rules::default_rules(),
            clock,
            event_log: None,
            notifier: None,
            on_alert: None,
            recorder,
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
    agent.export_health(&export.meter());
    // One call at H+40m (before the first whole hour the agent saw), 200 in H+1h..H+3h
    // ($2.10), one at H+3h10m (after the export).
    let mut times = vec![h + Duration::minutes(40), h + Duration::minutes(190)];
    times.extend((0..200).map(|i| h + Duration::hours(1) + Duration::seconds(i * 36)));
    for t in times {
        agent.key_rotated(call(t));
    }
    while clock.now() < h + Duration::minutes(200) {
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let metrics = agent.metrics_source();
    assert!(
        !metrics().contains("callwatch_cost_drift"),
        "no reading yet"
    );
    agent.reconcile_credit(
        AdminApi::new(&mock.base_url(), ADMIN_KEY),
        credit,
        // 10 s of real time: one poll in this test.
        StdDuration::from_secs(36_000),
    );
    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        text = metrics();
        if text.contains("callwatch_cost_drift ") {
            break;
        }
    }
    let value: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("callwatch_cost_drift "))
        .unwrap_or_else(|| panic!("no drift gauge in:\n{text}"))
        .parse()
        .unwrap();
    // Billed $4 over H+1h..H+3h, computed $2.10 ($4 is exactly those two hours: H's hour or
    // those past the export would make it $6 or more).
    assert!((value - 1.9).abs() < 1e-9, "{value}");
    assert!(text.contains("# TYPE callwatch_cost_drift gauge"), "{text}");
    // Of that, calls callwatch did not see: the usage report's tokens at its prices ($3.30
    // over the two hours) minus the $2.10 computed; the other $0.70 is the price table's.
    let unseen: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("callwatch_cost_drift_unseen "))
        .unwrap_or_else(|| panic!("no unseen-calls gauge in:\n{text}"))
        .parse()
        .unwrap();
    assert!((unseen - 1.2).abs() < 1e-9, "{unseen}");
    // Two reads of the cost report (the balance since as_of, the drift's whole hours) and
    // one of the Messages usage report.
    let reads = |path: &str| mock.requests().iter().filter(|r| r.path == path).count();
    assert_eq!(reads("/v1/organizations/analytics/cost_report"), 2);
    assert_eq!(reads("/v1/organizations/usage_report/messages"), 1);

    // The same gauges over OTLP.
    tokio::task::block_in_place(|| export.flush());
    {
        let received = receiver.lock();
        let gauge = |name: &str| -> Vec<f64> {
            received
                .all_metrics()
                .into_iter()
                .filter(|m| m.name == name)
                .filter_map(|m| match m.data {
                    opentelemetry_proto::tonic::metrics::v1::metric::Data::Gauge(g) => {
                        Some(g.data_points.iter().map(number).collect::<Vec<_>>())
                    }
                    _ => None,
                })
                .flatten()
                .collect()
        };
        for (name, want) in [
            ("callwatch.cost.drift", 1.9),
            ("callwatch.cost.drift.unseen", 1.2),
        ] {
            let got = gauge(name);
            assert!(
                got.iter().any(|v| (v - want).abs() < 1e-9),
                "{name} over OTLP: {got:?}"
            );
        }
        for raw in &received.raw {
            let raw = String::from_utf8_lossy(raw);
            assert!(!raw.contains("NOTSHOWN"), "the admin key went over OTLP");
        }
    }
    agent
        .stop(tokio::time::Instant::now() + StdDuration::from_secs(2))
        .await;
    assert!(!text.contains("NOTSHOWN"));
}
