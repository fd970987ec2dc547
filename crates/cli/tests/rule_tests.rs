//! Runs every rule unit test shipped in alerts/tests/ (what `callwatch test` runs).

#[test]
fn shipped_rule_tests_pass() {
    let dir =
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("alerts/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no rule tests in {}", dir.display());
    let mut failures = Vec::new();
    let mut passed = 0;
    for f in &files {
        let report = callwatch_rules::testing::run_file(f);
        passed += report.passed;
        failures.extend(report.failures);
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 10, "only {passed} rule tests ran");
}
