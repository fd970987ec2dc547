//! `callwatch replay --config` with a budget: the real binary over an event log whose lines
//! carry tokens; `check --config` names a bad budget value's file and line.

use std::process::Command;

fn callwatch(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args(args)
        .env_remove("CALLWATCH_CREDIT_BALANCE_USD")
        .env_remove("CALLWATCH_CREDIT_AS_OF")
        .env_remove("CALLWATCH_MONTHLY_SPEND_LIMIT_USD")
        .env_remove("CALLWATCH_PRICES")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// 10 calls a minute for 10 h, each 1000 input + 500 output tokens of claude-sonnet-4-6
/// ($0.0105 a call, $6.30 an hour).
fn event_log() -> String {
    let t0 = time::macros::datetime!(2026-11-30 00:00 UTC);
    let mut out = String::new();
    for i in 0..6000 {
        let ts = t0 + time::Duration::seconds(i * 6);
        let ts = ts
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        out.push_str(&format!(
            "{{\"ts\":\"{ts}\",\"status\":200,\"error_type\":null,\"model\":\"claude-sonnet-4-6\",\"key_id\":\"k-0000beef\",\"input_tokens\":1000,\"output_tokens\":500,\"cache_read_input_tokens\":0,\"cache_creation_input_tokens\":0}}\n"
        ));
    }
    out
}

#[test]
fn replay_with_a_budget_warns_then_pages_before_the_money_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.jsonl");
    std::fs::write(&log, event_log()).unwrap();
    let config = dir.path().join("callwatch.toml");
    // $60 lasts 571 minutes: under 2 h left after 451 minutes.
    std::fs::write(
        &config,
        "[budget]\ncredit_balance_usd = 60\nas_of = \"2026-11-30T00:00:00Z\"\n",
    )
    .unwrap();
    let (code, stdout, stderr) = callwatch(&[
        "replay",
        log.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let alerts: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|a: &serde_json::Value| a["rule"] == "CreditRunwayLow" && a["state"] == "firing")
        .collect();
    assert_eq!(alerts.len(), 2, "{stdout}");
    assert_eq!(alerts[0]["severity"], "warning");
    assert_eq!(alerts[0]["labels"]["runway_below"], "24h");
    assert!(
        alerts[0]["summary"].as_str().unwrap().contains("$6.30/h"),
        "{}",
        alerts[0]
    );
    assert_eq!(alerts[1]["severity"], "critical");
    let at = alerts[1]["at"].as_str().unwrap();
    assert!(at.starts_with("2026-11-30T07:3"), "critical at {at}");

    // Without the budget the same log is quiet.
    let (code, stdout, _) = callwatch(&["replay", log.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("CreditRunwayLow"), "{stdout}");
}

#[test]
fn a_bad_budget_is_named_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("callwatch.toml");
    std::fs::write(
        &config,
        "[budget]\ncredit_balance_usd = \"lots\"\nas_of = \"yesterday\"\n",
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let (code, _, stderr) = callwatch(&["check", "--config", path]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:2: credit_balance_usd = \"lots\"")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:3: as_of = \"yesterday\"")),
        "{stderr}"
    );
    let (code, _, stderr) = callwatch(&["replay", "-", "--config", path]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("credit_balance_usd"), "{stderr}");
}
