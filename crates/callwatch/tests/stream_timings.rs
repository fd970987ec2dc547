//! Streaming timings through the middleware over real HTTP: the mock holds back its first
//! output chunk (`content_block_delta`) by 300 ms after the headers and `message_start`; the
//! recorder's HDR p50 time to first chunk says so. A stream cut before `message_stop` is a
//! failed call with its own error type.

use std::sync::Arc;
use std::time::Duration;

use callwatch::{Middleware, Recorder};
use callwatch_core::classify::STREAM_INCOMPLETE;
use callwatch_mock::{MockClaude, Reply};

fn client(recorder: &Recorder) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Middleware::new().observer(Arc::new(recorder.clone())))
        .build()
}

async fn stream_once(recorder: &Recorder, mock: &MockClaude) -> String {
    stream_with(&client(recorder), mock).await
}

async fn stream_with(
    client: &reqwest_middleware::ClientWithMiddleware,
    mock: &MockClaude,
) -> String {
    client
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", "sk-ant-FAKE-stream-0001")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_first_chunk_held_back_300_ms_is_the_time_to_first_chunk() {
    let mock = MockClaude::start().await.unwrap();
    let warm_up = Recorder::new();
    let recorder = Recorder::new();
    // One connection for all: the first stream (into another recorder) pays the connect, the
    // next five are timed; their median is the held-back 300 ms plus loopback and scheduling.
    let client = client(&warm_up);
    mock.push(Reply::success());
    stream_with(&client, &mock).await;
    for _ in 0..5 {
        mock.push(Reply::success().first_chunk_delay(Duration::from_millis(300)));
    }
    callwatch::with_observer(Arc::new(recorder.clone()), async {
        for _ in 0..5 {
            let body = stream_with(&client, &mock).await;
            assert!(body.contains("message_stop"));
        }
    })
    .await;

    let snapshot = recorder.snapshot();
    assert_eq!(snapshot.series.len(), 1);
    let series = &snapshot.series[0];
    assert!(
        series.labels.class.as_str() == "success",
        "{:?}",
        series.labels
    );
    let ttfc = series
        .time_to_first_chunk_ms
        .as_ref()
        .expect("a streamed call has a time to first chunk");
    let p50 = ttfc.value_at_quantile(0.5);
    assert!(
        (300..=310).contains(&p50),
        "p50 time to first chunk {p50} ms"
    );
    assert!(series.time_per_output_chunk_ms.is_some());
    let text = callwatch_core::prometheus::render(&snapshot);
    assert!(
        text.contains("gen_ai_client_operation_time_to_first_chunk_seconds_count{"),
        "{text}"
    );
}

/// The mock waits 20, 20, 20 and 400 ms before the deltas after the first: the recorder's
/// time per output chunk holds those four gaps per stream (the convention's one value per chunk
/// after the first), not one mean per stream.
#[tokio::test]
async fn every_gap_between_output_chunks_is_in_the_histogram() {
    let mock = MockClaude::start().await.unwrap();
    let warm_up = Recorder::new();
    let recorder = Recorder::new();
    let client = client(&warm_up);
    mock.push(Reply::success());
    stream_with(&client, &mock).await;
    let ms = Duration::from_millis;
    const STREAMS: u64 = 3;
    for _ in 0..STREAMS {
        mock.push(Reply::success().chunk_gaps(&[ms(20), ms(20), ms(20), ms(400)]));
    }
    callwatch::with_observer(Arc::new(recorder.clone()), async {
        for _ in 0..STREAMS {
            let body = stream_with(&client, &mock).await;
            assert!(body.contains("chunk 4"), "{body}");
        }
    })
    .await;

    let snapshot = recorder.snapshot();
    let series = &snapshot.series[0];
    let gaps = series
        .time_per_output_chunk_ms
        .as_ref()
        .expect("a streamed call has its chunk gaps");
    assert_eq!(
        gaps.len(),
        4 * STREAMS,
        "one value per chunk after the first"
    );
    // A gap is measured between two reads of the client, and either read can wake late on a
    // loaded machine (two chunks read at once are 0 ms apart): the 400 ms gaps are split from
    // the 20 ms ones at 200 ms, half-way, not at their own values.
    let long = gaps
        .iter_recorded()
        .filter(|v| v.value_iterated_to() >= 200);
    assert_eq!(long.map(|v| v.count_at_value()).sum::<u64>(), STREAMS);
    let p50 = gaps.value_at_quantile(0.5);
    assert!(p50 < 200, "p50 gap {p50} ms");
    // The stream's duration runs to its end: past the 460 ms of gaps, not to the headers.
    let durations = series
        .stream_duration_ms
        .as_ref()
        .expect("a streamed call has its duration");
    assert_eq!(durations.len(), STREAMS);
    let shortest = durations.value_at_quantile(0.0);
    assert!(shortest >= 460, "shortest stream {shortest} ms");
    let text = callwatch_core::prometheus::render(&snapshot);
    let count = text
        .lines()
        .find(|l| l.starts_with("gen_ai_client_operation_time_per_output_chunk_seconds_count{"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(count.ends_with(&format!(" {}", 4 * STREAMS)), "{count}");
}

#[tokio::test]
async fn a_non_streamed_call_has_no_stream_timings() {
    let mock = MockClaude::start().await.unwrap();
    let recorder = Recorder::new();
    mock.push(Reply::success());
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Middleware::new().observer(Arc::new(recorder.clone())))
        .build();
    client
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", "sk-ant-FAKE-stream-0002")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap();
    let snapshot = recorder.snapshot();
    assert!(snapshot.series[0].time_to_first_chunk_ms.is_none());
    assert!(snapshot.series[0].stream_duration_ms.is_none());
}

#[tokio::test]
async fn a_stream_cut_before_message_stop_is_a_failed_call() {
    let mock = MockClaude::start().await.unwrap();
    let recorder = Recorder::new();
    mock.push(Reply::success().cut_before_message_stop());
    let body = stream_once(&recorder, &mock).await;
    assert!(!body.contains("message_stop"));
    let snapshot = recorder.snapshot();
    let labels = &snapshot.series[0].labels;
    assert_eq!(labels.status, Some(200));
    assert_eq!(labels.class.as_str(), "connection");
    assert_eq!(labels.error_type.as_deref(), Some(STREAM_INCOMPLETE));
}
