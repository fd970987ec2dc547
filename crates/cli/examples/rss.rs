//! Agent memory under load: resident set size (VmRSS from /proc/self/status) after 10M calls
//! over 1,000 series, then after 1M distinct model names (a model name fed from user input).
//! Each call goes where the agent sends it: the recorder (`Recorder::record`) and the rules
//! engine, as the agent's tap hands it over (`agent::call_event` → `Engine::observe`), in
//! event time at 1,000 calls a second with the engine ticked every second. Target ≤ 50 MB,
//! bounded (flat once the label and series limits are reached).
//!
//! ```sh
//! cargo run --release --example rss            # 10M + 1M, prints RSS at checkpoints
//! cargo run --release --example rss -- 100000  # smaller: calls per phase / 10
//! cargo run --release --example rss -- 1000000 recorder   # only the recorder (or `engine`)
//! ```

use std::time::Duration;

use callwatch_agent::{call_event, Clock};
use callwatch_core::call::Call;
use callwatch_core::classify::{Class, Outcome};
use callwatch_core::record::Recorder;
use callwatch_rules::{default_rules, Engine};
use time::macros::datetime;

const CALLS_PER_SECOND: u64 = 1_000;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

struct Load {
    recorder: Recorder,
    engine: Engine,
    clock: Clock,
    calls: u64,
    use_recorder: bool,
    use_engine: bool,
    success: Outcome,
    overloaded: Outcome,
}

impl Load {
    fn call(&mut self, model: &str, key_id: &str) {
        let outcome = if self.calls % 200 == 0 {
            &self.overloaded
        } else {
            &self.success
        };
        let call = Call {
            operation: "chat",
            model,
            key_id,
            outcome,
            attempts: 1,
            latency: Duration::from_millis(300 + self.calls % 3000),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: "api.anthropic.com",
            server_port: 443,
        };
        if self.use_recorder {
            self.recorder.record(&call);
        }
        self.calls += 1;
        if !self.use_engine {
            return;
        }
        let calls = self.calls - 1;
        let mut event = call_event(&call, &self.clock);
        // Event time: the agent stamps `now`; here time advances with the call count.
        let ts = datetime!(2026-11-20 08:00:00 UTC)
            + time::Duration::milliseconds((calls * 1000 / CALLS_PER_SECOND) as i64);
        event.ts = ts;
        self.engine.observe(&event);
        if self.calls % CALLS_PER_SECOND == 0 {
            self.engine.tick(ts);
        }
    }
}

fn main() {
    let total: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("calls per phase must be a number"))
        .unwrap_or(10_000_000);
    let parts = std::env::args().nth(2).unwrap_or_else(|| "both".into());
    let mut load = Load {
        recorder: Recorder::new(),
        engine: Engine::new(default_rules()),
        clock: Clock::system(),
        calls: 0,
        use_recorder: parts != "engine",
        use_engine: parts != "recorder",
        success: Outcome::bare(Some(200), None, Class::Success),
        overloaded: Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded),
    };
    // 40 models × 25 keys = 1,000 (operation, model, key) series (plus the 529 ones).
    let models: Vec<String> = (0..40).map(|i| format!("claude-model-{i:02}")).collect();
    let keys: Vec<String> = (0..25).map(|i| format!("k-{i:08x}")).collect();
    println!("start: RSS {:.1} MB", rss_mb());
    for i in 0..total {
        let (m, k) = ((i % 40) as usize, ((i / 40) % 25) as usize);
        load.call(&models[m], &keys[k]);
        if (i + 1) % (total / 5).max(1) == 0 {
            println!("{:>10} calls over 1k series: RSS {:.1} MB", i + 1, rss_mb());
        }
    }
    let distinct = total / 10;
    let mut name = String::new();
    for i in 0..distinct {
        name.clear();
        use std::fmt::Write;
        let _ = write!(name, "user-typed-model-{i}");
        load.call(&name, &keys[(i % 25) as usize]);
        if (i + 1) % (distinct / 5).max(1) == 0 {
            println!("{:>10} distinct model names: RSS {:.1} MB", i + 1, rss_mb());
        }
    }
    let snapshot = load.recorder.snapshot();
    let stats = load.engine.stats();
    println!(
        "recorder: {} series, {} records folded into overflow; engine: {} calls, {} beyond its series limit",
        snapshot.series.len(),
        snapshot.overflowed_records,
        stats.calls,
        stats.series_overflow
    );
}
