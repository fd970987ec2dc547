//! What the middleware learns from a request before sending it: model, key fingerprint, server.

use callwatch_core::classify::{key_from_headers, request_head};
use reqwest::Request;

/// Request bodies larger than this are not parsed for the model (it would cost the caller a
/// full JSON parse of a huge prompt); the model is then "unknown".
const MAX_PARSED_BODY: usize = 4 * 1024 * 1024;

pub(crate) use callwatch_core::classify::UNKNOWN_MODEL;

#[derive(Debug)]
pub(crate) struct RequestInfo {
    pub model: String,
    pub key_id: String,
    pub server_address: String,
    pub server_port: u16,
}

impl RequestInfo {
    pub fn read(request: &Request) -> RequestInfo {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let model = request
            .body()
            .and_then(|body| body.as_bytes())
            .filter(|bytes| bytes.len() <= MAX_PARSED_BODY)
            .map(|bytes| request_head(bytes).model)
            .unwrap_or_else(|| UNKNOWN_MODEL.to_owned());
        let url = request.url();
        RequestInfo {
            model,
            key_id: key_from_headers(header("x-api-key"), header("authorization"))
                .unwrap_or_default(),
            server_address: url.host_str().unwrap_or_default().to_owned(),
            server_port: url.port_or_known_default().unwrap_or(0),
        }
    }
}
