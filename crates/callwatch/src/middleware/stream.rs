//! Watches a response body on its way to the caller: every chunk passes through the shared
//! [`BodyScan`], and the logical call learns how its last attempt ended when the body ends,
//! fails or is dropped. Used for streamed (SSE) responses and for success bodies too large to
//! classify up front.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use reqwest::{Body, Response};

use super::buffer::rebuild;
use super::logical::CallHandle;
use super::transport_failure;
use callwatch_core::classify::{BodyEnd, BodyScan};

struct Observed {
    inner: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    /// Taken when the body ends, so the call hears of it exactly once.
    watch: Option<(BodyScan, CallHandle)>,
}

impl Observed {
    fn end(&mut self, end: BodyEnd) {
        if let Some((scan, call)) = self.watch.take() {
            call.settle(&scan.finish(end));
        }
    }
}

impl Stream for Observed {
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some((scan, _)) = &mut self.watch {
                    scan.feed(chunk);
                }
            }
            Poll::Ready(Some(Err(error))) => {
                let failure = transport_failure(error.is_timeout());
                self.end(BodyEnd::Failed(failure));
            }
            Poll::Ready(None) => self.end(BodyEnd::Complete),
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.end(BodyEnd::Dropped);
    }
}

/// The response with its body watched by `scan` (already fed whatever was read of it); the
/// call hears how the body ended.
pub(crate) fn observe(response: Response, scan: BodyScan, call: CallHandle) -> Response {
    let url = response.url().clone();
    let (parts, body) = http::Response::<Body>::from(response).into_parts();
    let observed = Observed {
        inner: http_body_util::BodyExt::into_data_stream(body).boxed(),
        watch: Some((scan, call)),
    };
    rebuild(parts, Body::wrap_stream(observed), url)
}
