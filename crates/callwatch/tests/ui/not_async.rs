#[callwatch::watch(operation = "chat")]
fn ask() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = ask();
}
