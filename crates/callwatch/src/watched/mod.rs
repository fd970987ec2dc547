//! What the `#[callwatch::watch]` macro needs at run time: the [`Classify`] trait that turns a
//! function's result into an [`Outcome`](callwatch_core::classify::Outcome), [`ApiError`], and the
//! task-local context through which the reqwest middleware reports its attempts into the
//! macro's call, so macro + middleware make ONE logical call.

mod call;
mod classify;
mod context;

pub use call::WatchedCall;
pub use classify::{ApiError, Classify};
pub use context::CALL_CONTEXT;
pub(crate) use context::{current_context, CallContext};
