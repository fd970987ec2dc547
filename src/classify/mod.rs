//! Classification: from what came back (status or transport error, headers, body) to an
//! [`Outcome`]. A plain function of its inputs, so the macro, the middleware, the proxy and
//! `replay` all agree.

mod class;
mod key_id;
mod outcome;

pub use class::{canonical_class, message_says_billing, Class, ClassInput, SPEND_CAP_ERROR_CODE};
pub use key_id::{key_from_headers, key_id};
pub use outcome::{Headroom, Outcome, RateLimit, Usage};
