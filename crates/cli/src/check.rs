//! `callwatch check [PATH…] [--config FILE]`: validate rule files and the notification config
//! (callwatch TOML or an Alertmanager YAML file). Every problem is printed as
//! `file:line:col: what is wrong (allowed: …)`; exit 1 if there is any.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::UserError;
use callwatch_rules::{load_rules, load_rules_file, DEFAULT_RULES_NAME, DEFAULT_RULES_YAML};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule files or directories (default: ./alerts if it exists, else the embedded set).
    pub paths: Vec<PathBuf>,
    /// Also validate this notification config (callwatch.toml or an Alertmanager YAML file);
    /// with only --config, rule files are not checked.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The rule files a path names: itself, or the callwatch rule files directly in a directory
/// (sub-directories such as `tests/` hold rule tests, not rules). In a directory, a YAML file
/// without a top-level `rules:` key is another tool's (`alertmanager.yml`) and is left alone.
pub(crate) fn rule_files(path: &Path) -> Result<Vec<PathBuf>, UserError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = yaml_files(path)?;
    files.retain(|p| is_rule_file(p));
    Ok(files)
}

/// The `*.yaml` / `*.yml` files directly in `dir`, sorted by name.
pub(crate) fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, UserError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| UserError(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn is_rule_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|text| text.lines().any(|line| line.starts_with("rules:")))
        // Unreadable: let the loader report it with its path.
        .unwrap_or(true)
}

/// Validate a notification config: every problem on its own line; the count of problems.
fn check_config(path: &Path) -> usize {
    let notify_errors = match callwatch_notify::NotifyConfig::load(path) {
        Ok(cfg) => {
            let integrations: usize = cfg.receivers.iter().map(|r| r.integrations.len()).sum();
            println!(
                "{}: ok ({} receivers, {integrations} integrations)",
                path.display(),
                cfg.receivers.len()
            );
            0
        }
        Err(e) => {
            eprintln!("{e}");
            e.0.lines().count().max(1)
        }
    };
    // `[budget]` and `[prices]` are read by the spend rules, not the notifier. A file that is
    // not TOML at all was already reported above.
    let is_toml =
        std::fs::read_to_string(path).is_ok_and(|t| callwatch_core::cost::parses_as_toml(&t));
    let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    if !is_toml && !yaml {
        return notify_errors;
    }
    notify_errors
        + match callwatch_core::cost::SpendConfig::load(path) {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("{e}");
                e.0.lines().count().max(1)
            }
        }
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let mut errors = 0usize;
    if let Some(config) = &args.config {
        errors += check_config(config);
        if args.paths.is_empty() {
            return Ok(if errors > 0 {
                eprintln!("callwatch: {errors} problem(s) found");
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
    }
    let mut report =
        |name: &str, result: Result<callwatch_rules::RuleSet, callwatch_rules::LoadErrors>| {
            match result {
                Ok(set) => println!("{name}: ok ({} rules)", set.rules.len()),
                Err(e) => {
                    errors += e.0.len();
                    eprintln!("{e}");
                }
            }
        };
    let paths = if args.paths.is_empty() && Path::new("alerts").is_dir() {
        vec![PathBuf::from("alerts")]
    } else {
        args.paths
    };
    if paths.is_empty() {
        report(
            DEFAULT_RULES_NAME,
            load_rules(DEFAULT_RULES_NAME, DEFAULT_RULES_YAML),
        );
    }
    for path in &paths {
        let files = rule_files(path)?;
        if files.is_empty() {
            return Err(UserError(format!(
                "no rule files (*.yaml) in {}",
                path.display()
            )));
        }
        for file in files {
            report(&file.display().to_string(), load_rules_file(&file));
        }
    }
    if errors > 0 {
        eprintln!("callwatch: {errors} problem(s) found");
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
