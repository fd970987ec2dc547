//! callwatch's core: what every instrumentation path (the `#[callwatch::watch]` macro, the
//! reqwest middleware, the proxy) and the agent share.
//!
//! - [`classify`]: a response, an SSE stream or a transport failure → an [`Outcome`](classify::Outcome).
//! - [`attempts`]: what each attempt of a logical call did (the middleware and proxy share it).
//! - [`call`]: one finished logical call and the [`CallObserver`](call::CallObserver) that receives it.
//! - [`cost`]: what calls cost (token usage × the shipped, overridable price table).
//! - [`record`]: the recorder (lock-free HDR histograms and counters per bounded series).
//! - `event`, `alert`, `duration` (feature `events`): the event line and alert line (JSON Lines
//!   contracts) read by `replay` and written by the agent.
//! - [`names`] and [`metrics`]: every metric and attribute name, in one place; [`semconv`]: which
//!   GenAI convention version is emitted (`OTEL_SEMCONV_STABILITY_OPT_IN`).
//! - [`prometheus`]: the text exposition of a recorder snapshot.
//! - [`span_attributes`]: what a finished call's span says, for every kind of span callwatch makes.
//! - [`trace_parent`]: the W3C `traceparent` header, so the proxy's spans join the app's trace.
//!
//! Apps depend on the `callwatch` crate, which re-exports what they need from here.

#[cfg(feature = "events")]
pub mod alert;
pub mod attempts;
pub mod call;
pub mod classify;
pub mod cost;
#[cfg(feature = "events")]
pub mod duration;
#[cfg(feature = "events")]
pub mod event;
pub mod metrics;
pub mod names;
pub mod prometheus;
pub mod record;
pub mod semconv;
pub mod span_attributes;
pub mod trace_parent;
