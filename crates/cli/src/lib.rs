//! The `callwatch` binary's verbs. Each verb lives in its own file with its own arguments;
//! this file only dispatches. Exit codes (contract): 0 success, 1 user error with a one-line
//! reason, 2 usage (clap's own).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod agent_setup;
mod check;
mod demo;
mod export_rules;
mod mock;
mod proxy;
mod replay;
mod test;

#[derive(Parser, Debug)]
#[command(
    name = "callwatch",
    version,
    about = "Watch calls to the Claude API and alert on the failures that matter"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The whole story on embedded defaults: mock API, scripted incidents, live alerts.
    Demo(demo::Args),
    /// Run the rules over a JSONL file of recorded calls, in event time; print alert lines.
    Replay(replay::Args),
    /// Validate rule files.
    Check(check::Args),
    /// Run rule unit tests (series in, expected alerts out).
    Test(test::Args),
    /// Write the rule set as Prometheus rules or Datadog monitors.
    ExportRules(export_rules::Args),
    /// Sit in front of the Claude API: record, export and alert on every call of any app.
    Proxy(proxy::Args),
    /// A mock Claude API on loopback, scriptable over HTTP under /__mock/ (docs/mock.md).
    Mock(mock::Args),
}

/// A failure the user can fix: printed as one line, exit code 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for UserError {
    fn from(e: E) -> Self {
        UserError(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run_cli(args),
        Command::Replay(args) => replay::run(args),
        Command::Check(args) => check::run(args),
        Command::Test(args) => test::run(args),
        Command::ExportRules(args) => export_rules::run(args),
        Command::Proxy(args) => proxy::run_cli(args),
        Command::Mock(args) => mock::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("callwatch: {e}");
            ExitCode::from(1)
        }
    }
}
