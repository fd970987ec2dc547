const OP: &str = "chat";

#[callwatch::watch(operation = OP)]
async fn ask() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = ask();
}
