//! The app preferences eframe persists in the config dir. Never a secret: a path and a theme.

use std::path::PathBuf;

use eframe::egui;
use serde::{Deserialize, Serialize};

/// App preferences persisted by eframe in the config dir. Never a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppPrefs {
    /// The vault opened last.
    pub last_vault: Option<PathBuf>,
    /// Light, dark or follow the system.
    pub theme: ThemeChoice,
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
