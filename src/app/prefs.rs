//! The app preferences eframe persists in the config dir. Never a secret: a path, a theme,
//! whether to show desktop notifications and the day of the last daily summary.

use std::path::PathBuf;

use chrono::NaiveDate;

use eframe::egui;
use serde::{Deserialize, Serialize};

/// App preferences persisted by eframe in the config dir. Never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppPrefs {
    /// The vault opened last.
    pub last_vault: Option<PathBuf>,
    /// Light, dark or follow the system.
    pub theme: ThemeChoice,
    /// Desktop notifications: a rotation falling due or a key expiring while the app is
    /// open, and a summary at the first unlock of the day. On unless turned off in Settings.
    pub notifications: bool,
    /// The (local) day the last daily summary was shown: the first unlock of another day
    /// shows one.
    pub summary_day: Option<NaiveDate>,
}

impl Default for AppPrefs {
    fn default() -> Self {
        AppPrefs {
            last_vault: None,
            theme: ThemeChoice::default(),
            notifications: true,
            summary_day: None,
        }
    }
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl ThemeChoice {
    /// egui's name for this theme.
    pub(crate) fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }

    /// The choice for egui's `preference`.
    pub(crate) fn of(preference: egui::ThemePreference) -> Self {
        match preference {
            egui::ThemePreference::System => ThemeChoice::System,
            egui::ThemePreference::Light => ThemeChoice::Light,
            egui::ThemePreference::Dark => ThemeChoice::Dark,
        }
    }
}
