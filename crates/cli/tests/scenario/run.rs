//! Runs the real `callwatch replay` on a generated stream and reads its alert lines.

use std::io::Write;
use std::process::Command;

use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Clone, Debug, Deserialize)]
pub struct AlertLine {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub rule: String,
    pub state: String,
    pub severity: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub summary: String,
    pub description: String,
}

/// Replays `jsonl` through the binary; returns alert lines and stderr.
pub fn replay(jsonl: &str, extra_args: &[&str]) -> (Vec<AlertLine>, String) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(jsonl.as_bytes()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("replay")
        .arg(file.path())
        .args(extra_args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "replay failed: {stderr}");
    let alerts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad alert line {l}: {e}")))
        .collect();
    (alerts, stderr)
}
