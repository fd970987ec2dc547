//! Series labels as OpenTelemetry attributes (names from [`callwatch_core::names`]).

use opentelemetry::KeyValue;

use callwatch_core::names;
use callwatch_core::record::SeriesLabels;

/// The attributes of `gen_ai.client.operation.duration` and the `callwatch.*` per-call metrics:
/// `error.type` only on failure, `http.response.status_code` only when a response came,
/// `callwatch.key_id` only when known.
pub fn series_attributes(labels: &SeriesLabels) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new(names::GEN_AI_OPERATION_NAME, labels.operation.clone()),
        KeyValue::new(names::GEN_AI_PROVIDER_NAME, labels.provider.as_str()),
        KeyValue::new(names::GEN_AI_REQUEST_MODEL, labels.model.clone()),
        KeyValue::new(names::SERVER_ADDRESS, labels.server_address.clone()),
        KeyValue::new(names::SERVER_PORT, i64::from(labels.server_port)),
        KeyValue::new(names::CALLWATCH_CLASS, labels.class.as_str()),
    ];
    if let Some(error_type) = labels.exported_error_type() {
        attributes.push(KeyValue::new(names::ERROR_TYPE, error_type.into_owned()));
    }
    if let Some(status) = labels.status {
        attributes.push(KeyValue::new(
            names::HTTP_RESPONSE_STATUS_CODE,
            i64::from(status),
        ));
    }
    if !labels.key_id.is_empty() {
        attributes.push(KeyValue::new(
            names::CALLWATCH_KEY_ID,
            labels.key_id.clone(),
        ));
    }
    attributes
}

/// `series_attributes` plus `gen_ai.token.type`.
pub fn token_attributes(labels: &SeriesLabels, token_type: &'static str) -> Vec<KeyValue> {
    let mut attributes = series_attributes(labels);
    attributes.push(KeyValue::new(names::GEN_AI_TOKEN_TYPE, token_type));
    attributes
}
