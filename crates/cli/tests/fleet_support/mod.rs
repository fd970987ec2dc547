//! Shared by the fleet tests (dashboards, Prometheus scrape, rules, Alertmanager).
#![allow(dead_code)]

pub mod calls;
pub mod process;
pub mod promql;

use std::path::{Path, PathBuf};

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(relative)
}

pub fn read_json(relative: &str) -> serde_json::Value {
    let path = repo_path(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `expr` of every panel target of the Grafana dashboard: (panel title, expr).
pub fn grafana_queries() -> Vec<(String, String)> {
    let dashboard = read_json("dashboards/grafana/callwatch.json");
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        let title = panel["title"].as_str().unwrap_or("?").to_owned();
        for target in panel["targets"].as_array().expect("targets") {
            out.push((
                title.clone(),
                target["expr"].as_str().expect("expr").to_owned(),
            ));
        }
    }
    out
}

/// Where a binary is on PATH, or `None` with a printed SKIP line naming the package.
pub fn binary(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        println!(
            "SKIP: `{name}` not found on PATH (install the `{package}` package to run this test)"
        );
    }
    found
}
