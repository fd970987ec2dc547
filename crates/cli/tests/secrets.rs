//! No secret leaks: `callwatch proxy`, `callwatch demo` and `callwatch replay` run as real
//! processes with a recognisable fake API key and webhook secret, alerts fire and reach a real
//! webhook receiver, and then every output is scanned — stdout/stderr (at RUST_LOG=debug),
//! event logs, spool files, `/metrics`, `/healthz`, OTLP payloads, webhook bodies and headers,
//! alert lines — for the key, the secret and the secret's base64 body. Zero hits.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use callwatch_mock::{MockClaude, Reply};
use support::otlp_receiver::{attr, number, OtlpReceiver};
use support::process::{command, free_addr, run, Running};
use support::wait::eventually;
use support::webhook::WebhookReceiver;

const API_KEY: &str = "sk-ant-FAKE-SECRETS-0000";
const DEMO_KEYS: [&str; 2] = ["sk-ant-demo-FAKE-original", "sk-ant-demo-FAKE-rotated"];
/// The signing secret's raw bytes (before base64).
const SECRET_BYTES: &[u8] = b"FAKE-webhook-signing-secret-SCAN";
/// Path and query of the webhook URL: the token a log must never show.
const HOOK_PATH: &str = "/hooks/FAKEHOOKPATHTOKEN42";
const HOOK_QUERY: &str = "token=FAKEHOOKQUERYTOKEN42";

fn secret_base64() -> String {
    base64::engine::general_purpose::STANDARD.encode(SECRET_BYTES)
}

/// Everything that must never appear in any output.
fn needles() -> Vec<String> {
    let b64 = secret_base64();
    let mut n = vec![
        API_KEY.to_string(),
        // The key's distinctive tail, in case something prints it cut or re-encoded.
        "SECRETSCAN".to_string(),
        format!("whsec_{b64}"),
        b64.clone(),
        String::from_utf8_lossy(SECRET_BYTES).into_owned(),
        "FAKEHOOKPATHTOKEN42".to_string(),
        "FAKEHOOKQUERYTOKEN42".to_string(),
    ];
    n.extend(DEMO_KEYS.iter().map(|k| k.to_string()));
    n
}

fn assert_clean(what: &str, text: &str) {
    for needle in needles() {
        assert!(
            !text.contains(&needle),
            "{what} contains the secret {needle:?}:\n{}",
            excerpt(text, &needle)
        );
    }
}

fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(200)
        .map_or(0, |(i, _)| i);
    let end = (at + needle.len() + 200).min(text.len());
    text.get(start..end).unwrap_or(text).to_string()
}

fn assert_bytes_clean(what: &str, bytes: &[u8]) {
    assert_clean(what, &String::from_utf8_lossy(bytes));
}

/// Every file under `dir`, recursively, scanned.
fn assert_dir_clean(dir: &Path) -> usize {
    let mut files = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files += assert_dir_clean(&path);
        } else {
            assert_bytes_clean(&path.display().to_string(), &std::fs::read(&path).unwrap());
            files += 1;
        }
    }
    files
}

fn write_config(dir: &Path, spool: &Path) -> std::path::PathBuf {
    let path = dir.join("callwatch.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[route]
group_wait = "100ms"
group_interval = "1s"
tick = "100ms"

[delivery]
initial_backoff = "100ms"
max_backoff = "300ms"
max_attempts = 100

[spool]
dir = "{}"
"#,
            spool.display()
        ),
    )
    .unwrap();
    path
}

fn with_sinks(mut cmd: Command, hook_url: &str, otlp: &str) -> Command {
    cmd.env("CALLWATCH_WEBHOOK_URL", hook_url)
        .env(
            "CALLWATCH_WEBHOOK_SECRET",
            format!("whsec_{}", secret_base64()),
        )
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)
        .env("OTEL_METRIC_EXPORT_INTERVAL", "300")
        .env("RUST_LOG", "debug");
    cmd
}

async fn send(client: &reqwest::Client, base: &str, body: String, bearer: bool) -> u16 {
    let mut req = client
        .post(format!("{base}/v1/messages"))
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body);
    req = if bearer {
        req.header("authorization", format!("Bearer {API_KEY}"))
    } else {
        req.header("x-api-key", API_KEY)
    };
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let _ = r.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

fn message(stream: bool) -> String {
    format!(
        r#"{{"model":"claude-sonnet-4-6","max_tokens":16,"stream":{stream},"messages":[{{"role":"user","content":"hi"}}]}}"#
    )
}

async fn get_text(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Polls `done` for up to `limit`.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_output_of_proxy_demo_or_replay_contains_a_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let config = write_config(tmp.path(), &spool);
    let otlp = OtlpReceiver::start();
    let (hook_url, hooks) = WebhookReceiver::start(&format!("{HOOK_PATH}?{HOOK_QUERY}")).await;
    let mock = MockClaude::start().await.unwrap();

    // --- proxy ---
    let listen = free_addr();
    let admin = free_addr();
    let proxy_events = tmp.path().join("proxy.jsonl");
    let mut cmd = with_sinks(command(), &hook_url, &otlp.endpoint());
    cmd.arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", &mock.base_url()])
        .arg("--events")
        .arg(&proxy_events)
        .arg("--config")
        .arg(&config);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "proxy did not start:\n{}",
        proxy.stderr_so_far()
    );

    let client = reqwest::Client::new();
    let base = format!("http://{listen}");
    for reply in [
        Reply::success(),
        Reply::status(500),
        Reply::status(401),
        Reply::billing_error(403),
        Reply::credit_balance_too_low(),
        Reply::status(529),
        Reply::drop_connection(),
        Reply::success(),
    ] {
        mock.push(reply);
        send(&client, &base, message(false), false).await;
    }
    mock.push(Reply::stream_error("overloaded_error", "Overloaded"));
    send(&client, &base, message(true), true).await;
    // Invalid JSON that carries the key: nothing may echo it.
    send(
        &client,
        &base,
        format!("{{\"model\": \"{API_KEY}\", broken"),
        false,
    )
    .await;
    for _ in 0..20 {
        send(&client, &base, message(false), true).await;
    }

    // The billing alert fires at the call; the receiver refuses until it has refused once and
    // the spool file is seen (the file is written before the first attempt, so seeing it alone
    // could let that attempt through).
    let webhook_spool = spool.join("chat/webhook");
    let spooled = eventually(Duration::from_secs(20), || {
        !hooks.requests().is_empty()
            && std::fs::read_dir(&webhook_spool)
                .is_ok_and(|d| d.flatten().any(|e| e.path().is_file()))
    })
    .await;
    assert!(
        spooled,
        "no spool file; proxy stderr:\n{}",
        proxy.stderr_so_far()
    );
    let spool_files = assert_dir_clean(&spool);
    assert!(spool_files > 0);
    hooks.accept();
    let delivered = eventually(Duration::from_secs(20), || {
        hooks.requests().len() >= 2
            && std::fs::read_dir(&webhook_spool)
                .is_ok_and(|d| !d.flatten().any(|e| e.path().is_file()))
    })
    .await;
    assert!(
        delivered,
        "webhook not delivered:\n{}",
        proxy.stderr_so_far()
    );

    let metrics = get_text(&client, format!("http://{admin}/metrics")).await;
    assert!(metrics.contains("claude"), "metrics look empty:\n{metrics}");
    // The refused attempts and the deliveries are visible to whoever scrapes the agent.
    let notifications = |result: &str| -> u64 {
        let series = format!(
            "callwatch_notifications_total{{callwatch_receiver=\"chat\",callwatch_sink=\"webhook\",callwatch_result=\"{result}\"}} "
        );
        let line = metrics.lines().find(|l| l.starts_with(&series));
        line.and_then(|l| l[series.len()..].parse().ok())
            .unwrap_or_else(|| panic!("no {series} in /metrics:\n{metrics}"))
    };
    assert!(notifications("sent") >= 1, "{metrics}");
    assert!(notifications("retried") >= 1, "{metrics}");
    assert_clean("/metrics", &metrics);
    assert_clean(
        "/healthz",
        &get_text(&client, format!("http://{admin}/healthz")).await,
    );

    proxy.sigterm();
    let proxy_out = proxy.finish(Duration::from_secs(30));
    assert!(proxy_out.status.success(), "{}", proxy_out.stderr);
    assert!(
        proxy_out.stderr.contains("DEBUG"),
        "RUST_LOG=debug gave no debug lines, so the scan proves little"
    );
    assert_clean("proxy stderr", &proxy_out.stderr);
    assert_clean("proxy stdout (alert lines)", &proxy_out.stdout);
    assert!(
        proxy_out.stdout.contains("BillingOutage"),
        "{}",
        proxy_out.stdout
    );
    let events = std::fs::read_to_string(&proxy_events).unwrap();
    assert!(events.lines().count() >= 20, "{events}");
    assert_clean("proxy event log", &events);

    // --- demo ---
    let demo_events = tmp.path().join("demo.jsonl");
    let mut cmd = with_sinks(command(), &hook_url, &otlp.endpoint());
    cmd.arg("demo")
        .args(["--speed", "600", "--rate", "400", "--duration", "20m"])
        .args(["--plain", "--no-desktop"])
        .arg("--events")
        .arg(&demo_events)
        .arg("--config")
        .arg(&config);
    let demo = run(cmd, Duration::from_secs(120));
    assert!(demo.status.success(), "{}", demo.stderr);
    assert_clean("demo stdout", &demo.stdout);
    assert_clean("demo stderr", &demo.stderr);
    let demo_log = std::fs::read_to_string(&demo_events).unwrap();
    assert!(demo_log.lines().count() > 100);
    assert_clean("demo event log", &demo_log);

    // --- replay, over both logs ---
    for log in [&proxy_events, &demo_events] {
        let mut cmd = command();
        cmd.arg("replay").arg(log).env("RUST_LOG", "debug");
        let replay = run(cmd, Duration::from_secs(60));
        assert!(replay.status.success(), "{}", replay.stderr);
        assert_clean("replay stdout", &replay.stdout);
        assert_clean("replay stderr", &replay.stderr);
    }

    // --- what left the processes over the network ---
    let seen: Vec<String> = hooks.requests().into_iter().map(|r| r.text).collect();
    assert!(seen.iter().any(|s| s.contains("BillingOutage")));
    // The secret was in use: every request is signed with it.
    assert!(
        seen.iter().all(|s| s.contains("webhook-signature: v1,")),
        "{seen:?}"
    );
    for (i, s) in seen.iter().enumerate() {
        assert_clean(&format!("webhook request #{i}"), s);
    }
    assert_dir_clean(&spool);
    let received = otlp.lock();
    assert!(!received.raw.is_empty(), "no OTLP payload arrived");
    for (i, raw) in received.raw.iter().enumerate() {
        assert_bytes_clean(&format!("OTLP payload #{i}"), raw);
    }

    // The agent's health reaches OTLP too (for fleets that do not scrape): the webhook's
    // deliveries, and the billing alert in the firing gauge.
    let sent_over_otlp = received
        .sum_points("callwatch.notifications")
        .into_iter()
        .filter(|(_, p)| {
            attr(&p.attributes, "callwatch.sink").as_deref() == Some("webhook")
                && attr(&p.attributes, "callwatch.result").as_deref() == Some("sent")
        })
        .map(|(_, p)| number(p))
        .fold(0.0, f64::max);
    assert!(
        sent_over_otlp >= 1.0,
        "webhook sent over OTLP: {sent_over_otlp}"
    );
    assert!(
        received
            .all_metrics()
            .iter()
            .any(|m| m.name == "callwatch.alerts.firing"),
        "no callwatch.alerts.firing over OTLP"
    );
}

/// The key an echoing upstream names back, Anthropic-shaped.
const ECHOED_KEY: &str = "sk-ant-api03-FAKEECHO";
/// A key of no known shape (a gateway's own token): only "the request's own key" catches it.
const OWN_KEY: &str = "gw-FAKEOWNKEY-shapeless";
const OTLP_PASSWORD: &str = "FAKEOTLPPASSWORD";
const UPSTREAM_PASSWORD: &str = "FAKEUPSTREAMPASSWORD";
const SLACK_TOKEN: &str = "FAKESLACKTOKENPATH";
const PD_KEY: &str = "FAKEPDROUTINGKEY0";

fn echo_needles() -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("otlp:{OTLP_PASSWORD}"));
    vec![
        ECHOED_KEY.into(),
        "FAKEECHO".into(),
        OWN_KEY.into(),
        "FAKEOWNKEY".into(),
        OTLP_PASSWORD.into(),
        basic,
        UPSTREAM_PASSWORD.into(),
        SLACK_TOKEN.into(),
        PD_KEY.into(),
    ]
}

fn assert_no_echo(what: &str, text: &str) {
    for needle in echo_needles() {
        assert!(
            !text.contains(&needle),
            "{what} contains the secret {needle:?}:\n{}",
            excerpt(text, &needle)
        );
    }
}

async fn send_with(client: &reqwest::Client, base: &str, key_header: (&str, String), model: &str) {
    let body = format!(
        r#"{{"model":"{model}","max_tokens":16,"messages":[{{"role":"user","content":"hi"}}]}}"#
    );
    let sent = client
        .post(format!("{base}/v1/messages"))
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header(key_header.0, key_header.1)
        .body(body)
        .send()
        .await;
    if let Ok(response) = sent {
        let _ = response.bytes().await;
    }
}

/// An upstream that echoes the key (in error messages, a URL's query, the response `model`), a
/// client that sends its key as `model`, an OTLP endpoint with a password in it, and flags and
/// config files with secrets at the wrong place: every output scanned at RUST_LOG=trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_an_upstream_echoes_or_a_client_misplaces_leak_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let config = write_config(tmp.path(), &spool);
    let otlp = OtlpReceiver::start();
    let (hook_url, hooks) = WebhookReceiver::start("/hooks/echo").await;
    hooks.accept();
    let mock = MockClaude::start().await.unwrap();

    let listen = free_addr();
    let admin = free_addr();
    let events = tmp.path().join("echo.jsonl");
    let otlp_endpoint = format!("http://otlp:{OTLP_PASSWORD}@{}", otlp.addr);
    let mut cmd = with_sinks(command(), &hook_url, &otlp_endpoint);
    cmd.env("RUST_LOG", "trace")
        .arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", &mock.base_url()])
        .arg("--events")
        .arg(&events)
        .arg("--config")
        .arg(&config);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "proxy did not start:\n{}",
        proxy.stderr_so_far()
    );

    let client = reqwest::Client::new();
    let base = format!("http://{listen}");
    let x_key = || ("x-api-key", ECHOED_KEY.to_string());
    let own = || ("authorization", format!("Bearer {OWN_KEY}"));
    let scripted = [
        (
            Reply::error(
                401,
                "authentication_error",
                &format!("invalid x-api-key: {ECHOED_KEY}"),
            ),
            x_key(),
        ),
        (
            Reply::error(
                402,
                "billing_error",
                &format!("credit balance too low for {ECHOED_KEY}"),
            ),
            x_key(),
        ),
        (
            Reply::error(
                500,
                "api_error",
                &format!("upstream https://gw/v1?api_key={OWN_KEY} failed"),
            ),
            own(),
        ),
        (
            Reply::error(
                500,
                "api_error",
                &format!("key {OWN_KEY} is not allowed here"),
            ),
            own(),
        ),
        (
            Reply::error(
                400,
                "invalid_request_error",
                &format!("model: {ECHOED_KEY} not found"),
            ),
            x_key(),
        ),
        (Reply::success().model(ECHOED_KEY), x_key()),
    ];
    for (reply, key) in scripted {
        mock.push(reply);
        send_with(&client, &base, key, ECHOED_KEY).await;
    }
    for _ in 0..10 {
        mock.push(Reply::error(
            500,
            "api_error",
            &format!("echo {ECHOED_KEY}"),
        ));
        send_with(&client, &base, x_key(), ECHOED_KEY).await;
    }

    let fired = eventually(Duration::from_secs(20), || {
        hooks
            .requests()
            .iter()
            .any(|r| r.text.contains("BillingOutage"))
    })
    .await;
    assert!(
        fired,
        "no BillingOutage webhook:\n{}",
        proxy.stderr_so_far()
    );
    let metrics = get_text(&client, format!("http://{admin}/metrics")).await;
    assert!(
        metrics.contains("gen_ai_request_model=\"redacted\""),
        "the key-as-model request was not recorded under the redacted label:\n{metrics}"
    );
    assert_no_echo("/metrics", &metrics);
    // Metrics reach the collector, authenticated by the endpoint's userinfo as a header.
    let exported = eventually(Duration::from_secs(20), || !otlp.lock().raw.is_empty()).await;
    assert!(exported, "no OTLP export:\n{}", proxy.stderr_so_far());

    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(30));
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr.contains("TRACE"),
        "RUST_LOG=trace gave no trace lines"
    );
    assert_no_echo("proxy stderr at trace", &out.stderr);
    assert_no_echo("proxy stdout (alert lines)", &out.stdout);
    let log = std::fs::read_to_string(&events).unwrap();
    assert!(log.lines().count() >= 16, "{log}");
    assert!(log.contains("<redacted>"), "{log}");
    assert_no_echo("event log", &log);
    for (i, r) in hooks.requests().iter().enumerate() {
        assert_no_echo(&format!("webhook request #{i}"), &r.text);
    }
    let received = otlp.lock();
    for (i, raw) in received.raw.iter().enumerate() {
        assert_no_echo(&format!("OTLP payload #{i}"), &String::from_utf8_lossy(raw));
    }
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("otlp:{OTLP_PASSWORD}"))
    );
    assert!(
        received.authorizations.iter().all(|a| a == &basic),
        "OTLP requests without the endpoint's credentials: {:?}",
        received.authorizations.len()
    );
    drop(received);
    if spool.exists() {
        for entry in walk(&spool) {
            assert_no_echo(
                &entry.display().to_string(),
                &String::from_utf8_lossy(&std::fs::read(&entry).unwrap()),
            );
        }
    }

    // replay of that log (and of a log written by a tool that did not redact).
    let raw_log = tmp.path().join("raw.jsonl");
    std::fs::write(
        &raw_log,
        format!(
            "{{\"ts\":\"2026-11-20T08:00:00Z\",\"status\":402,\"error_type\":\"billing_error\",\"model\":\"{ECHOED_KEY}\",\"message\":\"key {ECHOED_KEY}\"}}\n"
        ),
    )
    .unwrap();
    for file in [&events, &raw_log] {
        let mut cmd = command();
        cmd.arg("replay").arg(file).env("RUST_LOG", "trace");
        let replay = run(cmd, Duration::from_secs(60));
        assert!(replay.status.success(), "{}", replay.stderr);
        assert_no_echo("replay stdout", &replay.stdout);
        assert_no_echo("replay stderr", &replay.stderr);
    }

    // Flag and config errors.
    for upstream in [
        format!("http://user:{UPSTREAM_PASSWORD}@127.0.0.1:99999/v1"),
        format!("ftp://user:{UPSTREAM_PASSWORD}@127.0.0.1/x?token={UPSTREAM_PASSWORD}"),
        format!("http://127.0.0.1:80:80/?api_key={UPSTREAM_PASSWORD}"),
    ] {
        let mut cmd = command();
        cmd.arg("proxy")
            .args(["--listen", &free_addr().to_string()])
            .args(["--upstream", &upstream]);
        let out = run(cmd, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(1), "{upstream}: {}", out.stderr);
        assert!(out.stderr.contains("--upstream"), "{}", out.stderr);
        assert_no_echo("--upstream error", &out.stderr);
        assert_no_echo("--upstream error (stdout)", &out.stdout);
    }
    for misplaced in [
        format!("slack = \"https://hooks.slack.com/services/T0/B0/{SLACK_TOKEN}\"\n"),
        format!("pagerduty = \"{PD_KEY}\"\n"),
        format!("[slack]\nurl = [\"https://hooks.slack.com/services/T0/B0/{SLACK_TOKEN}\"]\n"),
        format!("[pagerduty]\nrouting_key = {{ key = \"{PD_KEY}\" }}\n"),
    ] {
        let path = tmp.path().join("bad.toml");
        std::fs::write(&path, &misplaced).unwrap();
        let mut cmd = command();
        cmd.arg("proxy")
            .args(["--listen", &free_addr().to_string()])
            .args(["--upstream", &mock.base_url()])
            .arg("--config")
            .arg(&path);
        let out = run(cmd, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(1), "{misplaced}: {}", out.stderr);
        assert!(out.stderr.contains("bad.toml"), "{}", out.stderr);
        assert_no_echo("config error", &out.stderr);
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
