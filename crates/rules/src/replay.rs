//! The rules over an event log in event time, one line at a time: what `callwatch replay` does,
//! as a library so the CLI and the replay bench run the same code.
//!
//! Lines may arrive a little out of order: each event is held until the newest timestamp is
//! [`REORDER_S`] past it and released in timestamp order (`crate::reorder`), and the engine's
//! clock (ticks) trails the newest timestamp by the same slack, so a call up to that late lands
//! before its second is evaluated and an `any` rule fires at the call that came first in time.
//! A call later than that is still counted into its own second. At end of input
//! ([`Replay::finish`]) every held event is released and the clock stops at the last event:
//! nothing resolves that had not resolved in event time.

use time::OffsetDateTime;

use super::Engine;
use crate::reorder::ReorderBuffer;
use callwatch_core::alert::{Alert, AlertState};
use callwatch_core::event::{parse_line, EventError, PackedEvent};

/// How far behind the newest timestamp the evaluation clock trails.
pub const REORDER_S: i64 = 5;

/// Packs of evaluated events kept for the next lines to reuse (see [`Replay::read`]). Events
/// are released a second at a time when the log's clock moves on (200 at once at 200 calls a
/// second), so the pool holds up to a second's worth at high volume; packs come out of the
/// reorder buffer and go back into it, so the pool never holds more than the buffer has held.
pub(crate) const SPARE_PACKS: usize = 8192;
/// A pack whose text buffer grew past this (a long message) is freed, not kept: the pool holds
/// at most `SPARE_PACKS` × 1 KiB of text.
const SPARE_TEXT_BYTES: usize = 1024;

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
    held: ReorderBuffer<PackedEvent>,
    /// Packs of events already evaluated, for [`Replay::read`] to refill.
    spare: Vec<PackedEvent>,
    totals: ReplayTotals,
}

/// One line read: nothing, an event (owned, to be held), or what is wrong with it.
#[derive(Debug)]
pub enum Parsed {
    Blank,
    Event(PackedEvent),
    Malformed(EventError),
}

/// Parses one line (surrounding whitespace ignored) numbered `line_no` (1-based): the part of
/// [`Replay::line`] that needs no engine.
pub fn parse(bytes: &[u8], line_no: u64) -> Parsed {
    parse_reusing(bytes, line_no, &mut Vec::new())
}

/// [`parse`], packing the event into one of `spare`'s packs if it has one.
pub(crate) fn parse_reusing(bytes: &[u8], line_no: u64, spare: &mut Vec<PackedEvent>) -> Parsed {
    let bytes = bytes.trim_ascii();
    if bytes.is_empty() {
        return Parsed::Blank;
    }
    let event = match std::str::from_utf8(bytes) {
        Ok(text) => parse_line(text, line_no),
        Err(e) => Err(EventError {
            line: line_no,
            what: format!("not UTF-8 (byte {})", e.valid_up_to()),
        }),
    };
    match event {
        Ok(event) => Parsed::Event(match spare.pop() {
            Some(mut pack) => {
                pack.refill(event);
                pack
            }
            None => PackedEvent::new(event),
        }),
        Err(e) => Parsed::Malformed(e),
    }
}

fn at_second(sec: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(sec).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Replay {
    pub fn new(engine: Engine) -> Replay {
        Replay {
            engine,
            newest: None,
            held: ReorderBuffer::default(),
            spare: Vec::new(),
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
        let parsed = self.read(bytes, self.totals.lines + 1);
        self.accept(parsed, out)
    }

    /// [`parse`] on the replay's own thread: the event is packed into the allocations of one
    /// already evaluated (an allocation and a free less a line), the result the same.
    pub fn read(&mut self, bytes: &[u8], line_no: u64) -> Parsed {
        parse_reusing(bytes, line_no, &mut self.spare)
    }

    /// The next line, already [`parse`]d (with its 1-based line number; lines must come in
    /// order): what [`Replay::line`] does after parsing. [`crate::pipeline`]'s readers hand
    /// their parsed lines here (the two-thread one from its parser thread).
    pub fn accept(&mut self, parsed: Parsed, out: &mut Vec<Alert>) -> Result<(), EventError> {
        self.totals.lines += 1;
        let event = match parsed {
            Parsed::Blank => return Ok(()),
            Parsed::Malformed(e) => {
                self.totals.malformed += 1;
                return Err(e);
            }
            Parsed::Event(event) => event,
        };
        if event.is_call() {
            self.totals.calls += 1;
        } else if event.is_rotation() {
            self.totals.rotations += 1;
        }
        let ts = event.ts();
        // The nanosecond timestamp from the second (a second calendar-date conversion cost as
        // much again).
        let sec = ts.unix_timestamp();
        let at = i128::from(sec) * 1_000_000_000 + i128::from(ts.nanosecond());
        let advanced = self.newest.is_none_or(|n| sec > n);
        if advanced {
            self.newest = Some(sec);
        }
        self.held.push(at, event);
        let horizon = self.newest.unwrap_or(sec) - REORDER_S;
        // Everything in the horizon's second or before it is due; then that second is evaluated.
        let due_through = i128::from(horizon + 1) * 1_000_000_000 - 1;
        while let Some(event) = self.held.pop_through(due_through) {
            let alerts = self.engine.observe_event(&event.event());
            self.emit(alerts, out);
            self.keep_spare(event);
        }
        if advanced {
            let alerts = self.engine.tick(at_second(horizon));
            self.emit(alerts, out);
        }
        Ok(())
    }

    /// End of input: the clock moves to the last event's second (no invented resolutions).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        while let Some(event) = self.held.pop() {
            let alerts = self.engine.observe_event(&event.event());
            self.emit(alerts, out);
        }
        if let Some(n) = self.newest {
            let alerts = self.engine.tick(at_second(n));
            self.emit(alerts, out);
        }
    }

    /// The packs of evaluated events kept so far, for a reader parsing elsewhere (the
    /// two-thread pipeline) to refill: the replay's own pool only serves [`Replay::read`].
    pub(crate) fn take_spare(&mut self) -> Vec<PackedEvent> {
        std::mem::take(&mut self.spare)
    }

    fn keep_spare(&mut self, pack: PackedEvent) {
        if self.spare.len() < SPARE_PACKS && pack.capacity() <= SPARE_TEXT_BYTES {
            self.spare.push(pack);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_rules;

    fn call(ts: &str, status: u16, error_type: &str, request_id: &str) -> String {
        format!(
            r#"{{"attempts":1,"error_type":"{error_type}","key_id":"k-1","latency_ms":12.0,"model":"claude-sonnet-4-5","operation":"chat","request_id":"{request_id}","status":{status},"ts":"{ts}"}}"#
        )
    }

    /// The held-out generator's finding: with the earlier billing call written second, the
    /// outage was dated (and its request id named) from the later one.
    #[test]
    fn an_outage_fires_at_the_first_billing_call_in_time_not_in_the_file() {
        let lines = [
            call("2026-11-30T09:37:30.000Z", 200, "null", "req_ok"),
            call(
                "2026-11-30T09:37:32.827Z",
                400,
                "billing_error",
                "req_second",
            ),
            call(
                "2026-11-30T09:37:32.754Z",
                400,
                "billing_error",
                "req_first",
            ),
            call("2026-11-30T09:37:40.000Z", 200, "null", "req_later"),
        ];
        let mut replay = Replay::new(Engine::new(default_rules()));
        let mut alerts = Vec::new();
        for line in &lines {
            let line = line.replace(r#""error_type":"null""#, r#""error_type":null"#);
            replay
                .line(line.as_bytes(), &mut alerts)
                .expect("valid line");
        }
        replay.finish(&mut alerts);
        let firing: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.rule == "BillingOutage" && a.state == AlertState::Firing)
            .collect();
        assert_eq!(firing.len(), 1, "{alerts:?}");
        assert_eq!(
            firing[0].at,
            time::macros::datetime!(2026-11-30 09:37:32.754 UTC)
        );
    }
}
