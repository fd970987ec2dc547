//! Getting notifications to a sink despite the network: one worker per sink with a bounded
//! queue, a timeout on every attempt, exponential backoff with full jitter, `Retry-After`
//! honoured, a disk spool so nothing is lost across outages and restarts, and counters.

mod backoff;
mod spool;
mod stats;
mod worker;

use std::path::PathBuf;
use std::time::Duration;

pub use backoff::full_jitter;
pub use stats::{DeliveryStats, SinkStats, StatsSource};
pub use worker::{spawn_receiver_worker, spawn_worker, WorkerHandle};

#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    /// Every attempt gives up after this.
    pub timeout: Duration,
    /// Notifications waiting per sink; more are dropped (counted, said, left in the spool).
    pub queue_capacity: usize,
    /// Attempts per notification in one run; after that it waits in the spool for a restart.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` we honour.
    pub max_retry_after: Duration,
    /// Root of the spool (`<dir>/<receiver>/<sink>/<id>.json`); `None` keeps everything in memory.
    pub spool_dir: Option<PathBuf>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(10),
            queue_capacity: 1024,
            max_attempts: 20,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(600),
            spool_dir: None,
        }
    }
}
