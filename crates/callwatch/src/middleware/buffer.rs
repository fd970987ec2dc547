//! Reads the first [`MAX_BODY_PREFIX`] bytes of a response to classify it, and rebuilds the
//! response so the caller still receives the whole body, however large.

use bytes::{Bytes, BytesMut};
use futures_util::{stream, StreamExt};
use http_body_util::BodyExt;
use reqwest::{Body, Response, ResponseBuilderExt};

use callwatch_core::classify::MAX_BODY_PREFIX;

/// A response whose body start was read: `prefix` to classify, `response` to hand back.
pub(crate) struct Buffered {
    pub prefix: Bytes,
    pub response: Response,
    /// The body went on past the bound (the response still carries all of it).
    pub overflowed: bool,
}

/// Reads up to the bound. A body that ends within it is handed back as one buffer; a longer one
/// as the buffered chunks followed by the rest, still streaming.
pub(crate) async fn buffer_prefix(response: Response) -> Result<Buffered, reqwest::Error> {
    let url = response.url().clone();
    let (parts, mut body) = http::Response::<Body>::from(response).into_parts();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut read = 0usize;
    let mut ended = true;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            read += data.len();
            chunks.push(data);
        }
        if read > MAX_BODY_PREFIX {
            ended = false;
            break;
        }
    }
    let prefix = concat(&chunks, MAX_BODY_PREFIX);
    let rebuilt = if ended {
        Body::from(if chunks.len() == 1 {
            chunks.swap_remove(0)
        } else {
            concat(&chunks, usize::MAX)
        })
    } else {
        let head = stream::iter(chunks.into_iter().map(Ok::<_, reqwest::Error>));
        Body::wrap_stream(head.chain(body.into_data_stream()))
    };
    Ok(Buffered {
        prefix,
        response: rebuild(parts, rebuilt, url),
        overflowed: !ended,
    })
}

/// A reqwest response from parts and a new body, keeping the URL the original had (reqwest
/// otherwise puts a placeholder there).
pub(crate) fn rebuild(mut parts: http::response::Parts, body: Body, url: reqwest::Url) -> Response {
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(with_url.into_parts().0.extensions);
    }
    Response::from(http::Response::from_parts(parts, body))
}

fn concat(chunks: &[Bytes], limit: usize) -> Bytes {
    let mut out = BytesMut::new();
    for chunk in chunks {
        let room = limit.saturating_sub(out.len());
        if room == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    out.freeze()
}
