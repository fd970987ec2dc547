//! Shared helpers for the notify tests: alerts, and real loopback HTTP receivers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use callwatch_core::alert::{Alert, AlertState, Severity};
use time::macros::datetime;
use time::OffsetDateTime;

pub const T0: OffsetDateTime = datetime!(2026-11-20 12:00:00 UTC);

/// One receiver `chat` with one webhook at `url`, fast timings and a spool at `spool`:
/// `max_attempts` deliveries before a notification is given up (kept in the spool).
pub fn one_webhook(
    url: &str,
    spool: &std::path::Path,
    max_attempts: u32,
) -> callwatch_notify::NotifyConfig {
    use callwatch_notify::config::WebhookConfig;
    use callwatch_notify::{
        DeliveryConfig, Integration, NotifyConfig, Route, RouterConfig, Secret,
    };
    use std::time::Duration;
    let root = Route {
        receiver: "chat".into(),
        group_wait: Duration::from_millis(20),
        group_interval: Duration::from_millis(50),
        repeat_interval: Duration::from_secs(3600),
        ..Route::default()
    };
    NotifyConfig {
        route: RouterConfig {
            route: root,
            ..RouterConfig::default()
        },
        delivery: DeliveryConfig {
            timeout: Duration::from_millis(500),
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(50),
            max_attempts,
            spool_dir: Some(spool.to_path_buf()),
            ..DeliveryConfig::default()
        },
        tick: Duration::from_millis(20),
        ..NotifyConfig::empty()
    }
    .with_receiver(
        "chat",
        vec![Integration::Webhook(WebhookConfig::new(Secret::new(url)))],
    )
}

pub fn alert(rule: &str, labels: &[(&str, &str)], state: AlertState, at: OffsetDateTime) -> Alert {
    Alert {
        at,
        rule: rule.into(),
        state,
        severity: if rule == "BillingOutage" {
            Severity::Critical
        } else {
            Severity::Warning
        },
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        summary: format!("{rule} summary"),
        description: format!("{rule} description"),
        starts_at: at,
        values: BTreeMap::from([
            ("share".into(), 0.42),
            ("baseline".into(), 0.02),
            ("count".into(), 120.0),
            ("window_s".into(), 300.0),
        ]),
        request_ids: vec![
            "req_011FAKE1".into(),
            "req_011FAKE2".into(),
            "req_011FAKE3".into(),
            "req_011FAKE4".into(),
        ],
        runbook: "Check the provider status page; back off.".into(),
    }
}

pub fn firing(rule: &str, labels: &[(&str, &str)], at: OffsetDateTime) -> Alert {
    alert(rule, labels, AlertState::Firing, at)
}

/// The resolution of `a` at `at`.
pub fn resolved(a: &Alert, at: OffsetDateTime) -> Alert {
    let mut r = a.clone();
    r.state = AlertState::Resolved;
    r.at = at;
    r
}

/// A scripted answer: status and extra headers.
pub type Answer = (StatusCode, Vec<(&'static str, String)>);

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub path: String,
    pub at: std::time::Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("receiver got JSON")
    }
}

/// A loopback HTTP receiver that records every POST and answers from a script: the first
/// responses come from `script` (status, extra headers), then 200.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<Answer>>>,
}

impl Receiver {
    pub async fn start(script: Vec<Answer>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, script).await
    }

    pub async fn serve(listener: tokio::net::TcpListener, script: Vec<Answer>) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let r = Receiver {
            addr,
            got: Arc::new(Mutex::new(Vec::new())),
            script: Arc::new(Mutex::new(script.into_iter().rev().collect())),
        };
        let state = r.clone();
        let app = Router::new().fallback(post(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.answer(uri.path().to_string(), headers, body) }
            },
        ));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    fn answer(&self, path: String, headers: HeaderMap, body: Bytes) -> Response {
        let at = std::time::Instant::now();
        self.got.lock().unwrap().push(Received {
            headers,
            body,
            path,
            at,
        });
        match self.script.lock().unwrap().pop() {
            Some((status, extra)) => {
                let mut resp = (status, "scripted").into_response();
                for (k, v) in extra {
                    resp.headers_mut().insert(k, v.parse().unwrap());
                }
                resp
            }
            None => (StatusCode::OK, "ok").into_response(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Wait (bounded) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..500 {
            if self.got.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.received()
    }
}
