//! The notification spool on a full disk, behind `callwatch proxy` as a real process: the
//! spool directory is a 4 KiB tmpfs filled to the last byte (mounted in a private mount
//! namespace: `unshare`, unprivileged through a user namespace where the kernel allows it), so
//! every spool write gets a real ENOSPC. The process keeps serving, says so once on one line
//! naming the spool path and the OS error, keeps the alert in memory and delivers it when the
//! receiver comes up, and counts what it could not spool in `/metrics`.
//!
//! Where no mount namespace can be made, the same test runs with `ulimit -f 0` (SIGXFSZ
//! ignored): every spool write then fails with EFBIG, the same path through the code.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use callwatch_mock::{MockClaude, Reply};
use support::process::{bin, clean_env, free_addr, Running};
use support::wait::eventually;
use support::webhook::WebhookReceiver;

const KEY: &str = "sk-ant-FAKE-spool";

/// How the spool is made to fail, and the OS error the process must name.
struct FullDisk {
    wrapper: Vec<String>,
    os_error: &'static str,
}

/// `sh` script run inside the new mount namespace: a 4 KiB tmpfs over `$1`, the sink's
/// directory made, the rest filled, then the real command.
const MOUNT_FULL: &str = r#"mount -t tmpfs -o size=4k callwatch-full "$1" && mkdir -p "$1/spool/webhook" && { dd if=/dev/zero of="$1/fill" bs=1024 count=64 2>/dev/null; true; } && shift && exec "$@""#;

fn full_disk(dir: &Path) -> FullDisk {
    let dir = dir.display().to_string();
    for unshare in [
        &["--user", "--map-root-user", "--mount"][..],
        &["--mount"][..],
    ] {
        let probe = Command::new("unshare")
            .args(unshare)
            .args(["sh", "-c", MOUNT_FULL, "sh", &dir, "true"])
            .output();
        if probe.is_ok_and(|o| o.status.success()) {
            let mut wrapper: Vec<String> = std::iter::once("unshare")
                .chain(unshare.iter().copied())
                .chain(["sh", "-c", MOUNT_FULL, "sh", &dir])
                .map(String::from)
                .collect();
            wrapper.push(bin());
            return FullDisk {
                wrapper,
                os_error: "No space left on device (os error 28)",
            };
        }
    }
    eprintln!("no mount namespace here: falling back to ulimit -f 0 (EFBIG)");
    let script =
        r#"mkdir -p "$1/spool/webhook" && trap '' XFSZ && ulimit -f 0 && shift && exec "$@""#;
    FullDisk {
        wrapper: ["sh", "-c", script, "sh", &dir, &bin()]
            .map(String::from)
            .to_vec(),
        os_error: "File too large (os error 27)",
    }
}

/// One alert per model on any billing error: two models, two notifications.
const RULES: &str = r#"
rules:
  - name: BillingOutage
    kind: any
    match:
      classes: [billing]
    group_by: [model]
    quiet_for: 10m
    severity: critical
    summary: "Billing outage ({{model}})"
"#;

async fn send(client: &reqwest::Client, url: &str, model: &str) -> u16 {
    let body = format!(
        r#"{{"model":"{model}","max_tokens":8,"messages":[{{"role":"user","content":"hi"}}]}}"#
    );
    let r = client
        .post(url)
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the proxy answers");
    let status = r.status().as_u16();
    let _ = r.bytes().await;
    status
}

fn unspooled(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .find(|l| {
            l.starts_with("callwatch_notifications_total{")
                && l.contains("callwatch_sink=\"webhook\"")
                && l.contains("callwatch_result=\"unspooled\"")
        })?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_is_said_once_counted_and_the_alert_still_delivered() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let spool = disk.join("spool");
    let config = tmp.path().join("callwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[route]\ngroup_wait = \"100ms\"\ngroup_interval = \"300ms\"\ntick = \"100ms\"\n\n\
             [delivery]\ninitial_backoff = \"50ms\"\nmax_backoff = \"200ms\"\nmax_attempts = 1000\n\n\
             [spool]\ndir = \"{}\"\n",
            spool.display()
        ),
    )
    .unwrap();
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let full = full_disk(&disk);
    let (hook_url, hooks) = WebhookReceiver::start("/hook").await;
    let mock = MockClaude::start().await.unwrap();
    let (listen, admin) = (free_addr(), free_addr());
    let mut cmd = Command::new(&full.wrapper[0]);
    clean_env(&mut cmd);
    cmd.args(&full.wrapper[1..])
        .arg("proxy")
        .args(["--listen", &listen.to_string()])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--upstream", &mock.base_url()])
        .arg("--config")
        .arg(&config)
        .arg("--rules")
        .arg(&rules)
        .env("CALLWATCH_WEBHOOK_URL", &hook_url);
    let mut proxy = Running::spawn(cmd);
    assert!(
        proxy.wait_for_stderr("listening on", Duration::from_secs(30)),
        "{}",
        proxy.stderr_so_far()
    );
    let client = reqwest::Client::new();
    let url = format!("http://{listen}/v1/messages");
    let metrics_url = format!("http://{admin}/metrics");

    // Two billing outages (two models: two alerts, two notifications) while the receiver
    // refuses: neither can be spooled.
    mock.push(Reply::billing_error(402));
    assert_eq!(send(&client, &url, "claude-sonnet-4-6").await, 402);
    mock.push(Reply::credit_balance_too_low());
    assert_eq!(send(&client, &url, "claude-haiku-4-5").await, 400);
    let mut last_metrics = String::new();
    let counted = eventually(Duration::from_secs(20), || {
        last_metrics = futures_block(client.get(&metrics_url));
        unspooled(&last_metrics) == Some(2)
    })
    .await;
    assert!(
        counted,
        "unspooled count: {:?}\n{last_metrics}\n{}",
        unspooled(&last_metrics),
        proxy.stderr_so_far()
    );

    // Still serving.
    for _ in 0..5 {
        assert_eq!(send(&client, &url, "claude-sonnet-4-6").await, 200);
    }

    // The receiver comes up: both notifications, kept in memory, arrive.
    hooks.accept();
    let delivered = eventually(Duration::from_secs(20), || {
        let all = hooks.accepted_bodies().concat();
        all.contains("Billing outage (claude-sonnet-4-6)")
            && all.contains("Billing outage (claude-haiku-4-5)")
    })
    .await;
    assert!(
        delivered,
        "delivered: {:?}\n{}",
        hooks.accepted_bodies(),
        proxy.stderr_so_far()
    );

    proxy.sigterm();
    let out = tokio::task::spawn_blocking(move || proxy.finish(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    let spool_dir = spool.join("chat/webhook").display().to_string();
    let said: Vec<&str> = out.stderr.lines().filter(|l| l.contains("spool")).collect();
    assert!(
        said.iter()
            .any(|l| l.contains(&spool_dir) && l.contains(full.os_error)),
        "no line names {spool_dir} and {:?}:\n{}",
        full.os_error,
        out.stderr
    );
    assert_eq!(
        said.iter().filter(|l| l.contains(&spool_dir)).count(),
        1,
        "said once, not per notification:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("2 not spooled (kept in memory)"),
        "{}",
        out.stderr
    );
    eprintln!("{}", out.stderr);
}

/// A blocking GET from inside the polling closure (the proxy is another process).
fn futures_block(request: reqwest::RequestBuilder) -> String {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            match request.send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => format!("GET /metrics failed: {e}"),
            }
        })
    })
}
