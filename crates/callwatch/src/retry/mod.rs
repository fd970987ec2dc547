//! When to try a call again, and the record of what each attempt did.
//!
//! [`RetryPolicy`] follows the official SDKs (2 retries, 0.5 s doubling to 8 s, `x-should-retry`
//! first, `retry-after-ms` / `retry-after` honoured) with two differences a monitor needs:
//! billing is never retried, and a total wait cap turns a hint longer than the remaining budget
//! into a stop with a reason instead of a silent long sleep.

mod backoff;
#[cfg(feature = "reqwest")]
mod layer;
mod policy;

pub use backoff::full_jitter;
#[cfg(feature = "reqwest")]
pub use layer::{Retry, RETRY_COUNT_HEADER};
pub use policy::{Decision, RetryPolicy, RetryPolicyBuilder, StopReason};
