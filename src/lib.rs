//! callwatch: watch an application's calls to the Claude API.
pub mod alert;
pub mod call;
pub mod classify;
pub mod event;
pub mod rules;
#[doc(hidden)]
pub mod cli;
pub mod names;
