//! Bounds on label values, so labels fed from user input (a model name typed by a user, an
//! unexpected `error.type`) cannot grow memory or the exported series without limit.

/// How many distinct values each label may take before further values become
/// [`crate::names::OVERFLOW_VALUE`], and how many series may exist in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub operations: usize,
    pub models: usize,
    pub key_ids: usize,
    pub error_types: usize,
    pub server_addresses: usize,
    /// Past this many series, new label combinations share one overflow series per class.
    pub series: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 32,
            models: 64,
            key_ids: 64,
            error_types: 32,
            server_addresses: 8,
            series: 2000,
        }
    }
}
