//! Writes the replay bench's generated event log to stdout, to time the real binary:
//!
//! ```sh
//! cargo run --release --example gen_events -- 1000000 > /tmp/big.jsonl
//! time target/release/callwatch replay /tmp/big.jsonl > /dev/null
//! ```

#[path = "../../rules/benches/support/events.rs"]
mod events;

use std::io::Write;

fn main() {
    let n = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("gen_events: the line count must be a number: {e}");
            std::process::exit(1);
        }
    };
    let log = events::event_log(n, 200);
    if let Err(e) = std::io::stdout().lock().write_all(log.as_bytes()) {
        eprintln!("gen_events: cannot write: {e}");
        std::process::exit(1);
    }
}
