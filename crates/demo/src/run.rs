//! Runs the demo end to end and reports what happened.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::watch;

use super::credit_story::{self, Leads};
use super::director::{behavior_for, Director};
use super::fleet::{self, FleetConfig, Orders};
use super::timeline::{script, Phase};
use callwatch_agent::{
    describe, render_line, render_screen, Agent, AgentOptions, AgentSummary, Clock, ViewState,
};
use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::cost::{Budget, Credit, SpendConfig};
use callwatch_core::event::{CreditBalance, Event};
use callwatch_core::record::Recorder;
use callwatch_mock::MockClaude;
use callwatch_notify::Notifier;
use callwatch_rules::RuleSet;

/// The four alerts the product exists for: the demo's story fires and resolves each.
pub const MANDATED: [&str; 4] = [
    "ServerErrorSpike",
    "AuthFailuresAfterKeyRotation",
    "BadRequestBaselineRising",
    "BillingOutage",
];

pub struct DemoOptions {
    /// Event time per real second.
    pub speed: f64,
    /// Length of the story in event time.
    pub duration: Duration,
    /// Calls per real second across the fleet.
    pub rate: f64,
    pub seed: u64,
    pub event_log: PathBuf,
    /// Plain lines even on a terminal.
    pub plain: bool,
    pub rules: RuleSet,
    pub notifier: Option<Notifier>,
    pub recorder: Recorder,
    /// Where to export the agent's health over OTLP (alerts firing, notifications), if anywhere.
    pub health_meter: Option<opentelemetry::metrics::Meter>,
}

pub struct DemoReport {
    pub calls_started: u64,
    pub summary: AgentSummary,
    /// Mandated rules that did not both fire and resolve.
    pub missing: Vec<&'static str>,
    /// The spend alerts that came before the credits ran out.
    pub leads: Leads,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the mock Claude API on loopback: {0}")]
    Mock(std::io::Error),
    #[error(transparent)]
    Agent(#[from] callwatch_agent::AgentError),
}

fn alert_line(alert: &Alert) -> String {
    let at = callwatch_core::alert::truncate_to_millis(alert.at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    match alert.state {
        AlertState::Firing => format!(
            "{at}  FIRING   {}\n          {}",
            describe(alert),
            alert.summary
        ),
        AlertState::Resolved => format!("{at}  RESOLVED {}", describe(alert)),
    }
}

fn view_state(agent: &Agent, title: String) -> ViewState {
    let snapshot = agent.recorder().snapshot();
    let mut state = ViewState {
        title,
        ..ViewState::default()
    };
    let mut merged = hdrhistogram::Histogram::<u64>::new(3).ok();
    let mut attempts = 0u64;
    for series in &snapshot.series {
        let key = match (&series.labels.status, &series.labels.error_type) {
            (Some(status), Some(kind)) => format!("{status} {kind}"),
            (Some(status), None) => status.to_string(),
            (None, Some(kind)) => format!("— {kind}"),
            (None, None) => "— no response".to_owned(),
        };
        *state.calls.entry(key).or_default() += series.totals.calls;
        state.total_calls += series.totals.calls;
        attempts += series.totals.attempts_sum;
        if let Some(merged) = &mut merged {
            let _ = merged.add(&series.latency_ms);
        }
    }
    if let Some(h) = merged.filter(|h| !h.is_empty()) {
        state.p50_ms = h.value_at_quantile(0.50) as f64;
        state.p95_ms = h.value_at_quantile(0.95) as f64;
        state.p99_ms = h.value_at_quantile(0.99) as f64;
    }
    state.mean_attempts = attempts as f64 / state.total_calls.max(1) as f64;
    state.min_headroom = snapshot
        .headroom
        .iter()
        .filter(|h| h.limit > 0)
        .map(|h| h.remaining as f64 / h.limit as f64)
        .reduce(f64::min);
    let board = agent.board();
    state.pending = board.pending().to_vec();
    state.firing = board.firing().map(describe).collect();
    state.resolved = board.resolved().map(describe).collect();
    state
}

pub async fn run(options: DemoOptions) -> Result<DemoReport, DemoError> {
    let terminal = std::io::stdout().is_terminal() && !options.plain;
    let phases = script();
    let mock = MockClaude::start_with(
        behavior_for(&phases[0].conditions, options.speed),
        options.seed,
    )
    .await
    .map_err(DemoError::Mock)?;
    let origin = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let clock = Clock::compressed(origin, options.speed);
    // Where each alert goes, said on its line: the notifier moves into the agent below.
    let routing = options.notifier.as_ref().map(Notifier::routing);
    let leads = Leads::default();
    let seen = leads.clone();
    let on_alert: Option<callwatch_agent::AlertHook> = if terminal {
        Some(Box::new(move |alert: &Alert| seen.observe(alert)))
    } else {
        Some(Box::new(move |alert: &Alert| {
            seen.observe(alert);
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", alert_line(alert));
            if let Some(routing) = &routing {
                let _ = writeln!(
                    out,
                    "          → {}",
                    routing.receivers_for(alert).join(", ")
                );
            }
        }))
    };
    // The credits the story starts with (see credit_story): the spend rules count down from
    // them, as they would from `[budget]` in callwatch.toml.
    let fleet_calls_per_min = options.rate * 60.0 / options.speed;
    let opening_balance = credit_story::opening_balance(fleet_calls_per_min);
    let spend = SpendConfig {
        prices: std::sync::Arc::new(options.recorder.prices().clone()),
        budget: Budget {
            credit: Some(Credit {
                balance_usd: opening_balance,
                as_of: origin,
            }),
            monthly_spend_limit_usd: None,
        },
    };
    let agent = Agent::start_with_spend(
        AgentOptions {
            rules: options.rules,
            clock,
            event_log: Some(options.event_log.clone()),
            notifier: options.notifier,
            on_alert,
            recorder: options.recorder,
        },
        spend,
    )?;
    if let Some(meter) = &options.health_meter {
        agent.export_health(meter);
    }

    // The macro reports to the process-wide observer: make it the agent (a process runs one
    // demo; if something else installed an observer first, the macro's calls go there).
    if !callwatch_core::call::set_global_observer(agent.observer()) {
        tracing::warn!("callwatch demo: a global call observer was already installed");
    }
    let (orders_tx, orders_rx) = watch::channel(Orders {
        conditions: phases[0].conditions.clone(),
        progress: 0.0,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let fleet_config = || FleetConfig {
        instances: 4,
        rate: options.rate,
        base_url: mock.base_url(),
        speed: options.speed,
        seed: options.seed,
    };
    let worker = tokio::spawn(credit_story::run_worker(
        fleet_config(),
        clock,
        agent.observer(),
        orders_rx.clone(),
        stop_rx.clone(),
    ));
    let fleet = tokio::spawn(fleet::run(
        fleet_config(),
        agent.observer(),
        orders_rx,
        stop_rx,
    ));

    let announce = |event| agent.key_rotated(event);
    // The opening balance goes into the event log too, so `callwatch replay` of the log
    // tells the credit story without the demo's configuration.
    announce(Event::CreditBalance(CreditBalance {
        ts: origin,
        balance_usd: opening_balance,
    }));
    let director = Director {
        phases: phases.clone(),
        clock,
        mock: &mock,
        orders: orders_tx,
        announce: &announce,
    };
    let mut phase_name = String::new();
    let mut current = None;
    let mut last_view = Instant::now() - Duration::from_secs(60);
    let view_every = if terminal {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(5)
    };
    if !terminal {
        println!(
            "callwatch demo: {} of incidents at {}x speed against a mock Claude API on {} (event log: {})",
            callwatch_rules::format_duration(options.duration),
            options.speed,
            mock.base_url(),
            options.event_log.display()
        );
    }
    while clock.elapsed() < options.duration {
        let mut on_phase = |phase: &Phase, elapsed: Duration| {
            phase_name = phase.name.to_owned();
            if !terminal {
                println!("-- {:>5} {}", minutes(elapsed), phase.name);
            }
        };
        current = Some(director.step(current, &mut on_phase));
        if last_view.elapsed() >= view_every {
            last_view = Instant::now();
            let title = format!(
                "callwatch demo  {} / {}  ({}x)  {}",
                minutes(clock.elapsed()),
                minutes(options.duration),
                options.speed,
                phase_name
            );
            let state = view_state(&agent, title);
            let mut out = std::io::stdout().lock();
            let _ = if terminal {
                write!(out, "{}", render_screen(&state))
            } else {
                writeln!(out, "{}", render_line(&state))
            };
            let _ = out.flush();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let calls_started = fleet.await.unwrap_or(0) + worker.await.unwrap_or(0);
    let summary = agent
        .stop(tokio::time::Instant::now() + Duration::from_secs(5))
        .await;
    let missing = MANDATED
        .into_iter()
        .filter(|rule| !summary.board.fired_and_resolved(rule))
        .collect();
    Ok(DemoReport {
        calls_started,
        summary,
        missing,
        leads,
    })
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// The closing summary, printed after the story.
pub fn summary_text(report: &DemoReport) -> String {
    let mut out = String::new();
    let s = &report.summary;
    out.push_str(&format!(
        "\ncallwatch demo finished: {} calls made, {} recorded by the rules engine ({} dropped)\n",
        report.calls_started, s.calls, s.dropped
    ));
    out.push_str("alerts (fired / resolved):\n");
    for (rule, (fired, resolved)) in &s.board.counts {
        out.push_str(&format!("  {rule:<32} {fired:>3} / {resolved:<3}\n"));
    }
    if let Some(delivery) = &s.delivery {
        out.push_str("notifications per receiver (delivered / failed / dropped):\n");
        for (receiver, sent, failed, dropped) in delivery.per_receiver() {
            let via: Vec<&str> = delivery
                .sinks
                .iter()
                .filter(|x| x.receiver == receiver)
                .map(|x| x.sink.as_str())
                .collect();
            out.push_str(&format!(
                "  {receiver:<24} {sent:>3} / {failed} / {dropped}  via {}\n",
                via.join(", ")
            ));
        }
    }
    out.push_str(&credit_warning_text(&report.leads));
    if report.missing.is_empty() {
        out.push_str("all four mandated alerts fired and resolved.\n");
    } else {
        out.push_str(&format!(
            "did not fire and resolve: {}\n",
            report.missing.join(", ")
        ));
    }
    if let Some(path) = &s.event_log {
        out.push_str(&format!(
            "event log: {}\nre-run the rules on it: callwatch replay {}\n",
            path.display(),
            path.display()
        ));
    }
    out
}

/// How much warning the spend rules gave before the credits ran out (BillingOutage fired).
fn credit_warning_text(leads: &Leads) -> String {
    if !leads.outage_fired() {
        return "the credits never ran out (BillingOutage did not fire)\n".to_owned();
    }
    let mut out =
        String::from("before the credits ran out (BillingOutage), the team was warned:\n");
    for (label, lead) in leads.minutes_of_warning() {
        match lead {
            Some(m) if m > 0.0 => out.push_str(&format!("  {label:<44} {m:>5.1} min before\n")),
            Some(m) => out.push_str(&format!("  {label:<44} {:>5.1} min AFTER it\n", -m)),
            None => out.push_str(&format!("  {label:<44} never fired\n")),
        }
    }
    out
}
