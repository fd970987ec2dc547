//! The done-when: `callwatch demo --config FILE` with an Alertmanager file that routes
//! `severity="critical"` to webhook receiver `pager` and everything else to webhook receiver
//! `chat` (docs/examples/alertmanager.yml). Two real loopback receivers: `pager` gets firing
//! and resolved for the critical alerts and nothing else; `chat` gets
//! BadRequestBaselineRising and the warnings and nothing critical. CreditRunwayLow is both:
//! its 24h warning goes to chat, its 2h critical to the pager. The same file passes
//! `amtool check-config`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use support::webhook::WebhookReceiver;

const CRITICAL: [&str; 3] = [
    "BillingOutage",
    "ServerErrorSpike",
    "AuthFailuresAfterKeyRotation",
];
/// A rule held twice under one name, as a warning and as a critical page.
const BOTH: &str = "CreditRunwayLow";

/// The example file with its two URLs pointed at the test's receivers.
fn config(pager: &str, chat: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/alertmanager.yml"
    ))
    .unwrap();
    assert!(
        text.contains("http://127.0.0.1:9101/pager") && text.contains("http://127.0.0.1:9102/chat")
    );
    text.replace("http://127.0.0.1:9101/pager", pager)
        .replace("http://127.0.0.1:9102/chat", chat)
}

/// (alertname, status) → count, and every receiver name and severity seen, across bodies.
struct Seen {
    transitions: BTreeMap<(String, String), usize>,
    receivers: BTreeSet<String>,
    severities: BTreeSet<String>,
}

fn seen(bodies: &[String]) -> Seen {
    let mut s = Seen {
        transitions: BTreeMap::new(),
        receivers: BTreeSet::new(),
        severities: BTreeSet::new(),
    };
    for body in bodies {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        s.receivers
            .insert(v["receiver"].as_str().unwrap().to_string());
        assert!(v["groupKey"].as_str().unwrap().contains(':'), "{body}");
        assert_eq!(v["truncatedAlerts"], 0);
        for a in v["alerts"].as_array().unwrap() {
            let name = a["labels"]["alertname"].as_str().unwrap().to_string();
            let status = a["status"].as_str().unwrap().to_string();
            s.severities
                .insert(a["labels"]["severity"].as_str().unwrap().to_string());
            *s.transitions.entry((name, status)).or_insert(0) += 1;
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn critical_alerts_page_and_everything_else_goes_to_chat() {
    let (pager_url, pager) = WebhookReceiver::start("/pager").await;
    let (chat_url, chat) = WebhookReceiver::start("/chat").await;
    pager.accept();
    chat.accept();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(&file, config(&pager_url, &chat_url)).unwrap();

    match std::path::Path::new("/usr/bin/amtool").exists() {
        true => {
            let out = Command::new("/usr/bin/amtool")
                .arg("check-config")
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "amtool check-config: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        false => println!("skipping amtool check-config: /usr/bin/amtool is not installed (apt-get install prometheus-alertmanager)"),
    }

    let events = dir.path().join("events.jsonl");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_callwatch"));
    demo.args([
        "demo",
        "--speed",
        "200",
        "--rate",
        "600",
        "--plain",
        "--no-desktop",
    ])
    .arg("--events")
    .arg(&events)
    .arg("--config")
    .arg(&file)
    .env_remove("CALLWATCH_SLACK_WEBHOOK_URL")
    .env_remove("CALLWATCH_WEBHOOK_URL")
    .env_remove("CALLWATCH_ALERTMANAGER_URL")
    .env_remove("CALLWATCH_PAGERDUTY_ROUTING_KEY")
    .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
    .env("XDG_STATE_HOME", dir.path());
    let output = tokio::task::spawn_blocking(move || demo.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("all four mandated alerts fired and resolved"),
        "{stdout}\n{stderr}"
    );

    let paged = seen(&pager.accepted_bodies());
    let chatted = seen(&chat.accepted_bodies());
    assert_eq!(paged.receivers, BTreeSet::from(["pager".to_string()]));
    assert_eq!(chatted.receivers, BTreeSet::from(["chat".to_string()]));

    // pager: firing and resolved for the critical alerts, and nothing else.
    let names: BTreeSet<&str> = paged.transitions.keys().map(|(n, _)| n.as_str()).collect();
    let mut critical = BTreeSet::from(CRITICAL);
    critical.insert(BOTH);
    assert_eq!(names, critical, "{:?}", paged.transitions);
    for rule in critical {
        for status in ["firing", "resolved"] {
            assert!(
                paged
                    .transitions
                    .contains_key(&(rule.to_string(), status.to_string())),
                "pager missed {rule} {status}: {:?}",
                paged.transitions
            );
        }
    }
    assert_eq!(paged.severities, BTreeSet::from(["critical".to_string()]));

    // chat: BadRequestBaselineRising and every warning the demo fired, nothing critical.
    assert!(
        !chatted.severities.contains("critical"),
        "{:?}",
        chatted.transitions
    );
    let chat_names: BTreeSet<&str> = chatted
        .transitions
        .keys()
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        chat_names.contains("BadRequestBaselineRising"),
        "{chat_names:?}"
    );
    for rule in CRITICAL {
        assert!(!chat_names.contains(rule), "{rule} reached chat");
    }
    let fired: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.split("FIRING   ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    // Every warning reached chat (CreditRunwayLow's 24h warning among them).
    for rule in fired.iter().filter(|r| !CRITICAL.contains(r)) {
        assert!(
            chat_names.contains(rule),
            "warning {rule} fired but never reached chat"
        );
    }

    // The demo says where each alert went, and counts per receiver.
    assert!(stdout.contains("→ pager"), "{stdout}");
    assert!(stdout.contains("→ chat"), "{stdout}");
    let summary = stdout
        .split("notifications per receiver")
        .nth(1)
        .unwrap_or_else(|| panic!("no per-receiver summary:\n{stdout}"));
    assert!(
        summary.contains("pager") && summary.contains("chat"),
        "{summary}"
    );
}
