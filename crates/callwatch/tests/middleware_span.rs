//! The `chat {model}` span and the per-attempt events the middleware emits, captured by a
//! real tracing subscriber layer.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use callwatch::RetryPolicy;
use callwatch::{Middleware, Retry};
use callwatch_core::classify::key_id;
use callwatch_core::names;
use callwatch_mock::{MockClaude, Reply};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const KEY: &str = "sk-ant-FAKE-tk-0000";

type Fields = HashMap<String, String>;

#[derive(Default)]
struct Captured {
    spans: HashMap<u64, (String, Fields)>,
    events: Vec<(Option<u64>, Fields)>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        let name = attrs.metadata().name().to_owned();
        self.0
            .lock()
            .unwrap()
            .spans
            .insert(id.into_u64(), (name, fields));
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some((_, fields)) = self.0.lock().unwrap().spans.get_mut(&id.into_u64()) {
            values.record(&mut Visitor(fields));
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        let parent = ctx.current_span().id().map(Id::into_u64);
        self.0.lock().unwrap().events.push((parent, fields));
    }
}

#[tokio::test]
async fn one_chat_span_with_semconv_attributes_and_one_event_per_attempt() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let mock = MockClaude::start().await.unwrap();
    mock.push(Reply::status(529).retry_after_ms(1));
    mock.push(Reply::status(529).retry_after_ms(1));
    mock.push(Reply::status(529).retry_after_ms(1));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Retry::new(RetryPolicy::default()))
        .with(Middleware::new())
        .build();
    let response = client
        .post(format!("{}/v1/messages", mock.base_url()))
        .header("x-api-key", KEY)
        .body(json!({"model": "claude-sonnet-4-6", "max_tokens": 1, "messages": []}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 529);

    let captured = capture.0.lock().unwrap();
    let chat: Vec<_> = captured
        .spans
        .iter()
        .filter(|(_, (name, _))| name == "chat")
        .collect();
    assert_eq!(chat.len(), 1, "one span per logical call");
    let (span_id, (_, fields)) = chat[0];
    let get = |key: &str| fields.get(key).map(String::as_str);
    assert_eq!(get("otel.name"), Some("chat claude-sonnet-4-6"));
    assert_eq!(get(names::GEN_AI_OPERATION_NAME), Some("chat"));
    assert_eq!(get(names::GEN_AI_PROVIDER_NAME), Some("anthropic"));
    assert_eq!(get(names::GEN_AI_REQUEST_MODEL), Some("claude-sonnet-4-6"));
    assert_eq!(get(names::ERROR_TYPE), Some("overloaded_error"));
    assert_eq!(get(names::HTTP_RESPONSE_STATUS_CODE), Some("529"));
    assert_eq!(get(names::SERVER_ADDRESS), Some("127.0.0.1"));
    assert_eq!(
        get(names::SERVER_PORT),
        Some(mock.addr().port().to_string().as_str())
    );
    assert_eq!(get(names::CALLWATCH_KEY_ID), Some(key_id(KEY).as_str()));
    assert_eq!(get(names::CALLWATCH_CLASS), Some("overloaded"));
    assert_eq!(get(names::CALLWATCH_ATTEMPTS), Some("3"));
    // A failed call's span says so in its status (tracing-opentelemetry reads these fields).
    assert_eq!(get("otel.status_code"), Some("ERROR"));
    assert_eq!(get("otel.status_description"), Some("overloaded_error"));

    let attempts: Vec<&Fields> = captured
        .events
        .iter()
        .filter(|(parent, f)| *parent == Some(*span_id) && f.contains_key(names::CALLWATCH_ATTEMPT))
        .map(|(_, f)| f)
        .collect();
    let numbers: Vec<_> = attempts
        .iter()
        .map(|f| f[names::CALLWATCH_ATTEMPT].as_str())
        .collect();
    assert_eq!(numbers, ["1", "2", "3"]);
    // The wait before attempt 2: at least the 1 ms hint, measured between the attempts.
    let waited: f64 = attempts[1][names::CALLWATCH_RETRY_WAIT_MS].parse().unwrap();
    assert!((1.0..2000.0).contains(&waited), "waited {waited} ms");

    let everything = format!("{:?} {:?}", captured.spans, captured.events);
    assert!(
        !everything.contains("FAKE"),
        "the key never reaches a span or event"
    );
}
