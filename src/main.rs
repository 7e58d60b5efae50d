use clap::Parser;

fn main() {
    let cli = tfboot::cli::Cli::parse();
    std::process::exit(tfboot::cli::run(cli));
}
