//! A `credit_balance` line (a top-up) replaces the budget's balance: a runway alert that fired
//! on the old balance resolves, over replayed event lines as `callwatch replay` reads them.

use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::classify::Usage;
use callwatch_core::cost::{Budget, Credit, SpendConfig};
use callwatch_core::event::{CallEvent, CreditBalance, Event};
use callwatch_rules::{default_rules, Engine, Replay};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-02 00:00:00 UTC);

fn runway_alerts(alerts: &[Alert], state: AlertState) -> Vec<&Alert> {
    alerts
        .iter()
        .filter(|a| a.rule == "CreditRunwayLow" && a.state == state)
        .collect()
}

#[test]
fn a_top_up_resolves_the_runway_warning_and_the_new_balance_counts_down() {
    // 10 calls a minute at $0.0105 (sonnet-4-6, 1000 in, 500 out) burn $6.30 an hour: $60
    // lasts 9.5 h, under the 24 h warning once 30 minutes of history are in.
    let engine = Engine::new(default_rules()).with_spend(SpendConfig {
        budget: Budget {
            credit: Some(Credit {
                balance_usd: 60.0,
                as_of: T0,
            }),
            monthly_spend_limit_usd: None,
        },
        ..SpendConfig::default()
    });
    let mut replay = Replay::new(engine);
    let mut alerts = Vec::new();
    let top_up_at = 2 * 60; // minutes
    for minute in 0..4 * 60 {
        let at = T0 + Duration::minutes(minute);
        if minute == top_up_at {
            let line = Event::CreditBalance(CreditBalance {
                ts: at,
                balance_usd: 1000.0,
            })
            .to_line();
            replay.line(line.as_bytes(), &mut alerts).unwrap();
        }
        for i in 0..10 {
            let mut e = CallEvent::new(at + Duration::seconds(i * 6), Some(200), None);
            e.model = Some("claude-sonnet-4-6".into());
            e.key_id = Some("k-app".into());
            e.usage = Some(Usage {
                input_tokens: 1000,
                output_tokens: 500,
                ..Usage::default()
            });
            replay.line(e.to_line().as_bytes(), &mut alerts).unwrap();
        }
    }
    replay.finish(&mut alerts);
    let fired = runway_alerts(&alerts, AlertState::Firing);
    let resolved = runway_alerts(&alerts, AlertState::Resolved);
    assert_eq!(fired.len(), 1, "{alerts:#?}");
    assert_eq!(fired[0].labels.get("runway_below").unwrap(), "24h");
    assert!(fired[0].at < T0 + Duration::minutes(top_up_at));
    // $1000 at $6.30/h is 6.6 days: it resolves after the top-up (and `keep_firing_for`).
    assert_eq!(resolved.len(), 1, "{alerts:#?}");
    assert!(resolved[0].at >= T0 + Duration::minutes(top_up_at));
    assert!(resolved[0].at <= T0 + Duration::minutes(top_up_at + 20));
}
