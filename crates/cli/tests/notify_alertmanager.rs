//! An Alertmanager file as callwatch's notification config: what it supports lands where it
//! should, everything it does not is an error naming the key with file:line:col (all of them,
//! not only the first), secrets never show, and the shipped examples validate — in callwatch and
//! in `amtool check-config`.

mod notify_support;

use std::path::Path;
use std::process::Command;

use callwatch_core::alert::{Alert, Severity};
use callwatch_notify::config::alertmanager::parse;
use callwatch_notify::{Integration, NotifyConfig, Router};

fn no_env(_: &str) -> Option<String> {
    None
}

fn no_files(f: &str) -> Result<String, String> {
    Err(format!("no file {f}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, "am.yml", &no_files, &no_env) {
        Ok(_) => Vec::new(),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

fn alert(rule: &str, severity: Severity) -> Alert {
    let mut a = notify_support::firing(rule, &[], notify_support::T0);
    a.severity = severity;
    a
}

const UNSUPPORTED: &str = r#"global:
  resolve_timeout: 5m
  smtp_from: alerts@example.com
templates:
  - /etc/alertmanager/*.tmpl
route:
  receiver: chat
  routes:
    - matchers: [severity="critical"]
      receiver: pager
      active_time_intervals: [office]
receivers:
  - name: chat
    email_configs:
      - to: team@example.com
    webhook_configs:
      - url: http://127.0.0.1:9/chat
        http_config:
          bearer_token: FAKE-token
  - name: pager
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/FAKE
        title: '{{ .Status }}'
    pagerduty_configs:
      - routing_key: FAKE-key
        service_key: FAKE-v1-key
inhibit_rules:
  - source_matchers: [alertname="BillingOutage"]
    target_matchers: [alertname="ServerErrorSpike"]
    priority: 1
time_intervals:
  - name: office
    time_intervals:
      - weekdays: ['monday:friday']
        location: UTC
        times:
          - start_time: "09:00"
            end_time: "17:00"
            step: 5m
"#;

#[test]
fn every_unsupported_key_is_reported_with_its_location() {
    let errs = errors(UNSUPPORTED);
    let expected = [
        ("am.yml:3:3:", "`smtp_from`"),
        ("am.yml:4:1:", "`templates`"),
        ("am.yml:14:5:", "`email_configs`"),
        ("am.yml:18:9:", "`http_config`"),
        ("am.yml:23:9:", "`title`"),
        ("am.yml:26:9:", "`service_key`"),
        ("am.yml:30:5:", "`priority`"),
        ("am.yml:39:13:", "`step`"),
    ];
    for (at, key) in expected {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(at) && e.contains(key) && e.contains("not supported")),
            "no `{at} {key}` in:\n{}",
            errs.join("\n")
        );
    }
    assert_eq!(errs.len(), expected.len(), "{}", errs.join("\n"));
    // Said what is supported where the key was.
    assert!(errs.iter().any(|e| e.contains("`title`")
        && e.contains("supported here: api_url, api_url_file, channel, send_resolved")));
    for e in &errs {
        assert!(!e.contains("FAKE"), "a secret in an error: {e}");
    }
}

#[test]
fn every_semantic_problem_is_reported_at_its_key() {
    let text = r#"route:
  receiver: nobody
  matchers: [severity="critical"]
  group_wait: soon
  routes:
    - matchers: ['model=~"("']
      receiver: chat
    - receiver: ghost
      repeat_interval: 0s
receivers:
  - name: chat
    webhook_configs:
      - url: ftp://127.0.0.1/FAKE-path-secret
  - name: chat
    pagerduty_configs:
      - send_resolved: true
"#;
    let errs = errors(text);
    let expected = [
        ("am.yml:2:3:", "no receiver named \"nobody\""),
        ("am.yml:3:3:", "must not have matchers"),
        ("am.yml:4:3:", "not a duration"),
        ("am.yml:6:7:", "bad regex"),
        ("am.yml:8:7:", "no receiver named \"ghost\""),
        ("am.yml:9:7:", "more than zero"),
        ("am.yml:13:9:", "not an http:// or https:// URL"),
        ("am.yml:14:5:", "defined twice"),
        ("am.yml:16:7:", "routing_key"),
    ];
    for (at, what) in expected {
        assert!(
            errs.iter().any(|e| e.starts_with(at) && e.contains(what)),
            "no `{at} … {what}` in:\n{}",
            errs.join("\n")
        );
    }
    assert_eq!(errs.len(), expected.len(), "{}", errs.join("\n"));
    assert!(errs.iter().all(|e| !e.contains("FAKE")), "{errs:?}");
}

#[test]
fn time_intervals_are_read_and_their_problems_located() {
    let ok = r#"route:
  receiver: chat
  routes:
    - matchers: [severity="warning"]
      receiver: chat
      mute_time_intervals: [nights]
      active_time_intervals: [weekdays]
receivers:
  - name: chat
time_intervals:
  - name: nights
    time_intervals:
      - times:
          - start_time: "22:00"
            end_time: "24:00"
          - start_time: "00:00"
            end_time: "06:00"
mute_time_intervals:
  - name: weekdays
    time_intervals:
      - weekdays: ['monday:friday']
        days_of_month: [1, '-7:-1']
        months: ['january:march', 12]
        years: ['2026:2030']
"#;
    let cfg = parse(ok, "am.yml", &no_files, &no_env).unwrap();
    assert_eq!(
        cfg.route.time_intervals["nights"][0].times,
        [(1320, 1440), (0, 360)]
    );
    assert_eq!(
        cfg.route.time_intervals["weekdays"][0].days_of_month,
        [(1, 1), (-7, -1)]
    );
    assert_eq!(cfg.route.route.routes[0].mute_time_intervals, ["nights"]);

    let bad = r#"route:
  receiver: chat
  mute_time_intervals: [nights]
  routes:
    - receiver: chat
      active_time_intervals: [office]
receivers:
  - name: chat
time_intervals:
  - name: nights
    time_intervals:
      - weekdays: [funday]
        location: Europe/Paris
        times:
          - start_time: "23:00"
            end_time: "07:00"
"#;
    let errs = errors(bad);
    let expected = [
        (
            "am.yml:3:3:",
            "root route cannot have `mute_time_intervals`",
        ),
        ("am.yml:6:7:", "no time interval named \"office\""),
        ("am.yml:12:9:", "sunday"),
        ("am.yml:13:9:", "UTC only"),
        ("am.yml:15:11:", "start_time must be before end_time"),
    ];
    for (at, what) in expected {
        assert!(
            errs.iter().any(|e| e.starts_with(at) && e.contains(what)),
            "no `{at} … {what}` in:\n{}",
            errs.join("\n")
        );
    }
    assert_eq!(errs.len(), expected.len(), "{}", errs.join("\n"));
}

#[test]
fn a_type_error_is_located_and_does_not_echo_the_value() {
    let errs = errors("route:\n  receiver: chat\nreceivers:\n  - name: chat\n    webhook_configs: https://hooks.example.com/FAKE-token\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("am.yml:5:"), "{errs:?}");
    assert!(!errs[0].contains("FAKE"), "{errs:?}");
}

#[test]
fn a_valid_file_builds_the_tree_receivers_and_secrets_from_files() {
    let text = r##"global:
  slack_api_url_file: slack_url
route:
  receiver: chat
  group_by: [alertname, model]
  group_wait: 10s
  routes:
    - match:
        severity: critical
      receiver: pager
      continue: true
    - match_re:
        alertname: "Bad.*"
      receiver: deploys
receivers:
  - name: chat
    slack_configs:
      - channel: "#alerts"
  - name: pager
    pagerduty_configs:
      - routing_key_file: pd_key
  - name: deploys
    webhook_configs:
      - url_file: hook_url
        max_alerts: 5
        send_resolved: false
inhibit_rules:
  - source_match:
      alertname: BillingOutage
    target_match_re:
      alertname: "ServerErrorSpike|LatencyP99High"
"##;
    let files = |f: &str| -> Result<String, String> {
        Ok(match f {
            "slack_url" => "https://hooks.slack.com/services/T0/B0/FAKE\n",
            "pd_key" => "FAKE-routing-key\n",
            "hook_url" => "http://127.0.0.1:9/deploys",
            other => return Err(format!("unexpected {other}")),
        }
        .to_string())
    };
    let cfg = parse(text, "am.yml", &files, &no_env).unwrap();
    let names: Vec<&str> = cfg.receivers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["chat", "pager", "deploys"]);
    let Integration::Slack(slack) = &cfg.receiver("chat").unwrap().integrations[0] else {
        panic!("slack");
    };
    assert_eq!(
        slack.webhook_url.expose(),
        "https://hooks.slack.com/services/T0/B0/FAKE"
    );
    assert_eq!(slack.channel.as_deref(), Some("#alerts"));
    assert!(!slack.send_resolved, "Alertmanager's default for Slack");
    let Integration::PagerDuty(pd) = &cfg.receiver("pager").unwrap().integrations[0] else {
        panic!("pagerduty");
    };
    assert_eq!(pd.routing_key.expose(), "FAKE-routing-key");
    let Integration::Webhook(hook) = &cfg.receiver("deploys").unwrap().integrations[0] else {
        panic!("webhook");
    };
    assert_eq!((hook.max_alerts, hook.send_resolved), (5, false));
    assert_eq!(cfg.route.inhibit.len(), 1);
    assert!(
        !format!("{cfg:?}").contains("FAKE"),
        "Debug never shows a secret"
    );

    let router = Router::new(cfg.route.clone());
    assert_eq!(
        router.receivers_for(&alert("BillingOutage", Severity::Critical)),
        ["pager"],
        "a continue route matched, so the root's receiver is not used (Alertmanager's walk)"
    );
    assert_eq!(
        router.receivers_for(&alert("BadRequestBaselineRising", Severity::Warning)),
        ["deploys"]
    );
    assert_eq!(
        router.receivers_for(&alert("LatencyP99High", Severity::Warning)),
        ["chat"]
    );
}

#[test]
fn with_only_environment_variables_warnings_never_page() {
    let env = |k: &str| -> Option<String> {
        match k {
            "CALLWATCH_PAGERDUTY_ROUTING_KEY" => Some("FAKE-key".into()),
            "CALLWATCH_SLACK_WEBHOOK_URL" => Some("https://hooks.slack.com/services/FAKE".into()),
            "CALLWATCH_WEBHOOK_URL" => Some("http://127.0.0.1:9/hook".into()),
            _ => None,
        }
    };
    let cfg = NotifyConfig::parse("", "environment", &env).unwrap();
    let kinds = |name: &str| -> Vec<&str> {
        cfg.receiver(name)
            .unwrap()
            .integrations
            .iter()
            .map(|i| i.kind())
            .collect()
    };
    assert_eq!(kinds("pager"), ["pagerduty"]);
    assert_eq!(kinds("chat"), ["slack", "webhook"]);
    let router = Router::new(cfg.route.clone());
    for rule in [
        "BillingOutage",
        "ServerErrorSpike",
        "AuthFailuresAfterKeyRotation",
    ] {
        assert_eq!(
            router.receivers_for(&alert(rule, Severity::Critical)),
            ["pager", "chat"],
            "{rule}"
        );
    }
    for rule in [
        "BadRequestBaselineRising",
        "LatencyP99High",
        "RateLimitPressure",
    ] {
        assert_eq!(
            router.receivers_for(&alert(rule, Severity::Warning)),
            ["chat"],
            "{rule} must not page"
        );
    }
    // Only a pager: warnings go nowhere rather than to the pager.
    let only_pd =
        |k: &str| (k == "CALLWATCH_PAGERDUTY_ROUTING_KEY").then(|| "FAKE-key".to_string());
    let cfg = NotifyConfig::parse("", "environment", &only_pd).unwrap();
    let router = Router::new(cfg.route.clone());
    assert_eq!(
        router.receivers_for(&alert("LatencyP99High", Severity::Warning)),
        ["chat"]
    );
    assert!(cfg.receiver("chat").unwrap().integrations.is_empty());
}

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("docs/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn the_shipped_examples_pass_callwatch_check_and_amtool() {
    let files = examples();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
            .arg("check")
            .arg("--config")
            .arg(file)
            .env_remove("CALLWATCH_SLACK_WEBHOOK_URL")
            .env_remove("CALLWATCH_WEBHOOK_URL")
            .env_remove("CALLWATCH_PAGERDUTY_ROUTING_KEY")
            .env_remove("CALLWATCH_ALERTMANAGER_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("));
        let yaml = file.extension().is_some_and(|e| e == "yml");
        if !yaml {
            continue;
        }
        if !Path::new("/usr/bin/amtool").exists() {
            println!(
                "skipping amtool check-config {}: /usr/bin/amtool is not installed",
                file.display()
            );
            continue;
        }
        let out = Command::new("/usr/bin/amtool")
            .arg("check-config")
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "amtool rejects {}: {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// An alert's rule, severity and labels, and the receivers it must reach.
type RouteCase = (
    &'static str,
    Severity,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

/// The teams example routes each cause where its comments say, and Alertmanager's own walk
/// (`amtool config routes test`) sends every case to the same receivers as callwatch's router.
#[test]
fn the_teams_example_routes_each_cause_as_amtool_does() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("docs/examples");
    let file = dir.join("alertmanager-teams.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    let files = |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    let cfg = parse(&text, "alertmanager-teams.yml", &files, &no_env).unwrap();
    let router = Router::new(cfg.route.clone());
    // The batch key's spend jumps go to the people who run its jobs, any other key's to the
    // team that deploys.
    let cases: [RouteCase; 8] = [
        ("BillingOutage", Severity::Critical, &[], &["billing"]),
        (
            "AuthFailuresAfterKeyRotation",
            Severity::Critical,
            &[("key_id", "k-0badc0de")],
            &["secrets"],
        ),
        ("ServerErrorSpike", Severity::Critical, &[], &["oncall"]),
        (
            "OverloadedCapacity",
            Severity::Warning,
            &[],
            &["oncall", "deploys"],
        ),
        (
            "SpendRateSpike",
            Severity::Warning,
            &[("key_id", "k-52e6b438")],
            &["batch-jobs"],
        ),
        (
            "SpendRateSpike",
            Severity::Warning,
            &[("key_id", "k-0badc0de")],
            &["deploys"],
        ),
        ("CreditRunwayLow", Severity::Critical, &[], &["deploys"]),
        (
            "LatencyP99High",
            Severity::Warning,
            &[("model", "claude-haiku-4-5")],
            &["deploys"],
        ),
    ];
    let amtool = Path::new("/usr/bin/amtool").exists();
    if !amtool {
        println!("amtool is not installed: callwatch's routes only, not compared");
    }
    for (rule, severity, labels, expected) in cases {
        let mut a = notify_support::firing(rule, labels, notify_support::T0);
        a.severity = severity;
        let ours = router.receivers_for(&a);
        assert_eq!(ours, expected, "{rule} {labels:?}");
        if !amtool {
            continue;
        }
        let out = Command::new("/usr/bin/amtool")
            .args(["config", "routes", "test"])
            .arg(format!("--config.file={}", file.display()))
            .arg(format!("alertname={rule}"))
            .arg(format!("severity={}", severity.as_str()))
            .args(labels.iter().map(|(k, v)| format!("{k}={v}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let theirs = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            theirs.trim().split(',').collect::<Vec<_>>(),
            ours,
            "{rule} {labels:?}: Alertmanager routes it elsewhere"
        );
    }
}

#[test]
fn check_config_reports_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(&file, UNSUPPORTED).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args(["check", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let located = stderr
        .lines()
        .filter(|l| l.contains("alertmanager.yml:") && l.contains("not supported"))
        .count();
    assert_eq!(located, 8, "{stderr}");
    assert!(stderr.contains("8 problem(s) found"), "{stderr}");
    assert!(!stderr.contains("FAKE"), "{stderr}");
}
