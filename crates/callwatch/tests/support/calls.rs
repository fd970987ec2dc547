//! An observer that keeps an owned copy of every call it sees, for tests that assert on what
//! the instrumentation reported.

use std::sync::Mutex;
use std::time::Duration;

use callwatch::{Call, CallObserver, Outcome};

/// An owned copy of one [`Call`].
#[derive(Clone, Debug)]
pub struct SeenCall {
    pub operation: String,
    pub model: String,
    pub key_id: String,
    pub outcome: Outcome,
    pub attempts: u32,
    pub latency: Duration,
    pub retry_wait: Duration,
    pub futile_retries: u32,
    pub server_address: String,
    pub server_port: u16,
}

#[derive(Default)]
pub struct CallCollector(Mutex<Vec<SeenCall>>);

impl CallObserver for CallCollector {
    fn observe(&self, call: &Call<'_>) {
        self.0.lock().unwrap().push(SeenCall {
            operation: call.operation.to_owned(),
            model: call.model.to_owned(),
            key_id: call.key_id.to_owned(),
            outcome: call.outcome.clone(),
            attempts: call.attempts,
            latency: call.latency,
            retry_wait: call.retry_wait,
            futile_retries: call.futile_retries,
            server_address: call.server_address.to_owned(),
            server_port: call.server_port,
        });
    }
}

impl CallCollector {
    pub fn calls(&self) -> Vec<SeenCall> {
        self.0.lock().unwrap().clone()
    }

    /// The one call seen; fails the test if there were none or several.
    pub fn only(&self) -> SeenCall {
        let calls = self.calls();
        assert_eq!(calls.len(), 1, "exactly one logical call: {calls:?}");
        calls[0].clone()
    }
}
