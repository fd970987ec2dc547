//! Classification: from what came back (status or transport error, headers, body) to an
//! [`Outcome`]. A plain function of its inputs, so the macro, the middleware, the proxy and
//! `replay` all agree.

mod bedrock;
mod body;
mod body_scan;
mod chunk_gaps;
mod class;
mod eventstream;
mod headers;
mod key_id;
mod lenient;
mod outcome;
mod provider;
mod redact;
mod request_head;
mod response;
mod sse;
mod stream_timing;
mod vertex;

pub use body::{bounded as bounded_text, MAX_MESSAGE_CHARS};
pub use body_scan::{BodyEnd, BodyScan};
pub use chunk_gaps::ChunkGaps;
pub use class::{canonical_class, message_says_billing, Class, ClassInput, SPEND_CAP_ERROR_CODE};
pub use key_id::{key_from_headers, key_id, own_key, SIGV4_ALGORITHM};
pub use outcome::{Headroom, Outcome, RateLimit, Usage};
pub use redact::{
    model_label, model_label_cow, redact, redact_cow, redact_owned, redact_with, url_shown,
    without_values, REDACTED, REDACTED_MODEL,
};
pub use request_head::{
    read_request, request_head, RequestFacts, RequestHead, RETRY_COUNT_HEADER, UNKNOWN_MODEL,
};
pub use response::{
    classify_response, classify_response_at, classify_transport, complete_from_ends,
    TransportFailure, MAX_BODY_PREFIX,
};
pub use sse::{SseScanner, STREAM_INCOMPLETE};
pub use stream_timing::StreamTiming;

pub use bedrock::{class_of as bedrock_class, error_code as bedrock_error_code};
#[doc(hidden)]
pub use eventstream::encode as eventstream_encode;
pub use eventstream::{EventStreamScanner, MAX_FRAME as MAX_EVENTSTREAM_FRAME};
pub use provider::{
    classify_provider_response, classify_provider_response_at, provider_class, route, Provider,
    ProviderRoute,
};
pub use vertex::{class_of as vertex_class, BILLING_DISABLED};
