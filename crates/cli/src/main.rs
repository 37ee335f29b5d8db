//! The `sanyi` binary: one command with subcommands over the application services.

use clap::{Parser, Subcommand};

/// sanyi (三医): the open platform for county medical communities.
#[derive(Debug, Parser)]
#[command(name = "sanyi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
