//! The Admin API's cost and usage reports: `GET /v1/organizations/analytics/cost_report` (the
//! path callwatch reads cost from; docs/rules.md says why it is in doubt) and the Messages
//! usage report `GET /v1/organizations/usage_report/messages` (documented, legacy but
//! supported, its rows as documented plus the analytics API's extra fields): hourly buckets, oldest first,
//! `has_more`/`next_page` paging, `data_refreshed_at`, an `amount` in fractional cents as a
//! string. Only the admin key set with [`MockClaude::set_billing`] is accepted; only its
//! fingerprint is kept.
//!
//! [`MockClaude::set_billing`]: super::MockClaude::set_billing

use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::record::RecordedRequest;
use super::server::Shared;
use super::shapes::error_body;
use super::{lock, Tokens};
use callwatch_core::classify::key_id;

/// One hour of billing: the cost and the tokens behind it, for one model.
#[derive(Clone, Debug, PartialEq)]
pub struct BilledHour {
    pub starting_at: OffsetDateTime,
    pub model: String,
    /// USD, post-discount (served as fractional cents).
    pub usd: f64,
    pub tokens: Tokens,
}

/// What the reports serve, and to whom.
#[derive(Clone, Debug, Default)]
pub(crate) struct Billing {
    pub admin_key_id: Option<String>,
    pub hours: Vec<BilledHour>,
    /// The export the reports were served from; hours from here on are left out.
    pub refreshed_at: Option<OffsetDateTime>,
}

impl Billing {
    pub(crate) fn new(
        admin_key: &str,
        hours: Vec<BilledHour>,
        refreshed_at: OffsetDateTime,
    ) -> Self {
        Billing {
            admin_key_id: Some(key_id(admin_key)),
            hours,
            refreshed_at: Some(refreshed_at),
        }
    }
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/organizations/analytics/cost_report", get(cost_report))
        .route("/v1/organizations/usage_report/messages", get(usage_report))
}

#[derive(Debug, Deserialize)]
struct Params {
    starting_at: Option<String>,
    ending_at: Option<String>,
    page: Option<String>,
    limit: Option<usize>,
}

const HOUR: time::Duration = time::Duration::hours(1);

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// An error the API would answer: its status, `error.type` and message.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Refusal(status, kind, message) = self;
        (
            status,
            Json(error_body(kind, &message, None, "req_mock_admin")),
        )
            .into_response()
    }
}

fn error(status: StatusCode, kind: &'static str, message: &str) -> Refusal {
    Refusal(status, kind, message.to_owned())
}

/// Hourly buckets (their start), each with the hours billed in it.
type Buckets = Vec<(OffsetDateTime, Vec<BilledHour>)>;

/// The hourly buckets the request asks for, each with its hours, and the paging fields; or
/// the error the API would answer.
fn page(
    shared: &Shared,
    path: &str,
    headers: &HeaderMap,
    p: &Params,
) -> Result<(Buckets, Value), Refusal> {
    let billing = {
        let mut state = lock(shared);
        // Recorded like any request (the key's fingerprint only).
        state
            .recorder
            .push(RecordedRequest::new("GET", path, headers, &[]));
        state.billing.clone()
    };
    let sent = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(key_id);
    if billing.admin_key_id.is_none() || sent != billing.admin_key_id {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        ));
    }
    let parse = |name: &str, v: &Option<String>| -> Result<Option<OffsetDateTime>, Refusal> {
        match v {
            None => Ok(None),
            Some(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    &format!("{name}: not an RFC 3339 timestamp"),
                )
            }),
        }
    };
    let Some(start) = parse("starting_at", &p.starting_at)? else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "starting_at: required",
        ));
    };
    let start = start
        .replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(start);
    let refreshed = billing.refreshed_at.unwrap_or(start);
    let end = parse("ending_at", &p.ending_at)?
        .unwrap_or(refreshed)
        .min(start + time::Duration::days(31));
    let limit = p.limit.unwrap_or(24).clamp(1, 168);
    let skip: usize = match &p.page {
        None => 0,
        Some(s) => s
            .strip_prefix("page_")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "page: not a cursor from next_page",
                )
            })?,
    };
    let mut buckets = Vec::new();
    let mut at = start;
    while at < end {
        buckets.push(at);
        at += HOUR;
    }
    let more = buckets.len() > skip + limit;
    let buckets: Vec<_> = buckets
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|b| {
            // Hours the export has not reached are served empty, as the API does.
            let hours = billing
                .hours
                .iter()
                .filter(|h| h.starting_at >= b && h.starting_at < b + HOUR && b + HOUR <= refreshed)
                .cloned()
                .collect();
            (b, hours)
        })
        .collect();
    let paging = json!({
        "data_refreshed_at": rfc3339(refreshed),
        "has_more": more,
        "next_page": more.then(|| format!("page_{}", skip + limit)),
        "organization_id": "org_mock",
    });
    Ok((buckets, paging))
}

fn report(buckets: Buckets, mut paging: Value, row: impl Fn(&BilledHour) -> Value) -> Response {
    let data: Vec<Value> = buckets
        .iter()
        .map(|(start, hours)| {
            json!({
                "starting_at": rfc3339(*start),
                "ending_at": rfc3339(*start + HOUR),
                "results": hours.iter().map(&row).collect::<Vec<_>>(),
            })
        })
        .collect();
    paging["data"] = Value::Array(data);
    Json(paging).into_response()
}

async fn cost_report(
    AxState(shared): AxState<Shared>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    match page(
        &shared,
        "/v1/organizations/analytics/cost_report",
        &headers,
        &p,
    ) {
        Err(e) => e.into_response(),
        Ok((buckets, paging)) => report(buckets, paging, |h| {
            let cents = format!("{:.4}", h.usd * 100.0);
            json!({
                "amount": cents, "list_amount": cents, "currency": "USD",
                "model": h.model, "product": null, "context_window": null, "cost_type": null,
                "inference_geo": null, "speed": null, "token_type": null, "requests": null,
            })
        }),
    }
}

async fn usage_report(
    AxState(shared): AxState<Shared>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    match page(
        &shared,
        "/v1/organizations/usage_report/messages",
        &headers,
        &p,
    ) {
        Err(e) => e.into_response(),
        Ok((buckets, paging)) => report(buckets, paging, |h| {
            json!({
                "model": h.model,
                "uncached_input_tokens": h.tokens.input,
                "output_tokens": h.tokens.output,
                "cache_read_input_tokens": h.tokens.cache_read,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": h.tokens.cache_creation,
                    "ephemeral_1h_input_tokens": 0,
                },
                "server_tool_use": {"web_search_requests": 0},
                "requests": null, "product": null, "context_window": null,
                "inference_geo": null, "speed": null, "rbac_group_id": null, "slack_channel_id": null,
            })
        }),
    }
}
