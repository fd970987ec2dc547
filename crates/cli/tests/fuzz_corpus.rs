//! The short fuzz run on stable: every committed corpus input and every regression
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) goes through the same body the
//! cargo-fuzz target runs (`fuzz/src/lib.rs`). Fails, naming the file, if any input panics or
//! breaks an invariant, so a fixed crash that comes back fails CI.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[path = "../../../fuzz/src/lib.rs"]
mod bodies;

type Body = fn(&[u8]);

/// Runs every file under `fuzz/<dir>/<target>/`; returns how many ran and the failures.
fn replay(dir: &str, target: &str, body: Body) -> (usize, Vec<String>) {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("fuzz")
        .join(dir)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&root) else {
        return (0, Vec::new());
    };
    let mut ran = 0;
    let mut failed = Vec::new();
    for entry in entries {
        let path = entry.expect("read corpus dir").path();
        if !path.is_file() {
            continue;
        }
        let data = std::fs::read(&path).expect("read corpus file");
        ran += 1;
        if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    (ran, failed)
}

fn run(target: &str, body: Body) {
    let (corpus, mut failed) = replay("corpus", target, body);
    let (regressions, more) = replay("regressions", target, body);
    failed.extend(more);
    assert!(corpus > 0, "no corpus for {target}");
    assert!(
        failed.is_empty(),
        "{} of {} inputs failed for {target}:\n{}",
        failed.len(),
        corpus + regressions,
        failed.join("\n")
    );
}

#[test]
fn classify_response_corpus() {
    run("classify_response", bodies::classify_response);
}

#[test]
fn event_line_corpus() {
    run("event_line", bodies::event_line);
}

#[test]
fn rule_file_corpus() {
    run("rule_file", bodies::rule_file);
}

#[test]
fn proxy_request_corpus() {
    run("proxy_request", bodies::proxy_request);
}

/// A malformed regression never slips by unseen: the replay itself reports a panicking body.
#[test]
fn a_panicking_input_is_reported() {
    fn boom(_: &[u8]) {
        panic!("planted");
    }
    let (ran, failed) = replay("corpus", "event_line", boom);
    assert_eq!(failed.len(), ran);
}
