//! The response body on its way back to the client, classified as it passes: chunks are
//! forwarded as they arrive (no buffering, so time to first token is unchanged) while a
//! bounded prefix (JSON) or an incremental SSE scan feeds the classifier. When the stream
//! ends, fails, or the client goes away, the attempt is reported exactly once.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use http::HeaderMap;

use super::attempts::{AttemptStart, AttemptTracker};
use callwatch_core::classify::{
    classify_provider_response, redact_owned, Class, EventStreamScanner, Outcome, Provider,
    SseScanner, MAX_BODY_PREFIX,
};

enum Scan {
    Json(Vec<u8>),
    Sse(Box<SseScanner>),
    /// Bedrock's `application/vnd.amazon.eventstream`.
    EventStream(Box<EventStreamScanner>),
}

/// The content type of a Bedrock streamed response.
const EVENTSTREAM: &str = "application/vnd.amazon.eventstream";

pub struct ObservedBody<S> {
    inner: S,
    status: u16,
    headers: HeaderMap,
    scan: Scan,
    report: Option<(AttemptStart, Arc<AttemptTracker>)>,
    /// The request's own key: an upstream may echo it in its error message whatever its shape.
    own_key: Option<String>,
    provider: Provider,
}

impl<S> ObservedBody<S> {
    pub fn new(
        inner: S,
        status: u16,
        headers: HeaderMap,
        start: AttemptStart,
        tracker: Arc<AttemptTracker>,
    ) -> Self {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let scan = if content_type.starts_with("text/event-stream") {
            Scan::Sse(Box::new(SseScanner::new()))
        } else if content_type.starts_with(EVENTSTREAM) {
            Scan::EventStream(Box::new(EventStreamScanner::new()))
        } else {
            Scan::Json(Vec::new())
        };
        ObservedBody {
            inner,
            status,
            headers,
            scan,
            report: Some((start, tracker)),
            own_key: None,
            provider: Provider::Anthropic,
        }
    }

    /// Classifies in `provider`'s shape (Bedrock and Vertex errors differ from the API's).
    pub fn for_provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// Redacts `key` (the request's own API key) from the message before it is recorded.
    pub fn redacting(mut self, key: Option<String>) -> Self {
        self.own_key = key;
        self
    }

    fn see(&mut self, chunk: &[u8]) {
        match &mut self.scan {
            Scan::Json(prefix) => {
                let room = MAX_BODY_PREFIX.saturating_sub(prefix.len());
                prefix.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Scan::Sse(scanner) => scanner.feed(chunk),
            Scan::EventStream(scanner) => scanner.feed(chunk),
        }
    }

    fn outcome(&mut self) -> Outcome {
        let mut outcome = match std::mem::replace(&mut self.scan, Scan::Json(Vec::new())) {
            Scan::Json(prefix) => {
                classify_provider_response(self.provider, self.status, &self.headers, &prefix)
            }
            Scan::Sse(scanner) => scanner.finish(self.status, &self.headers),
            Scan::EventStream(scanner) => scanner.finish(self.status, &self.headers),
        };
        outcome.provider = self.provider;
        outcome.message = outcome
            .message
            .map(|m| redact_owned(m, self.own_key.as_deref()));
        outcome
    }

    fn report(&mut self, broken: bool) {
        let Some((start, tracker)) = self.report.take() else {
            return;
        };
        let mut outcome = self.outcome();
        if broken && outcome.is_success() {
            // The upstream cut the stream: whatever the status said, the call failed.
            outcome.class = Class::Connection;
            outcome.error_type = Some("connection_error".to_owned());
            outcome.retryable = true;
        }
        tracker.end(start, outcome);
    }
}

impl<S, E> Stream for ObservedBody<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.see(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.report(true);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.report(false);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Drop for ObservedBody<S> {
    fn drop(&mut self) {
        // The client went away before the end: report what was seen so the call is not lost.
        if let Some((start, tracker)) = self.report.take() {
            let outcome = self.outcome();
            tracker.end(start, outcome);
        }
    }
}
