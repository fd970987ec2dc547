//! The agent's health as OpenTelemetry observable instruments, so a fleet on OTLP (Datadog,
//! say) sees what `/metrics` shows: read from the live handles at each collection, nothing on
//! the call path.

use opentelemetry::metrics::Meter;
use opentelemetry::KeyValue;

use super::health::{results, HealthSource};
use callwatch_core::names;

/// The attribute keys of `callwatch.alerts.firing`, as Prometheus' `ALERTS` and Alertmanager
/// name them.
const ALERTNAME: &str = "alertname";
const SEVERITY: &str = "severity";

pub(super) fn register(meter: &Meter, health: HealthSource) {
    let source = health.clone();
    meter
        .u64_observable_gauge(names::CALLWATCH_ALERTS_FIRING)
        .with_unit("{alert}")
        .with_description("Alert instances firing in this agent, by rule and severity.")
        .with_callback(move |observer| {
            for count in source.read().firing {
                let mut attributes = vec![KeyValue::new(ALERTNAME, count.rule)];
                if let Some(severity) = count.severity {
                    attributes.push(KeyValue::new(SEVERITY, severity));
                }
                observer.observe(count.firing, &attributes);
            }
        })
        .build();

    let source = health.clone();
    meter
        .f64_observable_gauge(names::CALLWATCH_COST_DRIFT)
        .with_unit(names::UNIT_USD)
        .with_description(super::metrics::DRIFT_HELP)
        .with_callback(move |observer| {
            if let Some(drift) = source.read().cost_drift {
                observer.observe(drift.usd(), &[]);
            }
        })
        .build();

    let source = health.clone();
    meter
        .f64_observable_gauge(names::CALLWATCH_COST_DRIFT_UNSEEN)
        .with_unit(names::UNIT_USD)
        .with_description(super::metrics::UNSEEN_HELP)
        .with_callback(move |observer| {
            if let Some(unseen) = source.read().cost_drift.and_then(|d| d.unseen_usd) {
                observer.observe(unseen, &[]);
            }
        })
        .build();

    let source = health.clone();
    meter
        .u64_observable_counter(names::CALLWATCH_ENGINE_DROPPED)
        .with_unit("{call}")
        .with_description(
            "Calls dropped from alerting: the rules engine's queue was full or its series limit \
             was reached.",
        )
        .with_callback(move |observer| observer.observe(source.read().engine_dropped, &[]))
        .build();

    let source = health.clone();
    meter
        .u64_observable_counter(names::CALLWATCH_ALERT_STATE_LEFT_OUT)
        .with_unit("{alert}")
        .with_description(
            "Firing alerts the persisted alert state had no room for (no resolve after a restart).",
        )
        .with_callback(move |observer| observer.observe(source.read().alert_state_left_out, &[]))
        .build();

    meter
        .u64_observable_counter(names::CALLWATCH_NOTIFICATIONS)
        .with_unit("{notification}")
        .with_description(
            "Notifications per receiver, sink and result: sent, failed, retried, dropped, unspooled.",
        )
        .with_callback(move |observer| {
            let Some(delivery) = health.read().delivery else {
                return;
            };
            for sink in &delivery.sinks {
                for (result, n) in results(sink) {
                    observer.observe(
                        n,
                        &[
                            KeyValue::new(names::CALLWATCH_RECEIVER, sink.receiver.clone()),
                            KeyValue::new(names::CALLWATCH_SINK, sink.sink.clone()),
                            KeyValue::new(names::CALLWATCH_RESULT, result),
                        ],
                    );
                }
            }
        })
        .build();
}
