//! The rules over an event log in event time, one line at a time: what `callwatch replay` does,
//! as a library so the CLI and the replay bench run the same code.
//!
//! Lines may arrive a little out of order: every call is counted into its own second at once,
//! and the engine's clock (ticks) trails the newest timestamp by [`REORDER_S`], so a call up to
//! that late still lands before its second is evaluated. `any` rules fire at the call itself.
//! At end of input ([`Replay::finish`]) the clock stops at the last event: nothing resolves that
//! had not resolved in event time.

use time::OffsetDateTime;

use super::Engine;
use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::event::{parse_line, Event, EventError};

/// How far behind the newest timestamp the evaluation clock trails.
pub const REORDER_S: i64 = 5;

/// What a replay has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayTotals {
    /// Every line read, blank and malformed ones included (line numbers count them).
    pub lines: u64,
    pub calls: u64,
    pub rotations: u64,
    pub malformed: u64,
    pub firing: u64,
    pub resolved: u64,
}

/// An engine fed event lines in order.
pub struct Replay {
    engine: Engine,
    newest: Option<i64>,
    totals: ReplayTotals,
}

fn at_second(sec: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(sec).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Replay {
    pub fn new(engine: Engine) -> Replay {
        Replay {
            engine,
            newest: None,
            totals: ReplayTotals::default(),
        }
    }

    pub fn totals(&self) -> ReplayTotals {
        self.totals
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The next line (surrounding whitespace ignored; blank lines are skipped). The alerts it
    /// caused are appended to `out`. A malformed line is counted and returned as the error;
    /// the replay goes on with the next line.
    pub fn line(&mut self, bytes: &[u8], out: &mut Vec<Alert>) -> Result<(), EventError> {
        self.totals.lines += 1;
        let bytes = bytes.trim_ascii();
        if bytes.is_empty() {
            return Ok(());
        }
        let event = match std::str::from_utf8(bytes) {
            Ok(text) => parse_line(text, self.totals.lines),
            Err(e) => Err(EventError {
                line: self.totals.lines,
                what: format!("not UTF-8 (byte {})", e.valid_up_to()),
            }),
        };
        let event = event.inspect_err(|_| self.totals.malformed += 1)?;
        let sec = event.ts().unix_timestamp();
        if self.newest.is_none_or(|n| sec > n) {
            self.newest = Some(sec);
            let alerts = self.engine.tick(at_second(sec - REORDER_S));
            self.emit(alerts, out);
        }
        match &event {
            Event::Call(_) => self.totals.calls += 1,
            Event::KeyRotated(_) => self.totals.rotations += 1,
            Event::CreditBalance(_) => {}
        }
        let alerts = self.engine.observe_event(&event);
        self.emit(alerts, out);
        Ok(())
    }

    /// End of input: the clock moves to the last event's second (no invented resolutions).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        if let Some(n) = self.newest {
            let alerts = self.engine.tick(at_second(n));
            self.emit(alerts, out);
        }
    }

    fn emit(&mut self, alerts: Vec<Alert>, out: &mut Vec<Alert>) {
        for a in &alerts {
            match a.state {
                AlertState::Firing => self.totals.firing += 1,
                AlertState::Resolved => self.totals.resolved += 1,
            }
        }
        if out.is_empty() {
            *out = alerts;
        } else {
            out.extend(alerts);
        }
    }
}
