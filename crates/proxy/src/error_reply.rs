//! Replies the proxy makes itself when the upstream cannot answer, shaped as the API's own
//! errors so the official SDKs handle them as they would a real 502/504 (and retry them).

use axum::body::Body;
use axum::response::Response;
use http::{header, StatusCode};

/// A `{"type":"error","error":{…}}` response. The message never contains request data.
pub fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "type": "error",
        "error": { "type": error_type, "message": message },
    });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-should-retry", "true")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
