//! callwatch: watch an application's calls to the Claude API.
pub mod agent;
pub mod alert;
pub mod call;
pub mod classify;
#[doc(hidden)]
pub mod cli;
pub mod demo;
pub mod export;
pub mod middleware;
pub mod mock;
pub mod names;
pub mod notify;
pub mod proxy;
pub mod record;
pub mod retry;
