//! callwatch: watch your application's calls to the Claude API.
//!
//! Every call's status, raw `error.type`, canonical class, attempts and latency go into HDR
//! histograms exactly as the API answered; metrics and spans ship over OTLP (OpenTelemetry
//! GenAI conventions); an in-process rules engine alerts on the failures that matter (a
//! billing outage, a 5xx spike, 401s after a key rotation, a rising 400 message).
//!
//! ```no_run
//! #[callwatch::watch(operation = "chat")]
//! async fn ask(client: &reqwest_middleware::ClientWithMiddleware, base: &str) -> anyhow::Result<String> {
//!     Ok(client.post(format!("{base}/v1/messages"))
//!         .header("x-api-key", std::env::var("ANTHROPIC_API_KEY")?)
//!         .header("anthropic-version", "2023-06-01")
//!         .json(&serde_json::json!({
//!             "model": "claude-sonnet-4-6", "max_tokens": 256,
//!             "messages": [{"role": "user", "content": "Hello"}]
//!         }))
//!         .send().await?.text().await?)
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     let _callwatch = callwatch::init()?;          // everything from the environment
//!     let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!         .with(callwatch::Middleware::default())   // observes; does not retry unless asked
//!         .build();
//!     ask(&client, "https://api.anthropic.com").await?;
//!     Ok(())                                        // dropping the guard flushes everything
//! }
//! ```
//!
//! The pieces, in the order a call meets them:
//!
//! 1. [`watch`] marks the function that is one logical call (optional: the middleware alone
//!    reports each `send()` as a call). Whenever the middleware saw the HTTP exchange, its
//!    outcome is the call's outcome, whatever the function returned.
//! 2. [`Middleware`] observes every attempt through a `reqwest_middleware` client: status,
//!    headers, the error body, a stream's `event: error`. [`Retry`] retries like the official
//!    SDKs when you stack it before the middleware; reqwest-retry works the same way.
//! 3. Each finished call goes to a [`CallObserver`]: the [`Recorder`] that [`init`] installs,
//!    or the one you scope with [`with_observer`].
//! 4. [`init`] (or [`Config`]) exports over OTLP and runs the rules engine and sinks.
//!
//! Features: `macros` ([`watch`]), `reqwest` ([`Middleware`], [`Retry`]), `otlp` (export),
//! `agent` (rules and sinks in-process, the event log), `otlp-grpc` (OTLP over gRPC). All but
//! `otlp-grpc` are on by default.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// Lets the crate's own doc examples use `#[callwatch::watch]` like any user.
extern crate self as callwatch;

#[cfg(feature = "reqwest")]
mod middleware;
mod observer;
#[cfg(feature = "reqwest")]
pub mod retry;
mod setup;
mod span;
mod watched;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use callwatch_core::call::{Attempt, Call, CallObserver};
pub use callwatch_core::classify::{Class, Outcome};
pub use callwatch_core::record::Recorder;
#[cfg(feature = "reqwest")]
pub use middleware::Middleware;
pub use observer::{set_global_observer, with_observer, ObserverAlreadySet};
#[cfg(feature = "reqwest")]
pub use retry::{Retry, RetryPolicy};
pub use setup::{init, Config, Guard, InitError};
pub use watched::{ApiError, Classify};

/// Instruments a function that makes one logical Claude API call: times it, opens a
/// `chat {model}` span, and reports one [`Call`] when it returns.
///
/// Two shapes: `async fn … -> Result<T, E>` and `fn … -> impl Future<Output = Result<T, E>>`
/// (`T` may be `impl Trait`).
///
/// What the call is recorded as, in order:
/// 1. the HTTP exchange [`Middleware`] saw inside the function (its last one), whatever the
///    function returned — a 529 whose text the function returned as `Ok` is a 529;
/// 2. else the result: an `Ok`/`Err` value implementing [`Classify`]; an error whose
///    `source()` chain (or `anyhow`'s) holds a `reqwest::Error`, a `reqwest_middleware::Error`
///    or an [`ApiError`] takes its status; another error counts as class `other`;
/// 3. an `Ok` that says nothing about the API, with no exchange seen, is
///    [`Class::Unknown`], never a guessed success.
///
/// Arguments, all optional: `operation = "…"` (a string literal, default `chat`) and
/// `model = <expr>` (anything `Display`, evaluated when the call starts; it may use the
/// arguments). A stream returned un-consumed from the function is reported with the status it
/// started with: read the stream inside the watched function.
///
/// ```ignore
/// #[callwatch::watch(operation = "chat", model = request.model)]
/// async fn ask(client: &ClientWithMiddleware, request: &Request) -> anyhow::Result<Reply> {
///     todo!()
/// }
/// ```
#[cfg(feature = "macros")]
pub use callwatch_macros::watch;
