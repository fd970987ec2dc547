//! What the middleware learns from a request before sending it: the facts every
//! instrumentation path reads ([`read_request`]), and the server it goes to.

use callwatch_core::classify::{read_request, RequestFacts};
use reqwest::Request;

/// Request bodies larger than this are not parsed for the model (it would cost the caller a
/// full JSON parse of a huge prompt); the model is then "unknown".
const MAX_PARSED_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct RequestInfo {
    pub facts: RequestFacts,
    pub server_address: String,
    pub server_port: u16,
}

impl RequestInfo {
    pub fn read(request: &Request) -> RequestInfo {
        let url = request.url();
        let body = request
            .body()
            .and_then(|body| body.as_bytes())
            .filter(|bytes| bytes.len() <= MAX_PARSED_BODY);
        RequestInfo {
            facts: read_request(request.headers(), body, url.path()),
            server_address: url.host_str().unwrap_or_default().to_owned(),
            server_port: url.port_or_known_default().unwrap_or(0),
        }
    }
}
