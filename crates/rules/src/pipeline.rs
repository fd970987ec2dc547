//! A replay over a reader: every line read, parsed and evaluated in input order, each line's
//! result (its alerts, or why it was skipped) handed to the caller in that order, exactly as
//! [`Replay::line`] gives it. A UTF-8 byte-order mark before the first line is skipped.
//!
//! [`replay_lines`] does it all on the calling thread; [`replay_lines_on_two_threads`] parses on
//! a second thread. The second was written when parsing cost as much as evaluating (session 21:
//! 16 % less wall time on a 218 MB file). After the event-line scanner it lost on this
//! project's 2-vCPU machines (1M lines: 2.20–2.46 s against 1.50–1.80 s on one thread) because
//! it allocated a batch and a pack a line; since the engine side hands both back (session 23),
//! it wins again when a second core is free (8 alternating runs on idle vCPUs: median 0.96 s
//! against 1.17 s, the same output). `callwatch replay` therefore uses it when the process may
//! run on two cores or more, and [`replay_lines`] on one.
//!
//! The threaded reader runs at most [`BATCHES_AHEAD`] batches of [`BATCH_LINES`] lines ahead of
//! the engine (bounded memory whatever the input's size); when the caller stops (an error from
//! its callback), the reader stops at its next batch. The engine side hands each emptied batch
//! and the packs of the events it has evaluated back to the reader, which parses into them (as
//! [`Replay::read`] does on one thread) instead of allocating a batch and a pack a line.

use std::io::{self, BufRead};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::replay::{parse_reusing, Parsed, Replay, SPARE_PACKS};
use callwatch_core::alert::Alert;
use callwatch_core::event::{EventError, PackedEvent};

/// Lines per batch handed from the parser to the engine (one channel message each).
pub const BATCH_LINES: usize = 512;

/// Batches the parser may run ahead of the engine.
pub const BATCHES_AHEAD: usize = 8;

/// A byte-order mark, as editors on Windows start a UTF-8 file with.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the parser thread hands over: parsed lines, or the read error that ended the input.
enum Batch {
    Lines(Vec<Parsed>),
    Failed(io::Error),
}

/// What the engine side hands back to the parser: an emptied batch and evaluated packs.
struct Returned {
    lines: Vec<Parsed>,
    packs: Vec<PackedEvent>,
}

/// Replays every line of `input` into `replay`, then [`Replay::finish`]es it. After each line,
/// `each(replay, result, alerts)` gets the line's result and the alerts it caused (drain them);
/// after the end of input, the alerts `finish` released come with `Ok(())`. An error from
/// `each` or from reading stops the replay and is returned.
pub fn replay_lines<R, F>(mut input: R, replay: &mut Replay, mut each: F) -> io::Result<()>
where
    R: BufRead,
    F: FnMut(&Replay, Result<(), EventError>, &mut Vec<Alert>) -> io::Result<()>,
{
    let first_line = replay.totals().lines + 1;
    let mut buf = Vec::with_capacity(1024);
    let mut alerts = Vec::new();
    for line_no in first_line.. {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let parsed = replay.read(without_bom(&buf, line_no == first_line), line_no);
        let result = replay.accept(parsed, &mut alerts);
        each(replay, result, &mut alerts)?;
    }
    replay.finish(&mut alerts);
    each(replay, Ok(()), &mut alerts)
}

/// The input's first line without a byte-order mark.
fn without_bom(line: &[u8], first: bool) -> &[u8] {
    match line.strip_prefix(UTF8_BOM) {
        Some(rest) if first => rest,
        _ => line,
    }
}

/// [`replay_lines`] with reading and parsing on a second thread (see the module's note on
/// when that pays).
pub fn replay_lines_on_two_threads<R, F>(
    input: R,
    replay: &mut Replay,
    mut each: F,
) -> io::Result<()>
where
    R: BufRead + Send,
    F: FnMut(&Replay, Result<(), EventError>, &mut Vec<Alert>) -> io::Result<()>,
{
    let first_line = replay.totals().lines + 1;
    let (tx, rx) = sync_channel(BATCHES_AHEAD);
    // Never blocks the engine side: a return that finds the channel full is dropped.
    let (back_tx, back_rx) = sync_channel(BATCHES_AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || read_and_parse(input, first_line, tx, back_rx));
        // Leaving the scope joins the parser; `evaluate` drops `rx` when it returns, so a
        // parser blocked on a full channel wakes with an error and stops.
        evaluate(rx, back_tx, replay, &mut each)
    })?;
    let mut alerts = Vec::new();
    replay.finish(&mut alerts);
    each(replay, Ok(()), &mut alerts)
}

fn evaluate<F>(
    rx: Receiver<Batch>,
    back: SyncSender<Returned>,
    replay: &mut Replay,
    each: &mut F,
) -> io::Result<()>
where
    F: FnMut(&Replay, Result<(), EventError>, &mut Vec<Alert>) -> io::Result<()>,
{
    let mut alerts = Vec::new();
    for batch in rx {
        match batch {
            Batch::Lines(mut lines) => {
                for parsed in lines.drain(..) {
                    let result = replay.accept(parsed, &mut alerts);
                    each(replay, result, &mut alerts)?;
                }
                let packs = replay.take_spare();
                let _ = back.try_send(Returned { lines, packs });
            }
            Batch::Failed(e) => return Err(e),
        }
    }
    Ok(())
}

/// The parser thread: reads lines, parses them in batches, and sends each batch; stops at end
/// of input, at a read error (sent on), or when the engine side has hung up.
fn read_and_parse(
    mut input: impl BufRead,
    first_line: u64,
    tx: SyncSender<Batch>,
    back: Receiver<Returned>,
) {
    let mut buf = Vec::with_capacity(1024);
    let mut line_no = first_line;
    let mut batch = Vec::with_capacity(BATCH_LINES);
    let mut spare: Vec<PackedEvent> = Vec::new();
    let mut empty_batches: Vec<Vec<Parsed>> = Vec::new();
    loop {
        if spare.is_empty() {
            // At most what the engine side has released, capped as its own pool is.
            for returned in back.try_iter() {
                empty_batches.push(returned.lines);
                let room = SPARE_PACKS.saturating_sub(spare.len());
                spare.extend(returned.packs.into_iter().take(room));
            }
            empty_batches.truncate(BATCHES_AHEAD);
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let sent = send(&tx, &mut batch, &mut empty_batches).is_ok();
                if sent {
                    let _ = tx.send(Batch::Failed(e));
                }
                return;
            }
        }
        let bytes = without_bom(&buf, line_no == first_line);
        batch.push(parse_reusing(bytes, line_no, &mut spare));
        line_no += 1;
        if batch.len() == BATCH_LINES && send(&tx, &mut batch, &mut empty_batches).is_err() {
            return;
        }
    }
    let _ = send(&tx, &mut batch, &mut empty_batches);
}

/// Sends the batch (if it holds anything) and starts the next in an emptied one if the engine
/// side has handed one back. `Err` when the engine side is gone.
fn send(
    tx: &SyncSender<Batch>,
    batch: &mut Vec<Parsed>,
    empty: &mut Vec<Vec<Parsed>>,
) -> Result<(), ()> {
    if batch.is_empty() {
        return Ok(());
    }
    let next = empty
        .pop()
        .unwrap_or_else(|| Vec::with_capacity(BATCH_LINES));
    let full = std::mem::replace(batch, next);
    tx.send(Batch::Lines(full)).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{default_rules, Engine};

    fn line(ts: &str, status: u16, error_type: &str) -> String {
        format!(
            r#"{{"ts":"{ts}","status":{status},"error_type":"{error_type}","key_id":"k-1","model":"claude-sonnet-4-5","request_id":"req_{status}"}}"#
        )
    }

    /// Lines across several batches, a blank, a malformed one, a BOM: both replays over a
    /// reader give each line the result and alerts the line-by-line replay gives.
    #[test]
    fn the_pipeline_gives_what_the_line_by_line_replay_gives() {
        let mut text = String::from("\u{feff}");
        for i in 0..(BATCH_LINES * 3 + 7) {
            let (m, s) = (i / 60, i % 60);
            let ts = format!("2026-11-30T09:{m:02}:{s:02}.000Z");
            match i {
                5 => text.push('\n'),
                9 => text.push_str("{not json\n"),
                _ if i % 97 == 0 => text.push_str(&(line(&ts, 402, "billing_error") + "\n")),
                _ => text.push_str(&(line(&ts, 200, "null") + "\n")),
            }
        }
        let text = text.replace(r#""error_type":"null""#, r#""error_type":null"#);

        let mut by_line = Replay::new(Engine::new(default_rules()));
        let mut expected = Vec::new();
        let mut alerts = Vec::new();
        for (i, l) in text.as_bytes().split_inclusive(|&b| b == b'\n').enumerate() {
            let l = if i == 0 { &l[3..] } else { l };
            let result = by_line.line(l, &mut alerts);
            expected.push((result, std::mem::take(&mut alerts)));
        }
        by_line.finish(&mut alerts);
        expected.push((Ok(()), alerts));

        for threaded in [false, true] {
            let mut piped = Replay::new(Engine::new(default_rules()));
            let mut got = Vec::new();
            let each = |_: &Replay, result, alerts: &mut Vec<Alert>| {
                got.push((result, std::mem::take(alerts)));
                Ok(())
            };
            if threaded {
                replay_lines_on_two_threads(text.as_bytes(), &mut piped, each)
            } else {
                replay_lines(text.as_bytes(), &mut piped, each)
            }
            .expect("in-memory input");

            assert_eq!(got, expected, "threaded: {threaded}");
            assert_eq!(piped.totals(), by_line.totals());
            assert_eq!(piped.totals().malformed, 1);
            assert!(piped.totals().firing > 0, "the billing calls fire");
        }
    }

    /// A callback error stops the replay (and the parser thread) and comes back.
    #[test]
    fn an_error_from_the_caller_stops_the_replay() {
        let text: String = (0..BATCH_LINES * (BATCHES_AHEAD + 4))
            .map(|i| line(&format!("2026-11-30T09:00:{:02}.000Z", i % 60), 200, "x") + "\n")
            .collect();
        for threaded in [false, true] {
            let mut replay = Replay::new(Engine::new(default_rules()));
            let mut seen = 0;
            let each = |_: &Replay, _, _: &mut Vec<Alert>| {
                seen += 1;
                if seen == 10 {
                    Err(io::Error::new(io::ErrorKind::BrokenPipe, "reader gone"))
                } else {
                    Ok(())
                }
            };
            let e = if threaded {
                replay_lines_on_two_threads(text.as_bytes(), &mut replay, each)
            } else {
                replay_lines(text.as_bytes(), &mut replay, each)
            }
            .expect_err("the callback's error");
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            assert_eq!(replay.totals().lines, 10, "threaded: {threaded}");
        }
    }
}
