//! callwatch.toml + environment: values land where they should, env wins for secrets, and
//! every bad value is one line naming key, value (redacted when secret) and what is allowed.

use std::collections::HashMap;
use std::time::Duration;

use callwatch_notify::{Integration, NotifyConfig};

/// The integrations of kind `kind` across every receiver.
fn of_kind<'a>(c: &'a NotifyConfig, kind: &str) -> Vec<(&'a str, &'a Integration)> {
    c.receivers
        .iter()
        .flat_map(|r| r.integrations.iter().map(move |i| (r.name.as_str(), i)))
        .filter(|(_, i)| i.kind() == kind)
        .collect()
}

fn webhook(c: &NotifyConfig) -> Option<&callwatch_notify::config::WebhookConfig> {
    of_kind(c, "webhook")
        .into_iter()
        .find_map(|(_, i)| match i {
            Integration::Webhook(w) => Some(w),
            _ => None,
        })
}

const FULL: &str = r#"
[route]
group_by = ["alertname", "model"]
group_wait = "10s"
group_interval = "2m"
repeat_interval = "1h30m"

[[inhibit]]
source_matchers = ['alertname="BillingOutage"']
target_matchers = ['class=~"permission|server"']
equal = ["key_id"]

[[silence]]
matchers = ['alertname="BadRequestBaselineRising"', 'model="claude-x"']
until = "2026-11-21T00:00:00Z"
comment = "deploy in progress"

[slack]
webhook_url = "https://hooks.slack.com/services/T000/B000/FAKEFAKEFAKE"

[webhook]
url = "https://hooks.example.com/callwatch?token=FAKE-file-token"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[alertmanager]
url = "http://alertmanager:9093"
resend_interval = "45s"

[pagerduty]
routing_key = "FAKE-file-routing-key"

[desktop]
enabled = false

[stdout]

[spool]
dir = "/tmp/callwatch-test-spool"

[delivery]
timeout = "3s"
queue_capacity = 16
"#;

fn parse(text: &str, env: &[(&str, &str)]) -> Result<NotifyConfig, String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    NotifyConfig::parse(text, "callwatch.toml", &|k| env.get(k).cloned()).map_err(|e| e.to_string())
}

#[test]
fn a_full_file_lands_where_it_should() {
    let c = parse(FULL, &[]).unwrap();
    let root = &c.route.route;
    assert_eq!(
        root.receiver, "chat",
        "no [[receivers]]: the defaults' tree"
    );
    assert_eq!(root.group_by, ["alertname", "model"]);
    assert_eq!(root.group_wait, Duration::from_secs(10));
    assert_eq!(root.group_interval, Duration::from_secs(120));
    assert_eq!(root.repeat_interval, Duration::from_secs(5400));
    assert!(
        root.routes
            .iter()
            .all(|r| r.group_wait == Duration::from_secs(10)),
        "children inherit the timing"
    );
    assert_eq!(
        c.route.inhibit.len(),
        1,
        "written rules replace the defaults"
    );
    assert_eq!(c.route.inhibit[0].equal, ["key_id"]);
    assert_eq!(c.route.silences.len(), 1);
    assert_eq!(c.route.silences[0].comment, "deploy in progress");
    assert_eq!(of_kind(&c, "slack")[0].0, "chat");
    assert_eq!(of_kind(&c, "webhook")[0].0, "chat");
    assert_eq!(of_kind(&c, "pagerduty")[0].0, "pager");
    let Integration::Alertmanager(am) = of_kind(&c, "alertmanager")[0].1 else {
        panic!("alertmanager integration");
    };
    assert_eq!(am.resend_interval, Duration::from_secs(45));
    assert!(of_kind(&c, "desktop").is_empty());
    assert_eq!(of_kind(&c, "stdout").len(), 1);
    assert_eq!(c.delivery.queue_capacity, 16);
    assert_eq!(c.delivery.timeout, Duration::from_secs(3));
    assert_eq!(
        c.delivery.spool_dir.as_deref(),
        Some(std::path::Path::new("/tmp/callwatch-test-spool"))
    );
    let Integration::PagerDuty(pd) = of_kind(&c, "pagerduty")[0].1 else {
        panic!("pagerduty integration");
    };
    assert_eq!(pd.url.expose(), "https://events.pagerduty.com/v2/enqueue");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = parse(FULL, &[]).unwrap();
    let debug = format!("{c:?}");
    for secret in [
        "FAKEFAKEFAKE",
        "FAKE-file-token",
        "MfKQ9r8G",
        "FAKE-file-routing-key",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in Debug");
    }
}

#[test]
fn environment_wins_over_the_file_for_secrets_and_endpoints() {
    let c = parse(
        FULL,
        &[
            ("CALLWATCH_WEBHOOK_URL", "https://env.example.com/hook"),
            (
                "CALLWATCH_WEBHOOK_SECRET",
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            ),
            ("CALLWATCH_PAGERDUTY_ROUTING_KEY", "FAKE-env-key"),
            (
                "CALLWATCH_SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/services/ENV/FAKE",
            ),
            ("CALLWATCH_ALERTMANAGER_URL", "http://am-env:9093"),
        ],
    )
    .unwrap();
    let w = webhook(&c).unwrap();
    assert_eq!(w.url.expose(), "https://env.example.com/hook");
    assert_eq!(
        w.secret.as_ref().unwrap().expose(),
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    );
    let exposed: Vec<String> = ["pagerduty", "slack", "alertmanager"]
        .iter()
        .map(|k| match of_kind(&c, k)[0].1 {
            Integration::PagerDuty(p) => p.routing_key.expose().to_string(),
            Integration::Slack(s) => s.webhook_url.expose().to_string(),
            Integration::Alertmanager(a) => a.url.expose().to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        exposed,
        [
            "FAKE-env-key",
            "https://hooks.slack.com/services/ENV/FAKE",
            "http://am-env:9093"
        ]
    );
}

#[test]
fn environment_alone_enables_a_sink() {
    let c = parse("", &[("CALLWATCH_WEBHOOK_URL", "http://127.0.0.1:9/x")]).unwrap();
    assert!(webhook(&c).unwrap().secret.is_none());
    assert!(of_kind(&c, "slack").is_empty());
    assert_eq!(
        c.route.inhibit.len(),
        3,
        "no [[inhibit]]: the BillingOutage defaults"
    );
}

#[test]
fn a_bad_duration_names_key_value_and_what_is_allowed() {
    let e = parse("[route]\ngroup_wait = \"soon\"\n", &[]).unwrap_err();
    assert_eq!(e.lines().count(), 1);
    assert!(
        e.starts_with("callwatch.toml:2:1: route.group_wait: \"soon\" is not a duration"),
        "{e}"
    );
    assert!(e.contains("ms, s, m, h or d"), "{e}");
}

#[test]
fn a_bad_url_is_reported_redacted() {
    let e = parse(
        "[slack]\nwebhook_url = \"ftp://hooks.slack.com/services/T0/B0/FAKESECRET\"\n",
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("[slack] webhook_url = ftp://hooks.slack.com/…"),
        "{e}"
    );
    assert!(e.contains("http:// or https://"), "{e}");
    assert!(!e.contains("FAKESECRET"), "{e}");
    let e = parse(
        "",
        &[("CALLWATCH_ALERTMANAGER_URL", "alertmanager:9093/FAKESECRET")],
    )
    .unwrap_err();
    assert!(e.contains("CALLWATCH_ALERTMANAGER_URL"), "{e}");
    assert!(!e.contains("FAKESECRET"), "{e}");
}

#[test]
fn a_bad_signing_secret_is_named_but_never_shown() {
    let e = parse(
        "[webhook]\nurl = \"http://x/\"\nsecret = \"whsec_FAKE not base64\"\n",
        &[],
    )
    .unwrap_err();
    assert!(e.contains("[webhook] secret = <redacted>"), "{e}");
    assert!(e.contains("whsec_"), "says what is allowed: {e}");
    assert!(!e.contains("not base64"), "{e}");
}

#[test]
fn missing_endpoints_say_which_variable_to_set() {
    let e = parse("[pagerduty]\n", &[]).unwrap_err();
    assert!(
        e.contains("[pagerduty] routing_key") && e.contains("CALLWATCH_PAGERDUTY_ROUTING_KEY"),
        "{e}"
    );
}

#[test]
fn typos_and_syntax_errors_point_at_line_and_column() {
    let e = parse("[route]\ngruop_by = [\"alertname\"]\n", &[]).unwrap_err();
    assert!(
        e.starts_with("callwatch.toml:2:1: unknown key `route.gruop_by`"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1);
    let e = parse("[webhook]\nsecret = \"whsec_FAKE-unterminated\n", &[]).unwrap_err();
    assert!(e.starts_with("callwatch.toml:2:"), "{e}");
    assert!(!e.contains("FAKE-unterminated"), "no echo of the text: {e}");
}

#[test]
fn bad_matchers_and_silence_times_are_named() {
    let e = parse(
        "[[silence]]\nmatchers = ['alertname']\nuntil = \"2026-11-21T00:00:00Z\"\n",
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("[[silence]] #1 matchers") && e.contains("no operator"),
        "{e}"
    );
    let e = parse(
        "[[silence]]\nmatchers = ['a=b']\nuntil = \"tomorrow\"\n",
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("[[silence]] #1 until = \"tomorrow\"") && e.contains("RFC 3339"),
        "{e}"
    );
    let e = parse(
        "[[inhibit]]\nsource_matchers = ['a=~(']\ntarget_matchers = ['b=c']\n",
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("callwatch.toml:2:1: inhibit.0.source_matchers.0") && e.contains("bad regex"),
        "{e}"
    );
}
