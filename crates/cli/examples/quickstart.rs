//! The README's quickstart, kept compiling by `cargo test --all-targets`.
//! Run it with ANTHROPIC_API_KEY set: `cargo run --example quickstart`.

use callwatch::middleware::CallwatchMiddleware;
use callwatch_core::record::Recorder;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every call through this client is retried like the official SDKs do, classified,
    // recorded, and traced as a `chat {model}` span.
    let recorder = Recorder::new();
    callwatch_core::call::set_global_observer(std::sync::Arc::new(recorder.clone()));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(CallwatchMiddleware::new())
        .build();

    // OTLP metrics and spans, configured by the standard OTEL_EXPORTER_OTLP_* variables.
    let _export = callwatch_otlp::install(callwatch_otlp::ExportConfig::new(), recorder)?;

    let reply = client
        .post("https://api.anthropic.com/v1/messages")
        .header("x-api-key", std::env::var("ANTHROPIC_API_KEY")?)
        .header("anthropic-version", "2023-06-01")
        .json(&serde_json::json!({
            "model": "claude-sonnet-4-6", "max_tokens": 256,
            "messages": [{"role": "user", "content": "Hello"}]
        }))
        .send()
        .await?;
    println!("{}", reply.text().await?);
    Ok(())
}
