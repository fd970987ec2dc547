//! `callwatch::init()` runs the same agent as the proxy, so an app's firing alerts survive its
//! restart too: the state a previous run left beside the spool is taken back at `init()`, the
//! alert resolves once the rule's look-back passes without it, and the guard's drop writes
//! what is firing then (nothing).
//!
//! One process, one `init()`: this file holds a single test.

use std::time::Duration;

const RULES: &str = "rules:
  - name: AppBilling
    kind: any
    quiet_for: 1s
    match:
      classes: [billing]
    severity: critical
    summary: \"billing\"
";

/// What a previous run of the app left: AppBilling firing, its `firing` delivered.
const STATE: &str = r#"{"version":1,"saved_at":"2026-11-30T10:00:00Z","alerts":[{"alert":{"at":"2026-11-30T09:59:00Z","rule":"AppBilling","state":"firing","severity":"critical","labels":{},"summary":"billing","description":"","starts_at":"2026-11-30T09:59:00Z"},"series":{},"handed_over":true}]}"#;

#[test]
fn init_takes_back_the_previous_runs_firing_alert_and_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let state = spool.join("alert-state.json");
    std::fs::write(&state, STATE).unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let config = dir.path().join("callwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[stdout]\nenabled = true\n\n[spool]\ndir = \"{}\"\n",
            spool.display()
        ),
    )
    .unwrap();

    let guard = callwatch::Config::new()
        .rules(&rules)
        .notify_config(&config)
        .install_tracing(false)
        .init()
        .unwrap();
    // The rule's look-back after the restart (quiet_for 1 s) passes with no billing error.
    std::thread::sleep(Duration::from_secs(3));
    drop(guard);

    let left = std::fs::read_to_string(&state).unwrap();
    assert!(
        !left.contains("AppBilling"),
        "the restored alert did not resolve (or init() did not take the state back): {left}"
    );
    assert!(left.contains("\"alerts\":[]"), "{left}");
}
