//! Loads the provider presets: the built-in list plus the user's own file, if any.

use std::path::PathBuf;

use crate::vault::providers::Providers;

/// The user's presets file: `<config dir>/keyward/providers.toml`.
pub fn user_presets_path() -> Option<PathBuf> {
    crate::platform::config_dir().map(|d| d.join("providers.toml"))
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

#[cfg(test)]
mod config_dir_tests {
    #[test]
    fn presets_live_in_the_one_config_folder() {
        let dir = crate::platform::config_dir().expect("a home folder in tests");
        assert!(dir.ends_with("keyward"), "{}", dir.display());
        assert_eq!(
            super::user_presets_path().as_deref(),
            Some(dir.join("providers.toml").as_path())
        );
    }
}
