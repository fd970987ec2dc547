// Compiles: `fn -> impl Future<Output = Result<…>>` and `Result<impl Trait, E>`.
use std::future::Future;

#[callwatch::watch(operation = "chat")]
fn ask() -> impl Future<Output = Result<u32, std::io::Error>> {
    async { Ok(1) }
}

#[callwatch::watch(operation = "chat")]
async fn describe() -> Result<impl std::fmt::Display, std::io::Error> {
    Ok("answer")
}

fn main() {
    let _ = ask();
    let _ = describe();
}
