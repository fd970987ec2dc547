//! `callwatch test FILE…`: rule unit tests (series in, expected alerts out); a directory stands
//! for the YAML files in it. Exit 1 if any expectation fails.

use std::path::PathBuf;
use std::process::ExitCode;

use super::UserError;
use callwatch_rules::testing::run_file;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule test files (YAML), or directories: every `*.yaml` / `*.yml` file in them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let mut files = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            let found = super::check::yaml_files(path)?;
            if found.is_empty() {
                return Err(UserError(format!(
                    "{}: no rule test files (*.yaml, *.yml) in this directory",
                    path.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut failed = 0;
    for file in &files {
        let report = run_file(file);
        for f in &report.failures {
            eprintln!("FAIL {f}");
        }
        println!(
            "{}: {} passed, {} failed",
            file.display(),
            report.passed,
            report.failures.len()
        );
        failed += report.failures.len();
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
