use std::process::ExitCode;

use super::UserError;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> Result<ExitCode, UserError> {
    Err(UserError("`test` is not built yet".into()))
}
