//! The contract alert line, one per transition, one per line: `callwatch … | jq` works.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::Notification;

use super::{Sink, SinkError};

type Writer = Arc<Mutex<dyn Write + Send>>;

pub struct StdoutSink {
    out: Writer,
}

impl StdoutSink {
    pub fn new() -> StdoutSink {
        StdoutSink {
            out: Arc::new(Mutex::new(std::io::stdout())),
        }
    }

    /// Write somewhere else (a file, a test buffer).
    pub fn with_writer(out: Writer) -> StdoutSink {
        StdoutSink { out }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new()
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        "stdout"
    }

    async fn send(&self, n: &Notification) -> Result<(), SinkError> {
        if n.repeat {
            // A reminder is not a transition; the contract is one line per transition.
            return Ok(());
        }
        let mut text = String::new();
        for a in &n.alerts {
            text.push_str(&a.to_line());
            text.push('\n');
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // One write for the whole notification, so lines of two notifications never interleave.
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| SinkError::retryable(format!("stdout: {e}")))
    }
}
