fn main() -> std::process::ExitCode {
    backlings::cli::main()
}
