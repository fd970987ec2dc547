//! Helpers shared by the library tests.
#![allow(dead_code)]

pub mod calls;
