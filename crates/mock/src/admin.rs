//! Routes that let a process outside this one script the mock (the SDK conformance suite drives
//! `callwatch mock` from Python and Node): queue replies, reset between runs, read what was
//! received. Under `/__mock/` so they never collide with an API path.
//!
//! - `POST /__mock/reset` — empties the script and the record, and restarts request numbering,
//!   so two runs of the same case get the same request ids.
//! - `POST /__mock/script` — a JSON list of [`ReplySpec`]s, queued in order.
//! - `GET /__mock/requests` — what was received, as JSON (key fingerprints only).

use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{lock, record, Reply, State};

type Shared = Arc<Mutex<State>>;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/__mock/reset", post(reset))
        .route("/__mock/script", post(script))
        .route("/__mock/requests", get(requests))
}

/// One scripted reply, as JSON: `{"kind":"status","status":429,"retry_after_ms":10}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// `success`, `status`, `error`, `stream_error`, `html`, `credit_balance_too_low`,
    /// `billing_error`, `spend_cap`.
    pub kind: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    #[serde(default)]
    pub should_retry: Option<bool>,
    /// A streamed success holds its first `content_block_delta` back this long.
    #[serde(default)]
    pub first_chunk_delay_ms: Option<u64>,
    /// A streamed success sends one delta more than this list is long, waiting `[i]` ms
    /// before the delta after the `i`-th (the gaps between output chunks).
    #[serde(default)]
    pub chunk_gaps_ms: Option<Vec<u64>>,
}

/// Bounds on a scripted stream's pacing: a script cannot make the mock hold a connection for
/// hours or build an unbounded reply.
const MAX_CHUNK_GAPS: usize = 1_000;
const MAX_WAIT_MS: u64 = 60_000;

impl ReplySpec {
    /// The reply this spec describes, or what is wrong with it.
    pub fn to_reply(&self) -> Result<Reply, String> {
        let status = |default: u16| self.status.unwrap_or(default);
        let text = |field: &Option<String>, name: &str| {
            field
                .clone()
                .ok_or_else(|| format!("kind {:?} needs {name:?}", self.kind))
        };
        let mut reply = match self.kind.as_str() {
            "success" => Reply::status(status(200)),
            "status" => Reply::status(
                self.status
                    .ok_or_else(|| "kind \"status\" needs \"status\"".to_owned())?,
            ),
            "error" => Reply::error(
                status(400),
                &text(&self.error_type, "error_type")?,
                &text(&self.message, "message")?,
            ),
            "stream_error" => Reply::stream_error(
                &text(&self.error_type, "error_type")?,
                &text(&self.message, "message")?,
            ),
            "html" => Reply::html(status(502)),
            "credit_balance_too_low" => Reply::credit_balance_too_low(),
            "billing_error" => Reply::billing_error(status(402)),
            "spend_cap" => Reply::spend_cap(),
            other => {
                return Err(format!(
                    "unknown kind {other:?} (allowed: success, status, error, stream_error, html, \
                     credit_balance_too_low, billing_error, spend_cap)"
                ))
            }
        };
        if let Some(ms) = self.retry_after_ms {
            reply = reply.retry_after_ms(ms);
        }
        if let Some(secs) = self.retry_after_secs {
            reply = reply.retry_after_secs(secs);
        }
        if let Some(retry) = self.should_retry {
            reply = reply.should_retry(retry);
        }
        if let Some(ms) = self.first_chunk_delay_ms {
            if ms > MAX_WAIT_MS {
                return Err(format!(
                    "first_chunk_delay_ms {ms} is over the {MAX_WAIT_MS} ms bound"
                ));
            }
            reply = reply.first_chunk_delay(std::time::Duration::from_millis(ms));
        }
        if let Some(gaps) = &self.chunk_gaps_ms {
            if gaps.len() > MAX_CHUNK_GAPS {
                return Err(format!(
                    "chunk_gaps_ms has {} gaps (at most {MAX_CHUNK_GAPS})",
                    gaps.len()
                ));
            }
            if let Some((i, ms)) = gaps.iter().enumerate().find(|(_, ms)| **ms > MAX_WAIT_MS) {
                return Err(format!(
                    "chunk_gaps_ms[{i}] = {ms} is over the {MAX_WAIT_MS} ms bound"
                ));
            }
            let gaps: Vec<_> = gaps
                .iter()
                .map(|ms| std::time::Duration::from_millis(*ms))
                .collect();
            reply = reply.chunk_gaps(&gaps);
        }
        Ok(reply)
    }
}

async fn reset(AxState(state): AxState<Shared>) -> StatusCode {
    let mut state = lock(&state);
    state.script.clear();
    state.served = 0;
    state.recorder = record::Recorder::default();
    StatusCode::NO_CONTENT
}

async fn script(
    AxState(state): AxState<Shared>,
    Json(specs): Json<Vec<ReplySpec>>,
) -> (StatusCode, Json<Value>) {
    let mut replies = Vec::with_capacity(specs.len());
    // Every bad reply is named, not only the first; nothing is queued unless all are good.
    let mut errors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        match spec.to_reply() {
            Ok(reply) => replies.push(reply),
            Err(e) => errors.push(format!("reply {i}: {e}")),
        }
    }
    if !errors.is_empty() {
        let body = json!({ "error": errors.join("; "), "errors": errors });
        return (StatusCode::BAD_REQUEST, Json(body));
    }
    let mut state = lock(&state);
    state.script.extend(replies);
    let queued = state.script.len();
    (StatusCode::OK, Json(json!({ "queued": queued })))
}

async fn requests(AxState(state): AxState<Shared>) -> Json<Value> {
    let state = lock(&state);
    let list: Vec<Value> = state
        .recorder
        .requests
        .iter()
        .map(|r| {
            json!({
                "method": r.method, "path": r.path, "key_id": r.key_id,
                "retry_count": r.retry_count, "anthropic_version": r.anthropic_version,
                "model": r.model, "stream": r.stream, "traceparent": r.traceparent,
            })
        })
        .collect();
    Json(json!({ "requests": list, "dropped": state.recorder.dropped }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<Reply, String> {
        serde_json::from_str::<ReplySpec>(json)
            .map_err(|e| e.to_string())?
            .to_reply()
    }

    #[test]
    fn specs_build_the_documented_replies() {
        let reply = spec(r#"{"kind":"status","status":429,"retry_after_ms":10}"#).unwrap();
        assert_eq!(reply.status_code(), 429);
        assert!(reply
            .headers
            .contains(&("retry-after-ms".to_owned(), "10".to_owned())));
        assert_eq!(spec(r#"{"kind":"spend_cap"}"#).unwrap().status_code(), 429);
        assert_eq!(
            spec(r#"{"kind":"billing_error","status":403}"#)
                .unwrap()
                .status_code(),
            403
        );
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        assert!(spec(r#"{"kind":"status"}"#).unwrap_err().contains("status"));
        assert!(spec(r#"{"kind":"nope"}"#)
            .unwrap_err()
            .contains("unknown kind"));
        assert!(spec(r#"{"kind":"error","status":400}"#)
            .unwrap_err()
            .contains("error_type"));
        assert!(spec(r#"{"kind":"success","colour":1}"#).is_err());
    }

    #[tokio::test]
    async fn another_process_can_script_reset_and_read_the_mock() {
        let mock = crate::MockClaude::start().await.unwrap();
        let http = reqwest::Client::new();
        let base = mock.base_url();
        let body = r#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
        let send = || async {
            http.post(format!("{base}/v1/messages"))
                .header("x-api-key", "sk-ant-FAKE-admin-0000")
                .body(body)
                .send()
                .await
                .unwrap()
        };
        let scripted = http
            .post(format!("{base}/__mock/script"))
            .json(&serde_json::json!([{"kind": "status", "status": 529}]))
            .send()
            .await
            .unwrap();
        assert_eq!(scripted.status(), 200);
        let first = send().await;
        assert_eq!(first.status(), 529);
        let first_id = first.headers()["request-id"].clone();
        assert_eq!(send().await.status(), 200, "the script is used up");

        let reset = http.post(format!("{base}/__mock/reset")).send().await;
        assert_eq!(reset.unwrap().status(), 204);
        assert_eq!(send().await.headers()["request-id"], first_id);
        let seen: Value = http
            .get(format!("{base}/__mock/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seen["requests"].as_array().unwrap().len(), 1);
        assert!(!seen.to_string().contains("FAKE"));

        let bad = http
            .post(format!("{base}/__mock/script"))
            .json(&serde_json::json!([{"kind": "nope"}]))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.unwrap().contains("reply 0: unknown kind"));
    }
}
