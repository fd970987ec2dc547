//! A webhook receiver on loopback that refuses (503) until told to accept, and keeps every
//! request it saw: for tests of delivery through outages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    /// Every header line (`name: value`), then the body: what a leak scan reads.
    pub text: String,
    pub body: String,
    /// Answered 200 (else 503).
    pub accepted: bool,
}

#[derive(Default)]
pub struct WebhookReceiver {
    requests: Mutex<Vec<Received>>,
    accept: AtomicBool,
}

impl WebhookReceiver {
    /// Starts refusing; `path` (with any query) is appended to the URL returned.
    pub async fn start(path: &str) -> (String, Arc<WebhookReceiver>) {
        let receiver = Arc::new(WebhookReceiver::default());
        let app = axum::Router::new()
            .fallback(axum::routing::post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{addr}{path}"), receiver)
    }

    /// From now on answer 200.
    pub fn accept(&self) {
        self.accept.store(true, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    /// Bodies of the requests answered 200.
    pub fn accepted_bodies(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.accepted)
            .map(|r| r.body)
            .collect()
    }
}

async fn receive(
    State(receiver): State<Arc<WebhookReceiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut text = String::new();
    for (name, value) in &headers {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text.push_str(&body);
    let accepted = receiver.accept.load(Ordering::SeqCst);
    receiver.requests.lock().unwrap().push(Received {
        text,
        body,
        accepted,
    });
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
