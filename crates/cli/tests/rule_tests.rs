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

/// `callwatch test alerts/tests`, as the README's users would type it: a directory runs every
/// file in it, each named with its count.
#[test]
fn a_directory_of_rule_tests_runs_every_file_in_it() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("test")
        .arg(root.join("alerts/tests"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["mandated.yaml", "spend.yaml", "generalise.yaml"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(file) && l.contains(", 0 failed")),
            "{file} not run: {stdout}"
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("test")
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no rule test files"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
