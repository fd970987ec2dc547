//! What the `#[callwatch::watch]` macro needs at run time: the [`Classify`] trait that turns a
//! function's result into an [`Outcome`](callwatch_core::classify::Outcome), [`ApiError`], and
//! the task-local context through which the reqwest middleware reports its exchanges into the
//! macro's call, so macro + middleware make ONE logical call.

mod call;
mod classify;
mod context;

pub use call::WatchedCall;
#[doc(hidden)]
pub use classify::error_chain_outcome;
pub use classify::{ApiError, Classify};
#[cfg_attr(not(feature = "reqwest"), allow(unused_imports))]
pub(crate) use context::{current_context, CallContext, Exchange};
