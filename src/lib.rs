//! callwatch: watch an application's calls to the Claude API.
pub mod alert;
pub mod call;
pub mod classify;
#[doc(hidden)]
pub mod cli;
pub mod event;
pub mod names;
pub mod rules;
