//! Varied calls recorded straight into a Recorder: every series shape the exporter renders.

use std::time::{Duration, SystemTime};

use callwatch_core::call::{Attempt, Call};
use callwatch_core::classify::{Class, Headroom, Outcome, RateLimit, StreamTiming, Usage};
use callwatch_core::record::Recorder;

/// Success with usage and rate-limit headers, a streamed success, a retried 5xx, a 400, a 401,
/// a billing 403, a 429 and a timeout, for two models and two keys; each call's attempts too.
pub fn record_varied(recorder: &Recorder) {
    let mut success = Outcome::bare(Some(200), None, Class::Success);
    success.usage = Some(Usage {
        input_tokens: 1200,
        cache_read_input_tokens: 300,
        cache_creation_input_tokens: 0,
        output_tokens: 450,
        cache_creation_1h_input_tokens: 0,
    });
    let headroom = Headroom {
        limit: 50,
        remaining: 10,
        reset: Some(SystemTime::now()),
    };
    success.rate_limit = RateLimit {
        requests: Some(headroom),
        tokens: Some(headroom),
        ..RateLimit::default()
    };
    let mut streamed = success.clone();
    streamed.stream = Some(StreamTiming {
        time_to_first_chunk: Some(Duration::from_millis(350)),
        time_per_output_chunk: Some(Duration::from_millis(25)),
        output_chunks: 12,
        ..StreamTiming::default()
    });
    let failures = [
        Outcome::bare(Some(500), Some("api_error"), Class::Server),
        Outcome::bare(Some(529), Some("overloaded_error"), Class::Overloaded),
        Outcome::bare(
            Some(400),
            Some("invalid_request_error"),
            Class::InvalidRequest,
        ),
        Outcome::bare(Some(401), Some("authentication_error"), Class::Auth),
        Outcome::bare(Some(403), Some("billing_error"), Class::Billing),
        Outcome::bare(Some(429), Some("rate_limit_error"), Class::RateLimit),
        Outcome::bare(None, Some("timeout"), Class::Timeout),
    ];
    for model in ["claude-sonnet-4-6", "claude-haiku-4-5"] {
        for key_id in ["k-11111111", "k-22222222"] {
            let successes = [(&success, 1), (&streamed, 1)];
            for (outcome, attempts) in successes.into_iter().chain(failures.iter().map(|o| (o, 3)))
            {
                for number in 1..=attempts {
                    recorder.record_attempt(&Attempt {
                        operation: "chat",
                        model,
                        key_id,
                        outcome,
                        number,
                        latency: Duration::from_millis(200),
                        server_address: "api.anthropic.com",
                        server_port: 443,
                    });
                }
                recorder.record(&Call {
                    operation: "chat",
                    model,
                    key_id,
                    outcome,
                    attempts,
                    latency: Duration::from_millis(700),
                    retry_wait: Duration::from_millis(200 * u64::from(attempts - 1)),
                    futile_retries: attempts - 1,
                    server_address: "api.anthropic.com",
                    server_port: 443,
                });
            }
        }
    }
}
