//! Waiting for something another process or task does, without a fixed sleep.

use std::time::{Duration, Instant};

/// Polls `done` every 50 ms until it holds or `limit` has passed; its last answer.
pub async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}
