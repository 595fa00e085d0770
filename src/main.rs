//! The keyward binary: a CLI, or the desktop app when no command is given.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Some(warning) = keyward::platform::disable_core_dumps() {
        eprintln!("keyward: {warning}");
    }
    let cli = keyward::cli::Cli::parse();
    ExitCode::from(keyward::cli::run(cli))
}
