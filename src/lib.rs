//! callwatch: watch an application's calls to the Claude API.
pub mod alert;
pub mod call;
pub mod classify;
#[doc(hidden)]
pub mod cli;
pub mod middleware;
pub mod mock;
pub mod names;
pub mod retry;
pub mod watched;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "macros")]
pub use callwatch_macros::watch;
pub use watched::{ApiError, Classify};
