//! `callwatch demo`: the whole story on embedded defaults.
mod timeline;

pub use timeline::{phase_at, script, Conditions, KeyState, Phase, STORY_LENGTH};
