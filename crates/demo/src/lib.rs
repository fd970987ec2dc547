//! `callwatch demo`: the whole story on embedded defaults. A mock Claude API on loopback, a
//! small fleet calling it through the real middleware and retry policy, a scripted incident
//! timeline in compressed time, and the real agent (recorder, rules engine, notifier) finding
//! the incidents in the traffic.

mod credit_story;
mod director;
mod fleet;
mod run;
mod timeline;

pub use credit_story::{opening_balance, Leads, TOP_UP_USD, WORKER_KEY};
pub use director::{behavior_for, API_LATENCY, DEFAULT_SPEED};
pub use fleet::{demo_retry_policy, key_for, ORIGINAL_KEY, ROTATED_KEY};
pub use run::{run, summary_text, DemoOptions, DemoReport, MANDATED};
pub use timeline::{phase_at, script, Conditions, KeyState, Phase, STORY_LENGTH};
