fn main() {
    std::process::exit(scenario::cli::main());
}
