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
use callwatch_core::classify::{BodyEnd, BodyScan, Provider, TransportFailure};

pub struct ObservedBody<S> {
    inner: S,
    /// Taken when the attempt is reported, so it is reported exactly once.
    report: Option<(BodyScan, AttemptStart, Arc<AttemptTracker>)>,
}

impl<S> ObservedBody<S> {
    pub fn new(
        inner: S,
        status: u16,
        headers: HeaderMap,
        start: AttemptStart,
        tracker: Arc<AttemptTracker>,
    ) -> Self {
        let scan = BodyScan::new(status, headers).sent_at(start.started());
        ObservedBody {
            inner,
            report: Some((scan, start, tracker)),
        }
    }

    /// Classifies in `provider`'s shape (Bedrock and Vertex errors differ from the API's).
    pub fn for_provider(mut self, provider: Provider) -> Self {
        self.report = self
            .report
            .take()
            .map(|(scan, start, tracker)| (scan.for_provider(provider), start, tracker));
        self
    }

    /// Redacts `key` (the request's own API key) from the message before it is recorded.
    pub fn redacting(mut self, key: Option<String>) -> Self {
        self.report = self
            .report
            .take()
            .map(|(scan, start, tracker)| (scan.redacting(key), start, tracker));
        self
    }

    fn see(&mut self, chunk: &[u8]) {
        if let Some((scan, _, _)) = &mut self.report {
            scan.feed(chunk);
        }
    }

    fn report(&mut self, end: BodyEnd) {
        if let Some((scan, start, tracker)) = self.report.take() {
            tracker.end(start, scan.finish(end));
        }
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
                // The upstream cut the stream: whatever the status said, the call failed.
                this.report(BodyEnd::Failed(TransportFailure::Connection));
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.report(BodyEnd::Complete);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Drop for ObservedBody<S> {
    fn drop(&mut self) {
        // The client went away before the end: report what was seen so the call is not lost.
        self.report(BodyEnd::Dropped);
    }
}
