//! `callwatch test FILE…`: rule unit tests (series in, expected alerts out). Exit 1 if any
//! expectation fails.

use std::path::PathBuf;
use std::process::ExitCode;

use super::UserError;
use callwatch_rules::testing::run_file;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Rule test files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let mut failed = 0;
    for file in &args.files {
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
