//! `callwatch mock`: the mock Claude API as its own process (the SDK conformance suite, an app
//! tried against every failure). Healthy by default; scripted over HTTP under `/__mock/`
//! (docs/mock.md).

use std::net::SocketAddr;
use std::process::ExitCode;

use super::{agent_setup, UserError};
use callwatch_mock::{Behavior, MockClaude};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to listen (port 0 picks a free one; the URL is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

pub fn run(args: Args) -> Result<ExitCode, UserError> {
    let runtime = agent_setup::runtime()?;
    runtime.block_on(async move {
        let mock = MockClaude::start_on(args.listen, Behavior::healthy(), 0x5eed)
            .await
            .map_err(|e| UserError(format!("cannot listen on {}: {e}", args.listen)))?;
        // The one line a driving script reads to learn the port.
        println!("{}", mock.base_url());
        agent_setup::shutdown_signal().await;
        drop(mock);
        Ok(ExitCode::SUCCESS)
    })
}
