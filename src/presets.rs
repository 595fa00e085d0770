//! Loads the provider presets: the built-in list plus the user's own file, if any.

use std::path::PathBuf;

use crate::vault::providers::Providers;

/// The user's presets file: `<config dir>/keyward/providers.toml`.
pub fn user_presets_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("keyward").join("providers.toml"))
}

/// The built-in presets merged with the user's file. A user file that cannot be read or
/// parsed is skipped; the returned warning says why and where.
pub fn load() -> (Providers, Option<String>) {
    let mut providers = Providers::builtin();
    let Some(path) = user_presets_path().filter(|p| p.exists()) else {
        return (providers, None);
    };
    let warning = match std::fs::read_to_string(&path) {
        Ok(text) => match Providers::parse(&text) {
            Ok(user) => {
                providers.merge(user);
                None
            }
            Err(e) => Some(format!(
                "ignoring your provider presets {}: {e}",
                path.display()
            )),
        },
        Err(e) => Some(format!("cannot read {}: {e}", path.display())),
    };
    (providers, warning)
}
