//! reqwest middleware (in progress).
