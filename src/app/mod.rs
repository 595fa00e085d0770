//! The desktop app (eframe/egui).

use std::path::PathBuf;

/// Opens the desktop app on the vault at `vault_path` (the default vault when `None`).
/// Returns when the window is closed.
pub fn run(vault_path: Option<PathBuf>) -> Result<(), String> {
    let _ = vault_path;
    Err("the desktop app is not built yet; use the CLI (keyward --help)".to_owned())
}
