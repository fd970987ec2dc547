fn main() -> std::process::ExitCode {
    callwatch::cli::main()
}
