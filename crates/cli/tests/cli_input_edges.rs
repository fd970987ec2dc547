//! Input at the edges of `check` and `replay`, through the real binary: durations below the
//! engine's one-second resolution, files that are not event logs or not rule files, a
//! directory where a file is expected, and a UTF-8 byte-order mark.

use std::process::Command;

fn callwatch(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rule_with_window(window: &str) -> String {
    format!(
        "rules:\n  - name: Tiny\n    kind: share_over_threshold\n    window: {window}\n    threshold: 0.5\n    match:\n      classes: [server]\n"
    )
}

#[test]
fn a_window_below_or_between_whole_seconds_is_a_check_error_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    for window in ["1ms", "999ms", "1500ms"] {
        let path = dir.path().join("tiny.yaml");
        std::fs::write(&path, rule_with_window(window)).unwrap();
        let (code, _, stderr) = callwatch(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{window}: {stderr}");
        let at = format!(
            "{}:4:5: `window` \"{window}\" is not a whole number of seconds",
            path.display()
        );
        assert!(stderr.contains(&at), "{window}: {stderr}");
    }
    let path = dir.path().join("whole.yaml");
    std::fs::write(&path, rule_with_window("2000ms")).unwrap();
    let (code, stdout, stderr) = callwatch(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok (1 rules)"), "{stdout}");
}

#[test]
fn check_of_a_file_holding_one_string_prints_a_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("string.yaml");
    std::fs::write(&path, format!("\"{}\"\n", "not a rule file ".repeat(400))).unwrap();
    let (code, _, stderr) = callwatch(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        !stderr.contains("not a rule file"),
        "the file was echoed: {stderr}"
    );
    assert!(stderr.len() < 400, "{} bytes: {stderr}", stderr.len());
    assert!(
        stderr.contains(&format!("{}:1:", path.display())),
        "{stderr}"
    );
}

#[test]
fn replay_of_a_file_without_one_event_line_fails_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Cargo.toml");
    std::fs::write(&path, "[package]\nname = \"x\"\nversion = \"0.1.0\"\n").unwrap();
    let (code, stdout, stderr) = callwatch(&["replay", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "{}: no valid event line (3 malformed lines",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn replay_of_a_directory_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = callwatch(&["replay", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{}: is a directory", dir.path().display())),
        "{stderr}"
    );
}

#[test]
fn replay_accepts_a_byte_order_mark_on_line_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.jsonl");
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend_from_slice(
        br#"{"ts":"2026-11-20T08:00:00Z","status":402,"error_type":"billing_error","message":"Your credit balance is too low"}"#,
    );
    text.push(b'\n');
    std::fs::write(&path, text).unwrap();
    let (code, stdout, stderr) = callwatch(&["replay", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert!(stdout.contains("\"rule\":\"BillingOutage\""), "{stdout}");
}
