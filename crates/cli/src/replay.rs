//! `callwatch replay FILE [--rules PATH]`: the rules over recorded events, in event time.
//! The replay itself (reordering slack, clock, end of input) is [`callwatch_rules::Replay`]; this
//! file reads the file, writes the alert lines and reports what it skipped.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::UserError;
use callwatch_core::alert::Alert;
use callwatch_core::event::EventError;
use callwatch_rules::{default_rules, Engine, Replay, ReplayTotals, RuleSet};

/// Malformed lines reported one by one; the rest are only counted.
const MAX_REPORTED: u64 = 100;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSON Lines file of calls (`-` for stdin).
    pub file: PathBuf,
    /// Rule file, or a directory of them (default: the embedded rule set).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// callwatch.toml whose `[budget]` and `[prices]` the spend rules use (the
    /// CALLWATCH_CREDIT_BALANCE_USD / _AS_OF / CALLWATCH_MONTHLY_SPEND_LIMIT_USD variables win).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let rules = load_rule_set(args.rules.as_deref())?;
    let spend = super::agent_setup::spend_config(args.config.as_deref())?;
    let input: Box<dyn BufRead + Send> = if args.file.as_os_str() == "-" {
        Box::new(io::BufReader::with_capacity(1 << 20, io::stdin()))
    } else {
        if args.file.is_dir() {
            return Err(UserError(format!(
                "{}: is a directory (allowed: a JSON Lines file of calls, or - for stdin)",
                args.file.display()
            )));
        }
        let f = std::fs::File::open(&args.file)
            .map_err(|e| UserError(format!("cannot open {}: {e}", args.file.display())))?;
        Box::new(io::BufReader::with_capacity(1 << 20, f))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let totals = replay(input, Engine::new(rules).with_spend(spend), &mut out)
        .map_err(|e| UserError(format!("{}: {e}", args.file.display())))?;
    out.flush()?;
    if totals.calls + totals.rotations == 0 && totals.malformed > 0 {
        return Err(UserError(format!(
            "{}: no valid event line ({} malformed lines; allowed: JSON Lines of calls, see \
             `callwatch replay --help`)",
            args.file.display(),
            totals.malformed
        )));
    }
    let stats_note = if totals.malformed > 0 {
        format!(", {} malformed lines skipped", totals.malformed)
    } else {
        String::new()
    };
    eprintln!(
        "callwatch: replayed {} lines ({} calls, {} key rotations){stats_note}; {} alerts fired, {} resolved",
        totals.lines, totals.calls, totals.rotations, totals.firing, totals.resolved
    );
    Ok(ExitCode::SUCCESS)
}

/// A rule file, every `*.yaml`/`*.yml` in a directory, or the embedded set.
pub(crate) fn load_rule_set(path: Option<&std::path::Path>) -> Result<RuleSet, UserError> {
    let Some(path) = path else {
        return Ok(default_rules());
    };
    let files = super::check::rule_files(path)?;
    let mut rules = Vec::new();
    for file in files {
        let set = callwatch_rules::load_rules_file(&file).map_err(|e| UserError(e.to_string()))?;
        rules.extend(set.rules);
    }
    if rules.is_empty() {
        return Err(UserError(format!("no rule files in {}", path.display())));
    }
    let mut names = std::collections::HashSet::new();
    for r in &rules {
        if !names.insert((r.name.as_str(), &r.labels)) {
            return Err(UserError(format!(
                "rule `{}` is defined in more than one file under {}",
                r.name,
                path.display()
            )));
        }
    }
    Ok(RuleSet { rules })
}

fn emit(alerts: &mut Vec<Alert>, out: &mut impl Write) -> io::Result<()> {
    for a in alerts.drain(..) {
        out.write_all(a.to_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn replay(
    input: impl BufRead + Send,
    engine: Engine,
    out: &mut impl Write,
) -> io::Result<ReplayTotals> {
    let mut replay = Replay::new(engine);
    let progress = io::stderr().is_terminal();
    let each = |replay: &Replay, result: Result<(), EventError>, alerts: &mut Vec<Alert>| {
        let totals = replay.totals();
        if progress && totals.lines % 1_000_000 == 0 {
            eprint!("\rcallwatch: {} lines", totals.lines);
        }
        if let Err(e) = result {
            if totals.malformed <= MAX_REPORTED {
                eprintln!("callwatch: skipped {e}");
            } else if totals.malformed == MAX_REPORTED + 1 {
                eprintln!("callwatch: more malformed lines; counting them only");
            }
        }
        emit(alerts, out)
    };
    // Reading and parsing on a second thread pays when a second core is free (a 1M-line file
    // on 2 idle vCPUs: median 0.96 s against 1.17 s on one thread, the same output); on one
    // core the hand-over is only cost, so there one thread does everything.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 2 {
        callwatch_rules::pipeline::replay_lines_on_two_threads(input, &mut replay, each)?;
    } else {
        callwatch_rules::pipeline::replay_lines(input, &mut replay, each)?;
    }
    let totals = replay.totals();
    if progress && totals.lines >= 1_000_000 {
        eprintln!();
    }
    let stats = replay.engine().stats();
    if stats.late_calls > 0 || stats.series_overflow > 0 || stats.series_evicted > 0 {
        eprintln!(
            "callwatch: {} calls arrived too late to count, {} calls beyond the series limit, \
             {} idle series evicted to make room",
            stats.late_calls, stats.series_overflow, stats.series_evicted
        );
    }
    if stats.model_overflow > 0 {
        eprintln!(
            "callwatch: {} calls named a model past the first {}; rules saw them as model {:?}",
            stats.model_overflow,
            callwatch_core::record::Limits::default().models,
            callwatch_core::names::OVERFLOW_VALUE
        );
    }
    Ok(totals)
}
