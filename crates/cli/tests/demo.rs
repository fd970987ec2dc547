//! `callwatch demo` as a new user runs it, compressed: the real binary, the mock API, the real
//! instrumentation and rules. All four mandated alerts must fire and resolve, it must exit 0
//! by itself, and its event log must replay to the same four alerts and the credit story.

use std::process::Command;

const MANDATED: [&str; 4] = [
    "ServerErrorSpike",
    "AuthFailuresAfterKeyRotation",
    "BadRequestBaselineRising",
    "BillingOutage",
];

#[test]
fn the_demo_fires_and_resolves_all_four_mandated_alerts_and_its_log_replays() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("demo-events.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args([
            "demo",
            // 200x (about 20 s): fast enough for CI, slow enough that a loaded machine still
            // makes the calls each incident window needs (at 400x and load 16 one run missed
            // the 5xx spike's window).
            "--speed",
            "200",
            "--rate",
            "600",
            "--plain",
            "--no-desktop",
            "--events",
        ])
        .arg(&events)
        .env_remove("CALLWATCH_SLACK_WEBHOOK_URL")
        .env_remove("CALLWATCH_WEBHOOK_URL")
        .env_remove("CALLWATCH_ALERTMANAGER_URL")
        .env_remove("CALLWATCH_PAGERDUTY_ROUTING_KEY")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("all four mandated alerts fired and resolved"),
        "{stdout}\n{stderr}"
    );
    for rule in MANDATED {
        assert!(
            stdout.contains(&format!("FIRING   {rule}")),
            "{rule} never fired:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("RESOLVED {rule}")),
            "{rule} never resolved:\n{stdout}"
        );
    }
    // The credit story: the spend rules warned before the credits ran out, and said by how
    // much (each line "… N min before").
    let warned = stdout
        .split("before the credits ran out (BillingOutage), the team was warned:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no credit warning summary:\n{stdout}"));
    for alert in [
        "SpendRateSpike (spend jumped)",
        "CreditRunwayLow warning (runway under 24h)",
        "CreditRunwayLow critical (runway under 2h)",
    ] {
        let line = warned
            .lines()
            .find(|l| l.trim_start().starts_with(alert))
            .unwrap_or_else(|| panic!("{alert} missing from:\n{warned}"));
        assert!(line.ends_with("min before"), "{line}");
    }
    for rule in ["SpendRateSpike", "CreditRunwayLow"] {
        assert!(
            stdout.contains(&format!("RESOLVED {rule}")),
            "{rule}:\n{stdout}"
        );
    }
    // The demo's keys are fake, but even their text must never be printed.
    assert!(!stdout.contains("FAKE") && !stderr.contains("FAKE"));
    // Every call made reaches the rules engine or is counted as dropped; key rotation
    // announcements are not calls.
    let counts = stdout
        .lines()
        .find_map(|l| l.strip_prefix("callwatch demo finished: "))
        .expect("summary line");
    let numbers: Vec<u64> = counts
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [made, recorded, dropped] = numbers[..] else {
        panic!("summary line: {counts}");
    };
    assert!(made > 0 && made == recorded + dropped, "{counts}");

    let log = std::fs::read_to_string(&events).unwrap();
    assert!(
        log.lines().count() > 1000,
        "event log too short: {} lines",
        log.lines().count()
    );
    assert!(!log.contains("FAKE"));
    let replay = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("replay")
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let alerts = String::from_utf8_lossy(&replay.stdout);
    // The credit rules too: the log opens with the demo's balance (a `credit_balance` line),
    // so the replay needs no configuration to tell the credit story.
    let credit_rules = ["CreditRunwayLow", "SpendRateSpike"];
    for rule in MANDATED.into_iter().chain(credit_rules) {
        let fired = alerts.lines().any(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["rule"] == rule && v["state"] == "firing"
        });
        assert!(
            fired,
            "replay of the demo log did not fire {rule}:\n{alerts}"
        );
    }
}
