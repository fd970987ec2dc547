//! What one replay showed about the four mandated rules, checked against the deadlines,
//! and the table over many seeds (shared by the tuning and the validation generator).

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

/// The alert lines the checks read (the contract fields).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Alert {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub rule: String,
    pub state: String,
    pub severity: String,
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub description: String,
}

pub const MANDATED: [&str; 4] = [
    "ServerErrorSpike",
    "BadRequestBaselineRising",
    "AuthFailuresAfterKeyRotation",
    "BillingOutage",
];

/// What a stream should have fired.
pub struct Expect<'a> {
    /// The mandated rule its incident must fire (`None` for a control).
    pub rule: Option<&'static str>,
    pub start: Option<OffsetDateTime>,
    pub end: Option<OffsetDateTime>,
    pub deadline: Duration,
    /// BillingOutage: the first billing call's time (as written, to the millisecond).
    pub first_billing: Option<OffsetDateTime>,
    /// AuthFailuresAfterKeyRotation: the key id the alert must name.
    pub failing_key: Option<&'a str>,
    /// BadRequestBaselineRising: the normalised message the alert must name.
    pub message: Option<&'a str>,
}

/// How long a resolve may take after the incident ended.
pub const RESOLVE_BY: Duration = Duration::minutes(25);

/// One replay, measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub detect_s: Option<i64>,
    pub resolve_s: Option<i64>,
    pub named_right: Option<bool>,
    /// Firings of mandated rules other than the expected one (all of them on a control).
    pub false_fires: Vec<String>,
    pub problems: Vec<String>,
}

impl Outcome {
    pub fn measure(expect: &Expect<'_>, alerts: &[Alert]) -> Outcome {
        let mut o = Outcome::default();
        for rule in MANDATED {
            let fired: Vec<&Alert> = alerts
                .iter()
                .filter(|a| a.rule == rule && a.state == "firing")
                .collect();
            if Some(rule) != expect.rule {
                for a in fired {
                    o.false_fires
                        .push(format!("{rule} at {}: {}", a.at, a.summary));
                }
                continue;
            }
            let (Some(start), Some(end)) = (expect.start, expect.end) else {
                continue;
            };
            let Some(first) = fired.first() else {
                o.problems.push(format!("{rule} never fired"));
                continue;
            };
            let delay = first.at - start;
            o.detect_s = Some(delay.whole_seconds());
            if let Some(want) = expect.first_billing {
                let want = callwatch_core::alert::truncate_to_millis(want);
                if first.at != want {
                    o.problems.push(format!(
                        "{rule} fired at {}, not at the first billing call {want}",
                        first.at
                    ));
                }
            } else if delay < Duration::ZERO || delay > expect.deadline {
                o.problems.push(format!(
                    "{rule} fired {}s after onset (deadline {}s)",
                    delay.whole_seconds(),
                    expect.deadline.whole_seconds()
                ));
            }
            if fired.len() != 1 {
                o.problems.push(format!(
                    "{rule} fired {} times on one incident",
                    fired.len()
                ));
            }
            if let Some(key) = expect.failing_key {
                let right = first.labels.get("key_id").map(String::as_str) == Some(key);
                o.named_right = Some(right);
                if !right {
                    o.problems.push(format!(
                        "{rule} names {:?}, failing key {key}",
                        first.labels
                    ));
                }
            }
            if let Some(message) = expect.message {
                let right = first.summary.contains(message) || first.description.contains(message);
                o.named_right = Some(right);
                if !right {
                    o.problems.push(format!(
                        "{rule} does not name the rising message {message:?}: {}",
                        first.summary
                    ));
                }
            }
            match alerts
                .iter()
                .find(|a| a.rule == rule && a.state == "resolved" && a.at >= first.at)
            {
                None => o.problems.push(format!("{rule} never resolved")),
                Some(r) => {
                    let after = r.at - end;
                    o.resolve_s = Some(after.whole_seconds());
                    if after < Duration::ZERO || after > RESOLVE_BY {
                        o.problems.push(format!(
                            "{rule} resolved {}s after the incident ended",
                            after.whole_seconds()
                        ));
                    }
                }
            }
        }
        for f in &o.false_fires {
            o.problems.push(format!("false fire: {f}"));
        }
        o
    }
}

/// Outcomes per (volume, case) row.
#[derive(Default)]
pub struct Table {
    /// (volume, case) → (whether the case expects a fire, outcomes).
    rows: BTreeMap<(String, String), (bool, Vec<Outcome>)>,
}

fn minutes(s: i64) -> String {
    format!("{:.1}", s as f64 / 60.0)
}

fn spread(mut v: Vec<i64>) -> String {
    if v.is_empty() {
        return "–".into();
    }
    v.sort_unstable();
    format!(
        "{} / {}",
        minutes(v[v.len() / 2]),
        minutes(*v.last().unwrap_or(&0))
    )
}

impl Table {
    pub fn add(&mut self, volume: &str, case: &str, expects: bool, outcome: Outcome) {
        let row = self
            .rows
            .entry((volume.to_string(), case.to_string()))
            .or_insert((expects, Vec::new()));
        row.1.push(outcome);
    }

    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for ((volume, case), (_, outcomes)) in &self.rows {
            for (i, o) in outcomes.iter().enumerate() {
                for p in &o.problems {
                    out.push(format!("{volume} {case} run {i}: {p}"));
                }
            }
        }
        out
    }

    /// Markdown: per row, runs, detected, detection delay (median / max, minutes), resolve
    /// delay after recovery (median / max), alerts naming the right message or key, and fires
    /// of mandated rules that should not have fired.
    pub fn markdown(&self, title: &str) -> String {
        let mut s = format!(
            "{title}\n\n| volume | case | runs | detected | detect min (median / max) | resolve min after recovery (median / max) | named right | false fires |\n|---|---|---|---|---|---|---|---|\n"
        );
        for ((volume, case), (expects, outcomes)) in &self.rows {
            let detected = outcomes.iter().filter(|o| o.detect_s.is_some()).count();
            let named: Vec<bool> = outcomes.iter().filter_map(|o| o.named_right).collect();
            let named = if named.is_empty() {
                "–".to_string()
            } else {
                format!("{}/{}", named.iter().filter(|n| **n).count(), named.len())
            };
            s.push_str(&format!(
                "| {volume} | {case} | {} | {} | {} | {} | {named} | {} |\n",
                outcomes.len(),
                if *expects {
                    format!("{detected}/{}", outcomes.len())
                } else {
                    "–".into()
                },
                spread(outcomes.iter().filter_map(|o| o.detect_s).collect()),
                spread(outcomes.iter().filter_map(|o| o.resolve_s).collect()),
                outcomes.iter().map(|o| o.false_fires.len()).sum::<usize>(),
            ));
        }
        s
    }
}

/// Replays `jsonl` through the real binary; returns its alert lines and stderr.
pub fn replay(jsonl: &str) -> (Vec<Alert>, String) {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(jsonl.as_bytes()).expect("write stream");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("replay")
        .arg(file.path())
        .output()
        .expect("run callwatch replay");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "replay failed: {stderr}");
    let alerts = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad alert line {l}: {e}")))
        .collect();
    (alerts, stderr)
}
