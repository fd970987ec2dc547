fn main() -> std::process::ExitCode {
    callwatch_cli::main()
}
