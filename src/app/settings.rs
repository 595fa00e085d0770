//! The settings view: per-vault settings (stored in the vault), the theme and desktop
//! notifications (app preferences) and the key derivation strength.

use eframe::egui;
use egui::{RichText, Ui};

use super::command::{Command, Page};
use super::prefs::ThemeChoice;
use super::unlock::{new_password_refusal, strength_ui};
use super::widgets::{SecretBuffer, capitalised, labelled_password};
use crate::store::{KdfParams, KdfPreset, PasswordStrength, strength};
use crate::vault::VaultSettings;

/// The settings as edited. A change applies at once (when no value is being dragged or
/// typed), so nothing is left behind when the page is left. The master password section's
/// fields apply with "Change master password".
pub(crate) struct SettingsDraft {
    pub vault: VaultSettings,
    pub kdf: Option<KdfPreset>,
    /// The vault's settings the draft was last in step with: when the vault's change
    /// otherwise (another program's change merged, a refused value), the draft follows it.
    base: VaultSettings,
    /// The current master password (asked for every change: it is not kept).
    pub current: SecretBuffer,
    /// A new master password (empty: keep the password, change the key derivation only).
    pub new: SecretBuffer,
    pub repeat: SecretBuffer,
    pub strength: Option<PasswordStrength>,
    pub master_error: Option<String>,
    /// The app preference, as the frame loop last saw it (not stored in the vault).
    pub notifications: bool,
}

impl SettingsDraft {
    pub fn new(settings: &VaultSettings, kdf: KdfParams) -> Self {
        SettingsDraft {
            vault: settings.clone(),
            kdf: KdfPreset::of(kdf),
            base: settings.clone(),
            current: SecretBuffer::default(),
            new: SecretBuffer::default(),
            repeat: SecretBuffer::default(),
            strength: None,
            master_error: None,
            notifications: true,
        }
    }

    /// The settings to apply now, if the draft holds a change and `settled` (nothing is
    /// being dragged or typed). Follows a change the vault got otherwise first.
    pub fn change_to_apply(
        &mut self,
        current: &VaultSettings,
        settled: bool,
    ) -> Option<VaultSettings> {
        if *current != self.base {
            self.vault = current.clone();
            self.base = current.clone();
            return None;
        }
        if !settled || self.vault == *current {
            return None;
        }
        self.base = self.vault.clone();
        Some(self.vault.clone())
    }

    /// Why the master password section cannot be applied against the vault's `kdf`, if it
    /// cannot: the create screen's rule for a new password, and something to change.
    pub fn master_refusal(&self, kdf: KdfParams) -> Option<&'static str> {
        let target = self.kdf.map_or(kdf, KdfPreset::params);
        if self.current.is_empty() {
            Some("Type the current master password.")
        } else if self.new.is_empty() && self.repeat.is_empty() {
            (target == kdf).then_some("Type a new password or choose another strength.")
        } else {
            new_password_refusal(&self.new, &self.repeat, self.strength.as_ref())
        }
    }
}

/// The master password section: current password, new password with the create screen's
/// strength meter, repeat, and the key derivation strength.
fn master_password_ui(
    ui: &mut Ui,
    draft: &mut SettingsDraft,
    kdf: KdfParams,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new("Master password and key derivation").strong());
    ui.label(format!("Key derivation now: {kdf}"));
    labelled_password(ui, "Current master password", &mut draft.current, 300.0);
    let new = labelled_password(ui, "New master password", &mut draft.new, 300.0);
    ui.label(
        RichText::new("Leave empty to keep the password and change the strength only.").weak(),
    );
    if new.changed() {
        draft.master_error = None;
        draft.strength = (!draft.new.is_empty()).then(|| PasswordStrength::of(draft.new.expose()));
    }
    if let Some(strength) = &draft.strength {
        strength_ui(ui, strength);
    }
    labelled_password(ui, "Repeat new password", &mut draft.repeat, 300.0);
    ui.horizontal(|ui| {
        let label = ui.label("Strength");
        egui::ComboBox::from_id_salt("settings-kdf")
            .selected_text(draft.kdf.map_or("Custom", KdfPreset::label))
            .width(320.0)
            .show_ui(ui, |ui| {
                for choice in KdfPreset::ALL {
                    ui.selectable_value(&mut draft.kdf, Some(choice), choice.label());
                }
            })
            .response
            .labelled_by(label.id);
    });
    // The warning `keyward passwd` prints for the same parameters.
    if let Some(warning) = strength::kdf_warning(draft.kdf.map_or(kdf, KdfPreset::params)) {
        ui.colored_label(ui.visuals().warn_fg_color, capitalised(&warning));
    }
    let refusal = draft.master_refusal(kdf);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                refusal.is_none(),
                egui::Button::new("Change master password"),
            )
            .clicked()
        {
            commands.push(Command::ChangeMasterPassword);
        }
        if let Some(why) = refusal {
            ui.label(RichText::new(why).weak());
        }
    });
    if let Some(error) = &draft.master_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
}

fn number_row(
    ui: &mut Ui,
    title: &str,
    value: &mut u32,
    range: std::ops::RangeInclusive<u32>,
    help: &str,
) {
    let label = ui.label(title);
    ui.add(egui::DragValue::new(value).range(range))
        .labelled_by(label.id)
        .on_hover_text(help);
    ui.label(RichText::new(help).weak());
    ui.end_row();
}

/// Draws the settings page: `draft` as edited, against the vault's `current` settings and
/// its key derivation `kdf`.
pub(crate) fn settings_ui(
    ui: &mut Ui,
    draft: &mut SettingsDraft,
    current: &VaultSettings,
    kdf: KdfParams,
    commands: &mut Vec<Command>,
) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Settings");
            ui.label(RichText::new("Stored inside this vault; they travel with the file.").weak());
            ui.add_space(8.0);
            egui::Grid::new("settings-grid")
                .num_columns(3)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    let s = &mut draft.vault;
                    number_row(
                        ui,
                        "Clipboard clear (seconds)",
                        &mut s.clipboard_seconds,
                        5..=600,
                        "a copied secret is cleared after this long",
                    );
                    number_row(
                        ui,
                        "Reveal (seconds)",
                        &mut s.reveal_seconds,
                        1..=300,
                        "a revealed secret is masked again after this long",
                    );
                    number_row(
                        ui,
                        "Idle lock (minutes)",
                        &mut s.idle_lock_minutes,
                        0..=240,
                        "lock after this long without input; 0 never",
                    );
                    let label = ui.label("Lock on minimize");
                    ui.checkbox(&mut s.lock_on_minimize, "")
                        .labelled_by(label.id);
                    ui.label(RichText::new("lock when the window is minimised").weak());
                    ui.end_row();
                    number_row(
                        ui,
                        "Default rotation (days)",
                        &mut s.default_rotation_days,
                        0..=3650,
                        "for keys without their own policy; 0 none",
                    );
                    number_row(
                        ui,
                        "Reminder lead (days)",
                        &mut s.reminder_lead_days,
                        0..=365,
                        "warn this long before a due date",
                    );
                });
            let ctx = ui.ctx().clone();
            let settled = ctx.dragged_id().is_none() && !ctx.egui_wants_keyboard_input();
            if let Some(settings) = draft.change_to_apply(current, settled) {
                commands.push(Command::UpdateSettings(settings));
            }
            ui.label(RichText::new("Changes apply at once and are saved in the vault.").weak());
            ui.separator();
            master_password_ui(ui, draft, kdf, commands);
            ui.separator();
            ui.label(RichText::new("Appearance").strong());
            ui.horizontal(|ui| {
                let label = ui.label("Theme");
                let mut theme = ui.ctx().options(|o| o.theme_preference);
                let before = theme;
                ui.radio_value(&mut theme, egui::ThemePreference::System, "System")
                    .labelled_by(label.id);
                ui.radio_value(&mut theme, egui::ThemePreference::Light, "Light");
                ui.radio_value(&mut theme, egui::ThemePreference::Dark, "Dark");
                if theme != before {
                    commands.push(Command::SetTheme(ThemeChoice::of(theme)));
                }
            });
            ui.horizontal(|ui| {
                let label = ui.label("Desktop notifications");
                if ui
                    .checkbox(&mut draft.notifications, "")
                    .labelled_by(label.id)
                    .changed()
                {
                    commands.push(Command::SetNotifications(draft.notifications));
                }
                ui.label(
                    RichText::new(
                        "when a rotation falls due or a key expires, and each day's first unlock",
                    )
                    .weak(),
                );
            });
            ui.add_space(10.0);
            if ui.button("Back to keys").clicked() {
                // A value still being typed is applied on the way out.
                if draft.vault != *current {
                    commands.push(Command::UpdateSettings(draft.vault.clone()));
                }
                commands.push(Command::ShowPage(Page::Keys));
            }
        });
    });
}
