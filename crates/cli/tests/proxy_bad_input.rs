//! Malformed input through a real proxy on loopback: garbage HTTP, a body over the limit, a
//! lying Content-Length, invalid JSON, non-UTF-8 headers. Each gets a clean answer (or a
//! closed connection), nothing panics, and the proxy keeps serving afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callwatch_core::call::{Call, CallObserver};
use callwatch_core::classify::Class;
use callwatch_mock::MockClaude;
use callwatch_proxy::{bind, Proxy, ProxyConfig, MAX_REQUEST_BODY};

#[derive(Default)]
struct Collect(Mutex<Vec<(Class, String)>>);

impl CallObserver for Collect {
    fn observe(&self, call: &Call<'_>) {
        let mut seen = self.0.lock().unwrap();
        seen.push((call.outcome.class, call.model.to_owned()));
    }
}

/// Raw bytes in, whatever comes back (until close or a pause) out.
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_clean_answers_and_the_proxy_keeps_serving() {
    let mock = MockClaude::start().await.unwrap();
    let seen = Arc::new(Collect::default());
    let mut config = ProxyConfig::new(mock.base_url().parse().unwrap());
    config.retry_grace = Duration::from_millis(50);
    let proxy = Proxy::new(&config, seen.clone()).unwrap();
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(proxy.serve(listener, async {
        let _ = stop_rx.await;
    }));

    // Not HTTP at all, and a request line with a broken header.
    let garbage =
        tokio::task::spawn_blocking(move || {
            (
            raw_exchange(addr, b"\x00\x01GARBAGE\xff\r\n\r\n"),
            raw_exchange(addr, b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n"),
            // Claims 100 MB, sends 5 bytes, then closes.
            raw_exchange(
                addr,
                b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nhello",
            ),
        )
        })
        .await
        .unwrap();
    for answer in [&garbage.0, &garbage.1] {
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
            "{answer:?}"
        );
    }
    assert!(
        garbage.2.is_empty() || garbage.2.starts_with("HTTP/1.1 413"),
        "{:?}",
        garbage.2
    );

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/messages");
    let post = |body: Vec<u8>| {
        client
            .post(&url)
            .header("x-api-key", "sk-ant-FAKE-bad-input-0000")
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body(body)
    };

    // Over the body limit: 413 with an API-shaped error, not forwarded.
    let huge = post(vec![b'a'; MAX_REQUEST_BODY + 1]).send().await.unwrap();
    assert_eq!(huge.status().as_u16(), 413);
    let text = huge.text().await.unwrap();
    assert!(text.contains("request_too_large"), "{text}");

    // Invalid JSON: forwarded, the API's 400 comes back, the call is recorded.
    let bad = post(b"{\"model\": \"claude-x\", broken".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let _ = bad.bytes().await;

    // A key header that is not UTF-8 and a JSON body with an empty model.
    let odd =
        post(br#"{"model":"","max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#.to_vec())
            .header(
                "x-api-key",
                reqwest::header::HeaderValue::from_bytes(b"\xffFAKE").unwrap(),
            )
            .send()
            .await
            .unwrap();
    let _ = odd.bytes().await;

    // Still serving.
    let ok = post(br#"{"model":"claude-sonnet-4-6","max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let _ = ok.bytes().await;

    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
    let seen = seen.0.lock().unwrap().clone();
    assert!(
        seen.contains(&(Class::InvalidRequest, "unknown".to_string())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Class::Success, "claude-sonnet-4-6".to_string())),
        "{seen:?}"
    );
    assert!(seen.iter().all(|(_, m)| !m.is_empty()), "{seen:?}");
    // The 413 was answered by the proxy itself and never reached the API.
    assert!(mock.requests().len() <= 3, "{}", mock.requests().len());
}
