//! The committed generated files (dashboards, Prometheus rules, Datadog monitors) match their
//! generators. After changing a generator: `CALLWATCH_BLESS=1 cargo test --test fleet_artifacts`.

use std::path::Path;

#[test]
fn committed_artifacts_match_the_generators() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let bless = std::env::var_os("CALLWATCH_BLESS").is_some();
    let mut drifted = Vec::new();
    for artifact in callwatch_fleet::artifacts() {
        let path = root.join(artifact.path);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == artifact.content {
            continue;
        }
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &artifact.content).unwrap();
            eprintln!("rewrote {}", artifact.path);
        } else {
            drifted.push(artifact.path);
        }
    }
    assert!(
        drifted.is_empty(),
        "{drifted:?} drifted from the generators in src/fleet; regenerate with \
         `CALLWATCH_BLESS=1 cargo test --test fleet_artifacts` and commit"
    );
}
