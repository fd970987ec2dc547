//! Bad configuration, rule files and command-line values, through the real binary: exit code 1,
//! one line on stderr naming the key, the value and what is allowed, and nothing left running
//! or listening.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use support::process::{command, free_addr, run, Finished};

const LIMIT: Duration = Duration::from_secs(30);

fn assert_one_line_error(out: &Finished, must_contain: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "want exit 1; stderr:\n{}",
        out.stderr
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "want one line, got:\n{}", out.stderr);
    for needle in must_contain {
        assert!(
            lines[0].contains(needle),
            "{needle:?} missing from {:?}",
            lines[0]
        );
    }
}

/// The proxy with `config`; it must refuse to start, and its admin port must not answer.
fn proxy_with_config(dir: &Path, config: &str) -> Finished {
    let path = dir.join("callwatch.toml");
    std::fs::write(&path, config).unwrap();
    let admin = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &free_addr().to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", "http://127.0.0.1:9"])
        .arg("--config")
        .arg(&path)
        .env("HOME", dir);
    let out = run(cmd, LIMIT);
    assert!(
        TcpStream::connect_timeout(&admin, Duration::from_millis(200)).is_err(),
        "admin port left listening"
    );
    out
}

#[test]
fn every_bad_config_value_is_one_line_naming_key_value_and_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "[route]\ngroup_wait = \"soon\"",
            &["callwatch.toml:2:1", "route.group_wait", "soon", "unit"],
        ),
        (
            "[route]\ngroup_wait = 5",
            &["[route] group_wait", "5", "expected a string"],
        ),
        (
            "[route]\ngroup_by = []",
            &["[route] group_by", "[]", "at least one"],
        ),
        (
            "[route]\ntick = \"0s\"",
            &["[route] tick", "0s", "more than zero"],
        ),
        (
            "[route]\nbogus = 1",
            &[
                "callwatch.toml:2:1",
                "unknown key `route.bogus`",
                "group_wait",
            ],
        ),
        (
            "[nope]",
            &["callwatch.toml:1", "unknown key `nope`", "route"],
        ),
        (
            "[[inhibit]]\nsource_matchers = ['alertname=~\"(\"']\ntarget_matchers = ['a=\"b\"']",
            &[
                "callwatch.toml:2:1",
                "inhibit.0.source_matchers",
                "alertname=~",
                "name=\"value\"",
            ],
        ),
        (
            "[[silence]]\nmatchers = ['a=\"b\"']\nuntil = \"tomorrow\"",
            &["[[silence]] #1 until", "tomorrow", "RFC 3339"],
        ),
        (
            "[slack]\nwebhook_url = \"ftp://x/FAKE\"",
            &["[slack] webhook_url", "ftp://x", "http"],
        ),
        (
            "[slack]",
            &[
                "[slack] webhook_url",
                "missing",
                "CALLWATCH_SLACK_WEBHOOK_URL",
            ],
        ),
        (
            "[webhook]\nurl = \"http://127.0.0.1:9/h\"\nsecret = \"whsec_not base64!\"",
            &["[webhook] secret", "<redacted>"],
        ),
        ("[webhook]\nurl = \"nope\"", &["[webhook] url", "http"]),
        (
            "[alertmanager]\nurl = \"http://127.0.0.1:9\"\nresend_interval = \"0s\"",
            &["[alertmanager] resend_interval", "0s", "more than zero"],
        ),
        (
            "[pagerduty]",
            &[
                "[pagerduty] routing_key",
                "missing",
                "CALLWATCH_PAGERDUTY_ROUTING_KEY",
            ],
        ),
        (
            "[desktop]\ntimeout = \"x\"",
            &["[desktop] timeout", "\"x\"", "unit"],
        ),
        (
            "[stdout]\nenabled = \"yes\"",
            &["[stdout] enabled", "yes", "boolean"],
        ),
        ("[spool]\ndir = 5", &["[spool] dir", "5", "string"]),
        (
            "[delivery]\nqueue_capacity = 0",
            &["[delivery] queue_capacity", "0", "at least 1"],
        ),
        (
            "[delivery]\nmax_attempts = -1",
            &["[delivery] max_attempts", "-1", "u32"],
        ),
        (
            "[delivery]\ntimeout = \"1x\"",
            &["[delivery] timeout", "1x", "unit"],
        ),
        ("[route\n", &["callwatch.toml:1"]),
    ];
    for (config, wanted) in cases {
        let out = proxy_with_config(tmp.path(), config);
        assert!(out.stdout.is_empty(), "{config}: stdout {:?}", out.stdout);
        assert_one_line_error(&out, wanted);
        assert!(
            !out.stderr.contains("listening"),
            "{config}: started anyway"
        );
    }
}

#[test]
fn a_secret_in_a_bad_config_value_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = proxy_with_config(
        tmp.path(),
        "[slack]\nwebhook_url = \"hooks.slack.com/services/FAKE-SLACK-TOKEN\"",
    );
    assert_one_line_error(&out, &["[slack] webhook_url"]);
    assert!(!out.stderr.contains("FAKE-SLACK-TOKEN"), "{}", out.stderr);
}

fn rule_head() -> &'static str {
    "rules:\n  - name: X\n    summary: s\n    severity: critical\n"
}

#[test]
fn bad_rule_files_fail_check_and_replay_naming_where_and_what() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.jsonl");
    std::fs::write(&events, "").unwrap();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("{}    kind: share_over_threshold\n    window: 2m\n    threshold: 1.5\n    min_calls: 20\n", rule_head()),
            vec!["bad.yaml:7", "threshold", "1.5", "allowed: 0 to 1"],
        ),
        (
            format!("{}    kind: banana\n", rule_head()),
            vec!["bad.yaml:5", "banana", "allowed:", "share_over_threshold"],
        ),
        (
            "rules:\n  - name: X\n    kind: any\n    severity: loud\n    summary: s\n".into(),
            vec!["bad.yaml:4", "loud", "allowed: info, warning, critical"],
        ),
        (
            format!("{}    kind: any\n    match:\n      classes: [nope]\n", rule_head()),
            vec!["bad.yaml:7", "nope", "allowed:", "billing"],
        ),
        (
            "rules:\n  - name: X\n    kind: any\n    severity: critical\n    summary: '{{nope}}'\n".into(),
            vec!["bad.yaml:5", "{{nope}}", "allowed:"],
        ),
        ("rules: [ {\n".into(), vec!["bad.yaml:2"]),
    ];
    for (text, wanted) in &cases {
        let file = tmp.path().join("bad.yaml");
        std::fs::write(&file, text).unwrap();
        let mut check = command();
        check.arg("check").arg(&file);
        let out = run(check, LIMIT);
        assert_eq!(out.status.code(), Some(1), "check {text}: {}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        for w in wanted {
            assert!(all.contains(w), "check: {w:?} missing from {all:?}");
        }
        let mut replay = command();
        replay.arg("replay").arg("--rules").arg(&file).arg(&events);
        let out = run(replay, LIMIT);
        assert_one_line_error(&out, wanted);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_command_line_values_are_one_line_and_exit_1() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["demo", "--speed", "-1", "--no-desktop"],
            &["--speed -1", "allowed 1 to 3600"],
        ),
        (
            &["demo", "--rate", "0", "--no-desktop"],
            &["--rate 0", "allowed 1 to 5000"],
        ),
        (
            &[
                "proxy",
                "--upstream",
                "ftp://x",
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
            ],
            &["--upstream", "ftp://x", "http and https"],
        ),
        (
            &["replay", "/nonexistent/callwatch-events.jsonl"],
            &["/nonexistent/callwatch-events.jsonl"],
        ),
    ];
    for (args, wanted) in cases {
        let mut cmd = command();
        cmd.args(*args);
        assert_one_line_error(&run(cmd, LIMIT), wanted);
    }
}

#[test]
fn a_listen_port_in_use_stops_the_proxy_before_the_admin_port_opens() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    let admin = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &taken_addr.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", "http://127.0.0.1:9"]);
    let out = run(cmd, LIMIT);
    assert_one_line_error(
        &out,
        &["--listen", &taken_addr.to_string(), "cannot listen"],
    );
    assert!(TcpStream::connect_timeout(&admin, Duration::from_millis(200)).is_err());

    // The admin port in use: same, and the app listener is released.
    let listen = free_addr();
    let mut cmd = command();
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &taken_addr.to_string()])
        .args(["--upstream", "http://127.0.0.1:9"]);
    let out = run(cmd, LIMIT);
    assert_one_line_error(&out, &["--admin-listen", &taken_addr.to_string()]);
    assert!(TcpStream::connect_timeout(&listen, Duration::from_millis(200)).is_err());
}
