//! Wraps a streamed (SSE) response body so every chunk passes through an [`SseScanner`] on its
//! way to the caller, and the call is reported when the stream ends, fails or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http::HeaderMap;
use reqwest::{Body, Response};

use super::buffer::rebuild;
use super::report::PendingCall;
use super::transport_failure;
use crate::classify::SseScanner;

struct Observed {
    inner: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    watch: Option<Watch>,
}

struct Watch {
    scanner: SseScanner,
    status: u16,
    headers: HeaderMap,
    call: PendingCall,
}

impl Stream for Observed {
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(watch) = &mut self.watch {
                    watch.scanner.feed(chunk);
                }
            }
            Poll::Ready(Some(Err(error))) => {
                if let Some(w) = self.watch.take() {
                    let failure = transport_failure(error.is_timeout());
                    let outcome = w.scanner.finish_interrupted(w.status, &w.headers, failure);
                    w.call.finish(&outcome);
                }
            }
            Poll::Ready(None) => {
                if let Some(w) = self.watch.take() {
                    w.call.finish(&w.scanner.finish(w.status, &w.headers));
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for Observed {
    /// The caller stopped reading early: report what arrived (its own cancellation is not a
    /// failure of the API).
    fn drop(&mut self) {
        if let Some(w) = self.watch.take() {
            w.call.finish(&w.scanner.finish(w.status, &w.headers));
        }
    }
}

/// The response with its body observed; `call` is reported when the body ends.
pub(crate) fn observe(response: Response, call: PendingCall) -> Response {
    let url = response.url().clone();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let (parts, body) = http::Response::<Body>::from(response).into_parts();
    let observed = Observed {
        inner: http_body_util::BodyExt::into_data_stream(body).boxed(),
        watch: Some(Watch {
            scanner: SseScanner::new(),
            status,
            headers,
            call,
        }),
    };
    rebuild(parts, Body::wrap_stream(observed), url)
}
