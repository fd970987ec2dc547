//! The agent's own metrics in Prometheus text, next to the recorder's: alerts firing, calls the
//! rules engine's queue dropped, and notifications per sink and result — so a team can alert on
//! its alerting (a sink that keeps failing is a silent pager).

use std::fmt::Write;

use super::health::{results, Health};
use callwatch_core::metrics::{
    ALERTS_FIRING, ALERT_STATE_LEFT_OUT, COST_DRIFT, COST_DRIFT_UNSEEN, ENGINE_DROPPED,
    NOTIFICATIONS,
};
use callwatch_core::names::{CALLWATCH_RECEIVER, CALLWATCH_RESULT, CALLWATCH_SINK};
use callwatch_core::prometheus::escape_label_value;
use callwatch_notify::DeliveryStats;

pub(super) fn render(health: &Health) -> String {
    let firing = ALERTS_FIRING.prom();
    let dropped = ENGINE_DROPPED.prom();
    let mut out =
        format!("# HELP {firing} Alert instances firing in this agent.\n# TYPE {firing} gauge\n");
    for count in &health.firing {
        let rule = escape_label_value(&count.rule);
        let _ = match &count.severity {
            Some(severity) => writeln!(
                out,
                "{firing}{{alertname=\"{rule}\",severity=\"{}\"}} {}",
                escape_label_value(severity),
                count.firing
            ),
            None => writeln!(out, "{firing}{{alertname=\"{rule}\"}} {}", count.firing),
        };
    }
    let _ = writeln!(
        out,
        "# HELP {dropped} Calls dropped from alerting: the rules engine's queue was full or its series limit was reached.\n# TYPE {dropped} counter\n{dropped} {}",
        health.engine_dropped
    );
    let left_out = ALERT_STATE_LEFT_OUT.prom();
    let _ = writeln!(
        out,
        "# HELP {left_out} Firing alerts the persisted alert state had no room for (they get no resolve after a restart).\n# TYPE {left_out} counter\n{left_out} {}",
        health.alert_state_left_out
    );
    if let Some(delivery) = &health.delivery {
        notifications(&mut out, delivery);
    }
    if let Some(drift) = &health.cost_drift {
        let name = COST_DRIFT.prom();
        let _ = writeln!(
            out,
            "# HELP {name} {}\n# TYPE {name} gauge\n{name} {}",
            DRIFT_HELP,
            drift.usd()
        );
        if let Some(unseen) = drift.unseen_usd {
            let name = COST_DRIFT_UNSEEN.prom();
            let _ = writeln!(
                out,
                "# HELP {name} {UNSEEN_HELP}\n# TYPE {name} gauge\n{name} {unseen}"
            );
        }
    }
    out
}

/// What `callwatch.cost.drift.unseen` means, for `/metrics` and OTLP alike.
pub(super) const UNSEEN_HELP: &str = "The part of callwatch_cost_drift from calls callwatch did not see: the usage report's billed tokens at callwatch's prices minus the computed spend, USD (the rest is the price table's).";

/// What `callwatch.cost.drift` means, for `/metrics` and OTLP alike.
pub(super) const DRIFT_HELP: &str = "Billed minus computed spend, USD, over the whole hours the Admin API cost report and callwatch both cover: positive when Anthropic billed more than callwatch counted (calls it did not see, a price the table lacks or has wrong).";

/// `callwatch_notifications_total{callwatch_receiver, callwatch_sink, callwatch_result}`: every
/// result of every integration of every receiver, zeros included, so a rate over it exists from
/// the first scrape.
fn notifications(out: &mut String, delivery: &DeliveryStats) {
    let name = NOTIFICATIONS.prom();
    let sink_key = CALLWATCH_SINK.replace('.', "_");
    let receiver_key = CALLWATCH_RECEIVER.replace('.', "_");
    let result_key = CALLWATCH_RESULT.replace('.', "_");
    let _ = writeln!(
        out,
        "# HELP {name} Notifications per receiver, sink and result: sent, failed (given up, kept in the spool), retried (attempts), dropped (queue full), unspooled (the spool write failed; kept in memory only).\n# TYPE {name} counter"
    );
    for sink in &delivery.sinks {
        for (result, n) in results(sink) {
            let _ = writeln!(
                out,
                "{name}{{{receiver_key}=\"{}\",{sink_key}=\"{}\",{result_key}=\"{result}\"}} {n}",
                escape_label_value(&sink.receiver),
                escape_label_value(&sink.sink)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::firing_counts;
    use crate::AlertBoard;
    use callwatch_core::alert::{Alert, AlertState};

    fn alert(rule: &str, state: AlertState) -> Alert {
        Alert::for_test(rule, state)
    }

    fn render(board: &AlertBoard, dropped: u64, delivery: Option<&DeliveryStats>) -> String {
        super::render(&Health {
            firing: firing_counts(board),
            engine_dropped: dropped,
            alert_state_left_out: 0,
            delivery: delivery.cloned(),
            cost_drift: None,
        })
    }

    #[test]
    fn metrics_show_firing_alerts_and_drop_back_to_zero() {
        let mut board = AlertBoard::default();
        board.apply(&alert("BillingOutage", AlertState::Firing));
        let text = render(&board, 3, None);
        assert!(text.contains(
            "callwatch_alerts_firing{alertname=\"BillingOutage\",severity=\"critical\"} 1"
        ));
        assert!(text.contains("callwatch_engine_dropped_total 3"));
        assert!(text.contains("callwatch_alert_state_left_out_total 0"));
        board.apply(&alert("BillingOutage", AlertState::Resolved));
        let text = render(&board, 3, None);
        assert!(
            text.contains("callwatch_alerts_firing{alertname=\"BillingOutage\"} 0"),
            "{text}"
        );
        assert!(
            !text.contains("callwatch_notifications_total"),
            "no notifier, no series"
        );
    }

    #[test]
    fn notifications_are_counted_per_receiver_sink_and_result() {
        let delivery = DeliveryStats {
            sinks: vec![callwatch_notify::SinkStats {
                sink: "webhook".into(),
                receiver: "chat".into(),
                sent: 4,
                failed: 1,
                spool_errors: 2,
                ..Default::default()
            }],
        };
        let text = render(&AlertBoard::default(), 0, Some(&delivery));
        for line in [
            "callwatch_notifications_total{callwatch_receiver=\"chat\",callwatch_sink=\"webhook\",callwatch_result=\"sent\"} 4",
            "callwatch_notifications_total{callwatch_receiver=\"chat\",callwatch_sink=\"webhook\",callwatch_result=\"failed\"} 1",
            "callwatch_notifications_total{callwatch_receiver=\"chat\",callwatch_sink=\"webhook\",callwatch_result=\"dropped\"} 0",
            "callwatch_notifications_total{callwatch_receiver=\"chat\",callwatch_sink=\"webhook\",callwatch_result=\"unspooled\"} 2",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
