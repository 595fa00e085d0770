//! The locked screens: unlock a vault, or create a new one.

use eframe::egui;
use std::path::PathBuf;

use egui::{Align, Layout, RichText, Ui};

use super::command::{Command, FilePick};
use super::jobs::{Job, PickJob};
use super::widgets::{SecretBuffer, capitalised, display_path, labelled_password};
use crate::secret::SecretString;
use crate::store::{KdfPreset, PasswordStrength, StoreError, VaultFile, strength};
use crate::vault::Vault;

/// The unlock screen's state.
pub(crate) struct UnlockState {
    pub path: PathBuf,
    pub password: SecretBuffer,
    /// The key file's path, for a vault made with one (empty: none).
    pub key_file: String,
    pub error: Option<String>,
    pub job: Option<Job<UnlockDone>>,
    /// A file dialog in progress, and what it is for (open a vault, or create one).
    pub pick: Option<(FilePick, PickJob)>,
    /// The file dialog chose a path for a new vault: the app shows the create screen.
    pub create_requested: bool,
    pub focus_password: bool,
    /// The vault asks for more key derivation work than the bound: the password of the
    /// refused unlock, kept for "Open anyway" (nothing was derived from it yet). Dropped when
    /// the password is typed again or another file is chosen.
    pub slow_kdf: Option<SecretString>,
}

/// The unlock job's result, and the password only when the vault was refused before anything
/// was derived (above the work bound: kept for "Open anyway"); otherwise it was dropped
/// (wiped) in the job right after the derivation.
pub(crate) type UnlockDone = (Result<(VaultFile, Vault), StoreError>, Option<SecretString>);

impl UnlockState {
    pub fn new(path: PathBuf) -> Self {
        UnlockState {
            path,
            password: SecretBuffer::default(),
            key_file: String::new(),
            error: None,
            job: None,
            pick: None,
            create_requested: false,
            focus_password: true,
            slow_kdf: None,
        }
    }

    /// The key file field's path, if one is given.
    pub fn key_file_path(&self) -> Option<PathBuf> {
        let text = self.key_file.trim();
        (!text.is_empty()).then(|| PathBuf::from(text))
    }
}

/// The create screen's state.
pub(crate) struct CreateState {
    pub path: PathBuf,
    pub password: SecretBuffer,
    pub repeat: SecretBuffer,
    pub strength: Option<PasswordStrength>,
    pub kdf: KdfPreset,
    pub error: Option<String>,
    pub job: Option<Job<CreateDone>>,
    pub focus_password: bool,
}

/// The create job's result; the password was dropped (wiped) in the job after the derivation.
pub(crate) type CreateDone = Result<VaultFile, StoreError>;

impl CreateState {
    pub fn new(path: PathBuf) -> Self {
        CreateState {
            path,
            password: SecretBuffer::default(),
            repeat: SecretBuffer::default(),
            strength: None,
            kdf: KdfPreset::Standard,
            error: None,
            job: None,
            focus_password: true,
        }
    }

    /// Why the vault cannot be created yet, if it cannot.
    pub fn refusal(&self) -> Option<&'static str> {
        new_password_refusal(&self.password, &self.repeat, self.strength.as_ref())
    }
}

/// Why a new master password typed twice cannot be used, if it cannot: the one rule of the
/// create screen and the Settings page (strength from `store::strength`).
pub(crate) fn new_password_refusal(
    password: &SecretBuffer,
    repeat: &SecretBuffer,
    strength: Option<&PasswordStrength>,
) -> Option<&'static str> {
    if password.is_empty() {
        Some("Choose a master password.")
    } else if strength.is_some_and(|s| !s.is_strong_enough()) {
        Some("Choose a stronger password (see the advice above).")
    } else if password.expose() != repeat.expose() {
        Some("The two passwords differ.")
    } else {
        None
    }
}

/// A centered column for the locked screens.
fn card<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    egui::CentralPanel::default()
        .show(ui, |ui| {
            ui.add_space((ui.available_height() * 0.12).min(80.0));
            ui.vertical_centered(|ui| {
                ui.set_max_width(460.0);
                ui.with_layout(Layout::top_down(Align::Min), add).inner
            })
            .inner
        })
        .inner
}

fn title(ui: &mut Ui, subtitle: &str) {
    ui.horizontal(|ui| {
        if let Some(texture) = super::icon::texture(ui.ctx()) {
            ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(40.0, 40.0)));
        }
        ui.vertical(|ui| {
            ui.heading(RichText::new("keyward").strong());
            ui.label(subtitle);
        });
    });
    ui.add_space(12.0);
}

fn vault_path_row(ui: &mut Ui, path: &std::path::Path) {
    let label = ui.label("Vault file");
    ui.add(
        egui::Label::new(RichText::new(display_path(path)).monospace())
            .wrap_mode(egui::TextWrapMode::Wrap),
    )
    .labelled_by(label.id);
}

/// Draws the unlock screen.
pub(crate) fn unlock_ui(ui: &mut Ui, state: &mut UnlockState, commands: &mut Vec<Command>) {
    let busy = state.job.is_some();
    card(ui, |ui| {
        title(ui, "Unlock your vault of API keys");
        vault_path_row(ui, &state.path);
        ui.horizontal(|ui| {
            let picking = state.pick.is_some();
            if ui
                .add_enabled(!busy && !picking, egui::Button::new("Open…"))
                .on_hover_text("Open another vault file")
                .clicked()
            {
                commands.push(Command::PickFile(FilePick::OpenVault));
            }
            if ui
                .add_enabled(!busy && !picking, egui::Button::new("New vault…"))
                .on_hover_text("Create a new vault file")
                .clicked()
            {
                commands.push(Command::PickFile(FilePick::NewVault));
            }
        });
        ui.add_space(8.0);
        let response = ui
            .add_enabled_ui(!busy, |ui| {
                labelled_password(ui, "Master password", &mut state.password, 300.0)
            })
            .inner;
        if state.focus_password && !busy {
            response.request_focus();
            state.focus_password = false;
        }
        if response.changed() {
            state.error = None;
            state.slow_kdf = None;
        }
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.add_space(4.0);
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Key file");
                ui.add(
                    egui::TextEdit::singleline(&mut state.key_file)
                        .hint_text("none (only for a vault made with one)")
                        .desired_width(220.0),
                )
                .labelled_by(label.id)
                .on_hover_text("A vault made with --key-file needs the same file to unlock");
                if ui
                    .add_enabled(state.pick.is_none(), egui::Button::new("Key file…"))
                    .on_hover_text("Choose the vault's key file")
                    .clicked()
                {
                    commands.push(Command::PickFile(FilePick::KeyFile));
                }
            });
        });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let clicked = ui.add_enabled(!busy, egui::Button::new("Unlock")).clicked();
            if (clicked || enter) && !busy {
                commands.push(Command::Unlock(state.password.take_secret()));
            }
            if busy {
                ui.spinner();
                ui.label("Unlocking… (deriving the key)");
            }
        });
        if let Some(error) = &state.error {
            ui.add_space(6.0);
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if state.slow_kdf.is_some()
            && ui
                .add_enabled(!busy, egui::Button::new("Open anyway"))
                .on_hover_text("Run the slow key derivation: only for a file you trust")
                .clicked()
        {
            commands.push(Command::UnlockAnyway);
        }
    });
}

/// Draws the create screen.
pub(crate) fn create_ui(ui: &mut Ui, state: &mut CreateState, commands: &mut Vec<Command>) {
    let busy = state.job.is_some();
    card(ui, |ui| {
        title(ui, "Create a new vault");
        vault_path_row(ui, &state.path);
        ui.add_space(8.0);
        ui.add_enabled_ui(!busy, |ui| {
            let first = labelled_password(ui, "Master password", &mut state.password, 300.0);
            if state.focus_password {
                first.request_focus();
                state.focus_password = false;
            }
            if first.changed() {
                state.error = None;
                state.strength = (!state.password.is_empty())
                    .then(|| PasswordStrength::of(state.password.expose()));
            }
            if let Some(strength) = &state.strength {
                strength_ui(ui, strength);
            }
            ui.add_space(4.0);
            let second = labelled_password(ui, "Repeat password", &mut state.repeat, 300.0);
            let enter = second.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.add_space(6.0);
            let label = ui.label("Key derivation strength");
            egui::ComboBox::from_id_salt("kdf-choice")
                .selected_text(state.kdf.label())
                .width(300.0)
                .show_ui(ui, |ui| {
                    for choice in KdfPreset::ALL {
                        ui.selectable_value(&mut state.kdf, choice, choice.label());
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(warning) = strength::kdf_warning(state.kdf.params()) {
                ui.colored_label(ui.visuals().warn_fg_color, capitalised(&warning));
            }
            ui.add_space(8.0);
            let refusal = state.refusal();
            ui.horizontal(|ui| {
                let create = ui
                    .add_enabled(refusal.is_none(), egui::Button::new("Create vault"))
                    .clicked();
                if (create || (enter && refusal.is_none())) && !busy {
                    commands.push(Command::CreateVault);
                }
                if state.path.exists() && ui.button("Back to unlock").clicked() {
                    commands.push(Command::ShowUnlock(state.path.clone()));
                }
            });
            if let Some(why) = refusal
                && !state.password.is_empty()
            {
                ui.label(RichText::new(why).weak());
            }
        });
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Creating… (deriving the key)");
            });
        }
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
}

/// The strength meter under a new master password (create screen, Settings).
pub(crate) fn strength_ui(ui: &mut Ui, strength: &PasswordStrength) {
    let fraction = f32::from(strength.score + 1) / 5.0;
    let color = match strength.score {
        0 | 1 => ui.visuals().error_fg_color,
        2 => ui.visuals().warn_fg_color,
        _ => egui::Color32::from_rgb(60, 160, 80),
    };
    let text = format!("Strength: {} ({}/4)", strength.words(), strength.score);
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(300.0)
            .fill(color)
            .text(text.clone()),
    )
    .on_hover_text("Estimated by zxcvbn");
    ui.label(RichText::new(text).small());
    if let Some(warning) = &strength.warning {
        ui.colored_label(ui.visuals().warn_fg_color, warning);
    }
    for suggestion in &strength.suggestions {
        ui.label(RichText::new(format!("• {suggestion}")).small());
    }
}
