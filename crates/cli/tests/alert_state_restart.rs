//! An alert firing when `callwatch proxy` stops must neither be forgotten (the receiver would
//! show it firing forever) nor be sent a second `firing` after the restart. The real binary
//! against the mock on loopback, a real webhook receiver, SIGTERM and kill -9.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use callwatch_mock::{Behavior, Failure, MockClaude};
use support::process::{command, free_addr, Running};
use support::wait::eventually;
use support::webhook::WebhookReceiver;

/// A 5xx share rule with a short window, so a restart's look-back (window, then
/// `keep_firing_for`) is seconds.
const RULES: &str = "rules:
  - name: RestartSpike
    kind: share_over_threshold
    match:
      statuses: [500]
    window: 4s
    keep_firing_for: 3s
    threshold: 0.5
    min_calls: 2
    min_count: 2
    severity: warning
    summary: \"5xx spike\"
";

struct Setup {
    dir: tempfile::TempDir,
    hook_url: String,
    hooks: std::sync::Arc<WebhookReceiver>,
    /// An Alertmanager (`POST /api/v2/alerts`), answering 200.
    am_url: String,
    am: std::sync::Arc<WebhookReceiver>,
    mock: MockClaude,
}

impl Setup {
    async fn new() -> Setup {
        Setup::with_group_wait("100ms").await
    }

    async fn with_group_wait(group_wait: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
        std::fs::write(
            dir.path().join("callwatch.toml"),
            format!(
                "[route]\ngroup_wait = \"{group_wait}\"\ngroup_interval = \"500ms\"\ntick = \"100ms\"\n\n\
                 [delivery]\ninitial_backoff = \"100ms\"\nmax_backoff = \"300ms\"\n\n\
                 [spool]\ndir = \"{}\"\n",
                dir.path().join("spool").display(),
            ),
        )
        .unwrap();
        // Refuses (503) until the first request has come: the first delivery is retried.
        let (hook_url, hooks) = WebhookReceiver::start("/hook").await;
        let (am_url, am) = WebhookReceiver::start("").await;
        am.accept();
        let mock = MockClaude::start().await.unwrap();
        Setup {
            dir,
            hook_url,
            hooks,
            am_url,
            am,
            mock,
        }
    }

    fn state_file(&self) -> PathBuf {
        self.dir.path().join("spool/alert-state.json")
    }

    /// Starts the proxy on fresh ports; returns it and its base URL.
    fn start(&self) -> (Running, String) {
        let (proxy, base, _) = self.start_with_admin();
        (proxy, base)
    }

    /// Also the admin listener's `/metrics` URL.
    fn start_with_admin(&self) -> (Running, String, String) {
        let listen = free_addr();
        let admin = free_addr();
        let mut cmd: Command = command();
        cmd.arg("proxy")
            .args(["--listen", &listen.to_string()])
            .args(["--admin-listen", &admin.to_string()])
            .args(["--upstream", &self.mock.base_url()])
            .args(["--retry-grace", "100ms"])
            .arg("--rules")
            .arg(self.dir.path().join("rules.yaml"))
            .arg("--config")
            .arg(self.dir.path().join("callwatch.toml"))
            .env("CALLWATCH_WEBHOOK_URL", &self.hook_url)
            .env("CALLWATCH_ALERTMANAGER_URL", &self.am_url)
            .env("RUST_LOG", "info");
        let mut proxy = Running::spawn(cmd);
        assert!(
            proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
            "proxy did not start:\n{}",
            proxy.stderr_so_far()
        );
        (
            proxy,
            format!("http://{listen}"),
            format!("http://{admin}/metrics"),
        )
    }

    /// (status, webhook-id) of each alert in each delivered (answered 200) webhook, in order.
    fn transitions(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in self.hooks.requests().into_iter().filter(|r| r.accepted) {
            let id = r
                .text
                .lines()
                .find_map(|l| l.strip_prefix("webhook-id: "))
                .unwrap_or("?")
                .to_string();
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            for alert in body["alerts"].as_array().unwrap() {
                assert_eq!(alert["labels"]["alertname"], "RestartSpike");
                out.push((alert["status"].as_str().unwrap().to_string(), id.clone()));
            }
        }
        out
    }

    fn count(&self, status: &str) -> usize {
        self.transitions()
            .iter()
            .filter(|(s, _)| s == status)
            .count()
    }

    fn failing(&self, on: bool) {
        let behavior = if on {
            Behavior::healthy().with_failure(Failure::ServerError, 1.0)
        } else {
            Behavior::healthy()
        };
        self.mock.set_behavior(behavior);
    }
}

async fn call(client: &reqwest::Client, base: &str) {
    let _ = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", "sk-ant-FAKE-restart")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .map(|r| r.status());
}

/// Calls every 200 ms for `secs` seconds.
async fn calls_for(client: &reqwest::Client, base: &str, secs: u64) {
    for _ in 0..secs * 5 {
        call(client, base).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Fires the alert through a first proxy, the API failing all along, until the receiver has
/// its `firing` and the state file says delivery has it.
async fn fire(setup: &Setup, client: &reqwest::Client) -> Running {
    setup.failing(true);
    let (proxy, base) = setup.start();
    let state = setup.state_file();
    // Written at the transition, then again once the `firing` was handed to delivery.
    let persisted = || {
        std::fs::read_to_string(&state)
            .is_ok_and(|s| s.contains("RestartSpike") && s.contains("\"handed_over\":true"))
    };
    let ready = eventually(Duration::from_secs(30), || {
        if !setup.hooks.requests().is_empty() {
            setup.hooks.accept();
        }
        setup.count("firing") >= 1 && persisted()
    });
    tokio::pin!(ready);
    loop {
        tokio::select! {
            done = &mut ready => {
                assert!(
                    done,
                    "firing delivered: {:?}; alert state at {state:?}: {:?}\n{}",
                    setup.transitions(),
                    std::fs::read_to_string(&state),
                    proxy.stderr_so_far()
                );
                break;
            }
            () = async {
                call(client, &base).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            } => {}
        }
    }
    proxy
}

fn assert_each_id_once(setup: &Setup) {
    let mut ids: Vec<String> = setup.transitions().into_iter().map(|(_, id)| id).collect();
    assert!(
        !ids.contains(&"?".to_string()),
        "a webhook without webhook-id"
    );
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "a notification was delivered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_condition_still_present_continues_without_a_second_firing() {
    let setup = Setup::new().await;
    let client = reqwest::Client::new();
    let proxy = fire(&setup, &client).await;
    proxy.sigterm();
    let first = proxy.finish(Duration::from_secs(30));
    assert!(first.status.success(), "{}", first.stderr);

    let am_before = setup.am.requests().len();
    let starts_at = am_starts_at(&setup.am.requests()[0].body);

    // Restarted while the API still fails: longer than the rule's window, so the engine has
    // seen the condition afresh.
    let (proxy, base, metrics) = setup.start_with_admin();
    let text = client
        .get(&metrics)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("callwatch_alerts_firing{alertname=\"RestartSpike\",severity=\"warning\"} 1"),
        "the restored alert is firing at once:\n{text}"
    );
    calls_for(&client, &base, 8).await;
    // Alertmanager resolves an alert nobody re-sends: the restart re-sends it at once (same
    // labels and startsAt, so it is the same alert to Alertmanager), well before the 60 s
    // resend interval.
    let resent: Vec<String> = setup.am.requests()[am_before..]
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert!(
        resent.iter().any(|b| am_starts_at(b) == starts_at),
        "alertmanager not re-sent the firing alert after the restart: {resent:?}"
    );
    assert_eq!(
        setup.count("firing"),
        1,
        "a second firing after the restart: {:?}\n{}",
        setup.transitions(),
        proxy.stderr_so_far()
    );
    assert_eq!(setup.count("resolved"), 0, "{:?}", setup.transitions());

    // The API recovers: one resolve.
    setup.failing(false);
    let client2 = client.clone();
    let base2 = base.clone();
    let traffic = tokio::spawn(async move { calls_for(&client2, &base2, 12).await });
    let resolved = eventually(Duration::from_secs(30), || setup.count("resolved") >= 1).await;
    traffic.abort();
    assert!(resolved, "never resolved:\n{}", proxy.stderr_so_far());
    proxy.sigterm();
    let second = proxy.finish(Duration::from_secs(30));
    assert!(second.status.success(), "{}", second.stderr);
    let statuses: Vec<String> = setup.transitions().into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses, ["firing", "resolved"]);
    assert_each_id_once(&setup);
    assert!(
        setup.hooks.requests().iter().any(|r| !r.accepted),
        "the first delivery was retried (no second copy after its success)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_the_condition_gone_resolves_exactly_once() {
    let setup = Setup::new().await;
    let client = reqwest::Client::new();
    let mut proxy = fire(&setup, &client).await;
    proxy.child.kill().unwrap();
    let _ = proxy.child.wait();
    drop(proxy);

    // Restarted with the API healthy again.
    setup.failing(false);
    let (proxy, base) = setup.start();
    let client2 = client.clone();
    let base2 = base.clone();
    let traffic = tokio::spawn(async move { calls_for(&client2, &base2, 30).await });
    let resolved = eventually(Duration::from_secs(30), || setup.count("resolved") >= 1).await;
    assert!(resolved, "never resolved:\n{}", proxy.stderr_so_far());
    // Longer than the window again: nothing more comes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    traffic.abort();
    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(30));
    assert!(out.status.success(), "{}", out.stderr);
    let statuses: Vec<String> = setup.transitions().into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses, ["firing", "resolved"], "{}", out.stderr);
    assert_each_id_once(&setup);
    // Nothing left firing for a third start.
    let state = std::fs::read_to_string(setup.state_file()).unwrap();
    assert!(!state.contains("RestartSpike"), "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_before_the_firing_reached_delivery_loses_neither_firing_nor_resolve() {
    // A group waits 5 s before its first message: the kill comes within it.
    let setup = Setup::with_group_wait("5s").await;
    setup.hooks.accept();
    setup.failing(true);
    let client = reqwest::Client::new();
    let (mut proxy, base) = setup.start();
    let state = setup.state_file();
    let pending = eventually(Duration::from_secs(30), || {
        std::fs::read_to_string(&state)
            .is_ok_and(|s| s.contains("RestartSpike") && s.contains("\"handed_over\":false"))
    });
    tokio::pin!(pending);
    loop {
        tokio::select! {
            done = &mut pending => {
                assert!(done, "no pending firing in {state:?}:\n{}", proxy.stderr_so_far());
                break;
            }
            () = async {
                call(&client, &base).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            } => {}
        }
    }
    proxy.child.kill().unwrap();
    let _ = proxy.child.wait();
    drop(proxy);
    assert!(
        setup.hooks.requests().is_empty(),
        "the firing went out before the kill (the machine is too slow for this test's 5 s)"
    );

    // Restarted with the API healthy: the firing is not lost (sent now, once), then its
    // resolve follows.
    setup.failing(false);
    let (proxy, base) = setup.start();
    let client2 = client.clone();
    let base2 = base.clone();
    let traffic = tokio::spawn(async move { calls_for(&client2, &base2, 40).await });
    let resolved = eventually(Duration::from_secs(40), || setup.count("resolved") >= 1).await;
    assert!(
        resolved,
        "{:?}\n{}",
        setup.transitions(),
        proxy.stderr_so_far()
    );
    traffic.abort();
    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(30));
    assert!(out.status.success(), "{}", out.stderr);
    let statuses: Vec<String> = setup.transitions().into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses, ["firing", "resolved"], "{}", out.stderr);
    assert_each_id_once(&setup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_is_named_and_the_proxy_starts() {
    let setup = Setup::new().await;
    let path = setup.state_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"version\":1,\"alerts\":[{\"alert\":").unwrap();
    let (proxy, base) = setup.start();
    let stderr = proxy.stderr_so_far();
    assert!(
        stderr.contains(&format!("alert state {} is corrupt", path.display())),
        "{stderr}"
    );
    assert!(corrupt_copy(&path).exists(), "kept aside for a human");
    let status = reqwest::Client::new()
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", "sk-ant-FAKE-restart")
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    proxy.sigterm();
    let out = proxy.finish(Duration::from_secs(30));
    assert!(out.status.success(), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_proxy_on_the_same_spool_leaves_the_alert_state_to_the_first() {
    let setup = Setup::new().await;
    let (first, _) = setup.start();
    let (second, _) = setup.start();
    let said = format!(
        "alert state {} is held by another callwatch process",
        setup.state_file().display()
    );
    assert!(
        second.stderr_so_far().contains(&said),
        "{}",
        second.stderr_so_far()
    );
    assert!(!first.stderr_so_far().contains("held by another"));
    for proxy in [second, first] {
        proxy.sigterm();
        let out = proxy.finish(Duration::from_secs(30));
        assert!(out.status.success(), "{}", out.stderr);
    }
}

fn corrupt_copy(path: &Path) -> PathBuf {
    path.with_extension("json.corrupt")
}

/// `startsAt` of the first alert in an Alertmanager push.
fn am_starts_at(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v[0]["labels"]["alertname"], "RestartSpike", "{body}");
    v[0]["startsAt"].as_str().unwrap_or("?").to_string()
}
