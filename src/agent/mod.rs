//! The agent: wires the recorder, the rules engine and the notifier around a stream of calls.
mod clock;
mod view;

pub use clock::Clock;
pub use view::{render_line, render_screen, ViewState};
