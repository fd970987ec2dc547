//! The mock's default behaviour when no scripted reply is queued: settable at run time so a
//! demo can flip the "API" from healthy to overloaded, to billing failure, to a rotated key.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rand::Rng;

use super::{Reply, Tokens};
use callwatch_core::classify::key_id;

/// A kind of failure the default behaviour injects at a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 529 `overloaded_error`.
    Overloaded,
    /// 429 `rate_limit_error` with a short `retry-after-ms`.
    RateLimited,
    /// 500 `api_error`.
    ServerError,
    /// 502 with an HTML body.
    BadGateway,
    /// 400 `invalid_request_error`.
    BadRequest,
    /// 200 stream that fails with `event: error` (`overloaded_error`).
    StreamError,
    /// Answers after this long (a client timeout turns it into a timeout).
    Slow(Duration),
    /// Closes the connection without a response.
    DropConnection,
}

impl Failure {
    pub(crate) fn reply(self) -> Reply {
        match self {
            Failure::Overloaded => Reply::status(529),
            Failure::RateLimited => Reply::status(429).retry_after_ms(50),
            Failure::ServerError => Reply::status(500),
            Failure::BadGateway => Reply::html(502),
            Failure::BadRequest => Reply::status(400),
            Failure::StreamError => Reply::stream_error("overloaded_error", "Overloaded"),
            Failure::Slow(delay) => Reply::success().delay(delay),
            Failure::DropConnection => Reply::drop_connection(),
        }
    }
}

/// What the mock does with a request when the script queue is empty.
#[derive(Clone, Debug, Default)]
pub struct Behavior {
    /// Delay before every reply.
    pub latency: Duration,
    /// Spread the delay like real generation times (0.5× to 4.5× of `latency`, median about
    /// 1×, a long tail) instead of a fixed delay.
    pub latency_spread: bool,
    /// Each failure with its share of requests (0.0..=1.0), drawn in order.
    pub failures: Vec<(Failure, f64)>,
    /// Key fingerprints accepted ([`key_id`]); `None` accepts any key. A request with another
    /// key, or none, gets 401 `authentication_error`.
    pub valid_key_ids: Option<HashSet<String>>,
    /// Every request fails with a billing shape, in turn: 400 credit balance, 402 and 403
    /// `billing_error`, 429 spend cap.
    pub billing: bool,
    /// The usage a success reports to callers with this key fingerprint (default: the
    /// mock's small fixed usage): lets a story make one caller's calls expensive.
    pub usage_by_key: HashMap<String, Tokens>,
}

impl Behavior {
    /// Every request succeeds.
    pub fn healthy() -> Behavior {
        Behavior::default()
    }

    pub fn latency(mut self, latency: Duration) -> Behavior {
        self.latency = latency;
        self
    }

    pub fn with_failure(mut self, failure: Failure, rate: f64) -> Behavior {
        self.failures.push((failure, rate.clamp(0.0, 1.0)));
        self
    }

    /// Accept only these keys (given raw; only their fingerprints are kept).
    pub fn accept_keys<'a>(mut self, keys: impl IntoIterator<Item = &'a str>) -> Behavior {
        self.valid_key_ids = Some(keys.into_iter().map(key_id).collect());
        self
    }

    pub fn billing(mut self, on: bool) -> Behavior {
        self.billing = on;
        self
    }

    /// Successes for callers with `key` (given raw; only its fingerprint is kept) report
    /// this usage.
    pub fn usage_for_key(mut self, key: &str, tokens: Tokens) -> Behavior {
        self.usage_by_key.insert(key_id(key), tokens);
        self
    }

    /// The reply for request number `n` from a caller with key fingerprint `key_id`.
    pub(crate) fn reply<R: Rng + ?Sized>(
        &self,
        key_id: Option<&str>,
        n: u64,
        rng: &mut R,
    ) -> Reply {
        let reply = self.pick(key_id, n, rng);
        if reply.delay.is_zero() {
            let factor = if self.latency_spread {
                0.5 + rng.random::<f64>().powi(3) * 4.0
            } else {
                1.0
            };
            reply.delay(self.latency.mul_f64(factor))
        } else {
            reply
        }
    }

    fn pick<R: Rng + ?Sized>(&self, key_id: Option<&str>, n: u64, rng: &mut R) -> Reply {
        if let Some(valid) = &self.valid_key_ids {
            if !key_id.is_some_and(|id| valid.contains(id)) {
                return Reply::status(401);
            }
        }
        if self.billing {
            return match n % 4 {
                0 => Reply::credit_balance_too_low(),
                1 => Reply::billing_error(402),
                2 => Reply::billing_error(403),
                _ => Reply::spend_cap(),
            };
        }
        let draw: f64 = rng.random();
        let mut cumulative = 0.0;
        for (failure, rate) in &self.failures {
            cumulative += rate;
            if draw < cumulative {
                return failure.reply();
            }
        }
        match key_id.and_then(|id| self.usage_by_key.get(id)) {
            Some(tokens) => Reply::success().tokens(*tokens),
            None => Reply::success(),
        }
    }
}
