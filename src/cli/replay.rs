//! `callwatch replay FILE [--rules PATH]`: the rules over recorded events, in event time.
//!
//! Lines may arrive a little out of order: every call is counted into its own second at once,
//! and the engine's clock (ticks) trails the newest timestamp by [`REORDER_S`], so a call up to
//! that late still lands before its second is evaluated. `any` rules fire at the call itself.
//! At end of input the clock stops at the last event: nothing resolves that had not resolved
//! in event time.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use time::OffsetDateTime;

use super::UserError;
use crate::alert::{Alert, AlertState};
use crate::event::{parse_line, Event};
use crate::rules::{default_rules, Engine, RuleSet};

/// How far behind the newest timestamp the evaluation clock trails.
pub const REORDER_S: i64 = 5;
/// Malformed lines reported one by one; the rest are only counted.
const MAX_REPORTED: u64 = 100;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSON Lines file of calls (`-` for stdin).
    pub file: PathBuf,
    /// Rule file, or a directory of them (default: the embedded rule set).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Default)]
struct Totals {
    lines: u64,
    calls: u64,
    rotations: u64,
    malformed: u64,
    firing: u64,
    resolved: u64,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let rules = load_rule_set(args.rules.as_deref())?;
    let input: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file)
            .map_err(|e| UserError(format!("cannot open {}: {e}", args.file.display())))?;
        Box::new(io::BufReader::with_capacity(1 << 20, f))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let totals = replay(input, Engine::new(rules), &mut out)?;
    out.flush()?;
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
        let set = crate::rules::load_rules_file(&file).map_err(|e| UserError(e.to_string()))?;
        rules.extend(set.rules);
    }
    if rules.is_empty() {
        return Err(UserError(format!("no rule files in {}", path.display())));
    }
    let mut names = std::collections::HashSet::new();
    for r in &rules {
        if !names.insert(r.name.as_str()) {
            return Err(UserError(format!(
                "rule `{}` is defined in more than one file under {}",
                r.name,
                path.display()
            )));
        }
    }
    Ok(RuleSet { rules })
}

fn at_second(sec: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(sec).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn emit(alerts: Vec<Alert>, out: &mut impl Write, totals: &mut Totals) -> io::Result<()> {
    for a in alerts {
        match a.state {
            AlertState::Firing => totals.firing += 1,
            AlertState::Resolved => totals.resolved += 1,
        }
        out.write_all(a.to_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn replay(mut input: impl BufRead, mut engine: Engine, out: &mut impl Write) -> io::Result<Totals> {
    let mut totals = Totals::default();
    let progress = io::stderr().is_terminal();
    let mut buf = Vec::with_capacity(1024);
    let mut newest: Option<i64> = None;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        totals.lines += 1;
        if progress && totals.lines % 1_000_000 == 0 {
            eprint!("\rcallwatch: {} lines", totals.lines);
        }
        let bytes = buf.trim_ascii();
        if bytes.is_empty() {
            continue;
        }
        let event = match std::str::from_utf8(bytes) {
            Ok(text) => parse_line(text, totals.lines),
            Err(e) => Err(crate::event::EventError {
                line: totals.lines,
                what: format!("not UTF-8 (byte {})", e.valid_up_to()),
            }),
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                totals.malformed += 1;
                if totals.malformed <= MAX_REPORTED {
                    eprintln!("callwatch: skipped {e}");
                } else if totals.malformed == MAX_REPORTED + 1 {
                    eprintln!("callwatch: more malformed lines; counting them only");
                }
                continue;
            }
        };
        let sec = event.ts().unix_timestamp();
        if newest.is_none_or(|n| sec > n) {
            newest = Some(sec);
            emit(engine.tick(at_second(sec - REORDER_S)), out, &mut totals)?;
        }
        match &event {
            Event::Call(_) => totals.calls += 1,
            Event::KeyRotated(_) => totals.rotations += 1,
        }
        emit(engine.observe_event(&event), out, &mut totals)?;
    }
    if let Some(n) = newest {
        // The clock stops at the last event's second: no invented resolutions.
        emit(engine.tick(at_second(n)), out, &mut totals)?;
    }
    if progress && totals.lines >= 1_000_000 {
        eprintln!();
    }
    let stats = engine.stats();
    if stats.late_calls > 0 || stats.series_overflow > 0 {
        eprintln!(
            "callwatch: {} calls arrived too late to count, {} calls beyond the series limit",
            stats.late_calls, stats.series_overflow
        );
    }
    Ok(totals)
}
