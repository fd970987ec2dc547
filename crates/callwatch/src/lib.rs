//! callwatch: watch an application's calls to the Claude API.

pub use callwatch_core::{call, classify, event, names, record};
pub mod middleware;
pub mod retry;
pub mod watched;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Instruments an `async fn` returning `Result<T, E>` as one logical Claude API call: times it,
/// opens a `chat {model}` span, classifies the result through [`Classify`] (an error type that
/// does not implement it counts as class `other`) and reports one
/// [`Call`](call::Call) to the global observer. HTTP calls made inside it through
/// [`middleware::CallwatchMiddleware`] add their attempts, waits and richer outcome to the same
/// call instead of reporting their own.
///
/// ```ignore
/// #[callwatch::watch(operation = "chat", model = request.model)]
/// async fn ask(client: &ClientWithMiddleware, request: &Request) -> Result<Reply, MyError> { … }
/// ```
///
/// Arguments, all optional: `operation = "…"` (a string literal, default `chat`) and
/// `model = <expr>` (anything `Display`, evaluated when the call starts; it may use the
/// arguments). A stream returned un-consumed from the function is reported by the macro with
/// the status it started with: read the stream inside the watched function.
#[cfg(feature = "macros")]
pub use callwatch_macros::watch;
pub use watched::{ApiError, Classify};
