use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{agent_setup, UserError};
use callwatch_demo::{run, DemoOptions, STORY_LENGTH};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Event time per real second (60: an hour of incidents in a minute).
    #[arg(long, default_value_t = callwatch_demo::DEFAULT_SPEED, allow_negative_numbers = true)]
    speed: f64,
    /// Length of the story in event time (default 84m).
    #[arg(long, value_parser = agent_setup::duration_arg)]
    duration: Option<Duration>,
    /// Calls per real second across the demo fleet.
    #[arg(long, default_value_t = 150.0, allow_negative_numbers = true)]
    rate: f64,
    /// Seed for the traffic and the mock API's failure draws.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where to write the event log (default: a new file in the temp directory).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Plain lines even on a terminal.
    #[arg(long)]
    plain: bool,
    /// Rule file (default: the embedded alerts/default.yaml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Notification config: callwatch.toml or an Alertmanager YAML file as is (without one,
    /// sinks turn on from CALLWATCH_* variables).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Mute notifications matching these labels for a while (repeatable), e.g.
    /// --silence 'alertname="RetriesAmplifying" for 1h'.
    #[arg(long, value_parser = agent_setup::silence_arg)]
    silence: Vec<agent_setup::SilenceArg>,
    /// Do not show desktop notifications.
    #[arg(long)]
    no_desktop: bool,
}

pub fn run_cli(args: Args) -> Result<ExitCode, UserError> {
    if !(args.speed.is_finite() && args.speed >= 1.0 && args.speed <= 3600.0) {
        return Err(UserError(format!(
            "--speed {}: allowed 1 to 3600",
            args.speed
        )));
    }
    if !(args.rate.is_finite() && args.rate >= 1.0 && args.rate <= 5000.0) {
        return Err(UserError(format!(
            "--rate {}: allowed 1 to 5000 calls per second",
            args.rate
        )));
    }
    let rules = agent_setup::load_rules(args.rules.as_deref())?;
    let event_log = args.events.unwrap_or_else(|| {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        std::env::temp_dir().join(format!("callwatch-demo-{stamp}.jsonl"))
    });
    let runtime = agent_setup::runtime()?;
    runtime.block_on(async move {
        let recorder = callwatch_core::record::Recorder::new();
        let telemetry = agent_setup::telemetry(&recorder)?;
        let notifier = agent_setup::notifier(
            args.config.as_deref(),
            !args.no_desktop,
            false,
            &args.silence,
            args.speed,
        )?;
        let report = run(DemoOptions {
            speed: args.speed,
            duration: args.duration.unwrap_or(STORY_LENGTH),
            rate: args.rate,
            seed: args.seed,
            event_log,
            plain: args.plain,
            rules,
            notifier,
            recorder,
            health_meter: telemetry.as_ref().map(|t| t.meter()),
        })
        .await
        .map_err(|e| UserError(e.to_string()))?;
        print!("{}", callwatch_demo::summary_text(&report));
        Ok(ExitCode::SUCCESS)
    })
}
