//! The keyward binary: a CLI, or the desktop app when no command is given.

use std::process::ExitCode;

use clap::Parser;

/// Freed memory is zeroed: copies of secrets made by egui and growing buffers do not outlive
/// their use (issue 13 item 3).
#[global_allocator]
static ALLOCATOR: keyward::memlock::WipeOnFree = keyward::memlock::WipeOnFree;

fn main() -> ExitCode {
    if let Some(warning) = keyward::platform::disable_core_dumps() {
        eprintln!("keyward: {warning}");
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = keyward::cli::run_generator(&args) {
        return ExitCode::from(code);
    }
    let cli = keyward::cli::Cli::parse_from(args);
    ExitCode::from(keyward::cli::run(cli))
}
