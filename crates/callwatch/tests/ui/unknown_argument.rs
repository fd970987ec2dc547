#[callwatch::watch(operaton = "chat")]
async fn ask() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    // The function is still emitted: using it must not add errors.
    let _ = ask();
}
