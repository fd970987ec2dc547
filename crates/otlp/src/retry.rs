//! Keeps retrying a failed metrics export until it goes through, instead of dropping it.
//!
//! The SDK never retries: a failed export is logged and gone. With cumulative temporality the
//! next export carries everything anyway, but with delta temporality (Datadog) every failed
//! interval is lost for good. Retrying inside `export` holds the periodic reader's thread, so
//! no new collection happens meanwhile; the bridge and the observable instruments then report
//! everything since the last collection when the collector is back. Nothing accumulates while
//! waiting: the recorder keeps counting in its own bounded state. Only the reader's thread
//! waits, never a call. A retry ends when the export succeeds or the guard shuts down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;

const FIRST_WAIT: Duration = Duration::from_millis(250);

pub struct RetryingExporter<E> {
    inner: E,
    /// The longest wait between attempts (the collection interval, at least 1 s).
    max_wait: Duration,
    stop: Arc<AtomicBool>,
}

impl<E: PushMetricExporter> RetryingExporter<E> {
    /// `stop`: set it to give up on the export in progress (shutdown).
    pub fn new(inner: E, interval: Duration, stop: Arc<AtomicBool>) -> Self {
        RetryingExporter {
            inner,
            max_wait: interval.max(Duration::from_secs(1)),
            stop,
        }
    }

    /// Sleeps `wait`, waking early when told to stop; true if it should stop.
    fn pause(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        while !self.stop.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        true
    }
}

impl<E: PushMetricExporter> PushMetricExporter for RetryingExporter<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let first_failure = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            let error = match self.inner.export(metrics).await {
                Ok(()) => {
                    if attempt > 0 {
                        tracing::warn!(
                            "callwatch: OTLP metrics export works again after {} failed attempts \
                             over {:.0?}; what was counted meanwhile is in this export",
                            attempt,
                            first_failure.elapsed()
                        );
                    }
                    return Ok(());
                }
                Err(error) => error,
            };
            if self.stop.load(Ordering::Relaxed) {
                return Err(error);
            }
            if attempt == 0 {
                tracing::warn!(
                    "callwatch: OTLP metrics export failed ({error}); retrying until the \
                     collector answers. Calls are still counted and nothing is dropped; one \
                     line follows when it works again"
                );
            }
            attempt += 1;
            let wait = FIRST_WAIT
                .saturating_mul(1 << attempt.min(16))
                .min(self.max_wait);
            if self.pause(wait) {
                return Err(error);
            }
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.stop.store(true, Ordering::Relaxed);
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

/// The collection interval in force: the code's, else `OTEL_METRIC_EXPORT_INTERVAL` (ms),
/// else the SDK's 60 s.
pub fn interval(configured: Option<Duration>) -> Duration {
    configured
        .or_else(|| {
            std::env::var("OTEL_METRIC_EXPORT_INTERVAL")
                .ok()?
                .trim()
                .parse()
                .ok()
                .map(Duration::from_millis)
        })
        .unwrap_or(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use opentelemetry_sdk::error::OTelSdkError;

    use super::*;

    /// Fails its first `fail` exports, then succeeds; counts attempts.
    struct Flaky {
        fail: u32,
        attempts: Arc<AtomicU32>,
    }

    impl PushMetricExporter for Flaky {
        async fn export(&self, _metrics: &ResourceMetrics) -> OTelSdkResult {
            if self.attempts.fetch_add(1, Ordering::SeqCst) < self.fail {
                Err(OTelSdkError::InternalFailure("collector down".into()))
            } else {
                Ok(())
            }
        }
        fn force_flush(&self) -> OTelSdkResult {
            Ok(())
        }
        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            Ok(())
        }
        fn temporality(&self) -> Temporality {
            Temporality::Delta
        }
    }

    fn run(exporter: &RetryingExporter<Flaky>) -> OTelSdkResult {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(exporter.export(&ResourceMetrics::default()))
    }

    #[test]
    fn a_failed_export_is_retried_until_it_goes_through() {
        let attempts = Arc::new(AtomicU32::new(0));
        let flaky = Flaky {
            fail: 1,
            attempts: attempts.clone(),
        };
        let exporter = RetryingExporter::new(flaky, Duration::ZERO, Arc::default());
        assert!(run(&exporter).is_ok());
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn shutdown_ends_the_retries() {
        let attempts = Arc::new(AtomicU32::new(0));
        let flaky = Flaky {
            fail: u32::MAX,
            attempts: attempts.clone(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let exporter = RetryingExporter::new(flaky, Duration::from_secs(3600), stop.clone());
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            stop.store(true, Ordering::Relaxed);
        });
        assert!(run(&exporter).is_err(), "gives up once told to stop");
        stopper.join().unwrap();
        // The waits double from 0.5 s: it was told to stop during one of the first few.
        assert!(attempts.load(Ordering::SeqCst) < 5);
    }
}
