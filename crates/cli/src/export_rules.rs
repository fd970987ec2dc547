//! `callwatch export-rules --format prometheus|datadog [--rules PATH]`: the rule set as a
//! Prometheus rule file or Datadog monitor JSON, on stdout (generators in `callwatch_fleet`),
//! over the GenAI names `OTEL_SEMCONV_STABILITY_OPT_IN` selects, as the exporter does.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{agent_setup, UserError};
use callwatch_core::semconv::Convention;
use callwatch_fleet::{datadog_monitors, prometheus_rules};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// A Prometheus rule file (recording rules + alerts), for `rule_files:`.
    Prometheus,
    /// A JSON array of Datadog monitors (POST each to /api/v1/monitor).
    Datadog,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// Rule file (default: the embedded alerts/default.yaml).
    #[arg(long)]
    rules: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let rules = agent_setup::load_rules(args.rules.as_deref())?;
    // The names the exporter emits in this environment (`OTEL_SEMCONV_STABILITY_OPT_IN`).
    let convention = Convention::from_env();
    let text = match args.format {
        Format::Prometheus => prometheus_rules::generate_for(&rules, convention)?,
        Format::Datadog => {
            let monitors = datadog_monitors::generate_for(&rules, convention);
            let mut text = serde_json::to_string_pretty(&monitors)?;
            text.push('\n');
            text
        }
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| UserError(format!("writing to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
