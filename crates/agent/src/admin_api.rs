//! Reconciliation with what Anthropic billed, where the user has an Admin API key
//! (`CALLWATCH_ANTHROPIC_ADMIN_KEY`, optional). It reads
//! `GET /v1/organizations/analytics/cost_report` (USD, as fractional cents in a string; the
//! path is in doubt: docs/rules.md, "Billed spend and the Admin API") and the Messages usage
//! report `GET /v1/organizations/usage_report/messages` (tokens per model, `group_by[]=model`;
//! documented as legacy but supported, with hourly buckets), paged with
//! `has_more`/`next_page`, complete up to `data_refreshed_at` (typically every 4 hours).
//!
//! The admin key is a secret like the API key: it goes in the `x-api-key` header and nowhere
//! else — not in errors, not in `Debug`, not in logs.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use callwatch_core::classify::Usage;
use callwatch_core::cost::{PriceTable, TokenCounts};

pub const ENV_ADMIN_KEY: &str = "CALLWATCH_ANTHROPIC_ADMIN_KEY";
/// Where the Admin API is (tests point it at the mock).
pub const ENV_ADMIN_BASE_URL: &str = "CALLWATCH_ANTHROPIC_ADMIN_BASE_URL";
const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// How often billed spend is read.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(15 * 60);
/// Pages read per report before giving up (a month of hourly buckets is 5 pages of 168).
const MAX_PAGES: usize = 32;

#[derive(Clone)]
pub struct AdminApi {
    base_url: String,
    key: Arc<str>,
    client: reqwest::Client,
}

impl std::fmt::Debug for AdminApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApi")
            .field("base_url", &self.base_url)
            .field("key", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminApiError {
    #[error("Admin API {path}: cannot reach it: {what}")]
    Unreachable { path: &'static str, what: String },
    #[error("Admin API {path}: HTTP {status}: {message}")]
    Status {
        path: &'static str,
        status: u16,
        message: String,
    },
    #[error("Admin API {path}: unexpected response: {what}")]
    Shape { path: &'static str, what: String },
}

/// Billed spend over a range, as far as the export reaches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Billed {
    pub usd: f64,
    /// The export's time: buckets from here on are incomplete, so not counted.
    pub refreshed_at: Option<OffsetDateTime>,
}

/// Tokens billed for one model over a range, and their price at the table's rates.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelUsage {
    pub model: String,
    pub usage: Usage,
    /// `None` when the table does not price the model.
    pub priced_usd: Option<f64>,
}

#[derive(Deserialize)]
struct Page<R> {
    data: Vec<Bucket<R>>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_page: Option<String>,
    #[serde(default)]
    data_refreshed_at: Option<String>,
}

#[derive(Deserialize)]
struct Bucket<R> {
    results: Vec<R>,
}

#[derive(Deserialize)]
struct CostRow {
    amount: String,
}

#[derive(Deserialize, Default)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: u64,
    #[serde(default)]
    ephemeral_1h_input_tokens: u64,
}

#[derive(Deserialize)]
struct UsageRow {
    model: Option<String>,
    #[serde(default)]
    uncached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation: CacheCreation,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

impl AdminApi {
    /// From the environment; `None` without `CALLWATCH_ANTHROPIC_ADMIN_KEY` (reconciliation
    /// is optional).
    pub fn from_env() -> Option<AdminApi> {
        let key = std::env::var(ENV_ADMIN_KEY)
            .ok()
            .filter(|k| !k.trim().is_empty())?;
        let base = std::env::var(ENV_ADMIN_BASE_URL).unwrap_or_else(|_| DEFAULT_BASE_URL.into());
        Some(AdminApi::new(&base, key.trim()))
    }

    pub fn new(base_url: &str, key: &str) -> AdminApi {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        AdminApi {
            base_url: base_url.trim_end_matches('/').to_owned(),
            key: Arc::from(key),
            client,
        }
    }

    /// Every page of one report over `[from, to)`, hourly.
    async fn pages<R: serde::de::DeserializeOwned>(
        &self,
        path: &'static str,
        from: OffsetDateTime,
        to: OffsetDateTime,
        extra: &[(&str, &str)],
    ) -> Result<(Vec<R>, Option<OffsetDateTime>), AdminApiError> {
        let fmt = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let (from, to) = (fmt(from), fmt(to));
        let mut rows = Vec::new();
        let mut refreshed = None;
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, &str)> = vec![
                ("starting_at", &from),
                ("ending_at", &to),
                ("bucket_width", "1h"),
                ("limit", "168"),
            ];
            query.extend_from_slice(extra);
            if let Some(p) = &page {
                query.push(("page", p));
            }
            let mut url =
                reqwest::Url::parse(&format!("{}{path}", self.base_url)).map_err(|e| {
                    AdminApiError::Unreachable {
                        path,
                        what: format!("bad base URL: {e}"),
                    }
                })?;
            url.query_pairs_mut().extend_pairs(&query);
            let response = self
                .client
                .get(url)
                .header("x-api-key", &*self.key)
                .header("anthropic-version", "2023-06-01")
                .send()
                .await
                .map_err(|e| AdminApiError::Unreachable {
                    path,
                    // reqwest's error names the URL (never the headers); say only what failed.
                    what: e.without_url().to_string(),
                })?;
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| AdminApiError::Unreachable {
                    path,
                    what: e.without_url().to_string(),
                })?;
            if status != 200 {
                let message = serde_json::from_slice::<ErrorBody>(&body)
                    .map(|b| b.error.message)
                    .unwrap_or_else(|_| "no error body".to_owned());
                return Err(AdminApiError::Status {
                    path,
                    status,
                    message: redact(&message, &self.key),
                });
            }
            let parsed: Page<R> =
                serde_json::from_slice(&body).map_err(|e| AdminApiError::Shape {
                    path,
                    what: e.to_string(),
                })?;
            if let Some(r) = parsed.data_refreshed_at.as_deref() {
                refreshed = OffsetDateTime::parse(r, &Rfc3339).ok();
            }
            rows.extend(parsed.data.into_iter().flat_map(|b| b.results));
            match (parsed.has_more, parsed.next_page) {
                (true, Some(next)) => page = Some(next),
                _ => return Ok((rows, refreshed)),
            }
        }
        Err(AdminApiError::Shape {
            path,
            what: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// What was billed over `[from, to)` (post-discount), up to the export's time.
    pub async fn billed(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Billed, AdminApiError> {
        const PATH: &str = "/v1/organizations/analytics/cost_report";
        let (rows, refreshed_at) = self.pages::<CostRow>(PATH, from, to, &[]).await?;
        let mut cents = 0.0;
        for row in rows {
            cents += row
                .amount
                .parse::<f64>()
                .ok()
                .filter(|c| c.is_finite())
                .ok_or_else(|| AdminApiError::Shape {
                    path: PATH,
                    what: format!("`amount` {:?} is not a number of cents", row.amount),
                })?;
        }
        Ok(Billed {
            usd: cents / 100.0,
            refreshed_at,
        })
    }

    /// Tokens billed per model over `[from, to)`, priced at `prices`.
    pub async fn usage_by_model(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        prices: &PriceTable,
    ) -> Result<Vec<ModelUsage>, AdminApiError> {
        const PATH: &str = "/v1/organizations/usage_report/messages";
        let (rows, _) = self
            .pages::<UsageRow>(PATH, from, to, &[("group_by[]", "model")])
            .await?;
        let mut by_model: std::collections::BTreeMap<String, Usage> = Default::default();
        for row in rows {
            let u = by_model.entry(row.model.unwrap_or_default()).or_default();
            u.input_tokens += row.uncached_input_tokens;
            u.output_tokens += row.output_tokens;
            u.cache_read_input_tokens += row.cache_read_input_tokens;
            u.cache_creation_input_tokens += row.cache_creation.ephemeral_5m_input_tokens
                + row.cache_creation.ephemeral_1h_input_tokens;
            u.cache_creation_1h_input_tokens += row.cache_creation.ephemeral_1h_input_tokens;
        }
        Ok(by_model
            .into_iter()
            .map(|(model, usage)| ModelUsage {
                priced_usd: prices
                    .price(&model)
                    .map(|p| p.cost_usd(&TokenCounts::of(&usage))),
                model,
                usage,
            })
            .collect())
    }
}

/// An error message from the server could echo what it was sent: never let it carry the key.
fn redact(message: &str, key: &str) -> String {
    if key.is_empty() {
        message.to_owned()
    } else {
        message.replace(key, "[redacted]")
    }
}

/// Computed (from the calls callwatch saw) against billed spend over the same range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drift {
    pub computed_usd: f64,
    pub billed_usd: f64,
}

impl Drift {
    /// Billed minus computed: positive when Anthropic billed more than callwatch counted
    /// (calls it did not see, a price the table lacks).
    pub fn usd(&self) -> f64 {
        self.billed_usd - self.computed_usd
    }

    /// The drift as a share of what was billed (`None` when nothing was billed).
    pub fn share(&self) -> Option<f64> {
        (self.billed_usd > 0.0).then(|| self.usd() / self.billed_usd)
    }
}

/// Where the reconciliation loop reads computed spend and leaves the drift.
pub(crate) struct DriftSink {
    pub ledger: crate::cost_drift::SpendLedger,
    pub cell: crate::cost_drift::DriftCell,
    /// When the agent started seeing calls.
    pub seen_since: OffsetDateTime,
    /// The prices the computed side used, for the billed tokens too.
    pub prices: Arc<PriceTable>,
}

/// The reconciliation loop (see [`crate::Agent::reconcile_credit`]): the balance the billed
/// spend leaves, at the export's time, as a `credit_balance` event; and the drift between
/// computed and billed spend over the whole hours both cover (from the first hour the agent
/// saw whole, or the credit's `as_of`, to the export's last whole hour; at most the engine's
/// two days). A failed poll is logged (without the key) and retried at the next one; the
/// runway keeps its own count meanwhile.
pub(crate) async fn reconcile(
    api: AdminApi,
    credit: callwatch_core::cost::Credit,
    every: Duration,
    clock: crate::Clock,
    tap: Arc<crate::EventTap>,
    drift: DriftSink,
) {
    let mut last_export = None;
    loop {
        let now = clock.now();
        match api.billed(credit.as_of, now).await {
            Ok(Billed {
                usd,
                refreshed_at: Some(export),
            }) if export > credit.as_of && Some(export) != last_export => {
                last_export = Some(export);
                let export = export.min(now);
                let balance = (credit.balance_usd - usd).max(0.0);
                tracing::info!(
                    "callwatch: Admin API billed ${usd:.2} since {} (export at {}): the runway counts down from ${balance:.2}",
                    credit.as_of.format(&Rfc3339).unwrap_or_default(),
                    export.format(&Rfc3339).unwrap_or_default()
                );
                tap.send(callwatch_core::event::Event::CreditBalance(
                    callwatch_core::event::CreditBalance {
                        ts: export,
                        balance_usd: balance,
                    },
                ));
                if let Err(e) =
                    measure_drift(&api, &drift, credit.as_of.max(drift.seen_since), export).await
                {
                    tracing::warn!("callwatch: cost drift: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("callwatch: credit reconciliation: {e}"),
        }
        tokio::time::sleep(clock.real(every)).await;
    }
}

/// Billed against computed spend over the whole hours from `seen_from` to `export`.
async fn measure_drift(
    api: &AdminApi,
    drift: &DriftSink,
    seen_from: OffsetDateTime,
    export: OffsetDateTime,
) -> Result<(), AdminApiError> {
    use crate::cost_drift::{ceil_hour, floor_hour, CostDrift};
    let (from, to) = (ceil_hour(seen_from), floor_hour(export));
    if from >= to {
        return Ok(()); // not a whole hour seen by both yet
    }
    let billed = api.billed(from, to).await?;
    let Some(computed) = drift.ledger.spent_between(from, to).await else {
        return Ok(()); // the engine's ledger no longer reaches back: nothing to compare
    };
    // The billed tokens at callwatch's own prices: what callwatch would have computed had it
    // seen every call. Against the computed spend, that is the part of the drift from calls it
    // did not see; the rest is the price table's. Unknown when a billed model is unpriced.
    let unseen_usd = match api.usage_by_model(from, to, &drift.prices).await {
        Ok(models) => models
            .iter()
            .map(|m| m.priced_usd)
            .sum::<Option<f64>>()
            .map(|priced| priced - computed),
        Err(e) => {
            tracing::warn!("callwatch: cost drift, the usage report: {e}");
            None
        }
    };
    let reading = CostDrift {
        drift: Drift {
            computed_usd: computed,
            billed_usd: billed.usd,
        },
        unseen_usd,
        from,
        to,
    };
    tracing::info!(
        "callwatch: billed ${:.2} against ${computed:.2} computed from {} to {}: drift ${:.2}",
        billed.usd,
        from.format(&Rfc3339).unwrap_or_default(),
        to.format(&Rfc3339).unwrap_or_default(),
        reading.usd()
    );
    drift.cell.set(reading);
    Ok(())
}
