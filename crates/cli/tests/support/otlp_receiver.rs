//! A real OTLP/HTTP receiver on loopback: accepts `POST /v1/metrics` and `POST /v1/traces`
//! (protobuf), decodes them with opentelemetry-proto, and keeps both the decoded requests and
//! the raw bytes for assertions. It runs on its own thread and runtime, so the exporter under
//! test (blocking HTTP client, its own threads) is exercised exactly as in an application.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, HistogramDataPoint, NumberDataPoint};
use prost::Message;

#[derive(Default)]
pub struct Received {
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub traces: Vec<ExportTraceServiceRequest>,
    /// Every request body as it arrived, in order.
    pub raw: Vec<Vec<u8>>,
    /// Bodies that did not decode, with the error.
    pub rejected: Vec<String>,
    /// The `Authorization` header of each request (empty when absent), in order.
    pub authorizations: Vec<String>,
}

pub struct OtlpReceiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Received>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OtlpReceiver {
    pub fn start() -> OtlpReceiver {
        OtlpReceiver::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// On a given address, e.g. the port of a collector that was down and comes back.
    pub fn start_on(addr: SocketAddr) -> OtlpReceiver {
        let received = Arc::new(Mutex::new(Received::default()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&received);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("receiver runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new()
                    .route("/v1/metrics", post(metrics))
                    .route("/v1/traces", post(traces))
                    .with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        OtlpReceiver {
            addr: addr_rx.recv().expect("receiver address"),
            received,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, the base endpoint to configure.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Shared = State<Arc<Mutex<Received>>>;

fn authorization(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn protobuf(body: Vec<u8>) -> ([(header::HeaderName, &'static str); 1], Vec<u8>) {
    ([(header::CONTENT_TYPE, "application/x-protobuf")], body)
}

async fn metrics(
    State(state): Shared,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<impl axum::response::IntoResponse, StatusCode> {
    let mut received = state.lock().unwrap();
    received.raw.push(body.to_vec());
    received.authorizations.push(authorization(&headers));
    match ExportMetricsServiceRequest::decode(body) {
        Ok(request) => received.metrics.push(request),
        Err(e) => {
            received.rejected.push(format!("metrics: {e}"));
            return Err(StatusCode::BAD_REQUEST);
        }
    }
    Ok(protobuf(
        ExportMetricsServiceResponse::default().encode_to_vec(),
    ))
}

async fn traces(
    State(state): Shared,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<impl axum::response::IntoResponse, StatusCode> {
    let mut received = state.lock().unwrap();
    received.raw.push(body.to_vec());
    received.authorizations.push(authorization(&headers));
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => received.traces.push(request),
        Err(e) => {
            received.rejected.push(format!("traces: {e}"));
            return Err(StatusCode::BAD_REQUEST);
        }
    }
    Ok(protobuf(
        ExportTraceServiceResponse::default().encode_to_vec(),
    ))
}

/// An attribute's value as a string (string, int, double or bool values).
pub fn attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(d) => d.to_string(),
        any_value::Value::BoolValue(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

/// One exported metric in one request, flattened.
pub struct ExportedMetric<'a> {
    pub name: &'a str,
    pub unit: &'a str,
    pub data: &'a metric::Data,
}

impl Received {
    /// Every metric of every metrics request, in arrival order.
    pub fn all_metrics(&self) -> Vec<ExportedMetric<'_>> {
        let mut out = Vec::new();
        for request in &self.metrics {
            for rm in &request.resource_metrics {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        if let Some(data) = &m.data {
                            out.push(ExportedMetric {
                                name: &m.name,
                                unit: &m.unit,
                                data,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// Histogram points of `name`, with the request's temporality, in arrival order.
    pub fn histogram_points(&self, name: &str) -> Vec<(i32, &HistogramDataPoint)> {
        self.all_metrics()
            .into_iter()
            .filter(|m| m.name == name)
            .filter_map(|m| match m.data {
                metric::Data::Histogram(h) => Some((h.aggregation_temporality, &h.data_points)),
                _ => None,
            })
            .flat_map(|(t, points)| points.iter().map(move |p| (t, p)))
            .collect()
    }

    /// Sum (counter) points of `name`, with temporality, in arrival order.
    pub fn sum_points(&self, name: &str) -> Vec<(i32, &NumberDataPoint)> {
        self.all_metrics()
            .into_iter()
            .filter(|m| m.name == name)
            .filter_map(|m| match m.data {
                metric::Data::Sum(s) => Some((s.aggregation_temporality, &s.data_points)),
                _ => None,
            })
            .flat_map(|(t, points)| points.iter().map(move |p| (t, p)))
            .collect()
    }
}

/// A number point's value as f64.
pub fn number(point: &NumberDataPoint) -> f64 {
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
    match point.value {
        Some(Value::AsInt(i)) => i as f64,
        Some(Value::AsDouble(d)) => d,
        None => f64::NAN,
    }
}
