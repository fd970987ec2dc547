//! Helpers shared by integration tests (`mod support;`).
#![allow(dead_code)]

pub mod calls;
pub mod messages;
pub mod otlp_receiver;
pub mod process;
pub mod wait;
pub mod webhook;
