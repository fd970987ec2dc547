//! What the agent shows while it runs: on a terminal a screen redrawn in place, otherwise
//! plain lines that a log collector can keep. Rendering is a pure function of [`ViewState`],
//! so it is tested without a terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything the live view shows, gathered once per refresh.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    /// Headline, e.g. "demo 12:40 (sim) — deploy ramps 400s".
    pub title: String,
    /// Logical calls by (status, error type): "200", "529 overloaded_error", "— timeout".
    pub calls: BTreeMap<String, u64>,
    pub total_calls: u64,
    /// Latency percentiles in milliseconds from the HDR histograms.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Mean attempts per logical call.
    pub mean_attempts: f64,
    /// Lowest remaining share of any rate limit, 0..1, if the API reported one.
    pub min_headroom: Option<f64>,
    /// Alert instances by state: (rule, labels summary).
    pub pending: Vec<String>,
    pub firing: Vec<String>,
    pub resolved: Vec<String>,
}

/// The full-screen form, redrawn in place (ANSI: home + clear to end).
pub fn render_screen(state: &ViewState) -> String {
    let mut out = String::from("\x1b[H\x1b[J");
    let _ = writeln!(out, "\x1b[1m{}\x1b[0m", state.title);
    let _ = writeln!(
        out,
        "calls {:>7}   p50 {:>7.0} ms   p95 {:>7.0} ms   p99 {:>7.0} ms   attempts/call {:.2}   headroom {}",
        state.total_calls,
        state.p50_ms,
        state.p95_ms,
        state.p99_ms,
        state.mean_attempts,
        state
            .min_headroom
            .map_or_else(|| "—".to_owned(), |h| format!("{:.0}%", h * 100.0)),
    );
    let _ = writeln!(out);
    for (outcome, count) in &state.calls {
        let share = *count as f64 / state.total_calls.max(1) as f64 * 100.0;
        let _ = writeln!(out, "  {outcome:<36} {count:>8}  {share:>6.2}%");
    }
    let _ = writeln!(out);
    section(&mut out, "\x1b[31mFIRING\x1b[0m", &state.firing);
    section(&mut out, "\x1b[33mpending\x1b[0m", &state.pending);
    section(&mut out, "\x1b[32mresolved\x1b[0m", &state.resolved);
    out
}

fn section(out: &mut String, name: &str, items: &[String]) {
    let _ = writeln!(out, "{name} ({})", items.len());
    for item in items.iter().take(8) {
        let _ = writeln!(out, "  {item}");
    }
    if items.len() > 8 {
        let _ = writeln!(out, "  … and {} more", items.len() - 8);
    }
}

/// The one-line form for a non-terminal, printed every few seconds.
pub fn render_line(state: &ViewState) -> String {
    let errors: u64 = state
        .calls
        .iter()
        .filter(|(k, _)| !k.starts_with('2'))
        .map(|(_, v)| v)
        .sum();
    format!(
        "{} | calls={} errors={} p50={:.0}ms p95={:.0}ms p99={:.0}ms attempts/call={:.2} pending={} firing={}",
        state.title,
        state.total_calls,
        errors,
        state.p50_ms,
        state.p95_ms,
        state.p99_ms,
        state.mean_attempts,
        state.pending.len(),
        state.firing.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ViewState {
        ViewState {
            title: "demo".into(),
            calls: BTreeMap::from([("200".into(), 90), ("529 overloaded_error".into(), 10)]),
            total_calls: 100,
            p50_ms: 420.0,
            p95_ms: 1900.0,
            p99_ms: 4100.0,
            mean_attempts: 1.2,
            min_headroom: Some(0.35),
            pending: vec![],
            firing: vec!["ServerErrorSpike model=claude-sonnet-4-6".into()],
            resolved: vec![],
        }
    }

    #[test]
    fn screen_shows_shares_percentiles_and_alerts() {
        let screen = render_screen(&state());
        assert!(screen.contains("529 overloaded_error"));
        assert!(screen.contains("10.00%"));
        assert!(screen.contains("p99    4100 ms"));
        assert!(screen.contains("headroom 35%"));
        assert!(screen.contains("ServerErrorSpike model=claude-sonnet-4-6"));
    }

    #[test]
    fn line_counts_errors_and_alerts() {
        let line = render_line(&state());
        assert!(line.contains("calls=100 errors=10"), "{line}");
        assert!(line.contains("firing=1"), "{line}");
    }
}
