//! A mock Claude API on loopback, for tests and `callwatch demo`: real HTTP (axum on hyper),
//! the documented error, success and streaming shapes, and failures scripted two ways.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use callwatch_mock::{MockClaude, Reply};
//! let mock = MockClaude::start().await?;
//! mock.push(Reply::status(529).retry_after_ms(20));
//! mock.push(Reply::status(529));
//! mock.push(Reply::success());
//! let url = format!("{}/v1/messages", mock.base_url());
//! # let _ = url; Ok(()) }
//! ```
//!
//! Scripted replies (a FIFO queue) come first; when the queue is empty the runtime-settable
//! [`Behavior`] decides (failure rates, accepted keys, billing mode). Another process can script
//! it over HTTP under `/__mock/` (reset, script, requests: see `admin.rs`).

mod admin;
mod behavior;
mod billing_reports;
mod providers;
mod record;
mod reply;
mod server;
mod shapes;
pub mod sigv4;
mod validate;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::task::JoinHandle;

pub use behavior::{Behavior, Failure};
pub use billing_reports::BilledHour;
pub use record::{RecordedRequest, MAX_RECORDED};
pub use reply::{Reply, Tokens};

/// Shared between the handle and the server.
#[derive(Debug)]
pub(crate) struct State {
    script: VecDeque<Reply>,
    behavior: Behavior,
    recorder: record::Recorder,
    rng: StdRng,
    served: u64,
    billing: billing_reports::Billing,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain data behind; keep serving.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running mock API. Stops when dropped.
#[derive(Debug)]
pub struct MockClaude {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl MockClaude {
    /// Starts on `127.0.0.1` on a free port, healthy.
    pub async fn start() -> std::io::Result<MockClaude> {
        MockClaude::start_with(Behavior::healthy(), 0x5eed).await
    }

    /// Starts with this behaviour and RNG seed (failure draws are reproducible).
    pub async fn start_with(behavior: Behavior, seed: u64) -> std::io::Result<MockClaude> {
        MockClaude::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), behavior, seed).await
    }

    /// Starts on `addr` (port 0 picks a free one), e.g. for `callwatch mock`.
    pub async fn start_on(
        addr: SocketAddr,
        behavior: Behavior,
        seed: u64,
    ) -> std::io::Result<MockClaude> {
        let state = Arc::new(Mutex::new(State {
            script: VecDeque::new(),
            behavior,
            recorder: record::Recorder::default(),
            rng: StdRng::seed_from_u64(seed),
            served: 0,
            billing: billing_reports::Billing::default(),
        }));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(server::serve(listener, state.clone()));
        Ok(MockClaude {
            addr,
            state,
            server,
        })
    }

    /// `http://127.0.0.1:PORT` (append `/v1/messages`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request that finds the queue non-empty.
    pub fn push(&self, reply: Reply) {
        lock(&self.state).script.push_back(reply);
    }

    /// Replaces the default behaviour (takes effect on the next request).
    pub fn set_behavior(&self, behavior: Behavior) {
        lock(&self.state).behavior = behavior;
    }

    pub fn behavior(&self) -> Behavior {
        lock(&self.state).behavior.clone()
    }

    /// Scripted replies not yet used.
    pub fn pending(&self) -> usize {
        lock(&self.state).script.len()
    }

    /// Requests received so far (the last [`MAX_RECORDED`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state)
            .recorder
            .requests
            .iter()
            .cloned()
            .collect()
    }

    /// Serves the Admin API's cost report and Messages usage report to `admin_key`
    /// only: these billed hours, from an export made at `refreshed_at`.
    pub fn set_billing(
        &self,
        admin_key: &str,
        hours: Vec<BilledHour>,
        refreshed_at: time::OffsetDateTime,
    ) {
        lock(&self.state).billing = billing_reports::Billing::new(admin_key, hours, refreshed_at);
    }

    /// Requests forgotten because the record was full.
    pub fn dropped_records(&self) -> u64 {
        lock(&self.state).recorder.dropped
    }
}

impl Drop for MockClaude {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[cfg(test)]
mod tests;
