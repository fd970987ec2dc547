//! A deterministic, realistic event log for the replay and tick benches (and
//! `examples/gen_events.rs`, which writes it to a file for timing the real binary).
//!
//! Mix per 10,000 calls: ~9,700 successes, 100 × 429 rate_limit, 50 × 529 overloaded,
//! 30 × 500 api_error, 50 × 400 invalid_request (a few distinct messages), 10 × 401,
//! 1 × 402 billing; 3 models, 8 keys, 2 operations; one explicit key rotation per 500,000
//! lines. Written by the agent's own writer (`CallEvent::to_line`), so every line is the
//! contract event line.

#![allow(dead_code)] // each bench uses part of it

use callwatch_core::event::{CallEvent, Event, KeyRotation};
use time::{Duration, OffsetDateTime};

const MODELS: [&str; 3] = ["claude-sonnet-4-6", "claude-opus-4-1", "claude-haiku-4-5"];
const OPERATIONS: [&str; 2] = ["messages", "count_tokens"];
const BAD_REQUESTS: [&str; 3] = [
    "messages.1.content.0.tool_result: unexpected `tool_use_id` found in `tool_result` blocks",
    "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens",
    "prompt is too long: 212345 tokens > 200000 maximum",
];

/// A small, fast, deterministic generator (xorshift64*): the same log on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-11-20 08:00:00 UTC)
}

/// `(status, error_type, message)` for one draw out of 10,000.
fn outcome(draw: u64, rng: &mut Rng) -> (u16, Option<&'static str>, Option<&'static str>) {
    match draw {
        0 => (
            402,
            Some("billing_error"),
            Some("Your credit balance is too low"),
        ),
        1..=10 => (401, Some("authentication_error"), Some("invalid x-api-key")),
        11..=60 => (
            400,
            Some("invalid_request_error"),
            Some(BAD_REQUESTS[rng.below(3) as usize]),
        ),
        61..=90 => (500, Some("api_error"), Some("Internal server error")),
        91..=140 => (529, Some("overloaded_error"), Some("Overloaded")),
        141..=240 => (
            429,
            Some("rate_limit_error"),
            Some("Number of request tokens has exceeded your per-minute rate limit"),
        ),
        _ => (200, None, None),
    }
}

/// One call at `ts` with the given model and key; the outcome is drawn from the mix.
pub fn call_line(rng: &mut Rng, ts: OffsetDateTime, model: &str, key_id: &str) -> String {
    let (status, error_type, message) = outcome(rng.below(10_000), rng);
    let request_id = format!("req_011CSHoEeqs5C35K{:08x}", rng.next() as u32);
    let mut call = CallEvent::new(ts, Some(status), error_type);
    if let Some(m) = message {
        call = call.with_message(m);
    }
    call.attempts = if status >= 500 || status == 429 {
        1 + rng.below(3) as u32
    } else {
        1
    };
    call.latency_ms = Some(200.0 + rng.below(2_000_000) as f64 / 1000.0);
    call.model = Some(model.into());
    call.operation = Some(OPERATIONS[(rng.below(10) == 0) as usize].into());
    call.key_id = Some(key_id.into());
    call.request_id = Some(request_id.as_str().into());
    call.to_line()
}

/// `n` lines, newline-terminated, at `per_second` calls a second from [`t0`], with a little
/// reordering (a call is up to 2 s late now and then), as a log written by several workers.
pub fn event_log(n: usize, per_second: u64) -> String {
    let mut rng = Rng::new(0x5eed);
    let keys: Vec<String> = (0..8).map(|i| format!("k-52e6b4{i:02x}")).collect();
    let mut out = String::with_capacity(n * 260);
    for i in 0..n as u64 {
        let mut ms = (i * 1000 / per_second) as i64;
        if rng.below(100) == 0 {
            ms -= rng.below(2000) as i64;
        }
        let ts = t0() + Duration::milliseconds(ms.max(0));
        let line = if i % 500_000 == 250_000 {
            Event::KeyRotated(KeyRotation {
                ts,
                key_id: keys[rng.below(8) as usize].as_str().into(),
            })
            .to_line()
        } else {
            let model = MODELS[rng.below(3) as usize];
            let key = &keys[rng.below(8) as usize];
            call_line(&mut rng, ts, model, key)
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// True under `cargo test --benches` (criterion's test mode: no `--bench` flag), where every
/// bench runs once and inputs should be small so CI stays quick.
pub fn test_mode() -> bool {
    !std::env::args().any(|a| a == "--bench")
}
