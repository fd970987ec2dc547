//! The `check`, `replay` and `test` verbs through the real binary.

use std::io::Write;
use std::process::{Command, Stdio};

fn callwatch(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_accepts_the_shipped_rules_and_points_at_bad_keys() {
    let (code, stdout, _) = callwatch(&["check"], "");
    assert_eq!(code, 0);
    assert!(
        stdout.contains("alerts/default.yaml: ok (13 rules)"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "rules:\n  - name: X\n    kind: share_over_threshold\n    window: 2m\n    threshold: 0.1\n    severity: loud\n",
    )
    .unwrap();
    let (code, _, stderr) = callwatch(&["check", bad.to_str().unwrap()], "");
    assert_eq!(code, 1);
    let want = format!(
        "{}:6:5: unknown severity `loud` (allowed: info, warning, critical)",
        bad.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
}

#[test]
fn replay_reads_stdin_skips_bad_lines_and_fires_billing_at_the_call() {
    let input = concat!(
        "{\"ts\":\"2026-11-20T12:25:00.000Z\",\"status\":200,\"error_type\":null,\"key_id\":\"k-1\"}\n",
        "not json at all\n",
        "{\"ts\":\"2026-11-20T12:25:00.412Z\",\"status\":402,\"error_type\":\"billing_error\",\"request_id\":\"req_1\",\"message\":\"Your account has insufficient credit.\"}\n",
        "{\"ts\":\"2026-11-20T12:25:01.000Z\",\"status\":403,\"error_type\":\"permission_error\"}\n",
    );
    let (code, stdout, stderr) = callwatch(&["replay", "-"], input);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("line 2: not valid JSON"), "{stderr}");
    assert!(stderr.contains("1 malformed lines skipped"), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let a = &lines[0];
    assert_eq!(a["rule"], "BillingOutage");
    assert_eq!(a["state"], "firing");
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["at"], "2026-11-20T12:25:00.412Z");
    assert_eq!(a["labels"]["error_type"], "billing_error");
    // The stream ends 0.6 s later: no invented resolution.
}

#[test]
fn test_verb_runs_the_shipped_tests_and_fails_on_a_wrong_expectation() {
    let (code, stdout, stderr) = callwatch(&["test", "alerts/tests/mandated.yaml"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.yaml");
    std::fs::write(
        &t,
        "tests:\n  - name: wrong\n    input_series:\n      - call: {status: 200}\n        values: \"1x100\"\n    alert_rule_test:\n      - eval_time: 90s\n        alertname: ServerErrorSpike\n        exp_alerts:\n          - labels: {}\n",
    )
    .unwrap();
    let (code, _, stderr) = callwatch(&["test", t.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("FAIL") && stderr.contains("expected ServerErrorSpike firing"),
        "{stderr}"
    );
}
