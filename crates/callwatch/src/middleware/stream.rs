//! Watches a response body on its way to the caller: every chunk passes through a
//! [`BodyWatch`], which reports the call when the body ends, fails or is dropped. Used for
//! streamed (SSE) responses and for success bodies too large to classify up front.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http::HeaderMap;
use reqwest::{Body, Response};

use super::buffer::rebuild;
use super::logical::CallHandle;
use super::transport_failure;
use callwatch_core::classify::{complete_from_ends, Class, Outcome, SseScanner, TransportFailure};

/// How a watched body ended.
pub(crate) enum BodyEnd {
    Complete,
    Failed(TransportFailure),
    /// The caller stopped reading: its own choice, not a failure of the API.
    Dropped,
}

pub(crate) trait BodyWatch: Send + 'static {
    fn feed(&mut self, chunk: &[u8]);
    fn end(self: Box<Self>, how: BodyEnd);
}

/// A streamed Messages response: the scanner decides the outcome.
pub(crate) struct SseWatch {
    pub scanner: SseScanner,
    pub status: u16,
    pub headers: HeaderMap,
    pub call: CallHandle,
}

impl BodyWatch for SseWatch {
    fn feed(&mut self, chunk: &[u8]) {
        self.scanner.feed(chunk);
    }
    fn end(self: Box<Self>, how: BodyEnd) {
        let outcome = match how {
            BodyEnd::Failed(failure) => {
                self.scanner
                    .finish_interrupted(self.status, &self.headers, failure)
            }
            BodyEnd::Complete | BodyEnd::Dropped => self.scanner.finish(self.status, &self.headers),
        };
        self.call.settle(&outcome);
    }
}

/// How much of a large success body's end is kept to find `usage` and `stop_reason`.
const TAIL_BYTES: usize = 8 * 1024;

/// A success body larger than the classification bound: usage is read from its end.
pub(crate) struct TailWatch {
    pub outcome: Outcome,
    pub head: Bytes,
    pub tail: VecDeque<u8>,
    pub call: CallHandle,
}

impl BodyWatch for TailWatch {
    fn feed(&mut self, chunk: &[u8]) {
        let chunk = &chunk[chunk.len().saturating_sub(TAIL_BYTES)..];
        let excess = (self.tail.len() + chunk.len()).saturating_sub(TAIL_BYTES);
        self.tail.drain(..excess.min(self.tail.len()));
        self.tail.extend(chunk);
    }
    fn end(self: Box<Self>, how: BodyEnd) {
        let TailWatch {
            mut outcome,
            head,
            mut tail,
            call,
        } = *self;
        match how {
            BodyEnd::Complete => complete_from_ends(&mut outcome, &head, tail.make_contiguous()),
            BodyEnd::Failed(failure) => {
                outcome.class = match failure {
                    TransportFailure::Timeout => Class::Timeout,
                    TransportFailure::Connection => Class::Connection,
                };
                outcome.error_type = Some(failure.error_type().to_owned());
            }
            BodyEnd::Dropped => {}
        }
        call.settle(&outcome);
    }
}

struct Observed {
    inner: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    watch: Option<Box<dyn BodyWatch>>,
}

impl Stream for Observed {
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(watch) = &mut self.watch {
                    watch.feed(chunk);
                }
            }
            Poll::Ready(Some(Err(error))) => {
                if let Some(watch) = self.watch.take() {
                    watch.end(BodyEnd::Failed(transport_failure(error.is_timeout())));
                }
            }
            Poll::Ready(None) => {
                if let Some(watch) = self.watch.take() {
                    watch.end(BodyEnd::Complete);
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.end(BodyEnd::Dropped);
        }
    }
}

/// The response with its body watched; the watch reports the call when the body ends.
pub(crate) fn observe(response: Response, watch: Box<dyn BodyWatch>) -> Response {
    let url = response.url().clone();
    let (parts, body) = http::Response::<Body>::from(response).into_parts();
    let observed = Observed {
        inner: http_body_util::BodyExt::into_data_stream(body).boxed(),
        watch: Some(watch),
    };
    rebuild(parts, Body::wrap_stream(observed), url)
}
