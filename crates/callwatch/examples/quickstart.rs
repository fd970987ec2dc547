//! The library as an app writes it (DESIGN.md, "Library contract"): one `init()`, the
//! middleware, one `#[watch]` function. Run against the mock or the real API:
//!
//! ```sh
//! callwatch mock --listen 127.0.0.1:8080 &           # or the real API
//! ANTHROPIC_BASE_URL=http://127.0.0.1:8080 ANTHROPIC_API_KEY=sk-ant-test-0000 \
//! CALLWATCH_EVENTS=/tmp/calls.jsonl cargo run -p callwatch --example quickstart
//! ```

#[callwatch::watch(operation = "chat")]
async fn ask(
    client: &reqwest_middleware::ClientWithMiddleware,
    base: &str,
) -> anyhow::Result<String> {
    Ok(client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", std::env::var("ANTHROPIC_API_KEY")?)
        .header("anthropic-version", "2023-06-01")
        .json(&serde_json::json!({
            "model": "claude-sonnet-4-6", "max_tokens": 256,
            "messages": [{"role": "user", "content": "Hello"}]
        }))
        .send()
        .await?
        .text()
        .await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _callwatch = callwatch::init()?; // everything from the environment
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(callwatch::Middleware::default()) // observes; does not retry unless asked
        .build();
    println!(
        "{}",
        ask(&client, &std::env::var("ANTHROPIC_BASE_URL")?).await?
    );
    Ok(()) // dropping the guard flushes everything
}
