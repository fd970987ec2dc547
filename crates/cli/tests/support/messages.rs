//! A Messages API request as an SDK sends it (key, version and content-type headers), for tests
//! that drive the proxy or the mock with plain reqwest.

/// `POST url` with the headers every official SDK sets and `body` as JSON.
pub fn post(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body)
}
